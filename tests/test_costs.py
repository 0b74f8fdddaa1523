"""mgtutor.costs: the times of a run directory (tmp run dirs written here, and the shipped runs), the energy formula
against hand-computed values, and a typed error for each way a run directory can be missing or garbled."""

import json

import pytest

from mgtutor import costs, shipped
from mgtutor.costs import RunCostError
from mgtutor.runs import RunDirError


def make_run(folder, *, created="2026-11-30T10:00:00+0000", finished="2026-11-30T10:01:40+0000", cpus=4,
             results=None, complete=True):
    folder.mkdir(parents=True, exist_ok=True)
    config = {"task": "melody", "builder": "melody_lstm", "created": created,
              "environment": {"hardware": {"cpus": cpus, "machine": "x86_64", "python": "3.11"}}}
    (folder / "config.json").write_text(json.dumps(config))
    results = {"wall_seconds": 100.4, "train_seconds": 90.0, "epochs_run": 12} if results is None else results
    (folder / "results.json").write_text(json.dumps(results))
    if complete:
        (folder / "COMPLETE").write_text(finished + "\n")
    return folder


def test_reads_the_times_of_a_run(tmp_path):
    cost = costs.read_run_cost(make_run(tmp_path / "melody-lstm-0"))
    assert cost == costs.RunCost("melody-lstm-0", "melody", "melody_lstm", 100.4, 90.0, 100.0, 4, 12)
    assert cost.core_seconds == pytest.approx(401.6) and cost.cpu_seconds is None
    measured = costs.read_run_cost(make_run(tmp_path / "gan", results={
        "wall_seconds": 100.4, "train_seconds": 90.0, "epochs_run": 12, "train_cpu_seconds": 150.5}))
    assert measured.cpu_seconds == 150.5 <= measured.core_seconds  # recorded by the task: within the bound


def test_clock_seconds_cross_midnight_and_time_zones(tmp_path):
    run = make_run(tmp_path / "r", created="2026-12-31T23:59:30+0100", finished="2026-12-31T23:00:10+0000")
    assert costs.read_run_cost(run).clock_seconds == 40.0  # 22:59:30 UTC → 23:00:10 UTC


def test_every_shipped_run_is_read_and_its_two_clocks_agree():
    dirs = shipped.runs()
    assert {d.name for d in dirs} >= {"melody-chorales", "pianoroll-chorales-lstm", "gan-toy-ring-gan"}
    for d in dirs:
        cost = costs.read_run_cost(d)
        # the monotonic timer (results.json) and the wall clock (config.json → COMPLETE, to the second)
        assert abs(cost.clock_seconds - cost.wall_seconds) <= 2.0, cost
        assert 0 < cost.train_seconds <= cost.wall_seconds and cost.epochs >= 1 and cost.cpus >= 1
        assert cost.cpu_seconds is None or cost.cpu_seconds <= cost.core_seconds, cost
    assert costs.read_run_cost(shipped.path("gan-spec")).cpu_seconds > 0


@pytest.mark.parametrize(("seconds", "watts", "pue", "kwh"), [
    (3600, 1000, 1.0, 1.0),          # one kilowatt for one hour
    (1800, 50, 1.0, 0.025),          # 50 W for half an hour = 25 Wh
    (3600, 100, 1.58, 0.158),        # Strubell et al.'s PUE
    (0, 50, 1.0, 0.0),
])
def test_energy_by_hand(seconds, watts, pue, kwh):
    assert costs.energy_kwh(seconds, watts, pue) == pytest.approx(kwh)


@pytest.mark.parametrize(("args", "phrase"), [
    ((-1, 50), "seconds should be ≥ 0"),
    ((10, 0), "watts should be > 0"),
    ((10, 50, 0.9), "pue should be ≥ 1"),
    ((float("nan"), 50), "finite number"),
    ((10, "50"), "finite number"),
    ((True, 50), "finite number"),
])
def test_energy_refuses_bad_arguments(args, phrase):
    with pytest.raises(RunCostError, match=phrase):
        costs.energy_kwh(*args)


def test_missing_and_unfinished_runs(tmp_path):
    with pytest.raises(RunCostError, match="no such run directory"):
        costs.read_run_cost(tmp_path / "nothing")
    with pytest.raises(RunCostError, match="unfinished run"):
        costs.read_run_cost(make_run(tmp_path / "r", complete=False))


def test_garbled_files(tmp_path):
    run = make_run(tmp_path / "r")
    (run / "results.json").write_text("{not json")
    with pytest.raises(RunCostError, match="results.json: not readable"):
        costs.read_run_cost(run)
    (run / "results.json").write_text("[1, 2]")
    with pytest.raises(RunCostError, match="results.json: holds a JSON list, not an object"):
        costs.read_run_cost(run)
    make_run(run, results={"wall_seconds": 1.0})
    with pytest.raises(RunCostError, match="results.json: train_seconds, results.json: epochs_run"):
        costs.read_run_cost(run)
    make_run(run, results={"wall_seconds": "fast", "train_seconds": 1.0, "epochs_run": 1})
    with pytest.raises(RunCostError, match="wall_seconds should be a number"):
        costs.read_run_cost(run)
    make_run(run, results={"wall_seconds": 1.0, "train_seconds": 1.0, "epochs_run": 1, "train_cpu_seconds": -3})
    with pytest.raises(RunCostError, match="train_cpu_seconds should be a number"):
        costs.read_run_cost(run)
    make_run(run, cpus=0)
    with pytest.raises(RunCostError, match="cpus should be a whole number"):
        costs.read_run_cost(run)
    make_run(run, created="yesterday")
    with pytest.raises(RunCostError, match="created should be a time"):
        costs.read_run_cost(run)
    make_run(run, finished="")
    with pytest.raises(RunCostError, match="finishing time"):
        costs.read_run_cost(run)


def test_a_config_without_hardware_is_named(tmp_path):
    run = make_run(tmp_path / "r")
    (run / "config.json").write_text(json.dumps({"task": "melody", "builder": "b", "created": "x",
                                                 "environment": "laptop"}))
    with pytest.raises(RunCostError, match="environment.hardware.cpus"):
        costs.read_run_cost(run)


def test_the_error_is_a_run_dir_error_and_a_value_error(tmp_path):
    with pytest.raises(RunDirError):
        costs.read_run_cost(tmp_path / "nothing")
    with pytest.raises(ValueError):
        costs.energy_kwh(-1, 1)
