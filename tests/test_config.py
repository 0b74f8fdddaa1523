import json
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mgtutor import config
from mgtutor.errors import ConfigError, MgtutorError


@pytest.mark.parametrize("value, expected", [(None, "full"), ("full", "full"), ("smoke", "smoke"),
                                             (" SMOKE ", "smoke"), ("", "full")])
def test_mode(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv("MGTUTOR_MODE", raising=False)
    else:
        monkeypatch.setenv("MGTUTOR_MODE", value)
    assert config.mode() == expected
    assert config.is_smoke() == (expected == "smoke")
    assert config.pick("F", "S") == ("S" if expected == "smoke" else "F")


@pytest.mark.parametrize("value", ["fast", "test", "1"])
def test_unknown_mode_names_the_allowed_values(monkeypatch, value):
    monkeypatch.setenv("MGTUTOR_MODE", value)
    with pytest.raises(ConfigError, match="full, smoke") as info:
        config.mode()
    assert isinstance(info.value, ValueError) and isinstance(info.value, MgtutorError)
    assert repr(value) in str(info.value)


QUIET = {"TF_CPP_MIN_LOG_LEVEL": "2", "TF_ENABLE_ONEDNN_OPTS": "0", "KERAS_BACKEND": "tensorflow"}
PROBE_QUIET = """
import json, os, sys
names = {names!r}
before = {{k: os.environ.get(k) for k in names}}
import mgtutor
after = {{k: os.environ.get(k) for k in names}}
heavy = sorted(m for m in ("tensorflow", "keras", "jax") if m in sys.modules)
print(json.dumps({{"before": before, "after": after, "heavy": heavy, "file": mgtutor.__file__}}), flush=True)
if {then_tensorflow!r}:
    import tensorflow
"""


def _import_in_a_clean_process(extra_env=None, then_tensorflow=False):
    """Import mgtutor (then TensorFlow if asked) in a process whose environment is built from nothing, not inherited
    from this one (which the root conftest.py has already made quiet)."""
    root = Path(__file__).resolve().parent.parent
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", str(root)),
           "PYTHONPATH": str(root), **(extra_env or {})}
    code = PROBE_QUIET.format(names=sorted(QUIET), then_tensorflow=then_tensorflow)
    proc = subprocess.run([sys.executable, "-c", code], env=env, cwd=root, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.splitlines()[0])
    assert Path(report["file"]).resolve() == root / "mgtutor" / "__init__.py"
    return report, proc.stderr


def test_importing_mgtutor_sets_the_quiet_tensorflow_environment_before_tensorflow_loads():
    report, stderr = _import_in_a_clean_process(then_tensorflow=True)
    assert report["before"] == dict.fromkeys(QUIET)  # nothing inherited
    assert report["after"] == QUIET and report["heavy"] == []  # set by the import, and TensorFlow not loaded yet
    # TensorFlow imported afterwards prints none of its INFO start-up lines (oneDNN, CPU features)
    assert "oneDNN custom operations" not in stderr and "cpu_feature_guard" not in stderr, stderr


def test_importing_mgtutor_keeps_the_settings_a_learner_made():
    mine = {"TF_CPP_MIN_LOG_LEVEL": "0", "TF_ENABLE_ONEDNN_OPTS": "1", "KERAS_BACKEND": "jax"}
    report, _ = _import_in_a_clean_process(mine)
    assert report["before"] == report["after"] == mine


def test_notebooks_are_re_executed_in_the_course_environment():
    from mgtutor.notebooks import REFERENCE_ENV

    assert config.ENV.items() <= REFERENCE_ENV.items()
    assert not set(config.DROPPED_ENV) & set(REFERENCE_ENV)


def test_backend_is_keras_backend_else_tensorflow(monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    assert config.backend() == "jax"
    monkeypatch.delenv("KERAS_BACKEND")
    assert config.backend() == "tensorflow"


def test_seed_everything_reproduces_python_numpy_and_keras():
    import keras

    config.seed_everything(7)
    a = (random.random(), np.random.rand(4), keras.ops.convert_to_numpy(keras.random.normal((4,))))
    w1 = keras.layers.Dense(3)
    w1.build((None, 2))
    config.seed_everything(7)
    b = (random.random(), np.random.rand(4), keras.ops.convert_to_numpy(keras.random.normal((4,))))
    w2 = keras.layers.Dense(3)
    w2.build((None, 2))
    assert a[0] == b[0]
    np.testing.assert_array_equal(a[1], b[1])
    np.testing.assert_array_equal(a[2], b[2])
    np.testing.assert_array_equal(w1.kernel.numpy(), w2.kernel.numpy())
    config.seed_everything(8)
    assert random.random() != a[0]


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, "3", True, None])
def test_seed_must_be_a_non_negative_int(seed):
    with pytest.raises(ConfigError, match=r"seed must be an integer from 0 to 2\*\*32 - 1"):
        config.seed_everything(seed)


def test_setup_banner(monkeypatch):
    monkeypatch.setenv("MGTUTOR_MODE", "smoke")
    banner = config.setup(seed=3)
    assert str(banner) == "mgtutor mode: smoke (tiny data, a few steps) · seed 3"


def test_paths_follow_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MGTUTOR_DATA", str(tmp_path / "d"))
    monkeypatch.delenv("MGTUTOR_CACHE", raising=False)
    assert config.data_dir() == tmp_path / "d"
    assert config.cache_dir() == tmp_path / "d" / "cache"
    monkeypatch.setenv("MGTUTOR_CACHE", str(tmp_path / "c"))
    assert config.cache_dir() == tmp_path / "c"
    monkeypatch.setenv("MGTUTOR_RUNS", str(tmp_path / "r"))
    assert config.runs_dir() == tmp_path / "r"


def test_short_errors_outside_ipython_is_a_noop():
    assert config.short_errors_in_notebooks() is False


def test_short_errors_in_a_kernel():
    """An unknown mode inside a notebook shows as one line, not a traceback wall."""
    from nbclient import NotebookClient
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(cells=[new_code_cell("import os\nos.environ['MGTUTOR_MODE'] = 'fast'\n"
                                           "from mgtutor import config\nconfig.setup(0)")])
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True).execute()
    (out,) = nb.cells[0].outputs
    assert out["output_type"] == "error" and out["ename"] == "ConfigError"
    assert len(out["traceback"]) == 2 and "%tb" in out["traceback"][0]
    assert "use one of full, smoke" in out["traceback"][1]
