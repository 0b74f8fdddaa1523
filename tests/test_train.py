"""The training core: windows, run directories, resume after SIGKILL, baselines and GANs in one layout."""

import itertools
import json
import os
import signal
import subprocess
import sys
import textwrap
import warnings

import keras
import numpy as np
import pytest

from mgtutor import data, metrics, train
from mgtutor.errors import DatasetError, TrainError
from mgtutor.runs import RunDir, RunDirError
from mgtutor.tasks import melody

TINY = dict(epochs=3, units=8, embed_dim=4, layers=1, window=16, stride=8, batch_size=8, valid_fraction=0.34,
            dropout=0.3)


def _melodies(n=6, seed=0):
    """Short scale-like melodies in melody-grid tokens (pitch, hold, …, rests)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        tokens = []
        for _ in range(rng.integers(8, 14)):
            tokens += [str(int(rng.choice([60, 62, 64, 65, 67]))), "_"] + ["_", "r"][: rng.integers(0, 3)]
        out.append(tokens)
    return out


def _train(melodies, out, **settings):
    """A melody run of ``melodies`` in ``out`` with the given :class:`mgtutor.tasks.melody.MelodySettings`."""
    return melody.train(melodies, out, melody.settings(**settings))


def _weights(model):
    return [np.asarray(w) for w in model.get_weights()]


def test_next_step_windows_hand_example():
    x, y, w = data.next_step_windows([np.array([1, 5, 6, 7, 2]), np.array([1, 9, 2])], 3, 2)
    np.testing.assert_array_equal(x, [[1, 5, 6], [6, 7, 2], [1, 9, 2]])  # an input whose target is padding: weight 0
    np.testing.assert_array_equal(y, [[5, 6, 7], [7, 2, 0], [9, 2, 0]])
    np.testing.assert_array_equal(w, [[1, 1, 1], [1, 1, 0], [1, 1, 0]])
    x, y, w = data.next_step_windows([np.arange(1, 11)], 3, 3)
    assert w.sum() == 9  # every target counted once with stride = window
    with pytest.raises(DatasetError, match="stride"):
        data.next_step_windows([np.arange(5)], 3, 0)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "melody-lstm-0"
    return _train(_melodies(), out, **{**TINY, "epochs": 2, "transpose": 2})


def test_a_finished_run_directory(tiny_run):
    run_dir = tiny_run.run_dir
    assert sorted(p.name for p in run_dir.iterdir()) == sorted(melody.RUN_FILES)
    assert "dropout_0" in [layer.name for layer in tiny_run.model.layers]  # resume must restore dropout's seeds
    cfg = json.loads((run_dir / "config.json").read_text())
    assert cfg["task"] == "melody" and cfg["builder"] == "melody_lstm" and cfg["builder_kwargs"]["units"] == 8
    assert cfg["training"]["transpose"] == 2 and cfg["data"]["split"]["by"] == "tune"
    assert cfg["environment"]["keras_backend"] == keras.backend.backend() and "keras" in cfg["environment"]["versions"]
    results = json.loads((run_dir / "results.json").read_text())
    assert results["epochs_run"] == 2 and results["wall_seconds"] > 0
    log = train.read_log(run_dir / "log.csv")
    assert log["epoch"] == [0, 1]
    # log.csv, results.json and a fresh computation agree on the token NLL
    assert log["val_nll"][-1] == pytest.approx(results["val_nll"], abs=1e-4)
    loaded = melody.load(run_dir)
    s = melody.MelodySettings(**cfg["training"])
    split = melody.splits(_melodies(), s, loaded.vocab)
    assert split.index["valid"] == cfg["data"]["split"]["valid_index"]
    assert split.index["test"] == cfg["data"]["split"]["test_index"]
    assert melody.validation_nll(loaded.model, split.valid) == pytest.approx(results["val_nll"], abs=1e-5)
    assert melody.validation_nll(loaded.model, split.test) == pytest.approx(results["test_nll"], abs=1e-5)
    for a, b in zip(_weights(loaded.model), _weights(tiny_run.model), strict=True):
        np.testing.assert_array_equal(a, b)


def test_same_command_refuses_a_finished_run_and_force_starts_over(tiny_run):
    with pytest.raises(RunDirError, match="already complete; use --force"):
        _train(_melodies(), tiny_run.run_dir, **{**TINY, "epochs": 2, "transpose": 2})
    again = melody.train(_melodies(), tiny_run.run_dir, melody.settings(**{**TINY, "epochs": 1}), force=True)
    assert again.epochs_run == 1 and train.read_log(again.run_dir / "log.csv")["epoch"] == [0]


def test_time_budget_stops_training_and_counts_across_resumes(tmp_path):
    result = _train(_melodies(), tmp_path / "r", **{**TINY, "epochs": 50, "time_budget_min": 1e-6})
    assert result.stopped_by_budget and result.epochs_run == 1
    assert json.loads((tmp_path / "r" / "results.json").read_text())["stopped_by_budget"] is True


@pytest.mark.parametrize(("kwargs", "phrase"), [({"epochs": 0}, "epochs must be a positive integer"),
                                                ({"time_budget_min": 0}, "time budget must be > 0"),
                                                ({"valid_fraction": 1.5}, "valid_fraction"),
                                                ({"transpositions": (0,)}, "unknown melody setting")])
def test_bad_training_settings(tmp_path, kwargs, phrase):
    with pytest.raises(TrainError, match=phrase):
        _train(_melodies(), tmp_path / "r", **kwargs)
    with pytest.raises(TrainError, match="at least 3 melodies"):
        _train(_melodies(1), tmp_path / "r")


def test_unknown_corpus_and_run_directories_that_cannot_load(tiny_run, tmp_path):
    with pytest.raises(TrainError, match="use 'chorales', 'folk' or a folder"):
        melody.load_corpus("/no/such/folder")
    with pytest.raises(RunDirError, match="no such run directory"):
        melody.load(tmp_path / "absent")
    bad = tmp_path / "bad"
    bad.mkdir()
    for name in ("config.json", "vocab.json", "COMPLETE", "results.json"):
        (bad / name).write_bytes((tiny_run.run_dir / name).read_bytes())
    (bad / "model.weights.h5").write_bytes(b"not hdf5")
    with pytest.raises(RunDirError, match="cannot load the saved weights"):
        melody.load(bad)
    (bad / "COMPLETE").unlink()
    with pytest.raises(RunDirError, match="unfinished run"):
        melody.load(bad)
    (tmp_path / "file").write_text("x")
    with pytest.raises(RunDirError, match="not a folder"):
        RunDir.prepare(tmp_path / "file", {"task": "t", "builder": "b"})
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("years of work")
    with pytest.raises(RunDirError, match="not a run directory, and nothing in it is touched"):
        RunDir.prepare(tmp_path / "mine", {"task": "t", "builder": "b"}, force=True)
    assert (tmp_path / "mine" / "thesis.tex").is_file()


KILL_SCRIPT = textwrap.dedent("""
    import json, os, signal, sys
    import keras
    from mgtutor.tasks import melody

    class KillAt(keras.callbacks.Callback):
        '''Kill this process, as the OOM killer or a power cut would, at (epoch, batch).'''
        def __init__(self, epoch, batch):
            super().__init__()
            self.at, self.epoch = (epoch, batch), None
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch
        def on_train_batch_end(self, batch, logs=None):
            if (self.epoch, batch) == self.at:
                os.kill(os.getpid(), signal.SIGKILL)

    melodies, out, settings, epoch, batch = json.loads(sys.argv[1])
    melody.train(melodies, out, melody.settings(**settings), callbacks=[KillAt(epoch, batch)])
""")


def _train_then_kill(out, settings, epoch, batch):
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    proc = subprocess.run([sys.executable, "-c", KILL_SCRIPT, json.dumps([_melodies(), str(out), settings, epoch,
                                                                          batch])],
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]


@pytest.fixture(scope="module")
def straight_run(tmp_path_factory):
    """The reference: the same settings trained without interruption."""
    return melody.train(_melodies(), tmp_path_factory.mktemp("straight") / "r", melody.settings(**TINY))


@pytest.mark.slow
def test_sigkill_mid_epoch_then_the_same_command_resumes_to_the_same_weights(straight_run, tmp_path):
    out = tmp_path / "r"
    _train_then_kill(out, TINY, epoch=1, batch=1)
    assert (out / "config.json").is_file() and not (out / "COMPLETE").exists()  # config first, marker last
    assert train.read_log(out / "log.csv")["epoch"] == [0]
    with pytest.raises(RunDirError, match="unfinished run"):
        melody.load(out)
    with pytest.raises(RunDirError, match=r"other settings \(builder_kwargs.units: 8 → 9; training.units: 8 → 9\)"):
        melody.train(_melodies(), out, melody.settings(**{**TINY, "units": 9}))
    resumed = melody.train(_melodies(), out, melody.settings(**TINY))
    log = train.read_log(out / "log.csv")
    assert log["epoch"] == [0, 1, 2]  # no gap, no duplicate
    for a, b in zip(_weights(resumed.model), _weights(straight_run.model), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(log["val_nll"], train.read_log(straight_run.run_dir / "log.csv")["val_nll"])
    assert not (out / "state").exists() and (out / "COMPLETE").is_file()


@pytest.mark.slow
def test_a_damaged_latest_checkpoint_falls_back_to_the_previous_one(straight_run, tmp_path):
    out = tmp_path / "r"
    _train_then_kill(out, TINY, epoch=2, batch=0)
    state = json.loads((out / "state" / "state.json").read_text())
    assert state["epoch"] == 2 and state["previous"]["epoch"] == 1
    latest = out / "state" / state["weights"]
    latest.write_bytes(latest.read_bytes()[:100])  # a torn write
    with pytest.warns(train.CheckpointWarning, match=r"checksum mismatch .*; using the previous checkpoint \(epoch 1"):
        resumed = melody.train(_melodies(), out, melody.settings(**TINY))
    assert train.read_log(out / "log.csv")["epoch"] == [0, 1, 2]
    for a, b in zip(_weights(resumed.model), _weights(straight_run.model), strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_numpy_baseline_uses_the_same_run_directory(tmp_path):
    from mgtutor.models import build

    rng = np.random.default_rng(0)
    rolls = [(rng.random((20, 88)) < 0.05).astype(np.uint8) for _ in range(4)]
    cfg = {"task": "pianoroll", "builder": "bernoulli_frames", "builder_kwargs": {"alpha": 0.5}, "seed": 0}
    run = RunDir.prepare(tmp_path / "b", cfg)
    assert RunDir.prepare(tmp_path / "b", cfg).path == run.path  # unfinished, same settings: resume
    model = build("bernoulli_frames", alpha=0.5).fit(rolls[:3])
    frames = np.concatenate(rolls[:3])
    np.testing.assert_allclose(model.p, (frames.sum(0) + 0.5) / (len(frames) + 1.0))
    nll = metrics.frame_nll(model.probs_over(rolls[3]), rolls[3])
    run.save_model(model)
    run.finish({"valid_frame_nll": nll})
    assert sorted(p.name for p in run.path.iterdir()) == ["COMPLETE", "config.json", "params.npz", "results.json"]
    loaded = RunDir.open(run.path).load_model()
    np.testing.assert_array_equal(loaded.p, model.p)
    assert metrics.frame_nll(loaded.probs_over(rolls[3]), rolls[3]) == pytest.approx(nll)
    with pytest.raises(RunDirError, match="already complete"):
        RunDir.prepare(run.path, cfg)
    with pytest.raises(RunDirError, match="a 'pianoroll' run, not a melody run"):
        melody.load(run.path)


def _gan_build(seed=0):
    from mgtutor.models import build

    def make():
        keras.utils.set_random_seed(seed)
        gan = build("toy_gan", data_dim=2, noise_dim=2, units=8, seed=seed)
        gan.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3))
        return gan

    return make


def test_a_two_optimizer_gan_trains_resumes_and_reloads(tmp_path):
    rng = np.random.default_rng(0)
    points = (rng.normal(size=(64, 2)) * 0.1 + [2.0, -1.0]).astype("float32")
    cfg = {"task": "gan-toy", "builder": "toy_gan", "builder_kwargs": {"data_dim": 2, "noise_dim": 2, "units": 8}}
    straight = train.fit_run(RunDir.prepare(tmp_path / "a", cfg), _gan_build(), data.ArrayData([points], 16),
                             epochs=3)
    run = RunDir.prepare(tmp_path / "b", cfg)
    first = train.fit_run(run, _gan_build(), data.ArrayData([points], 16), epochs=2)  # stops after epoch 2 …
    assert int(first.model.d_optimizer.iterations) == int(first.model.g_optimizer.iterations) == 8
    second = train.fit_run(RunDir.prepare(tmp_path / "b", cfg), _gan_build(), data.ArrayData([points], 16),
                           epochs=3)  # … and the same run goes on to 3
    assert second.resumed_at == 2 and train.read_log(run.log_path)["epoch"] == [0, 1, 2]
    assert int(second.model.d_optimizer.iterations) == int(second.model.g_optimizer.iterations) == 12
    assert {"epoch", "d_loss", "g_loss"} <= set(train.read_log(run.log_path))  # (CSVLogger adds NA val_ columns)
    for a, b in zip(_weights(second.model), _weights(straight.model), strict=True):
        np.testing.assert_array_equal(a, b)  # both networks, resumed = uninterrupted
    run.finish({})
    loaded = RunDir.open(run.path).load_model()
    noise = np.zeros((3, 2), "float32")
    np.testing.assert_allclose(np.asarray(loaded(noise)), np.asarray(second.model(noise)), atol=1e-6)


def test_the_checkpoint_commit_point_is_state_json(tmp_path):
    """Only the files state.json names are kept; anything else in state/ is a torn write and is ignored."""
    cfg = {"task": "gan-toy", "builder": "toy_gan", "builder_kwargs": {"data_dim": 2, "noise_dim": 2, "units": 8}}
    run = RunDir.prepare(tmp_path / "c", cfg)
    points = np.ones((8, 2), "float32")
    train.fit_run(run, _gan_build(), data.ArrayData([points], 4), epochs=3)
    kept = sorted(p.name for p in run.state_dir.iterdir())
    assert kept == ["epoch-0002.weights.h5", "epoch-0003.weights.h5", "state.json"]
    (run.state_dir / "state.json").write_text("{")
    with pytest.raises(RunDirError, match="unreadable resume state"):
        train.fit_run(run, _gan_build(), data.ArrayData([points], 4), epochs=4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert train.read_log(tmp_path / "none.csv") == {}


def test_the_time_budget_counts_the_whole_run_across_resumes(tmp_path):
    cfg = {"task": "gan-toy", "builder": "toy_gan", "builder_kwargs": {"data_dim": 2, "noise_dim": 2, "units": 8}}
    points = np.ones((8, 2), "float32")
    first = train.fit_run(RunDir.prepare(tmp_path / "t", cfg), _gan_build(), data.ArrayData([points], 4), epochs=1)
    assert first.train_seconds > 0 and not first.stopped_by_budget
    again = train.fit_run(RunDir.prepare(tmp_path / "t", cfg), _gan_build(), data.ArrayData([points], 4), epochs=5,
                          time_budget_s=first.train_seconds / 2)  # already spent: nothing more is trained
    assert again.resumed_at == 1 and again.epochs_run == 1 and again.stopped_by_budget
    assert again.train_seconds == pytest.approx(first.train_seconds, abs=0.05)
    with pytest.raises(TrainError, match="time budget must be > 0"):
        train.TimeBudget(0)


def test_the_tune_split_keeps_every_tune_on_one_side():
    from mgtutor.symbolic import transpose_grid

    base = _melodies(8, seed=3)
    melodies = base + [transpose_grid(m, 5) for m in base[:4]]  # four tunes appear twice, transposed
    s = melody.settings(valid_fraction=0.3, test_fraction=0.2, seed=1)
    index = melody.split_indices(melodies, s)
    keys, tunes = [data.tune_key(m) for m in melodies], data.tune_groups(melodies)
    for a, b in itertools.combinations(index.values(), 2):
        assert a and b and not {keys[i] for i in a} & {keys[i] for i in b}
        assert not {tunes[i] for i in a} & {tunes[i] for i in b}
    assert sorted(sum(index.values(), [])) == list(range(12))
    two = melody.split_indices(melodies, melody.settings(valid_fraction=0.3, test_fraction=0, seed=1))
    assert two["test"] == [] and sorted(two["train"] + two["valid"]) == list(range(12))
    by_piece = melody.split_indices(melodies, melody.settings(valid_fraction=0.3, seed=1, split="piece"))
    assert sorted(sum(by_piece.values(), [])) == list(range(12))
    with pytest.raises(TrainError, match="split must be 'tune' or 'piece'"):
        melody.settings(split="file")
    with pytest.raises(TrainError, match="hold 1 tune"):
        melody.split_indices([base[0], transpose_grid(base[0], 2)], melody.settings(test_fraction=0))


def test_read_log_gives_integer_epochs_counted_from_0_and_float_values(tmp_path):
    # the rows as Keras' CSVLogger writes them (epoch 0 first), with a missing validation value
    (tmp_path / "log.csv").write_text("epoch,loss,val_loss\n0,2.5,NA\n1,2.25,2.0\n", encoding="utf-8")
    log = train.read_log(tmp_path / "log.csv")
    assert log["epoch"] == [0, 1] and all(type(e) is int for e in log["epoch"])
    assert log["loss"] == [2.5, 2.25] and np.isnan(log["val_loss"][0]) and log["val_loss"][1] == 2.0
    (tmp_path / "bad.csv").write_text("epoch,loss\nzero,2.5\n", encoding="utf-8")
    with pytest.raises(ValueError, match="could not convert string to float: 'zero'"):
        train.read_log(tmp_path / "bad.csv")
