"""Settings for every pytest run in this repository.

* ``pytest --nbval notebooks/`` runs the notebooks in smoke mode with no flag: the stored
  outputs are smoke-mode outputs, so the mode is forced here and inherited by the kernels.
* nbval runs against the current environment's kernel, with notebooks/sanitize.cfg
  masking volatile text (addresses, timings, temporary paths).
* tqdm stays silent and TensorFlow quiet (``mgtutor.config.ENV``; the kernels inherit this process's
  environment).
* ``CI`` is not passed on (``mgtutor.config.DROPPED_ENV``): pyfluidsynth (imported by pretty_midi) prints a debug
  line to stdout at import whenever ``CI`` is set, which would differ from the stored outputs on CI services.
* Every session starts cold, as a fresh Colab runtime or a learner's new laptop does: ``TMPDIR`` (so
  ``tempfile.gettempdir()``, and with it music21's scratch folder ``<tmp>/music21`` where music21 keeps
  the scores it has parsed) and ``MGTUTOR_CACHE`` (the course's parsed-corpus cache) point at new, empty
  folders under one session folder (its path is in ``MGTUTOR_TEST_SESSION_DIR``), removed at the end.
  A notebook that parses more than its smoke budget allows then fails nbval's time budget here too,
  not only on a learner's first run (tests/test_cold_start.py checks the redirection).
"""

import os
import shutil
import tempfile
import time
from pathlib import Path

from mgtutor.config import DROPPED_ENV, ENV

HERE = Path(__file__).resolve().parent

os.environ["MGTUTOR_MODE"] = "smoke"
for _name in DROPPED_ENV:
    os.environ.pop(_name, None)
os.environ.setdefault("TQDM_DISABLE", "1")
for _name, _value in ENV.items():
    os.environ.setdefault(_name, _value)


_OUTER_TMPDIR = os.environ.get("TMPDIR")


def _cold_start() -> Path:
    """New empty scratch and cache folders for this session; the kernels and subprocesses inherit them."""
    session = Path(tempfile.mkdtemp(prefix="mgtutor-tests-"))
    (session / "tmp").mkdir()
    (session / "cache").mkdir()
    os.environ["TMPDIR"] = str(session / "tmp")
    os.environ["MGTUTOR_CACHE"] = str(session / "cache")
    os.environ["MGTUTOR_TEST_SESSION_DIR"] = str(session)
    os.environ["MGTUTOR_TEST_SESSION_START"] = repr(time.time())
    tempfile.tempdir = None  # this process follows TMPDIR too (music21 in tests, pytest's tmp_path)
    return session


SESSION_DIR = _cold_start()


def pytest_configure(config):
    opt = config.option
    if getattr(opt, "nbval", False) or getattr(opt, "nbval_lax", False):
        if not opt.nbval_sanitize_with and not getattr(opt, "sanitize_with", None):
            opt.nbval_sanitize_with = str(HERE / "notebooks" / "sanitize.cfg")
        if not opt.nbval_kernel_name:
            opt.nbval_current_env = True


def pytest_unconfigure(config):
    if _OUTER_TMPDIR is None:
        os.environ.pop("TMPDIR", None)
    else:
        os.environ["TMPDIR"] = _OUTER_TMPDIR
    tempfile.tempdir = None
    shutil.rmtree(SESSION_DIR, ignore_errors=True)
