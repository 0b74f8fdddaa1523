"""The probe of the distribution engines (mgtutor.distribute.probing): its reference (NumPy SGD), its verdicts, the
engine it chooses, its command, and its shipped record."""

import json

import numpy as np
import pytest

from mgtutor import distribute as d
from mgtutor.distribute import DistributeError, probing


def test_numpy_sgd_one_step_by_hand():
    x, y = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0], [0.0]])
    w, b = np.array([[0.5], [-0.5]]), np.array([0.1])
    # errors: 1·0.5 − 2·0.5 + 0.1 − 1 = −1.4 and 3·0.5 − 4·0.5 + 0.1 − 0 = −0.4
    # ∂w = (2/2)·[1·(−1.4) + 3·(−0.4), 2·(−1.4) + 4·(−0.4)] = [−2.6, −4.4]; ∂b = −1.8
    w1, b1 = d.numpy_sgd(w, b, x, y, batch=2, lr=0.1)
    np.testing.assert_allclose(w1.ravel(), [0.76, -0.06])
    np.testing.assert_allclose(b1, [0.28])


def test_the_probe_calls_an_engine_working_only_when_workers_agree_with_numpy_sgd():
    x, y = probing._probe_data()
    w0, b0 = np.array([[0.1], [0.2], [0.3], [0.4]]), np.array([0.0])
    w, b = d.numpy_sgd(w0, b0, x, y, d.PROBE_BATCH, d.PROBE_LR)
    good = {"initial": [w0.tolist(), b0.tolist()], "final": [w.tolist(), b.tolist()], "replicas": 2}
    works, detail = probing._judge("tf-mwms-loop", [good, dict(good)], [])
    assert works and detail.startswith("works: 2 workers equal")
    other = {**good, "final": [(w + 1e-3).tolist(), b.tolist()]}
    assert probing._judge("tf-mwms-loop", [good, other], []) == (False, "fails: the workers end with different weights")
    assert not probing._judge("tf-mwms-loop", [other, other], [])[0]  # equal, but not what SGD gives
    failed = probing._judge("tf-mwms-fit", [{"error": "ValueError: PerReplica"}, good], [])
    assert failed == (False, "fails: ValueError: PerReplica")
    assert probing._judge("jax-multiprocess", [None, good], ["killed after the timeout"])[1] == \
        "fails: killed after the timeout"
    one = {**good, "replicas": 1}  # the right numbers, but on one device: the engine did not distribute
    assert probing._judge("jax-data-parallel", [one], []) == (False, "fails: trained on 1 device(s), not 2")


def test_chosen_engine_is_the_first_that_works_in_order():
    results = [d.ProbeResult("tf-mwms-fit", "multi-worker", False, "fails", 1.0),
               d.ProbeResult("tf-mwms-loop", "multi-worker", True, "works", 1.0),
               d.ProbeResult("jax-multiprocess", "multi-worker", True, "works", 1.0),
               d.ProbeResult("tf-mirrored", "one-host", True, "works", 1.0)]
    assert d.chosen_engine(results) == "tf-mwms-loop"
    assert d.chosen_engine(results, backend="jax") == "jax-multiprocess"
    assert d.chosen_engine(results, "one-host") == "tf-mirrored"
    assert d.chosen_engine(results[:1]) is None
    assert set(d.PROBED["results"]) == set(d.ENGINES)
    with pytest.raises(DistributeError, match="unknown engine"):
        d.probe(["horovod"])


def test_the_probe_command_prints_a_line_per_engine_and_the_choice(capsys, monkeypatch):
    from mgtutor import cli

    fake = [d.ProbeResult("tf-mwms-fit", "multi-worker", False, "fails: ValueError: PerReplica", 3.0),
            d.ProbeResult("tf-mwms-loop", "multi-worker", True, "works: 2 workers equal", 4.0),
            d.ProbeResult("tf-mirrored", "one-host", True, "works: 2 devices", 2.0)]
    monkeypatch.setattr(d, "probe", lambda engines=None, timeout=180.0: fake)
    assert cli.main(["probe"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("versions: tensorflow ")
    assert lines[1].split() == ["tf-mwms-fit", "multi-worker", "fails:", "ValueError:", "PerReplica", "(3", "s)"]
    assert lines[-1] == "chosen: several machines → tf-mwms-loop; one machine → tf-mirrored (tensorflow), None (jax)"
    assert cli.main(["probe", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["chosen"]["multi-worker"] == "tf-mwms-loop" and len(report["results"]) == 3


@pytest.mark.slow
def test_the_probe_run_here_finds_the_engine_the_plan_uses_and_what_the_record_says(capsys):
    """The real probe of the two TensorFlow multi-worker engines, through the command line: two worker processes on
    127.0.0.1 each, their weights compared with NumPy SGD. The engine the plan runs for several machines works here,
    it is the one chosen, and with the record's versions each verdict is the record's."""
    from mgtutor import cli

    engines = ["tf-mwms-fit", "tf-mwms-loop"]  # the probe's order
    assert cli.main(["probe", *(a for e in engines for a in ("--engine", e))]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "versions: " + ", ".join(f"{k} {v}" for k, v in d.versions().items())
    verdicts = {}
    for engine, line in zip(engines, lines[1:3], strict=True):
        name, kind, verdict = line.split(maxsplit=2)
        assert (name, kind) == (engine, "multi-worker") and verdict.startswith(("works: ", "fails: ")), line
        verdicts[engine] = verdict.startswith("works: ")
    assert verdicts[d.MULTI_WORKER_DEFAULT["tensorflow"]], lines
    first_working = next(e for e in engines if verdicts[e])
    assert lines[3].startswith(f"chosen: several machines → {first_working};"), lines[3]
    assert first_working == d.MULTI_WORKER_DEFAULT["tensorflow"]
    if d.versions() == d.PROBED["versions"]:  # the record holds for the versions it names
        assert verdicts == {e: d.PROBED["results"][e].startswith("works") for e in engines}


def test_the_probe_is_loaded_on_first_use_and_its_record_is_what_the_plan_uses():
    import subprocess
    import sys

    code = ("import sys; from mgtutor import distribute; loaded = 'mgtutor.distribute.probing' in sys.modules; "
            "distribute.PROBED; print(loaded, 'mgtutor.distribute.probing' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.split() == ["False", "True"], proc.stderr
    assert d.PROBED == probing.recorded() and d.PROBED["command"].startswith("python -m mgtutor probe")
    assert d.MULTI_WORKER_DEFAULT["tensorflow"] == d.PROBED["chosen"]["multi-worker"]
    assert d.PROBED["results"][d.MULTI_WORKER_DEFAULT["jax"]].startswith("works")


def test_a_record_of_the_probe_has_the_form_of_the_shipped_one(capsys, monkeypatch, tmp_path):
    from mgtutor import cli

    fake = [d.ProbeResult("tf-mwms-loop", "multi-worker", True, "works: 2 workers equal", 4.0),
            d.ProbeResult("tf-mirrored", "one-host", True, "works: 2 devices", 2.0)]
    monkeypatch.setattr(d, "probe", lambda engines=None, timeout=180.0: fake)
    out = tmp_path / "probe.jsonl"
    assert cli.main(["probe", "--engine", "tf-mwms-loop", "--engine", "tf-mirrored", "--record", str(out)]) == 0
    assert cli.main(["probe", "--record", str(out)]) == 0
    first, second = (json.loads(line) for line in out.read_text(encoding="utf-8").splitlines())
    assert set(first) == set(d.PROBED) - {"machine"} and first["versions"] == d.versions()
    assert first["results"] == {"tf-mwms-loop": "works: 2 workers equal", "tf-mirrored": "works: 2 devices"}
    assert first["chosen"] == {"multi-worker": "tf-mwms-loop", "one-host": {"tensorflow": "tf-mirrored", "jax": None}}
    assert first["command"] == "python -m mgtutor probe --engine tf-mwms-loop --engine tf-mirrored"
    assert second["command"] == "python -m mgtutor probe"
