"""`python -m mgtutor train|evaluate gan-toy`: the three models in smoke size, the scores by hand, bad input."""

import json

import numpy as np
import pytest

from mgtutor import cli, data, metrics, train
from mgtutor.errors import TrainError
from mgtutor.tasks import gan_toy

keras = pytest.importorskip("keras")


@pytest.fixture(autouse=True)
def smoke(monkeypatch):
    monkeypatch.setenv("MGTUTOR_MODE", "smoke")


def _json_line(capsys):
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1, out
    return json.loads(out[0])


def _error_line(capsys):
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("mgtutor: error: "), err
    return err


@pytest.fixture(scope="module")
def ring_run(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MGTUTOR_MODE", "smoke")
        out = tmp_path_factory.mktemp("runs") / "ring"
        assert cli.main(["train", "gan-toy", "--data", "ring", "--model", "gan", "--out", str(out), "--seed",
                         "3"]) == 0
    return out


def test_train_then_evaluate_prints_the_scores_computed_by_hand(ring_run, capsys):
    assert cli.main(["evaluate", "gan-toy", "--run", str(ring_run)]) == 0
    line = _json_line(capsys)
    assert {"data", "model", "seed", "modes", "of", "high_quality", "samples", "epochs_run",
            "train_seconds"} <= set(line)
    assert (line["data"], line["model"], line["seed"], line["of"], line["samples"]) == ("ring", "gan", 3, 8, 2500)
    run = gan_toy.load(ring_run)
    assert run.config["builder_kwargs"]["scale"] == 1.0 and run.results["epochs_run"] == gan_toy.SMOKE["epochs"]
    samples = run.model.sample(2500, seed=3)
    ring = data.toy_set("ring")
    dist = np.linalg.norm(samples[:, None] - ring.means[None], axis=-1)  # the definitions, by hand
    assert line["high_quality"] == pytest.approx(np.mean(dist.min(axis=1) <= 0.06))
    assert line["modes"] == int(np.sum((dist <= 0.06).sum(axis=0) >= 20))
    assert {k: run.results[k] for k in ("modes", "high_quality")} == {k: line[k] for k in ("modes", "high_quality")}
    assert cli.main(["evaluate", "gan-toy", "--run", str(ring_run)]) == 0
    assert _json_line(capsys) == line  # same seed, same line
    assert cli.main(["evaluate", "gan-toy", "--run", str(ring_run), "--seed", "4"]) == 0
    assert _json_line(capsys)["seed"] == 4


@pytest.mark.parametrize(("model", "extra", "builder_kwargs"), [
    ("pacgan", ["--pack", "4"], {"pack": 4, "scale": 4.0}),
    ("wgan-gp", [], {"loss": "wgan-gp", "n_critic": 5, "scale": 4.0}),
])
def test_the_remedies_train_on_the_grid(tmp_path, capsys, model, extra, builder_kwargs):
    out = tmp_path / model
    assert cli.main(["train", "gan-toy", "--data", "grid", "--model", model, "--out", str(out), *extra]) == 0
    assert f"{model} on the grid" in capsys.readouterr().out
    run = gan_toy.load(out)
    assert builder_kwargs.items() <= run.config["builder_kwargs"].items()
    assert run.model.pack == builder_kwargs.get("pack", 1)
    assert run.results["of"] == 25 and 0 <= run.results["modes"] <= 25
    log = train.read_log(out / "log.csv")
    assert log["epoch"] == [0, 1] and np.all(np.isfinite(log["d_loss"] + log["g_loss"]))


def test_a_finished_run_is_not_trained_again(ring_run, capsys):
    assert cli.main(["train", "gan-toy", "--data", "ring", "--model", "gan", "--out", str(ring_run), "--seed",
                     "3"]) == 2
    assert "already complete" in _error_line(capsys)


@pytest.mark.parametrize(("argv", "phrase"), [
    (["train", "gan-toy", "--data", "spiral"], "--data 'spiral': use ring or grid"),
    (["train", "gan-toy", "--model", "vae"], "--model 'vae': use one of gan, pacgan, wgan-gp"),
    (["train", "gan-toy", "--epochs", "0"], "epochs must be a positive integer"),
    (["train", "gan-toy", "--seed", "-1"], "seed must be an integer from 0 to 2**32 - 1"),
    (["train", "gan-toy", "--pack", "3"], "batch_size 128 is not a multiple of pack 3"),
    (["train", "gan-toy", "--time-budget", "0"], "time budget must be > 0"),
    (["evaluate", "gan-toy", "--run", "/no/such/run"], "no such run directory"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, argv, phrase):
    if argv[0] == "train":
        argv = [*argv, "--out", str(tmp_path / "r")]
    assert cli.main(argv) == 2
    assert phrase in _error_line(capsys)


def test_evaluate_refuses_another_tasks_run_and_a_negative_seed(ring_run, tmp_path, capsys):
    from mgtutor.runs import RunDir

    other = RunDir.prepare(tmp_path / "other", {"task": "pianoroll", "builder": "bernoulli_frames"})
    other.finish({})
    assert cli.main(["evaluate", "gan-toy", "--run", str(other.path)]) == 2
    assert "a 'pianoroll' run, not a gan-toy run" in _error_line(capsys)
    assert cli.main(["evaluate", "gan-toy", "--run", str(ring_run), "--seed", "-2"]) == 2
    assert "--seed: seed must be an integer from 0 to 2**32 - 1" in _error_line(capsys)


def test_settings_and_scores_without_the_command_line():
    with pytest.raises(TrainError, match="unknown gan-toy setting"):
        gan_toy.settings(window=3)
    s = gan_toy.settings(data="grid", model="wgan-gp", epochs=1)
    assert s.builder_kwargs()["gp_weight"] == s.gp_weight and s.epochs == 1
    with pytest.raises(TrainError, match="final_lr_fraction"):
        gan_toy.settings(final_lr_fraction=0.0)
    collapsed = np.repeat(data.toy_set("grid").means[:2], 1250, axis=0)

    class Fixed:
        def sample(self, n, seed=0):
            return collapsed[:n]

    assert gan_toy.scores(Fixed(), "grid") == metrics.toy_gan_scores(collapsed, data.toy_set("grid").means, 0.05)
    assert gan_toy.scores(Fixed(), "grid")["modes"] == 2
