import sys
import types
from pathlib import Path

import pytest

from mgtutor import colab, config


def test_noop_outside_colab():
    calls = []
    assert colab.setup(runner=lambda cmd: calls.append(cmd) or 0, colab=False) is None
    assert calls == []


def test_detects_colab_module(monkeypatch):
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    assert colab.on_colab()


def test_not_colab_here():
    assert not colab.on_colab()


def test_installs_extras_and_reports_gpu_on_colab():
    calls = []
    report = colab.setup(runner=lambda cmd: calls.append(cmd) or 0, colab=True)
    pip, apt = calls
    assert pip[1:4] == ["-m", "pip", "install"] and "verovio==6.4.1" in pip
    assert not any(p.startswith("tensorflow") for p in pip), "never replace Colab's TensorFlow"
    assert apt[:2] == ["apt-get", "install"] and "fluidsynth" in apt
    assert "FluidSynth: installed" in report and "GPU:" in report


def test_missing_fluidsynth_falls_back_with_one_line():
    calls = []
    report = colab.setup(runner=lambda cmd: calls.append(cmd) or (0 if "pip" in cmd else 100), colab=True)
    assert "NumPy synthesizer" in report and "retry in a cell: !apt-get update -qq && apt-get install" in report
    assert [c[:2] for c in calls[1:]] == [["apt-get", "install"], ["apt-get", "update"]]  # none after a failed update


def test_fluidsynth_is_installed_after_refreshing_the_package_lists():
    calls = []
    answers = iter([0, 100, 0, 0])  # pip ok, apt-get install fails (stale lists), update ok, install ok
    report = colab.setup(runner=lambda cmd: calls.append(cmd) or next(answers), colab=True)
    assert "FluidSynth: installed" in report
    assert [c[:2] for c in calls[1:]] == [["apt-get", "install"], ["apt-get", "update"], ["apt-get", "install"]]


def test_drive_keeps_runs_on_google_drive(monkeypatch, tmp_path):
    mounted = []
    monkeypatch.setattr(colab, "DRIVE_RUNS", str(tmp_path / "MyDrive" / "mgtutor" / "runs"))
    monkeypatch.setenv("MGTUTOR_RUNS", "")  # recorded, so the value setup() sets is undone after the test
    monkeypatch.delenv("MGTUTOR_RUNS")
    report = colab.setup(runner=lambda cmd: 0, colab=True, drive=True, mount=mounted.append)
    assert mounted == [colab.DRIVE_MOUNT] and (tmp_path / "MyDrive" / "mgtutor" / "runs").is_dir()
    assert config.runs_dir() == tmp_path / "MyDrive" / "mgtutor" / "runs" and "survives a disconnect" in report


def test_drive_is_not_touched_off_colab(monkeypatch):
    monkeypatch.setenv("MGTUTOR_RUNS", "")
    monkeypatch.delenv("MGTUTOR_RUNS")
    assert colab.setup(runner=lambda cmd: 0, colab=False, drive=True, mount=lambda folder: 1 / 0) is None
    assert config.runs_dir() == Path("runs")


def test_failed_pip_says_how_to_retry():
    with pytest.raises(RuntimeError, match="retry in a cell: !pip install"):
        colab.setup(runner=lambda cmd: 1, colab=True)
