"""Settings for every pytest run in this repository.

* ``pytest --nbval notebooks/`` runs the notebooks in smoke mode with no flag: the stored
  outputs are smoke-mode outputs, so the mode is forced here and inherited by the kernels.
* nbval runs against the current environment's kernel, with notebooks/sanitize.cfg
  masking volatile text (addresses, timings, temporary paths).
* tqdm stays silent and TensorFlow quiet (the kernels inherit this process's environment).
* ``CI`` is not passed on: pyfluidsynth (imported by pretty_midi) prints a debug line to stdout
  at import whenever ``CI`` is set, which would differ from the stored outputs on CI services.
"""

import os
from pathlib import Path

HERE = Path(__file__).resolve().parent

os.environ["MGTUTOR_MODE"] = "smoke"
os.environ.pop("CI", None)
os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def pytest_configure(config):
    opt = config.option
    if getattr(opt, "nbval", False) or getattr(opt, "nbval_lax", False):
        if not opt.nbval_sanitize_with and not getattr(opt, "sanitize_with", None):
            opt.nbval_sanitize_with = str(HERE / "notebooks" / "sanitize.cfg")
        if not opt.nbval_kernel_name:
            opt.nbval_current_env = True
