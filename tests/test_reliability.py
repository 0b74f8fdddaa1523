"""Reliability of full training: SIGKILL mid-epoch and resume through the command line, a corrupt checkpoint,
a run directory that cannot be written, two workers and two devices, and every Keras builder and trainer under
JAX. The kills, the workers, the devices and the backend switch need fresh processes; the rest runs in-process."""

import json
import os
import pickle
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest

from mgtutor import cli, distribute, runs, train
from mgtutor.files import sha256_file

ROOT = Path(__file__).resolve().parent.parent

MELODY = ["--corpus", "chorales", "--limit", "6", "--epochs", "3", "--units", "8", "--embed-dim", "4", "--layers", "1",
          "--window", "16", "--stride", "8", "--batch-size", "8"]
PIANOROLL = ["--model", "lstm", "--epochs", "3", "--units", "8", "--batch-size", "4"]
GAN = ["--data", "ring", "--model", "pacgan", "--epochs", "3"]  # smoke: 20 steps per epoch, one execution each


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "TF_CONFIG", "XLA_FLAGS")}
    env.update({"PYTHONPATH": os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
                "MGTUTOR_MODE": "smoke"}, **extra)
    return env


KILL = textwrap.dedent("""
    import os, signal, sys
    import keras
    import mgtutor.train as train
    from mgtutor import cli

    class KillAt(keras.callbacks.Callback):
        '''Kill this process, as the OOM killer or a power cut would, after batch b of epoch e.'''
        def __init__(self, at):
            super().__init__()
            self.at, self.epoch = at, None
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch
        def on_train_batch_end(self, batch, logs=None):
            if (self.epoch, batch) == self.at:
                os.kill(os.getpid(), signal.SIGKILL)

    at, argv = (int(sys.argv[1]), int(sys.argv[2])), sys.argv[3:]
    fit_run = train.fit_run
    train.fit_run = lambda *a, callbacks=(), **k: fit_run(*a, callbacks=[*callbacks, KillAt(at)], **k)
    sys.exit(cli.main(argv))
""")


def _start_and_kill(argv, epoch, batch):
    return subprocess.Popen([sys.executable, "-c", KILL, str(epoch), str(batch), *argv], env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _toy_rolls(path, seed=0):
    """A small benchmark pickle in the Boulanger-Lewandowski layout: sticky random chords."""
    rng = np.random.default_rng(seed)

    def piece():
        chord, frames = rng.choice(np.arange(50, 70), 3, replace=False), []
        for _ in range(int(rng.integers(12, 20))):
            if rng.random() < 0.3:
                chord = rng.choice(np.arange(50, 70), 3, replace=False)
            frames.append(tuple(int(p) for p in chord))
        return frames

    path.write_bytes(pickle.dumps({"train": [piece() for _ in range(6)], "valid": [piece() for _ in range(2)],
                                   "test": [piece() for _ in range(2)]}))
    return path


def _flip_a_weight_byte(path):
    """Change one byte inside the first weight array of a .weights.h5 file: it still loads, with a wrong weight."""
    import h5py

    offsets = []
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: offsets.append(obj.id.get_offset()) if isinstance(obj, h5py.Dataset)
                     and obj.size > 4 and obj.id.get_offset() is not None else None)
    data = bytearray(path.read_bytes())
    data[offsets[0] + 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _weights(path):
    import h5py

    out = []
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: out.append((name, obj[()])) if isinstance(obj, h5py.Dataset) else None)
    return out


@pytest.mark.slow
def test_sigkill_mid_epoch_then_the_same_command_resumes_with_its_log_continuing(tmp_path, capsys):
    """Three model kinds through the command line — a melody LSTM, a piano-roll LSTM, a GAN with two optimizers —
    killed at the same time; the melody run also finds its latest checkpoint corrupted (one flipped byte that
    h5py would load) and goes back to the one before."""
    rolls = _toy_rolls(tmp_path / "toy.pickle")
    jobs = {"melody": ["train", "melody", *MELODY, "--out", str(tmp_path / "melody")],
            "pianoroll": ["train", "pianoroll", "--data", str(rolls), *PIANOROLL, "--out", str(tmp_path / "roll")],
            "gan": ["train", "gan-toy", *GAN, "--out", str(tmp_path / "gan")]}
    kills = {"melody": (2, 0), "pianoroll": (1, 1), "gan": (1, 19)}  # the GAN: after its 20 steps, before the commit
    procs = {kind: _start_and_kill(argv, *kills[kind]) for kind, argv in jobs.items()}
    for proc in procs.values():
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == -signal.SIGKILL, err[-3000:]
    melody_dir, roll_dir, gan_dir = tmp_path / "melody", tmp_path / "roll", tmp_path / "gan"
    assert train.read_log(melody_dir / "log.csv")["epoch"] == [0, 1]
    assert train.read_log(roll_dir / "log.csv")["epoch"] == train.read_log(gan_dir / "log.csv")["epoch"] == [0]
    assert not any((d / "COMPLETE").exists() for d in (melody_dir, roll_dir, gan_dir))

    state = json.loads((melody_dir / "state" / "state.json").read_text())
    assert state["epoch"] == 2 and state["previous"]["epoch"] == 1
    latest = melody_dir / "state" / state["weights"]
    _flip_a_weight_byte(latest)
    assert sha256_file(latest) != state["sha256"]
    assert len(_weights(latest)) > 0  # yet every array still reads: only the checksum tells

    for kind, argv in jobs.items():
        assert cli.main(argv) == 0, kind
        out, err = capsys.readouterr()
        if kind == "gan":  # the GAN's command prints its scores only
            assert err == "" and "pacgan on the ring, 3 epoch(s)" in out
            continue
        # both resume at epoch 2: the melody run's epoch-2 checkpoint was damaged, so it trains epoch 2 again
        assert "resuming at epoch 2/3" in out
        assert [line for line in out.splitlines() if line.startswith("epoch ")][0].startswith("epoch 2/3:")
        if kind == "melody":
            assert err.splitlines() == [f"mgtutor: warning: {latest}: checksum mismatch (the file changed after it "
                                        "was written); using the previous checkpoint (epoch 1)"]
        else:
            assert err == ""
    resumed = {"melody": melody_dir, "pianoroll": roll_dir, "gan": gan_dir}
    for run_dir in resumed.values():
        assert train.read_log(run_dir / "log.csv")["epoch"] == [0, 1, 2]  # no gap, no duplicate
        assert (run_dir / "COMPLETE").is_file() and not (run_dir / "state").exists()

    # the resumed runs end where uninterrupted ones do (the piano roll keeps its best epoch across the kill; the
    # GAN's two optimizers and its noise, drawn from (seed, step), continue where they were)
    for kind, argv in jobs.items():
        straight = tmp_path / f"{kind}-straight"
        assert cli.main([*argv[:-1], str(straight)]) == 0
        for (name, a), (_, b) in zip(_weights(resumed[kind] / "model.weights.h5"),
                                     _weights(straight / "model.weights.h5"), strict=True):
            np.testing.assert_array_equal(a, b, err_msg=f"{kind}: {name}")
        column = "d_loss" if kind == "gan" else "val_nll"
        np.testing.assert_array_equal(train.read_log(resumed[kind] / "log.csv")[column],
                                      train.read_log(straight / "log.csv")[column])
    capsys.readouterr()


def test_best_checkpoint_keeps_the_best_epoch_and_patience_across_a_resume(tmp_path):
    """BestCheckpoint reads the best value and the epochs since it from the log, so a resumed run stops and ends
    where an uninterrupted one would (Keras' EarlyStopping would start counting afresh)."""
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, kernel_initializer="ones")])
    log = tmp_path / "log.csv"
    log.write_text("epoch,loss,val_loss\n0,1.0,0.5\n1,1.0,0.3\n2,1.0,0.4\n3,1.0,0.45\n")
    model.save_weights(tmp_path / "best-epoch-0001.weights.h5")
    (tmp_path / "best-epoch-0000.weights.h5").write_bytes(b"stale")
    best = train.BestCheckpoint(tmp_path, log, monitor="val_loss", patience=3)
    best.set_model(model)
    best.on_train_begin()
    assert (best.best, best.best_epoch, best.wait) == (0.3, 1, 2)
    assert sorted(p.name for p in tmp_path.glob("best-*")) == ["best-epoch-0001.weights.h5"]
    model.layers[0].kernel.assign(np.full((1, 1), 7.0, "float32"))
    best.on_epoch_end(4, {"val_loss": 0.35})  # the third epoch without a better one: stop
    assert model.stop_training
    best.on_train_end()
    assert float(np.asarray(model.layers[0].kernel)[0, 0]) == 1.0  # the best epoch's weights
    best.on_epoch_end(5, {"val_loss": 0.1})
    assert sorted(p.name for p in tmp_path.glob("best-*")) == ["best-epoch-0005.weights.h5"]
    with pytest.raises(train.TrainError, match="'val_loss' is not in the logs"):
        best.on_epoch_end(6, {"loss": 1.0})


@pytest.mark.parametrize("kind", ["parent-is-a-file", "disk-full"])
def test_a_run_directory_that_cannot_be_written_fails_before_training_in_one_line(tmp_path, monkeypatch, capsys,
                                                                                   kind):
    from mgtutor.tasks import melody, pianoroll

    def never(*args, **kwargs):
        raise AssertionError("data was loaded or a model trained before the run directory was checked")

    for module, name in ((melody, "load_corpus"), (melody, "train"), (pianoroll, "load_data"), (train, "fit_run")):
        monkeypatch.setattr(module, name, never)
    if kind == "parent-is-a-file":
        (tmp_path / "file").write_text("not a folder")
        out, phrase = tmp_path / "file" / "runs" / "r", f"{tmp_path / 'file'} is a file, not a folder"
    else:
        monkeypatch.setattr(runs, "free_bytes", lambda path: 5 * 2**20)
        out, phrase = tmp_path / "r", "only 5.0 MiB free on its disk and a run needs 64 MiB"
    for task in (["melody", "--corpus", "chorales"], ["pianoroll", "--data", "chorales"]):
        assert cli.main(["train", *task, "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith(f"mgtutor: error: {out}: ") and phrase in err
    assert not out.exists()
    with pytest.raises(runs.RunDirError, match="is a file, not a folder|only 5.0 MiB"):
        runs.RunDir.prepare(out, {"task": "t", "builder": "b"})


def test_event_log_writes_what_tensorboard_reads(tmp_path):
    events = train.EventLog(tmp_path)
    events.on_epoch_end(0, {"loss": 1.5, "nll": 1.4, "val_loss": 2.0})
    events.on_epoch_end(1, {"loss": 1.25, "nll": 1.2, "val_loss": 1.75})
    events.on_train_end()
    assert train.read_events(tmp_path / "train") == {"epoch_loss": [(0, 1.5), (1, 1.25)],
                                                     "epoch_nll": [(0, pytest.approx(1.4)), (1, pytest.approx(1.2))]}
    assert train.read_events(tmp_path / "validation") == {"epoch_loss": [(0, 2.0), (1, 1.75)]}
    import tensorflow as tf
    from tensorflow.core.util import event_pb2

    path = next((tmp_path / "train").glob("events.out.tfevents.*"))
    tags = [(v.tag, v.metadata.plugin_data.plugin_name) for r in tf.data.TFRecordDataset(str(path))
            for v in event_pb2.Event.FromString(r.numpy()).summary.value]
    assert ("epoch_loss", "scalars") in tags  # the scalar dashboard's plugin


def test_warmup_cosine_by_hand():
    rates = [train.warmup_cosine(e, 0.1, 6, warmup=2, final_fraction=0.1) for e in range(6)]
    # warm-up 0.05, 0.1; then cosine over 3 steps from 0.1 to 0.01: 0.1, 0.1·(0.1 + 0.9·(1 + cos(π/3))/2), …, 0.01
    np.testing.assert_allclose(rates, [0.05, 0.1, 0.1, 0.1 * (0.1 + 0.9 * 0.75), 0.1 * (0.1 + 0.9 * 0.25), 0.01])
    assert train.warmup_cosine(0, 1.0, 1) == 1.0
    with pytest.raises(train.TrainError, match="warmup < epochs"):
        train.warmup_cosine(0, 0.1, 3, warmup=3)


def test_progress_lines_and_durations():
    assert [train.format_seconds(s) for s in (0, 42.4, 65, 3600 + 7 * 60 + 3)] == ["0 s", "42 s", "1 min 05 s",
                                                                                   "1 h 07 min"]
    import io

    stream = io.StringIO()
    line = train.ProgressLine(5, stream)
    line.on_epoch_begin(2)
    line.on_epoch_end(2, {"loss": 1.23456, "val_loss": 2.5, "nll": 9.0})
    first, second = stream.getvalue().splitlines()
    assert first == "resuming at epoch 3/5 (epochs 1–2 are in the checkpoint)"
    assert second.startswith("epoch 3/5: loss 1.2346, val_loss 2.5000, 0 s, ETA ")


# --------------------------------------------------------------------------- several workers, several devices
class Jobs:
    """The fresh processes of the tests below, all started at once (they spend most of their time starting Python
    and a backend, which overlaps well): two workers, the two-device comparison, the JAX round trips."""

    def __init__(self, root: Path) -> None:
        self.root, self.procs = root, {}
        addresses = [f"127.0.0.1:{p}" for p in distribute.free_ports(2)]
        workers = ["-m", "mgtutor", "train", "melody", *MELODY, "--epochs", "2", "--distribute", "multi-worker",
                   "--out", str(root / "workers" / "r")]
        for i in range(2):
            self._start(f"worker-{i}", workers, TF_CONFIG=distribute.tf_config(addresses, i))
        self._start("devices", ["-c", TWO_DEVICES, str(root / "devices"), "train", "melody", *MELODY, "--epochs", "1",
                                "--distribute", "mirrored", "--cpu-devices", "2", "--out"])
        self._start("jax", ["-c", UNDER_JAX, str(root / "jax")], KERAS_BACKEND="jax")
        self._start("jaxmirrored", ["-m", "mgtutor", "train", "--backend", "jax", "melody", *MELODY, "--epochs", "2",
                                    "--distribute", "mirrored", "--cpu-devices", "2", "--out",
                                    str(root / "jaxmirrored" / "r")])

    def _start(self, name, args, **env):
        folder = self.root / name.split("-")[0]
        folder.mkdir(parents=True, exist_ok=True)
        self.procs[name] = subprocess.Popen([sys.executable, *args], env=_env(**env), stdout=subprocess.PIPE,
                                            stderr=subprocess.PIPE, text=True)

    def wait(self, name: str) -> tuple[int, str, str]:
        proc = self.procs[name]
        out, err = proc.communicate(timeout=900)
        return proc.returncode, out, err


@pytest.fixture(scope="module")
def jobs(tmp_path_factory):
    started = Jobs(tmp_path_factory.mktemp("jobs"))
    yield started
    for proc in started.procs.values():
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


@pytest.mark.slow
def test_two_workers_on_localhost_train_to_identical_weights(jobs):
    """The engine the probe chose (a strategy.run loop under MultiWorkerMirroredStrategy), through the command
    line: each worker writes its own run directory; both end with the same weights and the same log."""
    outs = [jobs.wait("worker-0"), jobs.wait("worker-1")]
    for code, _, err in outs:
        assert code == 0, err[-3000:]
    chief, other = jobs.root / "workers" / "r", jobs.root / "workers" / "r.worker-1"
    assert "plan: tf-mwms-loop" in outs[0][1] and "epoch 2/2:" in outs[0][1]
    assert outs[1][1].strip().splitlines()[-2].startswith(f"{other}: 2 epoch(s)")  # workers > 0 print no progress
    assert json.loads((chief / "config.json").read_text())["execution"]["replicas"] == 2
    for (name, a), (_, b) in zip(_weights(chief / "model.weights.h5"), _weights(other / "model.weights.h5"),
                                 strict=True):
        np.testing.assert_array_equal(a, b, err_msg=name)
    assert train.read_log(chief / "log.csv") == train.read_log(other / "log.csv")


TWO_DEVICES = textwrap.dedent("""
    import json, sys
    import numpy as np
    from mgtutor import cli, data, distribute
    distribute.use_cpu_devices(2, "tensorflow")
    from mgtutor.tasks import melody

    out, argv = sys.argv[1], sys.argv[2:]
    lines = list(data.chorale_soprano_lines().values())[:6]
    s = melody.settings(units=8, embed_dim=4, layers=1, dropout=0.0, epochs=3, window=16, stride=8, batch_size=8)
    devices = distribute.local_devices()
    one = melody.train(lines, out + "/one", s, plan=distribute.plan_training(devices))
    two = melody.train(lines, out + "/two", s, plan=distribute.plan_training(devices, distribute="mirrored"))
    print(json.dumps({"gaps": [float(np.abs(a - b).max()) for a, b in zip(one.model.get_weights(),
                                                                         two.model.get_weights())],
                      "largest": max(float(np.abs(a).max()) for a in one.model.get_weights()),
                      "val_nll": [one.history["val_nll"], two.history["val_nll"]],
                      "devices": [one.config["execution"]["devices"], two.config["execution"]["devices"]]}))
    assert cli.main([*argv, out + "/cli"]) == 0
""")


@pytest.mark.slow
def test_one_host_two_devices_match_one_device_with_the_same_global_batch(jobs):
    """MirroredStrategy on two logical CPU devices vs one device, same global batch of 8, no dropout (each replica
    would draw its own masks). Each replica averages the loss over its half, weighted by its own real tokens, so
    a step is not exactly the one-device step, and Adam's normalisation enlarges the difference on weights whose
    gradients are tiny. Stated tolerance after 3 epochs: every weight within 1e-2 (the largest weights are ~1)
    and every epoch's validation NLL within 2e-3 nats. (On the probe's linear model with equal halves, the two
    agree to 3e-8: ``distribute.PROBED``.) The command line's ``--distribute mirrored --cpu-devices 2`` runs too."""
    code, out, err = jobs.wait("devices")
    assert code == 0, err[-3000:]
    report = json.loads(next(line for line in out.splitlines() if line.startswith("{")))
    assert report["devices"] == [["/cpu:0"], ["/cpu:0", "/cpu:1"]]
    assert max(report["gaps"]) < 1e-2 < report["largest"], report
    np.testing.assert_allclose(*report["val_nll"], atol=2e-3)
    assert "plan: tf-mirrored: Keras fit under tf.distribute.MirroredStrategy, 2 replica(s)" in out
    assert json.loads((jobs.root / "devices" / "cli" / "config.json").read_text())["execution"]["replicas"] == 2


@pytest.mark.slow
def test_one_host_two_devices_under_jax_through_the_command_line(jobs):
    """``--backend jax --distribute mirrored --cpu-devices 2``: keras.distribution.DataParallel over two host
    devices, the CPU split before JAX starts."""
    code, out, err = jobs.wait("jaxmirrored")
    assert code == 0, err[-3000:]
    run = jobs.root / "jaxmirrored" / "r"
    execution = json.loads((run / "config.json").read_text())["execution"]
    assert (execution["engine"], execution["replicas"], len(execution["devices"])) == ("jax-data-parallel", 2, 2)
    assert "epoch 2/2:" in out and train.read_log(run / "log.csv")["epoch"] == [0, 1]


# --------------------------------------------------------------------------- JAX
UNDER_JAX = textwrap.dedent("""
    import json, sys
    import numpy as np
    import keras
    assert keras.backend.backend() == "jax"
    from mgtutor import models
    from mgtutor.metrics import keras_metric
    from mgtutor.tasks import pianoroll

    out = sys.argv[1]
    rng = np.random.default_rng(0)
    done = []

    def round_trip(name, kwargs, loss, metric, x, y, w):
        model = models.build(name, **kwargs)
        model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=loss, weighted_metrics=[keras_metric(metric)])
        before = [np.array(v) for v in model.get_weights()]
        model.train_on_batch(x, y, sample_weight=w)
        assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights())), name
        path = f"{out}/{name}.weights.h5"
        model.save_weights(path)
        again = models.build(name, **kwargs)
        again.load_weights(path)
        np.testing.assert_allclose(np.asarray(again(x)), np.asarray(model(x)), rtol=1e-6, atol=1e-6)
        done.append(name)

    tokens = rng.integers(1, 11, (2, 6)).astype("int32")
    round_trip("melody_lstm", dict(vocab_size=11, embed_dim=4, units=8, layers=1),
               keras.losses.SparseCategoricalCrossentropy(from_logits=True), "token", tokens, tokens,
               np.ones((2, 6), "float32"))
    rolls = (rng.random((2, 6, 88)) < 0.1).astype("float32")
    round_trip("frame_lstm", dict(units=8), models.frame_loss(), "frame", rolls, rolls, np.ones((2, 6), "float32"))
    round_trip("rnn_nade", dict(units=8, hidden=6), models.frame_loss(), "frame",
               np.concatenate([rolls, rolls], -1), rolls, np.ones((2, 6), "float32"))

    # the trainers: a run directory written under JAX reloads and scores what it logged
    tiny = dict(units=8, hidden=6, epochs=1, window=8, stride=8, batch_size=4)
    split = {k: [(rng.random((12, 88)) < 0.05).astype("uint8") for _ in range(n)] for k, n in
             (("train", 4), ("valid", 2), ("test", 1))}
    for model in ("lstm",):
        run = pianoroll.train(split, f"{out}/roll-{model}", pianoroll.settings(model=model, **tiny))
        loaded = pianoroll.load(run.run_dir)
        again = pianoroll.score(loaded.model, split["valid"])["frame_nll"]
        assert abs(again - run.results["valid"]["frame_nll"]) < 1e-4
        done.append(f"pianoroll.train({model})")
    from mgtutor.tasks import gan_toy

    gan = models.build("toy_gan", units=8, pack=2, seed=0)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-2), g_optimizer=keras.optimizers.Adam(1e-2))
    before = [np.array(v) for v in gan.get_weights()]
    gan.fit(rng.normal(size=(32, 2)).astype("float32"), batch_size=16, epochs=1, verbose=0)
    assert all(not np.array_equal(a, b) for a, b in zip(before, gan.get_weights()) if a.ndim == 2)
    gan.save_weights(f"{out}/toy_gan.weights.h5")
    again = models.build("toy_gan", units=8, pack=2, seed=0)
    again.load_weights(f"{out}/toy_gan.weights.h5")
    noise = rng.normal(size=(5, 2)).astype("float32")
    np.testing.assert_allclose(np.asarray(again(noise)), np.asarray(gan(noise)), rtol=1e-6, atol=1e-6)
    done.append("toy_gan")
    s = gan_toy.settings(epochs=1, steps_per_epoch=4, units=8, batch_size=32)
    run = gan_toy.train(gan_toy.toy_data(s), f"{out}/gan", s)
    assert {k: run.results[k] for k in ("modes", "high_quality")} == {
        k: v for k, v in gan_toy.scores(gan_toy.load(run.run_dir).model, "ring", 0).items() if k in ("modes",
                                                                                                   "high_quality")}
    done.append("gan_toy.train")

    stack = models.build("dilated_causal_stack", layers=3, channels=4)  # notebook 09's WaveNet stack
    stack.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
    wave = rng.normal(size=(2, 16, 1)).astype("float32")
    before = [np.array(v) for v in stack.get_weights()]
    stack.train_on_batch(wave, wave)
    assert any(not np.array_equal(a, b) for a, b in zip(before, stack.get_weights()))
    stack.save_weights(f"{out}/stack.weights.h5")
    again = models.build("dilated_causal_stack", layers=3, channels=4)
    again.load_weights(f"{out}/stack.weights.h5")
    np.testing.assert_allclose(np.asarray(again(wave)), np.asarray(stack(wave)), rtol=1e-6, atol=1e-6)
    done.append("dilated_causal_stack")
    print(json.dumps(done))
""")


@pytest.mark.slow
def test_every_keras_builder_and_trainer_trains_saves_and_reloads_under_jax(jobs):
    """Notebooks 06–09's builders (melody_lstm, frame_lstm, rnn_nade, toy_gan, dilated_causal_stack) and trainers,
    in a fresh JAX process. (The melody trainer's JAX run, through the command line, is tests/test_backends.py's;
    notebook 09's bar and spectrogram GANs train under JAX in tests/test_cli_gan_music.py.)"""
    code, out, err = jobs.wait("jax")
    assert code == 0, err[-3000:]
    from mgtutor.models import BUILDERS

    keras_builders = sorted(n for n in BUILDERS if n not in ("bernoulli_frames", "markov_frames"))  # NumPy ones
    done = json.loads(out.strip().splitlines()[-1])
    by_gan_tasks = {"bar_gan", "spec_gan", "note_classifier"}  # trained under JAX by tests/test_cli_gan_music.py
    assert keras_builders == ["bar_gan", "dilated_causal_stack", "frame_lstm", "melody_lstm", "note_classifier",
                              "rnn_nade", "spec_gan", "toy_gan"]
    assert set(keras_builders) <= set(done) | by_gan_tasks
    assert {"pianoroll.train(lstm)", "gan_toy.train"} <= set(done)
