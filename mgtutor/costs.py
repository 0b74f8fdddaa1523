"""What a training run cost: its times, read from the run directory, and the energy they imply.

Part of mgtutor. See notebooks/12_applications_and_ethics.ipynb §5.

A finished run directory (:mod:`mgtutor.runs`) records its times in three places, written by the training tasks:

* ``results.json``: ``wall_seconds`` (a monotonic clock from the start of the command to the end of training and
  evaluation) and ``train_seconds`` (the epochs alone, without loading data or scoring);
* ``config.json``: ``created``, the wall-clock time the run directory was made, and
  ``environment.hardware.cpus``, the CPU cores of the machine;
* ``COMPLETE``: the wall-clock time the run finished.

CPU time (what the process used, over all cores) is recorded by some tasks only: notebook 09's GAN tasks write
``train_cpu_seconds`` (the process CPU clock over the training epochs). For every run, with ``cpus`` cores, the CPU
time is at most ``cpus · wall_seconds`` (:attr:`RunCost.core_seconds`), reached only if every core was busy all along.

Energy is power times time, with the power an *assumption* the caller states (nothing here measures it):

    E [kWh] = PUE · P [W] · t [s] / 3.6·10⁶      (1 kWh = 1000 W · 3600 s)

PUE (power usage effectiveness, ≥ 1) counts a data centre's cooling and power losses on top of the machine's own
draw: 1 for a computer on a desk; Strubell, Ganesh & McCallum (ACL 2019) used 1.58.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from mgtutor.runs import CONFIG_FILE, DONE_FILE, RESULTS_FILE, RunDir, RunDirError

__all__ = ["RunCostError", "RunCost", "read_run_cost", "energy_kwh", "JOULES_PER_KWH", "TIMESTAMP_FORMAT"]

JOULES_PER_KWH = 3.6e6
"""1 kWh = 1000 W · 3600 s."""
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
"""How ``config.json``'s ``created`` and the ``COMPLETE`` marker write a time (:func:`time.strftime`)."""


class RunCostError(RunDirError):
    """A run directory whose times cannot be read (missing, unfinished, a garbled or incomplete file), or a bad
    argument to :func:`energy_kwh`."""


@dataclass(frozen=True)
class RunCost:
    """The times of one finished run.

    Attributes:
        name: the run directory's folder name.
        task: ``config.json``'s task (``melody``, ``pianoroll``, ``gan-toy``).
        builder: the model builder (``melody_lstm``, ``rnn_nade``, …).
        wall_seconds: start of the command to the end of training and evaluation (monotonic clock).
        train_seconds: the training epochs alone.
        clock_seconds: ``COMPLETE``'s time minus ``config.json``'s ``created``: the same span measured by the
            wall clock, to the second.
        cpus: CPU cores of the machine the run trained on.
        epochs: epochs trained.
        cpu_seconds: the CPU time of the training epochs where the run recorded it (``train_cpu_seconds``), else
            ``None``.
    """

    name: str
    task: str
    builder: str
    wall_seconds: float
    train_seconds: float
    clock_seconds: float
    cpus: int
    epochs: int
    cpu_seconds: float | None = None

    @property
    def core_seconds(self) -> float:
        """``cpus · wall_seconds``: the CPU time had every core been busy for the whole run (an upper bound)."""
        return self.cpus * self.wall_seconds


def _number(value, what: str, path: Path) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise RunCostError(f"{path}: {what} should be a number ≥ 0, found {value!r}; the file is damaged, train again")
    return float(value)


def _timestamp(text: str, what: str, path: Path) -> datetime:
    try:
        return datetime.strptime(text.strip(), TIMESTAMP_FORMAT)
    except (AttributeError, ValueError):
        raise RunCostError(f"{path}: {what} should be a time like 2026-11-30T13:34:29+0000, found {text!r}; the file "
                           "is damaged, train again") from None


def read_run_cost(path: str | os.PathLike) -> RunCost:
    """Read the times of a finished run directory.

    Args:
        path: a run directory with ``config.json``, ``results.json`` and ``COMPLETE``.
    Returns:
        A :class:`RunCost`.
    Raises:
        RunCostError: no such folder, an unfinished run (no ``COMPLETE``), a file that is not JSON, or a field that is
            missing or not a number / time (the message names the file and the field).
    See: notebooks/12_applications_and_ethics.ipynb §5.
    """
    try:
        run = RunDir.open(path)
        config, results = run.config, run.results
    except RunCostError:
        raise
    except RunDirError as exc:
        raise RunCostError(str(exc)) from None
    folder = run.path
    missing = [f"{CONFIG_FILE}: {key}" for key in ("task", "builder", "created") if key not in config]
    missing += [f"{RESULTS_FILE}: {key}" for key in ("wall_seconds", "train_seconds", "epochs_run")
                if key not in results]
    environment = config.get("environment")
    hardware = environment.get("hardware") if isinstance(environment, dict) else None
    cpus = hardware.get("cpus") if isinstance(hardware, dict) else None
    if cpus is None:
        missing.append(f"{CONFIG_FILE}: environment.hardware.cpus")
    if missing:
        raise RunCostError(f"{folder}: no {', '.join(missing)}; was it written by `python -m mgtutor train`?")
    if isinstance(cpus, bool) or not isinstance(cpus, int) or cpus < 1:
        raise RunCostError(f"{folder / CONFIG_FILE}: environment.hardware.cpus should be a whole number ≥ 1, found "
                           f"{cpus!r}")
    created = _timestamp(config["created"], "created", folder / CONFIG_FILE)
    done_text = (folder / DONE_FILE).read_text(encoding="utf-8")
    finished = _timestamp(done_text, "the finishing time", folder / DONE_FILE)
    return RunCost(
        name=folder.name, task=str(config["task"]), builder=str(config["builder"]),
        wall_seconds=_number(results["wall_seconds"], "wall_seconds", folder / RESULTS_FILE),
        train_seconds=_number(results["train_seconds"], "train_seconds", folder / RESULTS_FILE),
        clock_seconds=(finished - created).total_seconds(), cpus=cpus,
        epochs=int(_number(results["epochs_run"], "epochs_run", folder / RESULTS_FILE)),
        cpu_seconds=(_number(results["train_cpu_seconds"], "train_cpu_seconds", folder / RESULTS_FILE)
                     if "train_cpu_seconds" in results else None))


def energy_kwh(seconds: float, watts: float, pue: float = 1.0) -> float:
    """Energy of drawing ``watts`` for ``seconds``, in kilowatt-hours: E = PUE · P · t / 3.6·10⁶.

    Args:
        seconds: how long the power is drawn (≥ 0).
        watts: the power drawn, an assumption the caller states (> 0).
        pue: power usage effectiveness of the building (≥ 1; 1 for a computer on a desk).
    Returns:
        The energy in kWh.
    Raises:
        RunCostError: a negative or non-finite time, a power ≤ 0, or a PUE < 1.
    See: notebooks/12_applications_and_ethics.ipynb §5.
    """
    values = {"seconds": seconds, "watts": watts, "pue": pue}
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise RunCostError(f"{name} should be a finite number, got {value!r}")
    if seconds < 0:
        raise RunCostError(f"seconds should be ≥ 0, got {seconds}")
    if watts <= 0:
        raise RunCostError(f"watts should be > 0 (the power the machine draws), got {watts}")
    if pue < 1:
        raise RunCostError(f"pue should be ≥ 1 (1 = no overhead beyond the machine), got {pue}")
    return pue * watts * seconds / JOULES_PER_KWH
