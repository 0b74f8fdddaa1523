"""`python -m mgtutor train|evaluate|generate bar-gan|gan-spec`: tiny smoke-mode runs, fixed seeds, bad input.

References: the bar metrics recomputed from the run's own samples; the tolerance rule worked out by hand; the
Bernoulli baseline's cell frequencies against the training bars'.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from mgtutor import cli, metrics
from mgtutor.tasks import bar_gan, gan_spec

keras = pytest.importorskip("keras")


def _json_line(capsys):
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1, out
    return json.loads(out[0])


def _error_line(capsys):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("mgtutor: error: "), err
    return err[0]


@pytest.fixture(scope="module")
def bar_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "bars"
    assert cli.main(["train", "bar-gan", "--out", str(out), "--seed", "0"]) == 0
    return out


@pytest.fixture(scope="module")
def spec_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "spec"
    assert cli.main(["train", "gan-spec", "--out", str(out), "--seed", "0"]) == 0
    return out


def test_tolerance_rule_by_hand():
    assert bar_gan.tolerance("polyphony", 3.9) == pytest.approx(0.78)          # 20 % of a count
    assert bar_gan.tolerance("used_pitch_classes", 0.5) == pytest.approx(0.2)  # the count floor
    assert bar_gan.tolerance("empty_bar_rate", 0.001) == pytest.approx(0.02)   # the rate floor
    assert bar_gan.tolerance("in_scale_ratio", 0.97) == pytest.approx(0.194)
    checks = bar_gan.compare({"empty_bar_rate": 0.03, "qualified_note_ratio": None, "in_scale_ratio": 0.8,
                              "used_pitch_classes": 8.5, "polyphony": 3.0},
                             {"empty_bar_rate": 0.001, "qualified_note_ratio": 0.6, "in_scale_ratio": 0.97,
                              "used_pitch_classes": 7.1, "polyphony": 3.9})
    assert {k: v["within"] for k, v in checks.items()} == {
        "empty_bar_rate": False, "qualified_note_ratio": False, "in_scale_ratio": True, "used_pitch_classes": True,
        "polyphony": False}


def test_bernoulli_baseline_keeps_cell_frequencies():
    train = np.zeros((4, 16, 48), np.uint8)
    train[:2, :, 10] = 1   # key 10 on in half the bars
    train[:, :, 20] = 1    # key 20 always on
    fake = bar_gan.bernoulli_bars(train, 4000, seed=0)
    assert fake[:, :, 20].all() and not fake[:, :, 30].any()
    assert fake[:, :, 10].mean() == pytest.approx(0.5, abs=0.02)


def test_bar_gan_trains_evaluates_and_generates(bar_run, tmp_path, capsys):
    results = json.loads((bar_run / "results.json").read_text())
    assert results["epochs_run"] == 1 and results["train_cpu_seconds"] > 0
    capsys.readouterr()
    assert cli.main(["evaluate", "bar-gan", "--run", str(bar_run)]) == 0
    line = _json_line(capsys)
    assert line["task"] == "bar-gan" and set(line["checks"]) == {*bar_gan.RATES, *bar_gan.COUNTS}
    assert line["generated"]["bars"] == 200 and 0 <= line["within"] <= 5
    # the numbers are the bar metrics of the run's own samples (seed 0), against the training bars
    run = bar_gan.load(bar_run)
    bars = bar_gan.sample_bars(run.model, 200, seed=0)
    split = bar_gan.load_bars(0)
    np.testing.assert_array_equal(run.bars["train"], split["train"])  # the run keeps its own bars
    np.testing.assert_array_equal(run.bars["valid"], split["valid"])
    assert line["generated"] == metrics.bar_metrics(bars, 30, 3, training=split["train"])
    assert line["training"]["empty_bar_rate"] == metrics.empty_bar_rate(split["train"])
    assert line["held_out"] == metrics.bar_metrics(split["valid"], 30, 3, training=split["train"])
    assert cli.main(["evaluate", "bar-gan", "--run", str(bar_run)]) == 0
    assert _json_line(capsys) == line  # a fixed seed gives the same samples

    assert cli.main(["generate", "bar-gan", "--run", str(bar_run), "--n", "3", "--out", str(tmp_path / "a")]) == 0
    assert "3 bar(s)" in capsys.readouterr().out
    assert {p.name for p in (tmp_path / "a").iterdir()} == {"bars.npy", "bars.mid", "bars.wav"}
    np.testing.assert_array_equal(np.load(tmp_path / "a" / "bars.npy"), bars[:3])
    assert cli.main(["generate", "bar-gan", "--run", str(bar_run), "--n", "3", "--seed", "1",
                     "--out", str(tmp_path / "b")]) == 0
    assert not np.array_equal(np.load(tmp_path / "b" / "bars.npy"), bars[:3])


def test_the_former_name_gan_pianoroll_is_an_alias(bar_run, tmp_path, capsys):
    """`gan-pianoroll`, the task's name before it became `bar-gan`: still a command, listed beside the name, and a run
    whose config.json names it (one made before the rename, as the shipped run was) is a bar-gan run."""
    import shutil

    from mgtutor import runs
    from mgtutor.tasks import tasks

    assert tasks()["gan-pianoroll"] is tasks()["bar-gan"] and "gan-pianoroll" in tasks()
    assert "gan-pianoroll" not in list(tasks())  # listed once, by its name
    assert json.loads((bar_run / "config.json").read_text())["task"] == "bar-gan"  # new runs record the name
    capsys.readouterr()
    with pytest.raises(SystemExit) as stop:
        cli.main(["train", "gan-pianoroll", "--help"])
    assert stop.value.code == 0 and "usage: mgtutor train bar-gan" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    assert "bar-gan (gan-pianoroll)" in capsys.readouterr().out

    old = tmp_path / "old"
    shutil.copytree(bar_run, old)
    config = json.loads((old / "config.json").read_text())
    (old / "config.json").write_text(json.dumps({**config, "task": "gan-pianoroll"}))
    assert runs.is_run_config(runs.run_config(old)) and runs.RunDir.open(old, task="bar-gan").path == old
    run = bar_gan.load(old)
    assert run.config["task"] == "gan-pianoroll" and run.settings == bar_gan.load(bar_run).settings
    assert cli.main(["evaluate", "bar-gan", "--run", str(bar_run)]) == 0
    line = _json_line(capsys)
    assert cli.main(["evaluate", "gan-pianoroll", "--run", str(old)]) == 0
    assert _json_line(capsys) == line and line["task"] == "bar-gan"
    assert cli.main(["train", "bar-gan", "--out", str(old)]) == 2
    assert "already complete" in _error_line(capsys)  # the same task's run, not another task's
    assert cli.main(["evaluate", "gan-spec", "--run", str(old)]) == 2
    assert "a 'gan-pianoroll' run, not a gan-spec run" in _error_line(capsys)


def test_an_unfinished_run_under_the_former_name_resumes_under_the_name(tmp_path):
    from mgtutor.runs import RunDir

    config = {"task": "gan-pianoroll", "builder": "bar_gan", "seed": 0, "training": {"epochs": 2}}
    with RunDir.prepare(tmp_path / "run", config):
        pass
    with RunDir.prepare(tmp_path / "run", {**config, "task": "bar-gan"}) as run:  # resumes: no refusal
        assert run.config["task"] == "gan-pianoroll"
    with pytest.raises(ValueError, match="other settings"):
        RunDir.prepare(tmp_path / "run", {**config, "task": "bar-gan", "seed": 1})
    with pytest.raises(ValueError, match="holds an unfinished gan-pianoroll run, not a gan-spec run"):
        RunDir.prepare(tmp_path / "run", {**config, "task": "gan-spec"})


def test_spec_gan_trains_evaluates_and_generates(spec_run, tmp_path, capsys):
    results = json.loads((spec_run / "results.json").read_text())["evaluation"]
    assert 0 <= results["pitch_accuracy"] <= 1 and results["pitch_notes"] == 24
    assert results["fd_floor"] > 0 and results["fd_ratio"] == pytest.approx(results["fd"] / results["fd_floor"])
    capsys.readouterr()
    assert cli.main(["evaluate", "gan-spec", "--run", str(spec_run)]) == 0
    line = _json_line(capsys)
    flat = {k: v for k, v in results.items() if k != "classifier_accuracy"}
    assert {k: line[k] for k in flat} == pytest.approx(flat)  # evaluation at the end of training = evaluate
    assert line["classifier_accuracy"] == pytest.approx(results["classifier_accuracy"])
    assert line["pitch_accuracy_ceiling"] >= 0.9  # real notes survive the Griffin-Lim round trip

    out = tmp_path / "notes"
    assert cli.main(["generate", "gan-spec", "--run", str(spec_run), "--n", "2", "--pitch", "60",
                     "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["note-000-pitch60.wav", "note-001-pitch60.wav",
                                                     "spectrograms.npy"]
    first = np.load(out / "spectrograms.npy")
    assert first.shape == (2, 64, 128)
    assert cli.main(["generate", "gan-spec", "--run", str(spec_run), "--n", "2", "--pitch", "60",
                     "--out", str(tmp_path / "again")]) == 0
    np.testing.assert_array_equal(np.load(tmp_path / "again" / "spectrograms.npy"), first)


@pytest.mark.parametrize("argv, phrase", [
    (["train", "bar-gan", "--epochs", "0"], "epochs must be a positive integer"),
    (["train", "gan-spec", "--time-budget", "-1"], "time budget must be > 0"),
    (["evaluate", "bar-gan", "--run", "no/such/run"], "no such run directory"),
    (["generate", "gan-spec", "--run", "no/such/run", "--n", "1", "--out", "x"], "no such run directory"),
])
def test_bad_input_is_one_line_and_exit_2(argv, phrase, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(argv) == 2
    assert phrase in _error_line(capsys)


def test_bad_generate_input(bar_run, spec_run, tmp_path, capsys):
    assert cli.main(["generate", "bar-gan", "--run", str(bar_run), "--n", "0", "--out", str(tmp_path)]) == 2
    assert "--n must be ≥ 1" in _error_line(capsys)
    assert cli.main(["generate", "gan-spec", "--run", str(spec_run), "--n", "1", "--pitch", "20",
                     "--out", str(tmp_path)]) == 2
    assert "knows MIDI pitches 48…71" in _error_line(capsys)
    assert cli.main(["evaluate", "gan-spec", "--run", str(bar_run)]) == 2
    assert "not a gan-spec run" in _error_line(capsys)
    capsys.readouterr()
    assert cli.main(["train", "bar-gan", "--out", str(bar_run)]) == 2
    assert "already complete" in _error_line(capsys)


def test_settings_refuse_bad_values():
    from mgtutor.errors import TrainError

    with pytest.raises(TrainError, match="window must be 16"):
        bar_gan.settings(window=12, stride=4)
    with pytest.raises(TrainError, match="fd_n"):
        gan_spec.settings(fd_n=8)
    with pytest.raises(TrainError, match="unknown spectrogram-GAN setting"):
        gan_spec.settings(units=3)


@pytest.mark.slow
def test_both_tasks_train_under_jax_and_reload_under_tensorflow(tmp_path):
    """`train --backend jax` in a subprocess (Keras' backend is fixed at its first import); the runs it writes load
    here, under TensorFlow, and sample."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("CI", "KERAS_BACKEND")}
    script = ("import sys; from mgtutor import cli; "
              "sys.exit(max(cli.main(['train', '--backend', 'jax', t, '--out', sys.argv[1] + '/' + t]) "
              "for t in ('bar-gan', 'gan-spec')))")
    proc = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True,
                          timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for task in ("bar-gan", "gan-spec"):
        assert json.loads((tmp_path / task / "config.json").read_text())["environment"]["keras_backend"] == "jax"
    bars = bar_gan.load(tmp_path / "bar-gan")
    assert bar_gan.sample_bars(bars.model, 3, seed=0).shape == (3, 16, 56)
    notes = gan_spec.load(tmp_path / "gan-spec")
    assert gan_spec.generate_spectrograms(notes.model, [0, 5], seed=0).shape == (2, 64, 128)
