"""Training on more than one device or machine: the global batch, the learning-rate rule, the devices a run
uses, and a probe of which distribution engine works with the installed versions.

Part of mgtutor. See notebooks/10_full_training.ipynb §5 (GPU) and §6 (several devices, several machines).

**Data parallelism.** R replicas (devices, possibly on several machines) each hold a copy of the model. Every
step, each replica computes gradients on its share of one *global* batch of B examples, the gradients are
summed across replicas (an all-reduce), and every replica applies the same update — so the copies stay equal,
and one step on R replicas is one step on the global batch:

    B = b · R                     (b examples per replica, :func:`global_batch_size`)
    η(B) = η₀ · B / B₀            (the linear learning-rate rule, :func:`scaled_learning_rate`)

A learning rate η₀ tuned for batch B₀ is scaled with the batch: a k times larger batch takes k times fewer
steps per epoch, so each step moves k times further (Goyal et al. 2017, with a few epochs of warm-up for
large k; the square-root rule ``η₀·√(B/B₀)`` is the gentler alternative for adaptive optimizers).

**Engines.** Keras 3 ``fit`` under TensorFlow's ``MultiWorkerMirroredStrategy`` fails in current releases
(keras-team/keras#20585, tensorflow#72388), so :func:`probe` tries, in order, the engines of
:data:`MULTI_WORKER_ENGINES` (several machines) and :data:`ONE_HOST_ENGINES` (one machine, several devices),
each on a tiny linear model trained for a few SGD steps in fresh processes (two workers on 127.0.0.1), and
calls an engine *working* only when it ends without error, every worker holds the same weights, and those
weights equal plain NumPy SGD on the same global batches. :func:`chosen_engine` returns the first that works;
:data:`PROBED` records what the probe found with the versions pinned by the course.

**Devices.** :func:`plan_training` turns a device list into the decisions a run makes — mixed precision
(``mixed_float16``, loss scaling, float32 outputs), XLA, the distribution engine and the number of replicas
— as a :class:`TrainingPlan`; the decisions are plain data, so they are unit-tested with a faked GPU.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from mgtutor.data.windows import EpochData
from mgtutor.errors import MgtutorError

__all__ = ["DistributeError", "MULTI_WORKER_ENGINES", "ONE_HOST_ENGINES", "ENGINES", "PROBED",
           "global_batch_size", "per_replica_batch_size", "scaled_learning_rate", "free_ports", "tf_config",
           "Cluster", "cluster_from_env", "Device", "TrainingPlan", "plan_training", "local_devices",
           "use_cpu_devices", "join_cluster", "WorkerShard", "fit_loop", "ProbeResult", "probe", "chosen_engine",
           "versions", "numpy_sgd", "run_workers", "DISTRIBUTE_CHOICES"]

DISTRIBUTE_CHOICES = ("mirrored", "multi-worker")
"""``--distribute``: ``mirrored`` = every device of this machine; ``multi-worker`` = several machines."""

MULTI_WORKER_ENGINES = ("tf-mwms-fit", "tf-mwms-loop", "jax-multiprocess")
"""Several machines, in the order the probe tries them."""
ONE_HOST_ENGINES = ("tf-mirrored", "jax-data-parallel")
"""One machine, several devices: one engine per Keras backend."""
ENGINES = {
    "tf-mwms-fit": "Keras fit under tf.distribute.MultiWorkerMirroredStrategy",
    "tf-mwms-loop": "a custom loop running model.train_step through strategy.run under MultiWorkerMirroredStrategy",
    "jax-multiprocess": "JAX processes joined by keras.distribution.initialize, with DataParallel and fit",
    "tf-mirrored": "Keras fit under tf.distribute.MirroredStrategy",
    "jax-data-parallel": "Keras fit with keras.distribution.DataParallel on the JAX backend",
}
"""What each engine is, in words."""

PROBED = {
    "versions": {"tensorflow": "2.21.0", "keras": "3.15.1", "jax": "0.10.2", "python": "3.11"},
    "results": {
        "tf-mwms-fit": "fails: ValueError: Attempt to convert a value (PerReplica:{…}) … (keras-team/keras#20585)",
        "tf-mwms-loop": "works: 2 workers equal, equal to NumPy SGD on the global batch (max |Δ| 3e-08)",
        "jax-multiprocess": "works: 2 workers equal, equal to NumPy SGD on the global batch (max |Δ| 2e-07)",
        "tf-mirrored": "works: 2 devices, equal to NumPy SGD on the global batch (max |Δ| 3e-08)",
        "jax-data-parallel": "works: 2 devices, equal to NumPy SGD on the global batch (max |Δ| 2e-07)",
    },
    "chosen": {"multi-worker": "tf-mwms-loop", "one-host": {"tensorflow": "tf-mirrored", "jax": "jax-data-parallel"}},
}
"""What :func:`probe` found with the course's pinned versions (``python -m mgtutor probe`` runs it again)."""


class DistributeError(MgtutorError, ValueError):
    """A distribution setting that cannot work (the message says which and how to fix it)."""


# --------------------------------------------------------------------------- the global batch and the LR rule
def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise DistributeError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def global_batch_size(per_replica: int, replicas: int) -> int:
    """B = b · R: the examples one synchronous step sees across all replicas.

    Args:
        per_replica: b, the batch each device (or worker) processes.
        replicas: R, the number of devices across all machines (workers × devices per worker).
    Raises:
        DistributeError: a size that is not a positive integer.
    See: notebooks/10_full_training.ipynb §6.
    """
    return _positive_int("per_replica", per_replica) * _positive_int("replicas", replicas)


def per_replica_batch_size(global_batch: int, replicas: int) -> int:
    """b = B / R, which must be a whole number (every replica gets the same share).

    Raises:
        DistributeError: B is not a positive multiple of R (the message names the nearest ones).
    See: notebooks/10_full_training.ipynb §6.
    """
    global_batch, replicas = _positive_int("global_batch", global_batch), _positive_int("replicas", replicas)
    if global_batch % replicas:
        lower = max(replicas, global_batch // replicas * replicas)
        raise DistributeError(f"a global batch of {global_batch} does not split over {replicas} replicas; use a "
                              f"multiple of {replicas} such as {lower} or {lower + replicas}")
    return global_batch // replicas


def scaled_learning_rate(base_lr: float, base_batch: int, global_batch: int, rule: str = "linear") -> float:
    """The learning rate for ``global_batch``, given ``base_lr`` tuned at ``base_batch``.

    ``rule="linear"``: η = η₀ · B / B₀ (SGD; Goyal et al. 2017). ``rule="sqrt"``: η = η₀ · √(B / B₀)
    (gentler, often used with Adam). ``rule="none"``: η₀.
    Raises:
        DistributeError: a non-positive rate or batch, or an unknown rule.
    See: notebooks/10_full_training.ipynb §6.
    """
    if isinstance(base_lr, bool) or not isinstance(base_lr, (int, float)) or not base_lr > 0:
        raise DistributeError(f"base_lr must be a positive number, got {base_lr!r}")
    ratio = _positive_int("global_batch", global_batch) / _positive_int("base_batch", base_batch)
    rules = {"linear": ratio, "sqrt": math.sqrt(ratio), "none": 1.0}
    if rule not in rules:
        raise DistributeError(f"unknown learning-rate rule {rule!r}; use one of {', '.join(rules)}")
    return float(base_lr) * rules[rule]


# --------------------------------------------------------------------------- clusters
def free_ports(n: int, host: str = "127.0.0.1") -> list[int]:
    """``n`` TCP ports free on ``host`` right now (for workers started next)."""
    socks = []
    try:
        for _ in range(_positive_int("n", n)):
            s = socket.socket()
            s.bind((host, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def tf_config(addresses: Sequence[str], index: int) -> str:
    """The ``TF_CONFIG`` value of worker ``index`` in a cluster of ``addresses`` (``host:port`` each).

    Every machine runs the same command with its own ``TF_CONFIG``; worker 0 is the chief.
    Raises:
        DistributeError: no address, a malformed one, or an index outside the cluster.
    See: notebooks/10_full_training.ipynb §6.
    """
    addresses = list(addresses)
    if not addresses or any(not isinstance(a, str) or ":" not in a or not a.rsplit(":", 1)[1].isdigit()
                            for a in addresses):
        raise DistributeError(f"worker addresses must be 'host:port' strings, got {addresses!r}")
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(addresses):
        raise DistributeError(f"worker index must be in 0…{len(addresses) - 1}, got {index!r}")
    return json.dumps({"cluster": {"worker": addresses}, "task": {"type": "worker", "index": index}})


@dataclass(frozen=True)
class Cluster:
    """The workers of a multi-worker run and which one this process is (0 = the chief, which writes the run)."""

    addresses: tuple[str, ...]
    index: int

    @property
    def size(self) -> int:
        return len(self.addresses)

    @property
    def is_chief(self) -> bool:
        return self.index == 0


def cluster_from_env(environ=None) -> Cluster | None:
    """The cluster named by ``TF_CONFIG`` (None when it is unset).

    Raises:
        DistributeError: ``TF_CONFIG`` is not the JSON :func:`tf_config` writes.
    """
    environ = os.environ if environ is None else environ
    text = environ.get("TF_CONFIG")
    if not text:
        return None
    try:
        spec = json.loads(text)
        addresses, index = spec["cluster"]["worker"], spec["task"]["index"]
    except (ValueError, KeyError, TypeError):
        raise DistributeError("TF_CONFIG must be JSON like {\"cluster\": {\"worker\": [\"host:port\", …]}, "
                              "\"task\": {\"type\": \"worker\", \"index\": 0}}") from None
    tf_config(addresses, index)  # the same checks
    return Cluster(tuple(addresses), int(index))


# --------------------------------------------------------------------------- devices and the decisions they imply
@dataclass(frozen=True)
class Device:
    """One accelerator or CPU as the runtime lists it: ``kind`` is ``"CPU"`` or ``"GPU"``; ``compute`` is a GPU's
    compute capability (major, minor) when known."""

    kind: str
    name: str = ""
    compute: tuple[int, int] | None = None


def local_devices(backend: str | None = None) -> list[Device]:
    """The devices the Keras backend will train on, on this machine: GPUs, and the CPU (split into as many logical
    devices as :func:`use_cpu_devices` asked for). Listing them does not start TensorFlow's runtime, so a
    ``MultiWorkerMirroredStrategy`` can still be created afterwards."""
    backend = backend or os.environ.get("KERAS_BACKEND", "tensorflow")
    if backend == "jax":
        import jax

        return [Device("GPU" if d.platform in ("gpu", "cuda", "rocm") else d.platform.upper(), str(d))
                for d in jax.local_devices()]
    import tensorflow as tf

    out = []
    for k, gpu in enumerate(tf.config.list_physical_devices("GPU")):
        compute = None
        with contextlib.suppress(Exception):
            compute = tf.config.experimental.get_device_details(gpu).get("compute_capability")
        out.append(Device("GPU", f"/gpu:{k}", tuple(compute) if compute else None))
    cpu = tf.config.list_physical_devices("CPU")[0]
    logical = tf.config.get_logical_device_configuration(cpu) or [None]
    return out + [Device("CPU", f"/cpu:{k}") for k in range(len(logical))]


def use_cpu_devices(n: int, backend: str | None = None) -> None:
    """Split this machine's CPU into ``n`` logical devices, to try ``--distribute mirrored`` without GPUs.

    Must run before the backend's runtime starts: TensorFlow through ``tf.config.set_logical_device_configuration``
    (before any op runs), JAX through ``XLA_FLAGS=--xla_force_host_platform_device_count=n`` (before ``jax`` is
    imported).
    Raises:
        DistributeError: the runtime has started already (the message says to run in a fresh process).
    See: notebooks/10_full_training.ipynb §6.
    """
    n = _positive_int("cpu devices", n)
    backend = backend or os.environ.get("KERAS_BACKEND", "tensorflow")
    if backend == "jax":
        if "jax" in sys.modules:
            raise DistributeError("split the CPU before JAX is imported: run in a fresh process")
        flags = [f for f in os.environ.get("XLA_FLAGS", "").split() if "host_platform_device_count" not in f]
        os.environ["XLA_FLAGS"] = " ".join([*flags, f"--xla_force_host_platform_device_count={n}"])
        return
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * n)
    except RuntimeError:
        if len(tf.config.list_logical_devices("CPU")) != n:
            raise DistributeError("split the CPU before TensorFlow's runtime starts: run in a fresh process") from None


@dataclass
class TrainingPlan:
    """Where and how a run trains: what :func:`plan_training` decided, and why.

    Attributes:
        backend: the Keras backend.
        distribute: ``None`` (one device), ``"mirrored"`` or ``"multi-worker"``.
        engine: the engine of :data:`ENGINES` (None for one device).
        replicas: how many model copies share each global batch.
        devices: the device names this process trains on.
        policy: the Keras dtype policy (``"float32"`` or ``"mixed_float16"``).
        loss_scaling: wrap the optimizer in ``LossScaleOptimizer`` (Keras does it in ``compile`` under
            ``mixed_float16``).
        jit_compile: compile each step with XLA.
        cluster: the workers, for ``multi-worker``.
        notes: one line per decision, for the log and the notebook.
    """

    backend: str = "tensorflow"
    distribute: str | None = None
    engine: str | None = None
    replicas: int = 1
    devices: tuple[str, ...] = ()
    policy: str = "float32"
    loss_scaling: bool = False
    jit_compile: bool = False
    cluster: Cluster | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def is_chief(self) -> bool:
        """Does this process write the run directory (always, except on workers other than 0)?"""
        return self.cluster is None or self.cluster.is_chief

    def record(self) -> dict:
        """The plan as JSON-able data, for a run's config.json (where a run ran, not what it is)."""
        out = asdict(self)
        out["cluster"] = None if self.cluster is None else {"workers": self.cluster.size, "index": self.cluster.index}
        out["devices"] = list(self.devices)
        return out

    def run_path(self, out):
        """The run directory of this process: ``out`` for the chief, ``out.worker-K`` for worker K > 0 (each
        worker keeps its own checkpoints, so it can resume without a shared disk)."""
        from pathlib import Path

        out = Path(out)
        return out if self.is_chief else out.with_name(f"{out.name}.worker-{self.cluster.index}")

    def barrier(self) -> None:
        """Wait until every worker gets here (multi-worker TensorFlow only): the chief hosts the cluster's
        coordination service, so it must not exit while another worker still works."""
        if self.engine == "tf-mwms-loop":
            import tensorflow as tf

            strategy = _tf_strategy(self)
            strategy.reduce("SUM", strategy.run(lambda: tf.constant(1.0)), axis=None)

    @contextlib.contextmanager
    def scope(self) -> Iterator[object]:
        """Build the model inside this: the dtype policy and the distribution scope (yields the strategy or
        ``None``). The previous policy and distribution are restored on exit."""
        import keras

        old_policy = keras.config.dtype_policy()
        keras.config.set_dtype_policy(self.policy)
        try:
            if self.engine in ("tf-mirrored", "tf-mwms-loop", "tf-mwms-fit"):
                strategy = _tf_strategy(self)
                with strategy.scope():
                    yield strategy
            elif self.engine in ("jax-data-parallel", "jax-multiprocess"):
                old = keras.distribution.distribution()
                if self.engine == "jax-multiprocess":
                    _jax_initialize(self.cluster)
                keras.distribution.set_distribution(keras.distribution.DataParallel(
                    auto_shard_dataset=self.engine != "jax-multiprocess"))
                try:
                    yield None
                finally:
                    keras.distribution.set_distribution(old)
            else:
                yield None
        finally:
            keras.config.set_dtype_policy(old_policy)


_STRATEGIES: dict = {}


def _tf_strategy(plan: TrainingPlan):
    """One strategy per process and kind (TensorFlow allows one MultiWorkerMirroredStrategy per process)."""
    import tensorflow as tf

    key = (plan.engine, plan.devices)
    if key not in _STRATEGIES:
        if plan.engine == "tf-mirrored":
            _STRATEGIES[key] = tf.distribute.MirroredStrategy(list(plan.devices))
        else:
            _STRATEGIES[key] = tf.distribute.MultiWorkerMirroredStrategy()
    return _STRATEGIES[key]


_JAX_STARTED: list = []


def join_cluster(cluster: Cluster, backend: str | None = None) -> None:
    """Connect this process to the other workers before the backend's runtime starts: JAX needs
    ``keras.distribution.initialize`` before any device is listed; TensorFlow's strategy connects when it is
    created (nothing to do here). Call it once per process."""
    if (backend or os.environ.get("KERAS_BACKEND", "tensorflow")) == "jax":
        _jax_initialize(cluster)


def _jax_initialize(cluster: Cluster) -> None:
    import keras

    if not _JAX_STARTED:
        keras.distribution.initialize(job_addresses=cluster.addresses[0], num_processes=cluster.size,
                                      process_id=cluster.index)
        _JAX_STARTED.append(cluster)


def plan_training(devices: Sequence[Device], backend: str = "tensorflow", distribute: str | None = None,
                  mixed_precision: bool = False, cluster: Cluster | None = None, engine: str | None = None
                  ) -> TrainingPlan:
    """Decide how a run trains on ``devices`` (pure: pass a faked list to see what a GPU machine would do).

    * **mixed precision** (asked for, and a GPU present): policy ``mixed_float16`` — layers compute in float16
      and keep float32 weights; the course's builders end in a float32 layer, so logits and probabilities stay
      float32; the loss is scaled (``LossScaleOptimizer``: multiply the loss by S before backprop, divide the
      gradients by S, halve S on an overflow, double it after 2000 clean steps) so small gradients do not
      underflow float16. A GPU below compute capability 7.0 has no tensor cores: a note says it will not be
      faster. Without a GPU it is refused: float16 on a CPU is emulated and slower. Under JAX it is refused too:
      the course's training tasks are recurrent, and Keras' LSTM on a JAX GPU runs cuDNN's kernel, which takes
      float32 only (jaxlib raises "Unknown output type float16"; measured with JAX 0.11.2, Keras 3.15.1 on an
      H200, where float32 with cuDNN was also faster than mixed precision without it).
    * **XLA** (``jit_compile``): on with a GPU on TensorFlow (as Keras' ``"auto"`` decides), except under a
      ``tf.distribute`` strategy, where Keras turns it off; always on under JAX, which compiles every step.
    * **distribution**: ``"mirrored"`` uses every GPU (else every logical CPU device) of this machine with
      ``tf-mirrored`` or ``jax-data-parallel``; ``"multi-worker"`` needs a ``cluster`` (``TF_CONFIG``) and uses
      ``engine`` or the one the probe chose (:data:`PROBED`) for the backend.

    Raises:
        DistributeError: mixed precision without a GPU or under JAX, an unknown ``distribute``, ``multi-worker``
            without a cluster, or an engine for the other backend.
    See: notebooks/10_full_training.ipynb §6–§7.
    """
    if backend not in ("tensorflow", "jax"):
        raise DistributeError(f"training plans cover the tensorflow and jax backends, not {backend!r}")
    if distribute not in (None, *DISTRIBUTE_CHOICES):
        raise DistributeError(f"--distribute {distribute!r}: use one of {', '.join(DISTRIBUTE_CHOICES)}")
    gpus = [d for d in devices if d.kind == "GPU"]
    cpus = [d for d in devices if d.kind == "CPU"]
    plan, notes = TrainingPlan(backend=backend, distribute=distribute, cluster=cluster), []
    if mixed_precision:
        if not gpus:
            raise DistributeError("--mixed-precision needs a GPU: on a CPU float16 arithmetic is emulated and "
                                  "slower than float32; leave the option out here")
        if backend == "jax":
            raise DistributeError("--mixed-precision with --backend jax: the LSTM's cuDNN kernel on a JAX GPU takes "
                                  "float32 only; train in float32 there, or use the tensorflow backend")
        plan.policy, plan.loss_scaling = "mixed_float16", True
        notes.append("mixed_float16: float16 compute, float32 weights and outputs, dynamic loss scaling")
        old = [d for d in gpus if d.compute is not None and tuple(d.compute) < (7, 0)]
        if old:
            notes.append(f"{old[0].name or 'this GPU'} has compute capability {old[0].compute[0]}.{old[0].compute[1]}"
                         " < 7.0 (no tensor cores): mixed precision saves memory but is not faster")
    local = gpus or cpus[:1]
    if distribute == "mirrored":
        plan.engine = "tf-mirrored" if backend == "tensorflow" else "jax-data-parallel"
        local = gpus or cpus
    elif distribute == "multi-worker":
        if cluster is None:
            raise DistributeError("--distribute multi-worker needs TF_CONFIG naming the workers and this "
                                  "worker's index (see mgtutor.distribute.tf_config)")
        chosen = PROBED["chosen"]["multi-worker"]
        wanted = engine or (chosen if backend == "tensorflow" else "jax-multiprocess")
        if wanted not in MULTI_WORKER_ENGINES or (wanted.startswith("jax") != (backend == "jax")):
            raise DistributeError(f"engine {wanted!r} does not run multi-worker training on the {backend} backend")
        plan.engine = wanted
    plan.devices = tuple(d.name for d in local)
    per_worker = len(local) if distribute == "mirrored" or (distribute == "multi-worker" and gpus) else 1
    plan.replicas = per_worker * (cluster.size if distribute == "multi-worker" else 1)
    if plan.engine:
        notes.append(f"{plan.engine}: {ENGINES[plan.engine]}, {plan.replicas} replica(s)")
    if backend == "jax":
        plan.jit_compile = True
        notes.append("XLA: JAX compiles every step")
    elif gpus and plan.engine is None:
        plan.jit_compile = True
        notes.append("XLA: jit_compile on (a GPU is present)")
    else:
        notes.append("XLA: off (" + ("no GPU" if not gpus else "Keras turns it off under tf.distribute") + ")")
    plan.notes = notes
    return plan


# --------------------------------------------------------------------------- the custom multi-worker loop
class WorkerShard(EpochData):
    """This worker's share of every global batch of ``base``: rows ``[k·B + i·b·L, k·B + (i+1)·b·L)`` of global
    batch k for worker i with L replicas of b examples each (B = b·L·workers).

    Every worker computes the whole epoch (epoch e is a function of (seed, e) only) and keeps its rows, so the
    workers' shares are disjoint and together the global batch, with no data sent between machines. A last
    global batch smaller than B is dropped (every replica gets b examples every step) — or, with ``pad`` (for
    validation), filled with copies of the first example given weight 0, so a weighted metric still counts
    every example exactly once (the last array is the weights).
    Raises:
        DistributeError: B does not split over the replicas, or (without ``pad``) an epoch has less than one
            global batch.
    See: notebooks/10_full_training.ipynb §6.
    """

    def __init__(self, base: EpochData, index: int, workers: int, replicas_per_worker: int = 1,
                 pad: bool = False) -> None:
        self.base, self.index, self.workers = base, int(index), _positive_int("workers", workers)
        self.local, self.pad = _positive_int("replicas_per_worker", replicas_per_worker), pad
        self.batch_size = per_replica_batch_size(base.batch_size, self.workers * self.local)
        whole, rest = divmod(base.examples_per_epoch, base.batch_size)
        self.global_steps = whole + (1 if pad and rest else 0)
        if self.global_steps < 1:
            raise DistributeError(f"an epoch of {base.examples_per_epoch} examples holds no global batch of "
                                  f"{base.batch_size}; use a smaller batch")
        self.examples_per_epoch = self.global_steps * self.batch_size * self.local

    def epoch(self, epoch: int = 0) -> tuple[np.ndarray, ...]:
        arrays = self.base.epoch(epoch)
        short = self.global_steps * self.base.batch_size - len(arrays[0])
        if short > 0:  # pad: copies of example 0, weight 0
            arrays = tuple(np.concatenate([a, np.repeat(a[:1] * (0 if k == len(arrays) - 1 else 1), short, axis=0)])
                           for k, a in enumerate(arrays))
        share = self.batch_size * self.local
        rows = (np.arange(self.global_steps)[:, None] * self.base.batch_size + self.index * share
                + np.arange(share)[None, :]).ravel()
        return tuple(a[rows] for a in arrays)


def fit_loop(model, strategy, train: WorkerShard, epochs: int, initial_epoch: int = 0,
             valid: WorkerShard | None = None, callbacks: Sequence = ()) -> dict[str, list[float]]:
    """``fit`` for ``MultiWorkerMirroredStrategy``: each step runs the model's own ``train_step`` on every
    replica through ``strategy.run`` (so loss, metrics and the all-reduce of gradients are Keras' own), and
    Keras callbacks see the usual events.

    Every worker must call it with the same arguments (its own :class:`WorkerShard`). A callback that stops
    training (a time budget, early stopping) stops every worker at the same step: the workers agree on the
    flag through an all-reduce after each batch. Validation runs ``test_step`` the same way on ``valid``.
    Returns:
        The history: ``{"loss": [...], "val_loss": [...], ...}`` of the epochs run.
    See: notebooks/10_full_training.ipynb §6.
    """
    import keras
    import tensorflow as tf

    steps = train.global_steps
    cbs = keras.callbacks.CallbackList(list(callbacks), add_history=True, model=model, epochs=epochs, steps=steps,
                                       verbose=0)
    stream = iter(strategy.distribute_datasets_from_function(lambda _: train.dataset(initial_epoch, epochs)))

    @tf.function
    def train_step(iterator):
        strategy.run(model.train_step, args=(next(iterator),))

    @tf.function
    def test_step(iterator):
        strategy.run(model.test_step, args=(next(iterator),))

    @tf.function
    def agree(flag):
        return strategy.reduce("SUM", strategy.run(lambda f: tf.identity(f), args=(flag,)), axis=None)

    def agreed_stop() -> bool:
        model.stop_training = float(agree(tf.constant(float(model.stop_training)))) > 0
        return model.stop_training

    model.stop_training = False
    cbs.on_train_begin()
    logs: dict = {}
    for epoch in range(initial_epoch, epochs):
        model.reset_metrics()
        cbs.on_epoch_begin(epoch)
        for step in range(steps):
            cbs.on_train_batch_begin(step)
            train_step(stream)
            cbs.on_train_batch_end(step)
            if agreed_stop():
                break  # as in Keras' fit: the epoch so far is still logged and saved
        logs = {k: float(v) for k, v in model.get_metrics_result().items()}
        if valid is not None:
            model.reset_metrics()
            checks = iter(strategy.distribute_datasets_from_function(lambda _: valid.dataset(0, 1)))
            for _ in range(valid.global_steps):
                test_step(checks)
            logs.update({f"val_{k}": float(v) for k, v in model.get_metrics_result().items()})
        cbs.on_epoch_end(epoch, logs)
        if agreed_stop():
            break
    cbs.on_train_end(logs)
    return model.history.history if model.history is not None else {}


# --------------------------------------------------------------------------- the probe
@dataclass
class ProbeResult:
    """One engine tried by :func:`probe`: ``works`` and a one-line ``detail`` (the error, or how close)."""

    engine: str
    kind: str
    works: bool
    detail: str
    seconds: float


PROBE_STEPS, PROBE_BATCH, PROBE_LR = 4, 16, 0.1


def _probe_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(PROBE_STEPS * PROBE_BATCH, 4)).astype("float32")
    return x, (x @ np.array([[1.0], [-2.0], [0.5], [3.0]]) + 0.1).astype("float32")


def numpy_sgd(w: np.ndarray, b: np.ndarray, x: np.ndarray, y: np.ndarray, batch: int, lr: float
              ) -> tuple[np.ndarray, np.ndarray]:
    """The reference: plain SGD on the mean squared error of ``x @ w + b``, one step per batch of ``batch`` rows.

    ∂L/∂w = (2/B) xᵀ(xw + b − y), ∂L/∂b = (2/B) Σ (xw + b − y).
    """
    w, b = np.asarray(w, np.float64), np.asarray(b, np.float64)
    for a in range(0, len(x), batch):
        err = x[a:a + batch] @ w + b - y[a:a + batch]
        w, b = w - lr * 2 / len(err) * x[a:a + batch].T @ err, b - lr * 2 / len(err) * err.sum(0)
    return w, b


def _probe_worker(engine: str, index: int = 0, addresses: Sequence[str] = ()) -> None:
    """Train the probe's linear model with ``engine`` in this process; print one JSON line (run in a subprocess)."""
    import keras

    x, y = _probe_data()
    workers = max(len(addresses), 1)
    cluster = Cluster(tuple(addresses), index) if addresses else None
    shard = WorkerShard(_Arrays((x, y), PROBE_BATCH), index, workers) if cluster else None
    devices = [Device("CPU", f"/cpu:{k}") for k in range(2)]
    plan = TrainingPlan(backend=keras.backend.backend(), engine=engine, cluster=cluster,
                        devices=tuple(d.name for d in devices))

    def build():
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
        model.compile(optimizer=keras.optimizers.SGD(PROBE_LR), loss="mse")
        return model

    out = {"index": index}
    try:
        with plan.scope() as strategy:  # a JAX distribution must be active while fit runs, not only at build
            model = build()
            out["initial"] = [np.asarray(w).tolist() for w in model.get_weights()]
            if engine == "tf-mwms-loop":
                fit_loop(model, strategy, shard, 1)
            elif engine == "tf-mwms-fit":
                import tensorflow as tf

                ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(PROBE_BATCH)
                model.fit(ds, epochs=1, verbose=0, shuffle=False)
            elif engine == "jax-multiprocess":
                xs, ys = shard.epoch(0)
                model.fit(xs, ys, batch_size=shard.batch_size, epochs=1, verbose=0, shuffle=False)
            else:  # one host: fit on the global batches; the engine splits them over the devices
                model.fit(x, y, batch_size=PROBE_BATCH, epochs=1, verbose=0, shuffle=False)
            out["replicas"] = _replicas_of(model.weights[0], strategy)
            out["final"] = [np.asarray(w).tolist() for w in model.get_weights()]
    except Exception as exc:  # the point of a probe: report any failure as one line
        message = re.sub(r"PerReplica:\{.*", "PerReplica:{…}) …", " ".join(str(exc).split()))
        out["error"] = f"{type(exc).__name__}: {message[:300]}"
    print("PROBE " + json.dumps(out), flush=True)


def _replicas_of(variable, strategy) -> int:
    """How many devices hold a copy of ``variable`` (all processes together)."""
    if strategy is not None:
        return int(strategy.num_replicas_in_sync)
    value = getattr(variable, "value", variable)
    sharding = getattr(value, "sharding", None)
    return len(sharding.device_set) if sharding is not None else 1


class _Arrays(EpochData):
    def __init__(self, arrays, batch_size):
        self.arrays, self.batch_size, self.examples_per_epoch = arrays, batch_size, len(arrays[0])

    def epoch(self, epoch=0):
        return self.arrays


def _probe_env(engine: str, index: int, addresses: Sequence[str]) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CONFIG", "XLA_FLAGS", "CI")}
    env.update({"KERAS_BACKEND": "jax" if engine.startswith("jax") else "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "2",
                "TF_ENABLE_ONEDNN_OPTS": "0", "CUDA_VISIBLE_DEVICES": ""})
    if engine.startswith("tf-mwms"):
        env["TF_CONFIG"] = tf_config(addresses, index)
    if engine == "jax-data-parallel":
        env["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"
    return env


def _probe_command(engine: str, index: int, addresses: Sequence[str]) -> list[str]:
    setup = ("from mgtutor.distribute import use_cpu_devices; use_cpu_devices(2, 'tensorflow'); "
             if engine == "tf-mirrored" else "")
    code = (f"import mgtutor.config; {setup}from mgtutor.distribute import _probe_worker; "
            f"_probe_worker({engine!r}, {index}, {list(addresses)!r}); import os; os._exit(0)")
    return [sys.executable, "-c", code]


def run_workers(commands: Sequence[list[str]], envs: Sequence[dict], timeout: float) -> list[tuple[int, str, str]]:
    """Start every command at once, wait up to ``timeout`` seconds in all, kill what is left.

    Returns:
        (return code, stdout, stderr) per command; a killed one has return code −9.
    """
    procs = [subprocess.Popen(c, env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for c, e in zip(commands, envs, strict=True)]
    deadline, out = time.monotonic() + timeout, []
    for p in procs:
        try:
            stdout, stderr = p.communicate(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            p.kill()
            stdout, stderr = p.communicate()
        out.append((p.returncode, stdout, stderr))
    return out


def _judge(engine: str, reports: list[dict | None], errors: list[str]) -> tuple[bool, str]:
    if any(r is None for r in reports):
        return False, "fails: " + (errors[0] if errors else "no report")
    failed = [r["error"] for r in reports if "error" in r]
    if failed:
        return False, "fails: " + failed[0]
    if any(r.get("replicas", 1) < 2 for r in reports):
        return False, f"fails: trained on {reports[0].get('replicas', 1)} device(s), not 2"
    finals = [np.concatenate([np.ravel(w) for w in r["final"]]) for r in reports]
    if any(not np.array_equal(finals[0], f) for f in finals[1:]):
        return False, "fails: the workers end with different weights"
    x, y = _probe_data()
    w, b = numpy_sgd(np.array(reports[0]["initial"][0]), np.array(reports[0]["initial"][1]), x, y, PROBE_BATCH,
                     PROBE_LR)
    gap = float(np.abs(finals[0] - np.concatenate([w.ravel(), b.ravel()])).max())
    if gap > 1e-5:
        return False, f"fails: weights differ from NumPy SGD on the global batches by {gap:.1e}"
    where = f"{len(reports)} workers equal, " if len(reports) > 1 else f"{reports[0]['replicas']} devices, "
    return True, f"works: {where}equal to NumPy SGD on the global batch (max |Δ| {gap:.0e})"


def probe(engines: Sequence[str] | None = None, timeout: float = 120.0) -> list[ProbeResult]:
    """Try each engine on a tiny linear model in fresh processes (two workers on 127.0.0.1 for a multi-worker
    engine; two logical CPU devices for a one-host engine) and say which work.

    An engine works when every process ends without error with the same weights, equal (to 1e-5) to
    :func:`numpy_sgd` on the same global batches of 16 from the same initial weights.
    Args:
        engines: names of :data:`ENGINES` (default: all, multi-worker ones first, in the probe's order).
        timeout: seconds per engine before its processes are killed.
    Returns:
        One :class:`ProbeResult` per engine, in order.
    See: notebooks/10_full_training.ipynb §6.
    """
    engines = list(engines or (*MULTI_WORKER_ENGINES, *ONE_HOST_ENGINES))
    unknown = [e for e in engines if e not in ENGINES]
    if unknown:
        raise DistributeError(f"unknown engine(s) {unknown}; known: {', '.join(ENGINES)}")
    results = []
    for engine in engines:
        start = time.monotonic()
        multi = engine in MULTI_WORKER_ENGINES
        addresses = [f"127.0.0.1:{p}" for p in free_ports(2)] if multi else []
        indices = range(2) if multi else range(1)
        outs = run_workers([_probe_command(engine, i, addresses) for i in indices],
                           [_probe_env(engine, i, addresses) for i in indices], timeout)
        reports, errors = [], []
        for code, stdout, stderr in outs:
            lines = [ln for ln in stdout.splitlines() if ln.startswith("PROBE ")]
            reports.append(json.loads(lines[-1][6:]) if lines else None)
            if not lines:
                tail = [ln for ln in stderr.strip().splitlines() if ln.strip()]
                errors.append("killed after the timeout" if code == -9 else (tail[-1][:300] if tail else
                                                                              f"exit status {code}"))
        works, detail = _judge(engine, reports, errors)
        results.append(ProbeResult(engine, "multi-worker" if multi else "one-host", works, detail,
                                   time.monotonic() - start))
    return results


def chosen_engine(results: Sequence[ProbeResult], kind: str = "multi-worker", backend: str | None = None
                  ) -> str | None:
    """The first working engine of ``kind`` (``"multi-worker"`` or ``"one-host"``), in the probe's order
    (``backend`` keeps only that backend's engines); None when none works."""
    prefix = {"tensorflow": "tf-", "jax": "jax-", None: ""}[backend]
    for r in results:
        if r.kind == kind and r.works and r.engine.startswith(prefix):
            return r.engine
    return None


def versions() -> dict[str, str]:
    """The versions a probe result depends on: TensorFlow, Keras, JAX, Python."""
    import platform
    from importlib import metadata

    out = {}
    for package, dist in (("tensorflow", ("tensorflow", "tensorflow-cpu")), ("keras", ("keras",)),
                          ("jax", ("jax",))):
        for name in dist:
            with contextlib.suppress(metadata.PackageNotFoundError):
                out[package] = metadata.version(name)
                break
    out["python"] = ".".join(platform.python_version_tuple()[:2])
    return out
