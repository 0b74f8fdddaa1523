"""mgtutor.train: windows, NLL against Keras' loss, run directories, time budget, bad settings."""

import json
import math

import numpy as np
import pytest

from mgtutor import train
from mgtutor.train import RunDirError, TrainError

keras = pytest.importorskip("keras")


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


def test_melody_windows_hand_example():
    x, y, w = train.melody_windows([np.array([1, 5, 6, 7, 2]), np.array([1, 9, 2])], length=3, stride=2)
    np.testing.assert_array_equal(x, [[1, 5, 6], [6, 7, 0], [1, 9, 0]])
    np.testing.assert_array_equal(y, [[5, 6, 7], [7, 2, 0], [9, 2, 0]])
    np.testing.assert_array_equal(w, [[1, 1, 1], [1, 1, 0], [1, 1, 0]])
    x, y, w = train.melody_windows([np.arange(1, 11)], length=3, stride=3)
    assert w.sum() == 9  # every target counted once with stride = length


def test_melody_windows_bad_input():
    with pytest.raises(TrainError, match="stride"):
        train.melody_windows([np.arange(5)], length=3, stride=0)
    with pytest.raises(TrainError, match="shorter than 2 tokens"):
        train.melody_windows([np.array([1])], length=3, stride=1)


def test_sequence_nll_equals_keras_cross_entropy_and_uniform_is_log_v():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((None,), dtype="int32"), keras.layers.Embedding(7, 3),
                              keras.layers.LSTM(5, return_sequences=True), keras.layers.Dense(7)])
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 7, (5, 6)).astype("int32"), rng.integers(0, 7, (5, 6)).astype("int32")
    ref = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(y, model(x))
    assert train.sequence_nll(model, x, y, np.ones((5, 6), "float32"), batch_size=2) == pytest.approx(float(ref), 1e-5)
    w = np.zeros((5, 6), "float32")
    w[:, :2] = 1
    ref2 = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(y[:, :2], model(x)[:, :2])
    assert train.sequence_nll(model, x, y, w) == pytest.approx(float(ref2), 1e-5)
    uniform = keras.Sequential([keras.Input((None,), dtype="int32"), keras.layers.Embedding(7, 2),
                                keras.layers.Dense(7, kernel_initializer="zeros")])
    assert train.sequence_nll(uniform, x, y, np.ones((5, 6))) == pytest.approx(math.log(7), 1e-6)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "melody-lstm-0"
    result = train.train_melody(_melodies(), out, epochs=2, units=8, embed_dim=4, layers=1, window=16, stride=8,
                                batch_size=8, valid_fraction=0.34, transpositions=(0, 2))
    return result


def test_train_melody_writes_a_complete_run(tiny_run):
    run_dir = tiny_run.run_dir
    assert sorted(p.name for p in run_dir.iterdir()) == sorted(train.RUN_FILES)
    cfg = json.loads((run_dir / "config.json").read_text())
    assert cfg["model"]["units"] == 8 and cfg["training"]["epochs_run"] == 2
    assert cfg["training"]["valid_pieces"] == 2 and cfg["training"]["train_pieces"] == 4
    assert cfg["training"]["transpositions"] == [0, 2]
    assert math.isfinite(tiny_run.val_perplexity) and 1 < tiny_run.val_perplexity < len(tiny_run.vocab)
    assert tiny_run.val_perplexity == pytest.approx(math.exp(tiny_run.val_nll))
    assert (run_dir / "log.csv").read_text().splitlines()[0].startswith("epoch")


def test_load_run_round_trip(tiny_run):
    run = train.load_run(tiny_run.run_dir)
    tokens = np.array([[1, 40, 3, 3, 44]], dtype="int32")
    np.testing.assert_allclose(np.asarray(run.model(tokens)), np.asarray(tiny_run.model(tokens, training=False)),
                               atol=1e-6)
    assert run.vocab == tiny_run.vocab and run.config["task"] == "melody"


def test_unfinished_missing_and_corrupt_run_dirs(tiny_run, tmp_path):
    with pytest.raises(RunDirError, match="no such run directory"):
        train.load_run(tmp_path / "nope")
    partial = tmp_path / "partial"
    partial.mkdir()
    for name in ("config.json", "vocab.json", "model.weights.h5"):
        (partial / name).write_bytes((tiny_run.run_dir / name).read_bytes())
    with pytest.raises(RunDirError, match="unfinished run"):
        train.load_run(partial)
    (partial / "COMPLETE").write_text("x")
    (partial / "model.weights.h5").write_bytes(b"not hdf5")
    with pytest.raises(RunDirError, match="cannot load these weights"):
        train.load_run(partial)
    (partial / "config.json").write_text("{")
    with pytest.raises(RunDirError, match="not readable JSON"):
        train.load_run(partial)


def test_save_run_removes_old_marker_first(tiny_run, tmp_path, monkeypatch):
    copy = tmp_path / "copy"
    train.save_run(copy, tiny_run.model, tiny_run.vocab, json.loads((tiny_run.run_dir / "config.json").read_text()))
    assert train.is_complete(copy)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(tiny_run.model, "save_weights", broken)
    with pytest.raises(OSError, match="disk full"):
        train.save_run(copy, tiny_run.model, tiny_run.vocab, {"builder": "melody_lstm", "model": {}})
    assert not train.is_complete(copy)
    assert not [p for p in copy.iterdir() if p.name.endswith(".tmp") or p.name.startswith(".model.")]


def test_time_budget_stops_training(tmp_path):
    result = train.train_melody(_melodies(), tmp_path / "r", epochs=50, time_budget_min=1e-6, units=4, embed_dim=2,
                                layers=1, window=8, stride=8, batch_size=4)
    assert result.stopped_by_budget and result.epochs_run == 1
    assert json.loads((tmp_path / "r" / "config.json").read_text())["training"]["stopped_by_budget"] is True


@pytest.mark.parametrize(
    ("kwargs", "phrase"),
    [({"epochs": 0}, "epochs must be a positive integer"), ({"time_budget_min": 0}, "time budget must be > 0"),
     ({"valid_fraction": 1.0}, "valid_fraction")],
)
def test_bad_training_settings(tmp_path, kwargs, phrase):
    with pytest.raises(TrainError, match=phrase):
        train.train_melody(_melodies(), tmp_path / "r", units=4, embed_dim=2, layers=1, **kwargs)
    with pytest.raises(TrainError, match="at least 2 melodies"):
        train.train_melody(_melodies(1), tmp_path / "r")


def test_run_name_and_unknown_corpus():
    assert train.run_name("melody", "lstm", 3) == "melody-lstm-3"
    with pytest.raises(TrainError, match="use 'chorales', 'folk' or a folder"):
        train.load_melody_corpus("/no/such/folder")
