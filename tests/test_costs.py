"""mgtutor.costs: the times of a run directory (tmp run dirs written here, and the shipped runs), the energy formula
against hand-computed values, and a typed error for each way a run directory can be missing or garbled."""

import calendar
import json
import re

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


def seconds_since_epoch(stamp: str) -> int:
    """A time written as 2026-11-30T13:34:29+0100, to seconds since 1970 UTC, by hand (no strptime)."""
    date, clock, sign, zone_h, zone_m = re.fullmatch(
        r"(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)([+-])(\d\d)(\d\d)", stamp.strip()).groups()
    local = calendar.timegm(tuple(map(int, date.split("-") + clock.split(":"))) + (0, 0, 0))
    return local - (1 if sign == "+" else -1) * (3600 * int(zone_h) + 60 * int(zone_m))


def test_seconds_since_epoch_by_hand():
    assert seconds_since_epoch("1970-01-01T01:00:00+0100") == 0
    assert seconds_since_epoch("1970-01-02T00:00:00-0030\n") == 86400 + 1800


def test_every_shipped_run_is_read_as_its_files_say():
    """Each shipped run's costs against its three files read by hand; and its two clocks agree."""
    dirs = shipped.runs()
    assert {d.name for d in dirs} >= {"melody-chorales", "pianoroll-chorales-lstm", "gan-toy-ring-gan"}
    for d in dirs:
        config = json.loads((d / "config.json").read_text(encoding="utf-8"))
        results = json.loads((d / "results.json").read_text(encoding="utf-8"))
        clock = seconds_since_epoch((d / "COMPLETE").read_text()) - seconds_since_epoch(config["created"])
        cpus = config["environment"]["hardware"]["cpus"]
        cost = costs.read_run_cost(d)
        assert cost == costs.RunCost(d.name, config["task"], config["builder"], results["wall_seconds"],
                                     results["train_seconds"], clock, cpus, results["epochs_run"],
                                     results.get("train_cpu_seconds")), d.name
        assert cost.core_seconds == pytest.approx(cpus * results["wall_seconds"])
        # the monotonic timer (results.json) and the wall clock (config.json → COMPLETE, to the second)
        # the timer starts when training is called, the stamp when the run directory is made, after the data are
        # split: seconds apart for the melody run, which compares every pair of chorale melodies
        assert abs(clock - results["wall_seconds"]) <= 5.0, cost
    gan = shipped.path("gan-spec")
    recorded = json.loads((gan / "results.json").read_text(encoding="utf-8"))["train_cpu_seconds"]
    assert recorded > 0 and costs.read_run_cost(gan).cpu_seconds == recorded


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
