"""Keras backends: the melody model trains, saves, reloads and generates under JAX (a subprocess: the backend
is fixed at Keras' first import), and the command line chooses the backend before Keras is imported."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from mgtutor.render import write_midi


def _run(*args, backend_env=None):
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "KERAS_BACKEND")}
    env.update(backend_env or {})
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=600, env=env)


def test_the_command_line_imports_neither_keras_nor_tensorflow():
    proc = _run("-c", "import sys, mgtutor.cli as c; c.build_parser(); "
                      "print(sorted(m for m in ('keras', 'tensorflow', 'jax', 'music21') if m in sys.modules))")
    assert proc.returncode == 0 and proc.stdout.strip() == "[]", proc.stderr


def test_a_settings_error_imports_neither_keras_nor_tensorflow():
    code = """
import sys
from mgtutor.errors import TrainError
from mgtutor.tasks import bar_gan, gan_spec, gan_toy, melody, pianoroll

for task in (bar_gan, gan_spec, gan_toy, melody, pianoroll):
    try:
        task.settings(learning_rate=-1.0)
    except TrainError as error:
        assert "learning" in str(error), error
    else:
        raise SystemExit(f"{task.__name__}: a learning rate of -1 was accepted")
print(sorted(m for m in ('keras', 'tensorflow', 'jax', 'music21') if m in sys.modules))
"""
    proc = _run("-c", code)
    assert proc.returncode == 0 and proc.stdout.strip() == "[]", proc.stdout + proc.stderr


@pytest.mark.slow
def test_melody_trains_saves_reloads_and_generates_under_jax(tmp_path):
    """Trained and generated under JAX (subprocesses); here, under TensorFlow, the saved weights score the recorded
    validation NLL, and the melody JAX wrote greedily (``--top-k 1``), read back with pretty_midi, is the greedy
    decode done by hand with the Keras model (a forward pass over the whole history for each token, arg-max)."""
    rng = np.random.default_rng(0)
    midi = tmp_path / "midi"
    for k in range(4):
        write_midi([tok for _ in range(10) for tok in (str(int(rng.choice([60, 62, 64, 67]))), "_")],
                   midi / f"song{k}.mid")
    out = tmp_path / "run"
    train = _run("-m", "mgtutor", "train", "--backend", "jax", "melody", "--corpus", str(midi), "--out", str(out),
                 "--epochs", "2", "--units", "8", "--embed-dim", "4", "--layers", "1", "--window", "8",
                 "--stride", "4")
    assert train.returncode == 0, train.stderr[-3000:]
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["environment"]["keras_backend"] == "jax" and "jax" in cfg["environment"]["versions"]
    gen = _run("-m", "mgtutor", "generate", "--backend", "jax", "melody", "--run", str(out), "--length", "16",
               "--out", str(tmp_path / "x.mid"), "--primer", "60 _", "--top-k", "1")
    assert gen.returncode == 0, gen.stderr[-3000:]
    # the weights a JAX run saved load under TensorFlow (this process) and score the same validation NLL
    from mgtutor.tasks import melody

    run = melody.load(out)
    s = melody.MelodySettings(**cfg["training"])
    from mgtutor import data

    melodies = data.folder_melodies(midi, warn=False)[0]
    valid = melody.splits(melodies, s, run.vocab).valid
    assert melody.validation_nll(run.model, valid) == pytest.approx(run.results["val_nll"], abs=1e-4)

    import pretty_midi

    from mgtutor.symbolic import grid_to_melody

    ids = [run.vocab.start_id, *run.vocab.encode(["60", "_"]).tolist()]
    for _ in range(16):
        logits = np.asarray(run.model(np.array([ids], "int32"), training=False))[0, -1]
        ids.append(int(np.argmax(logits)))
    spq, qpm = cfg["data"]["steps_per_quarter"], cfg["data"]["qpm"]
    by_hand = [(n.pitch, n.start * 60 / qpm, n.end * 60 / qpm)
               for n in grid_to_melody(run.vocab.decode(ids), steps_per_quarter=spq, strict=False)]
    written = sorted(((n.pitch, n.start, n.end) for inst in pretty_midi.PrettyMIDI(str(tmp_path / "x.mid")).instruments
                      for n in inst.notes), key=lambda note: note[1])
    assert len(written) == len(by_hand) >= 1 and written[0][0] == 60, (written, run.vocab.decode(ids))
    assert [w[0] for w in written] == [h[0] for h in by_hand]
    np.testing.assert_allclose([w[1:] for w in written], [h[1:] for h in by_hand], atol=1e-3)


def test_a_backend_that_is_not_installed_is_one_line(monkeypatch, capsys):
    import importlib.util

    from mgtutor import cli

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a))
    assert cli.main(["train", "--backend", "torch", "melody", "--out", "/nonexistent/x"]) == 2
    assert capsys.readouterr().err == "mgtutor: error: --backend torch: the torch package is not installed here\n"


def test_backend_cannot_change_after_keras_is_imported(capsys):
    import keras  # noqa: F401

    from mgtutor import cli

    other = "jax" if os.environ.get("KERAS_BACKEND", "tensorflow") != "jax" else "tensorflow"
    code = cli.main(["train", "--backend", other, "melody", "--out", "/nonexistent/x"])
    assert code == 2 and "already imported with the" in capsys.readouterr().err
