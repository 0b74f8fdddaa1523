"""`python -m mgtutor train|evaluate|generate bar-gan|gan-spec`: tiny smoke-mode runs, fixed seeds, bad input.

References: hand-built bars and a generator made constant (its output layer's kernel zeroed), whose bar metrics,
real-vs-real intervals, tolerances, copies, baseline and pitch accuracy are known by hand; the Fréchet distance of
a constant generator in closed form; the real-vs-real tolerance rule worked out by hand; the Bernoulli baseline's
cell frequencies against the training bars'; generator outputs of the same weights under JAX and TensorFlow.
"""

from __future__ import annotations

import json
import shutil

import keras
import numpy as np
import pytest

from mgtutor import cli
from mgtutor.tasks import bar_gan, gan_spec


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
    """The tolerance is the farther edge of the real-vs-real interval seen from the training value, whatever that
    value's size (no percentage of it); undefined numbers are never within."""
    assert bar_gan.tolerance(7.0, {"low": 7.2, "high": 7.5}) == pytest.approx(0.5)     # interval above training
    assert bar_gan.tolerance(0.6, {"low": 0.55, "high": 0.62}) == pytest.approx(0.05)  # the lower edge is farther
    assert bar_gan.tolerance(100.0, {"low": 99.9, "high": 100.05}) == pytest.approx(0.1)  # 20 % would be 20
    assert bar_gan.tolerance(0.0, {"low": 0.0, "high": 0.0}) == 0.0
    assert bar_gan.tolerance(None, {"low": 0.1, "high": 0.2}) is None
    assert bar_gan.tolerance(0.5, {"low": None, "high": None}) is None
    assert bar_gan.within(7.4, 7.0, 0.5) and bar_gan.within(6.5, 7.0, 0.5) and not bar_gan.within(6.4, 7.0, 0.5)
    assert bar_gan.within(0.0, 0.0, 0.0) and not bar_gan.within(1e-9, 0.0, 0.0)
    assert not bar_gan.within(None, 7.0, 0.5) and not bar_gan.within(7.0, None, 0.5)
    assert not bar_gan.within(7.0, 7.0, None)


def test_summary_line_reads_the_counts():
    ev = {"n": 1000, "summary": {"statistics": 5, "discriminating": 4, "gan_closer_than_bernoulli": 3,
                                 "within": {"held-out": 4, "GAN": 1, "Bernoulli": 0, "memoriser": 4}},
          "copies": {"GAN": {"copies": 2}, "memoriser": {"copies": 1000}}}
    line = bar_gan.summary_line(ev)
    assert line.startswith("4 of 5 bar statistics discriminate")
    for part in ("GAN 1/4, Bernoulli 0/4, held-out 4/4, memoriser 4/4", "Bernoulli baseline on 3/4",
                 "GAN 2, memoriser 1000 of 1000"):
        assert part in line, line


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
    split = bar_gan.load_bars(0)
    assert line["task"] == "bar-gan" and line["n"] == 200 and set(line["sets"]) == set(bar_gan.SETS)
    assert line["bars"] == {"training": len(split["train"]), "held-out": len(split["valid"])}
    assert {k: v for k, v in line.items() if k not in ("task", "seed")} == results["evaluation"]  # what train records
    run = bar_gan.load(bar_run)
    np.testing.assert_array_equal(run.bars["train"], split["train"])  # the run keeps its own bars
    np.testing.assert_array_equal(run.bars["valid"], split["valid"])
    assert cli.main(["evaluate", "bar-gan", "--run", str(bar_run)]) == 0
    assert _json_line(capsys) == line  # a fixed seed gives the same samples

    bars = bar_gan.sample_bars(run.model, 200, seed=0)
    assert cli.main(["generate", "bar-gan", "--run", str(bar_run), "--n", "3", "--out", str(tmp_path / "a")]) == 0
    assert "3 bar(s)" in capsys.readouterr().out
    assert {p.name for p in (tmp_path / "a").iterdir()} == {"bars.npy", "bars.mid", "bars.wav"}
    np.testing.assert_array_equal(np.load(tmp_path / "a" / "bars.npy"), bars[:3])
    assert cli.main(["generate", "bar-gan", "--run", str(bar_run), "--n", "3", "--seed", "1",
                     "--out", str(tmp_path / "b")]) == 0
    assert not np.array_equal(np.load(tmp_path / "b" / "bars.npy"), bars[:3])


def _constant_output(run_dir, load, bias) -> None:
    """Make the generator of the run in ``run_dir`` constant: its output layer ``g_out`` gets a zero kernel and
    the bias ``bias`` (whatever the noise, the output is the activation of the bias), saved as the run's weights."""
    from mgtutor.runs import RunDir

    model = load(run_dir).model
    layer = model.generator.get_layer("g_out")
    kernel, old = layer.get_weights()
    layer.set_weights([np.zeros_like(kernel), np.broadcast_to(np.asarray(bias, old.dtype), old.shape).copy()])
    RunDir.open(run_dir).save_model(model)


def _hand_bar():
    """Notebook 09 §2's bar built by hand (16 steps × 56 keys from MIDI 30)."""
    bar = np.zeros((16, 56), np.uint8)
    col = lambda midi: midi - 30  # noqa: E731
    bar[0:8, col(60)] = bar[0:8, col(64)] = bar[0:8, col(67)] = 1   # C major triad, a half note
    bar[8:16, col(62)] = bar[8:16, col(65)] = 1                     # D and F, a half note
    bar[8:10, col(71)] = 1                                          # B, an eighth
    bar[10:11, col(73)] = 1                                         # C#, a sixteenth (out of C major)
    return bar


# 7 notes of 8, 8, 8, 8, 8, 2 and 1 steps (5 last ≥ 3 steps); pitch classes C E G D F B C#; 43 on-steps over 16
# sounding steps, all but the C# step in C major
HAND = {"empty_bar_rate": 0.0, "used_pitch_classes": 7.0, "qualified_note_ratio": 5 / 7, "polyphony": 43 / 16,
        "in_scale_ratio": 42 / 43}
# every cell on: 56 keys from MIDI 30 (F#) hold 16 steps each; the pitch classes F# … C# have 5 keys, D … F 4;
# a major or harmonic minor scale has at least 2 of any 4 consecutive pitch classes, so at most 5 of the eight
# 5-key classes: 5·5 + 2·4 = 33 keys of 56 in the best scale
ALL_ON = {"empty_bar_rate": 0.0, "used_pitch_classes": 12.0, "qualified_note_ratio": 1.0, "polyphony": 56.0,
          "in_scale_ratio": 33 / 56}
ALL_OFF = {"empty_bar_rate": 1.0, "used_pitch_classes": 0.0, "qualified_note_ratio": None, "polyphony": None,
           "in_scale_ratio": None}


def _same(got: dict, want: dict) -> None:
    """The same keys; an undefined metric (None) where one is wanted, the value to 1e-12 elsewhere."""
    assert set(got) == set(want), (got, want)
    for key, value in want.items():
        assert got[key] is None if value is None else got[key] == pytest.approx(value, rel=1e-12, abs=1e-12), (
            key, got[key], value)


@pytest.mark.parametrize(("bias", "generated", "within", "nearest"), [
    (0.1, ALL_ON, {"empty_bar_rate": True}, 16 * 56 - 43),   # σ(0.1) = 0.525: every cell on after the threshold
    (-0.1, ALL_OFF, {}, 43),                                 # σ(−0.1) = 0.475: every cell off
])
def test_evaluate_gives_the_known_answer_on_hand_built_bars(bar_run, tmp_path, capsys, bias, generated, within,
                                                            nearest):
    """A copy of the smoke run whose training bars are three copies of the hand-built bar, whose held-out bars are
    that bar and an empty one, and whose generator is constant (every cell σ(±0.1)): every number of ``evaluate``
    is known by hand. A bootstrap sub-sample of n held-out bars with k empty ones has empty-bar rate k/n and
    7 (n − k)/n pitch classes per bar, and the hand-built bar's other statistics exactly (spread 0, tolerance 0).
    The Bernoulli baseline, with cell frequencies 0 or 1, draws the hand-built bar itself; so does the memoriser."""
    run_dir = tmp_path / "hand"
    shutil.copytree(bar_run, run_dir)
    hand = _hand_bar()
    bar_gan.save_bars({"train": np.stack([hand] * 3), "valid": np.stack([hand, np.zeros_like(hand)])},
                      run_dir / bar_gan.BARS_FILE)
    _constant_output(run_dir, bar_gan.load, bias)
    capsys.readouterr()
    assert cli.main(["evaluate", "bar-gan", "--run", str(run_dir)]) == 0
    line = _json_line(capsys)

    names, n = [*HAND], 200
    assert line["bars"] == {"training": 3, "held-out": 2} and line["n"] == n
    held_out = {"empty_bar_rate": 0.5, "used_pitch_classes": 3.5, "qualified_note_ratio": 5 / 7, "polyphony": 43 / 16,
                "in_scale_ratio": 42 / 43}
    for name, want in (("training", HAND), ("held-out", held_out), ("GAN", generated), ("Bernoulli", HAND),
                       ("memoriser", HAND)):
        _same(line["sets"][name], want)
    assert line["copies"] == {"held-out": {"copies": 1, "nearest_distance_mean": 43 / 2, "nearest_distance_min": 0},
                              "GAN": {"copies": 0, "nearest_distance_mean": nearest, "nearest_distance_min": nearest},
                              "Bernoulli": {"copies": n, "nearest_distance_mean": 0, "nearest_distance_min": 0},
                              "memoriser": {"copies": n, "nearest_distance_mean": 0, "nearest_distance_min": 0}}
    iv = line["intervals"]
    empty, pcs = iv["empty_bar_rate"], iv["used_pitch_classes"]
    assert 0.3 < empty["low"] < 0.5 < empty["high"] < 0.7 and empty["std"] > 0
    assert (pcs["low"], pcs["high"], pcs["std"]) == pytest.approx((7 * (1 - empty["high"]), 7 * (1 - empty["low"]),
                                                                   7 * empty["std"]), rel=1e-9)
    for m in ("qualified_note_ratio", "polyphony", "in_scale_ratio"):
        assert iv[m]["low"] == iv[m]["high"] == HAND[m] and iv[m]["std"] == 0, m
        assert all(line["z"][name][m] is None for name in bar_gan.SETS), m
    assert line["tolerance"] == pytest.approx({"empty_bar_rate": empty["high"], "used_pitch_classes": 7 * empty["high"],
                                               "qualified_note_ratio": 0, "polyphony": 0, "in_scale_ratio": 0},
                                              rel=1e-9, abs=0)
    assert line["discriminating"] == {"empty_bar_rate": True, "used_pitch_classes": True,
                                      "qualified_note_ratio": False, "polyphony": False, "in_scale_ratio": False}
    assert line["within"]["GAN"] == {k: within.get(k, False) for k in names}
    assert all(line["within"][name] == dict.fromkeys(names, True)
               for name in ("training", "held-out", "Bernoulli", "memoriser"))
    if generated is ALL_ON:
        assert line["z"]["GAN"]["empty_bar_rate"] == 0
        assert line["z"]["GAN"]["used_pitch_classes"] == pytest.approx(5 / pcs["std"], rel=1e-9)
    else:
        assert line["z"]["GAN"]["empty_bar_rate"] == pytest.approx(1 / empty["std"], rel=1e-9)
        assert line["z"]["GAN"]["used_pitch_classes"] == pytest.approx(-7 / pcs["std"], rel=1e-9)
    assert line["summary"] == {"statistics": 5, "discriminating": 2, "gan_closer_than_bernoulli": 0,
                               "within": {"held-out": 2, "GAN": len(within), "Bernoulli": 2, "memoriser": 2}}


def test_training_needs_two_held_out_bars(tmp_path):
    bars = np.stack([_hand_bar()] * 4)
    with pytest.raises(bar_gan.TrainError, match="1 held-out bar.*at least 2"):
        bar_gan.train({"train": bars, "valid": bars[:1]}, tmp_path / "run", bar_gan.settings())
    assert not (tmp_path / "run").exists()


def test_bar_yardsticks_equal_the_statistics_and_draws_written_out(bar_run):
    """bar_gan.yardsticks against bar_metrics on each set and on bootstrap sub-samples drawn here with the same
    generator; the memoriser replays training bars, so the copy check finds every one of them."""
    from mgtutor.data import BAR_LOWEST
    from mgtutor.metrics import BAR_METRICS, bar_metrics

    run = bar_gan.load(bar_run)
    bars, s = run.bars, run.settings
    ys = bar_gan.yardsticks(run.model, bars, s, seed=2, draws=6)
    n = s.eval_bars
    sets = {"training": bars["train"], "held-out": bars["valid"], "GAN": bar_gan.sample_bars(run.model, n, 2),
            "Bernoulli": bar_gan.bernoulli_bars(bars["train"], n, 2),
            "memoriser": bar_gan.memoriser_bars(bars["train"], n, 2)}
    for name, x in sets.items():
        whole = bar_metrics(x, BAR_LOWEST, s.min_steps)
        assert ys["sets"][name] == pytest.approx({m: whole[m] for m in BAR_METRICS}, rel=1e-12), name
    rng = np.random.default_rng(2)
    per_metric = {m: [] for m in BAR_METRICS}
    for m in BAR_METRICS:  # one generator per metric, as subsample_interval is called once per metric
        rng = np.random.default_rng(2)
        for _ in range(6):
            sub = bars["valid"][rng.choice(len(bars["valid"]), n, replace=True)]
            per_metric[m].append(bar_metrics(sub, BAR_LOWEST, s.min_steps)[m])
    for m, values in per_metric.items():
        iv = ys["intervals"][m]
        assert (iv["low"], iv["high"]) == pytest.approx(tuple(np.percentile(values, [2.5, 97.5])), rel=1e-12)
        assert iv["std"] == pytest.approx(np.std(values, ddof=1), rel=1e-9, abs=1e-15)
        bern = ys["sets"]["Bernoulli"][m]
        assert ys["discriminating"][m] == (not iv["low"] <= bern <= iv["high"])
        if iv["std"] > 0:
            assert ys["z"]["GAN"][m] == pytest.approx((ys["sets"]["GAN"][m] - ys["sets"]["training"][m]) / iv["std"])
        ref = ys["sets"]["training"][m]
        tol = max(abs(iv["low"] - ref), abs(iv["high"] - ref))
        assert ys["tolerance"][m] == pytest.approx(tol, rel=1e-12)
        assert {name: ys["within"][name][m] for name in sets} == {
            name: abs(ys["sets"][name][m] - ref) <= tol for name in sets}
    memorised = sets["memoriser"].reshape(n, -1)
    train = {row.tobytes() for row in bars["train"].reshape(len(bars["train"]), -1).astype(np.uint8)}
    assert all(row.astype(np.uint8).tobytes() in train for row in memorised)
    assert ys["copies"]["memoriser"] == {"copies": n, "nearest_distance_mean": 0.0, "nearest_distance_min": 0}


def test_the_former_name_gan_pianoroll_is_an_alias(bar_run, tmp_path, capsys):
    """`gan-pianoroll`, the task's name before it became `bar-gan`: still a command, listed beside the name, and a run
    whose config.json names it (one made before the rename, as the shipped run was) is a bar-gan run."""

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
    assert results["pitch_notes"] == 24 and results["fd_n"] == 48
    assert results["fd_floor"] > 0 and results["fd_ratio"] == pytest.approx(results["fd"] / results["fd_floor"])
    capsys.readouterr()
    assert cli.main(["evaluate", "gan-spec", "--run", str(spec_run)]) == 0
    assert _json_line(capsys)["pitch_accuracy_ceiling"] >= 0.9  # real notes survive the Griffin-Lim round trip

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


def _tone_profile(midi: int) -> np.ndarray:
    """One frame (128 bins, scaled to [−1, 1] as the task's spectrograms are) of a steady tone of ``midi``: five
    harmonics of amplitude 4/h."""
    from mgtutor.data import note_spectrograms

    cfg = gan_spec.spec_config()
    t = np.arange(cfg.samples) / cfg.sr
    f0 = 440.0 * 2 ** ((midi - 69) / 12)
    y = sum(4 / h * np.sin(2 * np.pi * h * f0 * t) for h in range(1, 6))
    return note_spectrograms(y[None], cfg)[0, cfg.frames // 2]


@pytest.mark.parametrize(("bias", "accuracy"), [
    (np.arctanh(np.clip(_tone_profile(48), -0.999, 0.999)), 1 / 24),  # every note is the lowest pitch, MIDI 48
    (np.arctanh(np.clip(_tone_profile(71), -0.999, 0.999)), 1 / 24),  # every note is the highest, MIDI 71
    (-20.0, 0.0),                                                      # tanh(−20) = −1: every note is silent
])
def test_evaluate_scores_a_constant_generator_as_known(spec_run, tmp_path, capsys, bias, accuracy):
    """A copy of the smoke run whose generator is constant (its output layer's kernel zeroed, the bias chosen):
    a steady tone at the lowest (or highest) pitch of the run's range in every frame, whatever pitch is asked, is
    right for exactly one of the 24 asked pitches (one note per pitch in smoke mode: MIDI 48 … 71, so pitches
    asked off by any shift miss one of the two edges); silence for none. The Fréchet distance of identical
    generated features f has the closed form |f − μ_A|² + tr Σ_A (the generated covariance is 0), and the
    real-vs-real floor does not depend on the generator: it is the one recorded when the run finished."""
    from mgtutor.models.gan_music import note_features

    run_dir = tmp_path / "constant"
    shutil.copytree(spec_run, run_dir)
    _constant_output(run_dir, gan_spec.load, np.asarray(bias, np.float32))
    capsys.readouterr()
    assert cli.main(["evaluate", "gan-spec", "--run", str(run_dir)]) == 0
    line = _json_line(capsys)
    assert line["pitch_notes"] == 24 and line["pitch_accuracy"] == pytest.approx(accuracy, abs=1e-12)
    recorded = json.loads((spec_run / "results.json").read_text())["evaluation"]
    assert line["fd_floor"] == pytest.approx(recorded["fd_floor"], rel=1e-9)
    assert line["pitch_accuracy_ceiling"] == pytest.approx(recorded["pitch_accuracy_ceiling"], abs=1e-12)

    run = gan_spec.load(run_dir)
    held = gan_spec.held_out_sets(run.settings, seed=0)
    feats_a = note_features(run.classifier, held["notes"]["spec"][held["A"]]).astype(np.float64)
    constant = np.repeat(np.tanh(np.asarray(bias, np.float32))[None] * np.ones((64, 128), np.float32)[None], 2, 0)
    f = note_features(run.classifier, constant).astype(np.float64)
    np.testing.assert_allclose(f[0], f[1])
    closed_form = ((f[0] - feats_a.mean(0)) ** 2).sum() + np.trace(np.cov(feats_a, rowvar=False))
    assert line["fd"] == pytest.approx(closed_form, rel=1e-4)
    # the copy check: every generated note is the same spectrogram, so the median distance is its distance to the
    # nearest training spectrogram, written out here; the memoriser replays training notes (distance 0)
    train = gan_spec.training_notes(run.settings)["spec"].astype(np.float64)
    nearest = np.sqrt(((train - constant[0].astype(np.float64)) ** 2).mean(axis=(1, 2))).min()
    assert line["sets"]["gan"]["nn_median"] == pytest.approx(nearest, rel=1e-5)
    assert line["sets"]["memoriser"]["nn_median"] == pytest.approx(0.0, abs=1e-3)
    assert line["sets"]["held_out"]["nn_median"] > 0.01  # another draw of the timbre family: no copy
    assert line["fd_interval"]["low"] <= line["fd_interval"]["median"] <= line["fd_interval"]["high"]


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
    with pytest.raises(TrainError, match="interval_draws"):
        gan_spec.settings(interval_draws=1)


JAX_SCRIPT = """
import sys
import numpy as np
from mgtutor import cli
from mgtutor.tasks import bar_gan, gan_spec

out = sys.argv[1]
code = max(cli.main(['train', '--backend', 'jax', t, '--out', out + '/' + t]) for t in ('bar-gan', 'gan-spec'))
import keras
assert keras.backend.backend() == 'jax'
for task, load in (('bar-gan', bar_gan.load), ('gan-spec', gan_spec.load)):
    model = load(out + '/' + task).model
    noise = np.linspace(-2, 2, 6 * model.noise_dim, dtype='float32').reshape(6, model.noise_dim)
    inputs = [noise, np.arange(6, dtype='int32') * 4] if task == 'gan-spec' else noise
    np.save(out + '/' + task + '-jax.npy', np.asarray(model.generator(inputs, training=False)))
sys.exit(code)
"""


@pytest.mark.slow
def test_both_tasks_train_under_jax_and_reload_under_tensorflow(tmp_path):
    """`train --backend jax` in a subprocess (Keras' backend is fixed at its first import), which also writes each
    generator's output on fixed noise (and pitches); the runs it wrote load here, under TensorFlow, and the same
    weights give the same outputs on the same inputs (float tolerance). (``sample`` draws its noise with the
    backend's own generator, so the comparison feeds the noise.)"""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("CI", "KERAS_BACKEND")}
    proc = subprocess.run([sys.executable, "-c", JAX_SCRIPT, str(tmp_path)], capture_output=True, text=True,
                          timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert keras.backend.backend() == "tensorflow"
    for task, load, shape in (("bar-gan", bar_gan.load, (6, 16, 56, 1)), ("gan-spec", gan_spec.load, (6, 64, 128))):
        assert json.loads((tmp_path / task / "config.json").read_text())["environment"]["keras_backend"] == "jax"
        model = load(tmp_path / task).model
        noise = np.linspace(-2, 2, 6 * model.noise_dim, dtype="float32").reshape(6, model.noise_dim)
        inputs = [noise, np.arange(6, dtype="int32") * 4] if task == "gan-spec" else noise
        here = np.asarray(model.generator(inputs, training=False))
        there = np.load(tmp_path / f"{task}-jax.npy")
        assert here.shape == there.shape == shape
        assert np.ptp(here) > 1e-3  # not a constant output: the weights matter
        np.testing.assert_allclose(here, there, atol=1e-5)
