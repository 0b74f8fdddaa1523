"""mgtutor: the helper package of the course *Deep-learning music generation in Python*.

Every function the notebooks use more than once lives here, once. Modules by topic:
``config`` (mode, paths, seeding), ``colab`` (Colab set-up), ``audio``, ``features``,
``symbolic``, ``data``, ``fetch``, ``models``, ``metrics``, ``sampling``, ``runs``, ``train``, ``tasks``,
``render``, ``checks`` (exercise checkers) and ``cli`` (``python -m mgtutor ...``). ``pyproject.toml``
(``[tool.importlinter]``) says which may import which.

Importing the package is cheap: heavy libraries (TensorFlow, music21, librosa) are imported
inside the modules that need them. Importing it does set the environment variables that keep
TensorFlow's start-up notices off stderr (see :mod:`mgtutor.config`).
"""

from importlib.metadata import PackageNotFoundError, version

from mgtutor import config as _config  # noqa: F401  (sets the quiet TF environment first)
from mgtutor.errors import MgtutorError

__all__ = ["MgtutorError", "__version__"]

try:
    __version__ = version("mgtutor")  # pyproject.toml's, as pip installed it (editable locally, from git on Colab)
except PackageNotFoundError:  # imported from a source folder that was never installed (a clone on PYTHONPATH)
    __version__ = "0+unknown"
