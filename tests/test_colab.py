import sys
import types

import pytest

from mgtutor import colab


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
    report = colab.setup(runner=lambda cmd: 0 if "pip" in cmd else 100, colab=True)
    assert "NumPy synthesizer" in report


def test_failed_pip_says_how_to_retry():
    with pytest.raises(RuntimeError, match="retry in a cell: !pip install"):
        colab.setup(runner=lambda cmd: 1, colab=True)
