"""Course-wide settings: run mode, paths, seeding and a quiet TensorFlow.

Part of mgtutor. See notebooks/00_welcome.ipynb §3 (modes) and §4 (reproducibility).

Mode
    ``MGTUTOR_MODE`` is ``full`` (the default, for people) or ``smoke`` (tiny data and epochs,
    used by ``pytest --nbval`` so every notebook runs in seconds). Any other value raises
    :class:`~mgtutor.errors.ConfigError`.

Quiet TensorFlow
    Importing this module sets :data:`ENV`: ``TF_CPP_MIN_LOG_LEVEL=2`` (no INFO/WARNING lines from the C++
    runtime, e.g. the oneDNN and CUDA notices) and ``TF_ENABLE_ONEDNN_OPTS=0`` unless the
    environment already sets them, *before* TensorFlow is imported anywhere. Errors still reach
    stderr. It also selects the TensorFlow backend for Keras unless ``KERAS_BACKEND`` is set
    (:func:`backend` reads it).
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from pathlib import Path

from mgtutor.errors import ConfigError

ENV = {
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "TF_ENABLE_ONEDNN_OPTS": "0",
    "KERAS_BACKEND": "tensorflow",
    "TQDM_MININTERVAL": "1",
}
"""The environment of a quiet run on the default backend, set at import where the environment does not set it.

The course's other runs start from it: the tests (``conftest.py``) and the re-execution of notebooks
(:data:`mgtutor.notebooks.REFERENCE_ENV`)."""
for _name, _value in ENV.items():
    os.environ.setdefault(_name, _value)

DROPPED_ENV = ("CI",)
"""Variables removed before a run whose output is compared with stored outputs (nbval, re-executing or grading a
notebook): pyfluidsynth, imported by pretty_midi, prints a debug line at import whenever ``CI`` is set."""

MODES = ("full", "smoke")
ROOT = Path(__file__).resolve().parent.parent


def mode() -> str:
    """Return the run mode named by ``MGTUTOR_MODE``: ``"full"`` (default) or ``"smoke"``.

    Raises:
        ConfigError: the variable holds anything else (the message lists the allowed values).
    """
    value = os.environ.get("MGTUTOR_MODE", "full").strip().lower() or "full"
    if value not in MODES:
        raise ConfigError(
            f"MGTUTOR_MODE={os.environ['MGTUTOR_MODE']!r} is not a mode; use one of "
            f"{', '.join(MODES)} (e.g. `export MGTUTOR_MODE=smoke`), or unset it for 'full'."
        )
    return value


def is_smoke() -> bool:
    """True when the course runs in smoke mode (tiny data, a few steps)."""
    return mode() == "smoke"


def pick(full, smoke):
    """Return ``smoke`` in smoke mode and ``full`` otherwise: ``epochs = pick(30, 1)``."""
    return smoke if is_smoke() else full


def backend() -> str:
    """The Keras backend: ``$KERAS_BACKEND``, which importing this module sets to ``"tensorflow"`` when unset."""
    return os.environ.get("KERAS_BACKEND", "tensorflow")


def data_dir() -> Path:
    """Where fetched datasets live: ``$MGTUTOR_DATA`` or ``~/.cache/mgtutor``."""
    return Path(os.environ.get("MGTUTOR_DATA") or Path.home() / ".cache" / "mgtutor").expanduser()


def cache_dir() -> Path:
    """Where parsed-corpus caches live: ``$MGTUTOR_CACHE`` or ``<data_dir>/cache``.

    Caches are versioned by key and always safe to delete.
    """
    env = os.environ.get("MGTUTOR_CACHE")
    return Path(env).expanduser() if env else data_dir() / "cache"


def runs_dir() -> Path:
    """Default parent of run directories (``runs/<task>-<model>-<seed>/``): ``$MGTUTOR_RUNS`` or ``./runs``."""
    return Path(os.environ.get("MGTUTOR_RUNS", "runs")).expanduser()


MAX_SEED = 2**32 - 1
"""The largest seed: NumPy's and TensorFlow's generators take 0 ≤ seed < 2³²."""


def check_seed(seed) -> int:
    """The course's one seed rule: an integer with 0 ≤ seed ≤ :data:`MAX_SEED` (what every generator it seeds
    accepts). Returns the seed.

    Raises:
        ConfigError: any other value, named.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise ConfigError(f"seed must be an integer from 0 to 2**32 - 1 ({MAX_SEED}), got {seed!r}")
    return seed


def seed_everything(seed: int = 0, deterministic_ops: bool = False) -> int:
    """Seed Python's ``random``, NumPy and Keras (and TensorFlow when it is the backend).

    Same seed ⇒ same initial weights, same shuffles, same sampled notes. With
    ``deterministic_ops`` TensorFlow is asked for deterministic kernels as well
    (``tf.config.experimental.enable_op_determinism``), which costs a little speed. It is off by
    default: :func:`mgtutor.train.fit_run` turns it on for the length of a ``fit`` (with it on,
    TensorFlow 2.21 logs a NodeDef line to stderr whenever Keras feeds NumPy arrays through its
    parallel ``map``, as ``predict`` does).

    Args:
        seed: an integer from 0 to 2³² − 1 (:func:`check_seed`).
        deterministic_ops: also make TensorFlow ops deterministic.
    Returns:
        The seed, so a notebook can print it.
    Raises:
        ConfigError: ``seed`` breaks :func:`check_seed`.
    See: notebooks/00_welcome.ipynb §4.
    """
    check_seed(seed)
    import numpy as np

    random.seed(seed)
    np.random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    import keras

    keras.utils.set_random_seed(seed)
    if deterministic_ops and keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    return seed


@dataclass(frozen=True)
class Banner:
    """What the set-up cell of every notebook prints: mode and seed."""

    mode: str
    seed: int

    def __str__(self) -> str:
        hint = "tiny data, a few steps" if self.mode == "smoke" else "full data and training"
        return f"mgtutor mode: {self.mode} ({hint}) · seed {self.seed}"


def short_errors_in_notebooks() -> bool:
    """In IPython/Jupyter, show the course's own errors as one line instead of a traceback wall.

    An :class:`~mgtutor.errors.MgtutorError` (bad input, unknown mode, missing optional library)
    already says what was wrong and how to fix it, so the notebook shows ``ConfigError: …``
    alone; ``%tb`` still prints the full traceback. Other exceptions are shown as usual.

    Returns:
        True if a handler was installed (running under IPython), else False.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None:
        return False
    from mgtutor.errors import MgtutorError

    def handler(shell, etype, value, tb, tb_offset=None):
        shell.showtraceback((etype, value, tb), exception_only=True)

    shell.set_custom_exc((MgtutorError,), handler)
    return True


def setup(seed: int = 0) -> Banner:
    """One call for a notebook's set-up cell: seed everything and return the mode banner.

    Also makes the course's own errors show as one actionable line in notebooks
    (:func:`short_errors_in_notebooks`).

    See: notebooks/00_welcome.ipynb §3.
    """
    short_errors_in_notebooks()
    current = mode()
    seed_everything(seed)
    return Banner(current, seed)
