"""Distribution: the global batch and learning-rate rules, clusters, worker shards, the engines and the decisions a
run makes on a machine with GPUs (faked device lists: the GPU path cannot run here). The probe is in
test_distribute_probe.py."""

import json
import math

import numpy as np
import pytest

from mgtutor import distribute as d
from mgtutor.data import ArrayData
from mgtutor.distribute import Cluster, Device, DistributeError


def test_global_batch_and_per_replica_share():
    assert d.global_batch_size(32, 4) == 128
    assert d.global_batch_size(1, 1) == 1
    assert d.per_replica_batch_size(128, 4) == 32
    with pytest.raises(DistributeError, match="does not split over 4 replicas; use a multiple of 4 such as 64 or 68"):
        d.per_replica_batch_size(66, 4)
    for bad in (0, -1, 2.5, True, "8"):
        with pytest.raises(DistributeError, match="must be a positive integer"):
            d.global_batch_size(bad, 2)


def test_learning_rate_rules_by_hand():
    assert d.scaled_learning_rate(0.1, 256, 1024) == pytest.approx(0.4)  # 4× the batch, 4× the rate
    assert d.scaled_learning_rate(0.1, 256, 64) == pytest.approx(0.025)
    assert d.scaled_learning_rate(1e-3, 64, 256, rule="sqrt") == pytest.approx(2e-3)
    assert d.scaled_learning_rate(1e-3, 64, 256, rule="none") == pytest.approx(1e-3)
    with pytest.raises(DistributeError, match="unknown learning-rate rule 'cubic'"):
        d.scaled_learning_rate(0.1, 32, 64, rule="cubic")
    with pytest.raises(DistributeError, match="base_lr must be a positive number"):
        d.scaled_learning_rate(0, 32, 64)
    with pytest.raises(DistributeError, match="base_batch must be a positive integer"):
        d.scaled_learning_rate(0.1, 0, 64)


def test_tf_config_and_the_cluster_it_names():
    spec = json.loads(d.tf_config(["10.0.0.1:2222", "10.0.0.2:2222"], 1))
    assert spec == {"cluster": {"worker": ["10.0.0.1:2222", "10.0.0.2:2222"]}, "task": {"type": "worker", "index": 1}}
    cluster = d.cluster_from_env({"TF_CONFIG": d.tf_config(["a:1", "b:2", "c:3"], 0)})
    assert cluster == Cluster(("a:1", "b:2", "c:3"), 0) and cluster.is_chief and cluster.size == 3
    assert not d.cluster_from_env({"TF_CONFIG": d.tf_config(["a:1", "b:2"], 1)}).is_chief
    assert d.cluster_from_env({}) is None
    with pytest.raises(DistributeError, match="index must be in 0…1"):
        d.tf_config(["a:1", "b:2"], 2)
    with pytest.raises(DistributeError, match="'host:port'"):
        d.tf_config(["a"], 0)
    with pytest.raises(DistributeError, match="TF_CONFIG must be JSON like"):
        d.cluster_from_env({"TF_CONFIG": "{\"cluster\": {}}"})
    ports = d.free_ports(2)
    assert len(set(ports)) == 2 and all(p > 0 for p in ports)


def test_worker_shards_split_every_global_batch_and_drop_or_pad_the_rest():
    x = np.arange(10)[:, None] * 1.0
    w = np.ones(10)
    base = ArrayData([x, w], 4, shuffle=False)
    shards = [d.WorkerShard(base, i, 2) for i in range(2)]
    assert [s.batch_size for s in shards] == [2, 2] and shards[0].global_steps == 2
    rows = [s.epoch(0)[0][:, 0].tolist() for s in shards]
    assert rows == [[0, 1, 4, 5], [2, 3, 6, 7]]  # global batch k = worker 0's share, then worker 1's
    assert [b[0][:, 0].tolist() for b in shards[1].batches(0, 1)] == [[2, 3], [6, 7]]
    padded = [d.WorkerShard(base, i, 2, pad=True) for i in range(2)]
    xs, ws = zip(*(p.epoch(0) for p in padded), strict=True)
    assert padded[0].global_steps == 3 and sum(len(a) for a in xs) == 12
    kept = sorted(v for a, b in zip(xs, ws, strict=True) for v, wt in zip(a[:, 0], b, strict=True) if wt > 0)
    assert kept == list(range(10))  # every example once with weight 1; the two pads weigh 0
    two_local = d.WorkerShard(ArrayData([x[:8]], 4, shuffle=False), 1, 2, replicas_per_worker=2)
    assert two_local.batch_size == 1 and two_local.epoch(0)[0][:, 0].tolist() == [2, 3, 6, 7]
    with pytest.raises(DistributeError, match="does not split over 3 replicas"):
        d.WorkerShard(base, 0, 3)
    with pytest.raises(DistributeError, match="holds no global batch of 16"):
        d.WorkerShard(ArrayData([x], 16), 0, 2)


def test_an_engine_is_its_name():
    assert d.Engine("tf-mwms-loop") is d.Engine.TF_MWMS_LOOP == "tf-mwms-loop"
    assert f"{d.Engine.TF_MIRRORED}: {d.ENGINES['tf-mirrored']}" == "tf-mirrored: " + d.ENGINES[d.Engine.TF_MIRRORED]
    assert d.Engine.JAX_MULTIPROCESS.backend == "jax" and d.Engine.JAX_MULTIPROCESS.multi_worker
    assert d.Engine.TF_MIRRORED.backend == "tensorflow" and not d.Engine.TF_MIRRORED.multi_worker
    assert d.TrainingPlan(engine="jax-data-parallel").engine is d.Engine.JAX_DATA_PARALLEL
    assert json.dumps(d.TrainingPlan(engine="tf-mirrored").record()["engine"]) == '"tf-mirrored"'
    with pytest.raises(DistributeError, match="unknown engine 'horovod'; known: tf-mwms-fit, tf-mwms-loop"):
        d.TrainingPlan(engine="horovod")


CPU = [Device("CPU", "/cpu:0")]
GPU80 = Device("GPU", "/gpu:0", (8, 0))


def test_a_cpu_only_machine_trains_in_float32_without_xla_and_refuses_mixed_precision():
    plan = d.plan_training(CPU)
    assert (plan.policy, plan.loss_scaling, plan.jit_compile, plan.engine, plan.replicas) == \
        ("float32", False, False, None, 1)
    assert plan.notes == ["XLA: off (no GPU)"] and plan.is_chief
    with pytest.raises(DistributeError, match="--mixed-precision needs a GPU"):
        d.plan_training(CPU, mixed_precision=True)
    two_cpus = d.plan_training([Device("CPU", "/cpu:0"), Device("CPU", "/cpu:1")], distribute="mirrored")
    assert two_cpus.engine == "tf-mirrored" and two_cpus.replicas == 2 and two_cpus.devices == ("/cpu:0", "/cpu:1")


def test_a_gpu_turns_on_mixed_precision_loss_scaling_and_xla():
    plan = d.plan_training([*CPU, GPU80], mixed_precision=True)
    assert (plan.policy, plan.loss_scaling, plan.jit_compile, plan.devices) == ("mixed_float16", True, True,
                                                                                ("/gpu:0",))
    assert "float32 weights and outputs" in plan.notes[0] and plan.notes[-1] == "XLA: jit_compile on (a GPU is present)"
    old = d.plan_training([*CPU, Device("GPU", "/gpu:0", (6, 1))], mixed_precision=True)
    assert "6.1 < 7.0 (no tensor cores)" in old.notes[1]
    assert d.plan_training([*CPU, GPU80]).policy == "float32"  # only when asked for
    assert d.plan_training([*CPU, GPU80], backend="jax").policy == "float32"


@pytest.mark.parametrize("model", [None, "melody_lstm", "frame_lstm", "rnn_nade"])
def test_jax_refuses_mixed_precision_for_a_model_with_a_cudnn_lstm(model):
    # JAX's cuDNN LSTM kernel takes float32 only (measured on a GPU: benchmarks/bench_training.py --gpu-only);
    # a model not named yet counts as one with an LSTM (every model of the train commands has one)
    with pytest.raises(DistributeError, match="cuDNN kernel on a JAX GPU takes float32 only"):
        d.plan_training([*CPU, GPU80], backend="jax", mixed_precision=True, model=model)
    on_tf = d.plan_training([*CPU, GPU80], mixed_precision=True, model=model)  # TensorFlow's cuDNN RNN takes float16
    assert (on_tf.policy, on_tf.loss_scaling) == ("mixed_float16", True)


@pytest.mark.parametrize("model", ["spec_gan", "bar_gan", "dilated_causal_stack"])
def test_jax_allows_mixed_precision_for_a_model_without_an_lstm(model):
    plan = d.plan_training([*CPU, GPU80], backend="jax", mixed_precision=True, model=model)
    assert (plan.policy, plan.loss_scaling, plan.jit_compile) == ("mixed_float16", True, True)
    assert plan.notes[-1] == "XLA: JAX compiles every step"


def test_a_plan_for_an_unknown_model_is_refused_whatever_the_options():
    for backend, mixed in (("tensorflow", False), ("jax", True)):
        with pytest.raises(DistributeError, match="plan for model 'transformer': no model builder named"):
            d.plan_training([*CPU, GPU80], backend=backend, mixed_precision=mixed, model="transformer")


def test_several_gpus_and_several_machines():
    gpus = [*CPU, GPU80, Device("GPU", "/gpu:1", (8, 0))]
    mirrored = d.plan_training(gpus, distribute="mirrored")
    assert mirrored.engine == "tf-mirrored" and mirrored.replicas == 2 and mirrored.devices == ("/gpu:0", "/gpu:1")
    assert not mirrored.jit_compile and "under tf.distribute" in mirrored.notes[-1]
    on_jax = d.plan_training(gpus, backend="jax", distribute="mirrored")
    assert on_jax.engine == "jax-data-parallel" and on_jax.jit_compile
    cluster = Cluster(("h1:2222", "h2:2222"), 1)
    workers = d.plan_training(CPU, distribute="multi-worker", cluster=cluster)
    assert workers.engine == "tf-mwms-loop" and workers.replicas == 2  # the probe runs it: test_distribute_probe.py
    assert not workers.is_chief and str(workers.run_path("runs/x")) == "runs/x.worker-1"
    assert d.plan_training(gpus, distribute="multi-worker", cluster=cluster).replicas == 4  # 2 machines × 2 GPUs
    assert d.plan_training(CPU, "jax", "multi-worker", cluster=cluster).engine == "jax-multiprocess"
    with pytest.raises(DistributeError, match="needs TF_CONFIG"):
        d.plan_training(CPU, distribute="multi-worker")
    with pytest.raises(DistributeError, match="does not run multi-worker training on the jax backend"):
        d.plan_training(CPU, "jax", "multi-worker", cluster=cluster, engine="tf-mwms-loop")
    with pytest.raises(DistributeError, match="use one of mirrored, multi-worker"):
        d.plan_training(CPU, distribute="horovod")
    record = workers.record()
    assert record["cluster"] == {"workers": 2, "index": 1} and json.loads(json.dumps(record)) == record


def test_mixed_precision_builds_float16_layers_float32_logits_and_a_loss_scale_optimizer():
    """The decisions of a faked GPU applied on this CPU: what would run on a GPU, one step of it."""
    import keras

    from mgtutor import models

    plan = d.plan_training([*CPU, GPU80], mixed_precision=True)
    with plan.scope():
        model = models.build("melody_lstm", vocab_size=11, embed_dim=4, units=8, layers=1, dropout=0.0)
        model.compile(optimizer=keras.optimizers.Adam(1e-3),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    assert keras.config.dtype_policy().name == "float32"  # restored on leaving the scope
    lstm = next(layer for layer in model.layers if isinstance(layer, keras.layers.LSTM))
    assert lstm.compute_dtype == "float16" and lstm.variable_dtype == "float32"
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    x = np.ones((2, 5), "int32")
    assert keras.backend.standardize_dtype(model(x).dtype) == "float32"
    loss = model.train_on_batch(x, np.ones((2, 5), "int32"))
    assert math.isfinite(float(loss))


def test_the_command_line_refuses_what_cannot_work_here_in_one_line(capsys, monkeypatch):
    from mgtutor import cli

    monkeypatch.delenv("TF_CONFIG", raising=False)
    for extra, phrase in ((["--mixed-precision"], "--mixed-precision needs a GPU"),
                          (["--distribute", "multi-worker"], "needs TF_CONFIG naming the workers")):
        assert cli.main(["train", "melody", "--out", "/nonexistent/r", *extra]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("mgtutor: error: ") and phrase in err
    monkeypatch.setenv("TF_CONFIG", "not json")
    assert cli.main(["train", "pianoroll", "--distribute", "multi-worker", "--out", "/nonexistent/r"]) == 2
    assert "TF_CONFIG must be JSON like" in capsys.readouterr().err
    assert cli.main(["probe", "--engine", "horovod"]) == 2
    assert "unknown engine(s) ['horovod']" in capsys.readouterr().err
