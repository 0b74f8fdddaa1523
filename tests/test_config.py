import random

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


def test_quiet_tensorflow_environment_is_set_before_import():
    import os

    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] in {"1", "2", "3"}
    assert all(os.environ.get(name) for name in config.ENV), config.ENV


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
