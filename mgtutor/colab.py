"""Google Colab set-up: one call at the top of each notebook.

Part of mgtutor. See notebooks/00_welcome.ipynb §2.

On Colab, TensorFlow, Keras, librosa, matplotlib and ipywidgets are already installed, so the
course package is installed there *without* its dependencies (its Linux default,
``tensorflow-cpu``, would replace Colab's GPU TensorFlow) and :func:`setup` adds only what
Colab lacks: the packages in :data:`COLAB_EXTRAS` and the FluidSynth library. Everywhere else
:func:`setup` does nothing and returns ``None``.

A Colab runtime's disk (``/content``) is wiped when the runtime ends — a disconnect, an idle timeout, a
crash. ``setup(drive=True)`` mounts Google Drive and makes it the home of run directories
(:data:`DRIVE_RUNS`, through ``$MGTUTOR_RUNS``), so a run survives: after a disconnect, the same train command
resumes it from its last finished epoch (notebooks/10_full_training.ipynb §5).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

DEFAULT_REPO_URL = "https://github.com/mgtutor/mgtutor"


def repo_url() -> str:
    """The course repository's address, as ``[project.urls]`` in ``pyproject.toml`` gives it.

    Read from the installed package's metadata (its ``Repository`` entry, else ``Homepage``): a fork changes the
    address in ``pyproject.toml`` only, reinstalls, and runs ``python -m mgtutor repo-url`` to point the notebooks'
    Colab badges and install cells at it. :data:`DEFAULT_REPO_URL` is only the fallback for a copy whose metadata is
    missing (the package imported from a source folder that was never installed) or names no address.
    """
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        entries = metadata("mgtutor").get_all("Project-URL") or []
    except PackageNotFoundError:
        entries = []
    urls = {}
    for entry in entries:
        label, _, url = entry.partition(",")
        urls[label.strip().lower()] = url.strip()
    return urls.get("repository") or urls.get("homepage") or DEFAULT_REPO_URL


REPO_URL = repo_url()
"""The repository the notebooks' Colab badges and install cells point at (see :func:`repo_url`)."""
COLAB_EXTRAS = (
    "music21>=9.1",
    "pretty_midi>=0.2.10",
    "mido>=1.3",
    "pyfluidsynth>=1.3.3",
    "verovio==6.4.1",
    "soxr>=0.3",
    "muspy>=0.5",
)
"""What :func:`setup` pip-installs on Colab: requirements of ``pyproject.toml`` with the same ranges, among them
every runtime requirement Colab lacks (tests/test_packaging.py checks both against tests/colab/constraints.txt)."""
APT_PACKAGES = ("fluidsynth",)
DRIVE_MOUNT = "/content/drive"
DRIVE_RUNS = f"{DRIVE_MOUNT}/MyDrive/mgtutor/runs"
"""Where ``setup(drive=True)`` keeps run directories: on Google Drive, which outlives the runtime."""
# Requirements of the local install that the course does not need on Colab (Colab has its own front end).
NOT_ON_COLAB = ("jupyterlab",)

Runner = Callable[[list[str]], int]


def on_colab() -> bool:
    """True inside a Google Colab runtime (the ``google.colab`` module is importable there)."""
    if "google.colab" in sys.modules:
        return True
    try:
        import importlib.util

        return importlib.util.find_spec("google.colab") is not None
    except (ImportError, ValueError):
        return False


def _run(cmd: list[str]) -> int:
    return subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE).returncode


def _mount_drive(folder: str) -> None:
    from google.colab import drive  # only on Colab

    drive.mount(folder)


def setup(runner: Runner | None = None, colab: bool | None = None, drive: bool = False,
          mount: Callable[[str], None] | None = None) -> str | None:
    """Install what Colab lacks and report the GPU; a no-op (returns ``None``) elsewhere.

    Args:
        runner: runs one command and returns its exit status (tests pass a fake).
        colab: force the Colab check's answer (tests); ``None`` asks :func:`on_colab`.
        drive: also mount Google Drive and keep run directories there (:data:`DRIVE_RUNS`, set as
            ``$MGTUTOR_RUNS``), so they survive the end of the runtime.
        mount: mounts Drive at a folder (tests pass a fake); default ``google.colab.drive.mount``.
    Returns:
        On Colab, a short report (what was installed, FluidSynth, where runs are kept, the GPU line); else ``None``.
    Raises:
        RuntimeError: a pip install failed on Colab (the message names the command to retry). A failed apt step
            is a line of the report that names the command to retry; the course then plays audio with its NumPy
            synthesizer.
    """
    if not (on_colab() if colab is None else colab):
        return None
    run = runner or _run
    pip = [sys.executable, "-m", "pip", "install", "-q", *COLAB_EXTRAS]
    if run(pip) != 0:
        raise RuntimeError(f"installing the course extras failed; retry in a cell: !{' '.join(pip[2:])}")
    apt = ["apt-get", "install", "-y", "-qq", *APT_PACKAGES]
    apt_ok = run(apt) == 0 or (run(["apt-get", "update", "-qq"]) == 0 and run(apt) == 0)
    lines = [
        f"Colab: installed {', '.join(p.split('>')[0].split('=')[0] for p in COLAB_EXTRAS)}",
        "FluidSynth: installed" if apt_ok else
        f"FluidSynth: not installed (retry in a cell: !apt-get update -qq && {' '.join(apt)}); audio uses the "
        "NumPy synthesizer",
    ]
    if drive:
        (mount or _mount_drive)(DRIVE_MOUNT)
        Path(DRIVE_RUNS).mkdir(parents=True, exist_ok=True)
        os.environ["MGTUTOR_RUNS"] = DRIVE_RUNS
        lines.append(f"Runs: {DRIVE_RUNS} (on Google Drive: a run there survives a disconnect; the same train "
                     "command resumes it)")
    try:
        lines.append(gpu_report())
    except ImportError:
        lines.append("GPU: unknown (TensorFlow is not importable)")
    return "\n".join(lines)


def gpu_report() -> str:
    """One line naming the GPUs TensorFlow sees, or saying there is none.

    See: notebooks/00_welcome.ipynb §5.
    """
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return "GPU: none (CPU only). On Colab: Runtime → Change runtime type → GPU."
    names = [tf.config.experimental.get_device_details(g).get("device_name", g.name) for g in gpus]
    return f"GPU: {len(gpus)} × {', '.join(names)}"
