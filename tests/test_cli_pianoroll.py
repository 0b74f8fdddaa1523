"""`python -m mgtutor train|evaluate|generate pianoroll`: baselines and both recurrent models, bad input."""

import json
import pickle

import numpy as np
import pytest
from fixtures_rolls import alternating_mat, tcn_mat

from mgtutor import cli, data, metrics, shipped
from mgtutor.tasks import pianoroll


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    return tcn_mat(tmp_path_factory.mktemp("data") / "toy.mat")


def _json_line(capsys):
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1, out
    return json.loads(out[0])


def test_baselines_train_and_evaluate_with_the_frame_nll_by_hand(bench, tmp_path, capsys):
    split = pianoroll.load_data(str(bench))
    for model in ("bernoulli", "markov"):
        out = tmp_path / model
        assert cli.main(["train", "pianoroll", "--data", str(bench), "--model", model, "--out", str(out)]) == 0
        capsys.readouterr()
        assert cli.main(["evaluate", "pianoroll", "--run", str(out), "--split", "test"]) == 0
        line = _json_line(capsys)
        assert set(line) == {"split", "frame_nll", "frame_nll_skip_first", "frames", "pieces", "model"}
        assert line["split"] == "test" and line["model"] == model and line["pieces"] == 2
        assert line["frames"] == sum(len(r) for r in split["test"])
        fitted = pianoroll.load(out).model
        by_hand = metrics.frame_nll(np.concatenate([fitted.probs_over(r) for r in split["test"]]),
                                    np.concatenate(split["test"]))
        assert line["frame_nll"] == pytest.approx(by_hand)
    bern = json.loads((tmp_path / "bernoulli" / "results.json").read_text())["valid"]["frame_nll"]
    mark = json.loads((tmp_path / "markov" / "results.json").read_text())["valid"]["frame_nll"]
    assert mark < bern  # sticky chords: the previous frame helps


@pytest.fixture(scope="module")
def alternating(tmp_path_factory):
    return alternating_mat(tmp_path_factory.mktemp("data") / "alternating.mat")


def _frame_nll_by_hand(keras_model, kind: str, rolls, skip_first: bool = False) -> float:
    """The frame NLL pooled over the frames of ``rolls``, from one Keras forward pass per piece over its whole
    history (the previous frames, frame −1 = silence; the NADE also reads the frame it scores, teacher forcing),
    −Σ_j [y log p + (1 − y) log(1 − p)] summed here in float64; not the NumPy sampler that ``evaluate`` uses."""
    total, frames = 0.0, 0
    for roll in rolls:
        y = np.asarray(roll, np.float32)
        previous = np.concatenate([np.zeros((1, y.shape[1]), np.float32), y[:-1]])
        x = previous if kind == "lstm" else np.concatenate([previous, y], axis=-1)
        p = np.asarray(keras_model(x[None], training=False), np.float64)[0]
        nll = -(y * np.log(p) + (1 - y) * np.log1p(-p)).sum(axis=1)
        nll = nll[1:] if skip_first else nll
        total, frames = total + nll.sum(), frames + len(nll)
    return total / frames


@pytest.mark.parametrize("model", ["lstm", "nade"])
def test_recurrent_models_train_evaluate_and_generate(alternating, tmp_path, capsys, model):
    """Trained from the command line on chords that alternate every frame (40 one-batch epochs): ``evaluate``'s
    frame NLL equals the one computed by hand from the run's weights, and it is well below the Bernoulli baseline
    fitted on the same training pieces and scored on the same validation pieces (about 6 ln 2 nats a frame: the
    six keys are each on half the time), which cannot know which chord comes next."""
    from mgtutor.models import BernoulliFrames

    out = tmp_path / model
    assert cli.main(["train", "pianoroll", "--data", str(alternating), "--model", model, "--out", str(out),
                     "--epochs", "40", "--learning-rate", "0.03", "--dropout", "0", "--patience", "40"]) == 0
    assert f"{model}, 40 epoch(s)" in capsys.readouterr().out
    assert cli.main(["evaluate", "pianoroll", "--run", str(out)]) == 0
    line = _json_line(capsys)
    split = pianoroll.load_data(str(alternating))
    assert line["split"] == "valid" and line["frames"] == sum(len(r) for r in split["valid"])
    run = pianoroll.load(out)
    assert line["frame_nll"] == pytest.approx(_frame_nll_by_hand(run.model, model, split["valid"]), rel=1e-4)
    assert line["frame_nll_skip_first"] == pytest.approx(
        _frame_nll_by_hand(run.model, model, split["valid"], skip_first=True), rel=1e-4)
    bernoulli = BernoulliFrames().fit(split["train"])
    baseline = metrics.frame_nll(np.concatenate([bernoulli.probs_over(r) for r in split["valid"]]),
                                 np.concatenate(split["valid"]))
    assert 3.5 < baseline < 6 * np.log(2) + 1  # six coin-flip keys, the rest almost surely off
    assert line["frame_nll"] < baseline / 2, (line["frame_nll"], baseline)
    results = json.loads((out / "results.json").read_text())
    assert line["frame_nll"] == pytest.approx(results["valid"]["frame_nll"], abs=1e-4)
    a, b = tmp_path / "a.mid", tmp_path / "b.mid"
    for path in (a, b):
        assert cli.main(["generate", "pianoroll", "--run", str(out), "--frames", "16", "--out", str(path),
                         "--seed", "1"]) == 0
    assert "16 frames" in capsys.readouterr().out
    assert a.read_bytes() == b.read_bytes()  # same run and seed, same file
    from mgtutor.symbolic import load_midi

    assert load_midi(a).notes and max(n.end for n in load_midi(a).notes) <= 16


def test_the_cosine_schedule_ends_at_its_final_fraction_and_is_recorded(bench, tmp_path, capsys):
    out = tmp_path / "cos"
    args = ["train", "pianoroll", "--data", str(bench), "--model", "lstm", "--out", str(out), "--units", "8",
            "--epochs", "3", "--schedule", "cosine", "--learning-rate", "0.01", "--dropout", "0.1", "--patience", "5"]
    assert cli.main(args) == 0
    capsys.readouterr()
    training = json.loads((out / "config.json").read_text())["training"]
    assert (training["schedule"], training["learning_rate"], training["dropout"], training["patience"]) == \
        ("cosine", 0.01, 0.1, 5)
    s = pianoroll.settings(**training)
    split = pianoroll.load_data(str(bench))
    run = pianoroll.train(split, tmp_path / "again", s)
    optimizer = run.model.optimizer
    windows = sum(len(range(0, len(r), s.stride)) for r in split["train"])  # one per stride of each framed piece
    steps = 3 * -(-windows // s.batch_size)
    assert int(optimizer.iterations) == steps
    assert float(optimizer.learning_rate) == pytest.approx(0.01 * pianoroll.FINAL_LR_FRACTION, rel=1e-5)
    with pytest.raises(ValueError, match="--schedule 'linear'"):
        pianoroll.settings(schedule="linear")


def test_chorales_are_split_by_tune():
    from mgtutor.symbolic import sample_piano_roll

    split, names = pianoroll.load_data("chorales"), data.chorale_split()
    tunes = data.chorale_tunes()
    assert all(names.values())  # even the smoke corpus has a tune in every split
    for part, side in names.items():
        assert len(split[part]) == len(side)
        for roll, name in zip(split[part], side, strict=True):
            np.testing.assert_array_equal(roll, sample_piano_roll(data.chorale(name).notes, 1))
    seen = [{tunes[n] for n in side} for side in names.values()]
    assert not (seen[0] & seen[1]) and not (seen[0] & seen[2]) and not (seen[1] & seen[2])
    full = data.chorale_split(0, limit=350)
    assert [len(v) for v in full.values()] == [286, 31, 33]  # 207 tunes, 80/10/10 of them
    seen = [{tunes[n] for n in side} for side in full.values()]
    assert not (seen[0] & seen[1]) and not (seen[0] & seen[2]) and not (seen[1] & seen[2])


def test_the_shipped_runs_were_trained_on_the_full_tune_split():
    full = data.chorale_split(0, limit=350)
    for model in ("lstm", "nade"):
        run = pianoroll.load(shipped.path(f"pianoroll-chorales-{model}"))
        assert run.config["data"] == {"spec": "chorales", "pieces": {k: len(v) for k, v in full.items()}}
        assert run.config["training"]["model"] == model and run.results["valid"]["pieces"] == len(full["valid"]) == 31
        roll = np.zeros((8, 88), np.uint8)
        roll[:, [39, 43, 46, 51]] = 1
        probs = pianoroll.probs_over(run.model, roll)
        assert probs.shape == (8, 88) and ((probs > 0) & (probs < 1)).all()
    lines = shipped.jsonl("benchmarks")
    assert {line["model"] for line in lines} >= {"bernoulli", "markov", "lstm"}
    assert all(line["split"] == "test" and "bench_poly.py" in line["command"] for line in lines)


def test_bad_input_is_one_line(bench, tmp_path, capsys):
    def fails(argv, phrase):
        assert cli.main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("mgtutor: error: ") and err.count("\n") == 1 and phrase in err, err

    fails(["train", "pianoroll", "--data", str(tmp_path / "absent.mat"), "--out", str(tmp_path / "r")], "absent.mat")
    junk = tmp_path / "junk.mat"
    junk.write_text("not a mat file")
    fails(["train", "pianoroll", "--data", str(junk), "--out", str(tmp_path / "r")], "junk.mat")
    evil = tmp_path / "evil.pickle"
    evil.write_bytes(pickle.dumps(print))
    fails(["train", "pianoroll", "--data", str(evil), "--out", str(tmp_path / "r")], "refused")
    fails(["train", "pianoroll", "--data", "no_such_dataset", "--out", str(tmp_path / "r")], "no_such_dataset")
    fails(["evaluate", "pianoroll", "--run", str(tmp_path / "none")], "no such run directory")
    out = tmp_path / "b"
    assert cli.main(["train", "pianoroll", "--data", str(bench), "--model", "bernoulli", "--out", str(out)]) == 0
    capsys.readouterr()
    fails(["generate", "pianoroll", "--run", str(out), "--frames", "0", "--out", str(tmp_path / "x.mid")], "--frames")
    fails(["generate", "pianoroll", "--run", str(out), "--frames", "8", "--out", str(tmp_path / "x.mp3")],
          "unknown output type")
