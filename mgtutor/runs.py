"""Run directories: one layout for every model kind, written so that nothing is lost.

Part of mgtutor. See notebooks/06_melody_generation.ipynb §5 (run directories) and notebook 10
(resume).

A run directory (``runs/<task>-<model>-<seed>/`` by default) holds::

    config.json        written FIRST: task, builder and its kwargs, data spec and split, training
                       spec, seed, Keras backend, package versions, hardware — enough to rebuild
    state/             the resume state while training (checkpoints of the last two epochs)
    log.csv            one row per epoch, continued without gap or duplicate after a resume
    <artifacts>        only what a task needs, e.g. vocab.json for token models
    model.weights.h5   the final Keras weights — or params.npz for a NumPy model
    results.json       validation numbers and the total wall time
    COMPLETE           written LAST: a directory without it is an unfinished run

Every file is written atomically (:mod:`mgtutor.files`). :meth:`RunDir.prepare` decides what the
same command does on an existing directory: resume an unfinished run with the same settings,
refuse a finished one (``force`` starts over) and refuse different settings, naming them.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from mgtutor.errors import MgtutorError
from mgtutor.files import atomic_path, atomic_write_text

__all__ = ["RunDirError", "RunDir", "run_name", "check_run_target", "free_bytes", "MIN_FREE_BYTES", "write_manifest",
           "read_manifest",
           "CONFIG_FILE", "LOG_FILE", "RESULTS_FILE", "DONE_FILE",
           "WEIGHTS_FILE", "PARAMS_FILE", "STATE_DIR", "environment_record"]

CONFIG_FILE = "config.json"
LOG_FILE = "log.csv"
RESULTS_FILE = "results.json"
DONE_FILE = "COMPLETE"
WEIGHTS_FILE = "model.weights.h5"
PARAMS_FILE = "params.npz"
STATE_DIR = "state"
RECORD_KEYS = ("environment", "created", "execution")
"""Parts of config.json that describe where a run ran, not what it is (``execution``: devices, distribution,
precision): ignored when comparing settings, so a run started on one machine resumes on another."""


class RunDirError(MgtutorError, ValueError):
    """A run directory is missing, unfinished, finished already, or made with other settings."""


MIN_FREE_BYTES = 64 * 2**20
"""The free disk space a run needs before it starts (checkpoints of two epochs, the log, the final weights)."""


def free_bytes(path: str | os.PathLike) -> int:
    """Free bytes on the file system holding ``path`` (an existing folder)."""
    return shutil.disk_usage(path).free


def check_run_target(path: str | os.PathLike, min_free_bytes: int = MIN_FREE_BYTES) -> Path:
    """Fail now, in one line, if a run directory cannot be written at ``path``: before a corpus is parsed or an
    epoch trained, not at the first checkpoint.

    Checks that ``path`` is a folder or can become one (no part of it is a regular file), that its nearest
    existing folder is writable, and that its disk has ``min_free_bytes`` free (:func:`free_bytes`).
    Returns:
        ``path`` as a Path.
    Raises:
        RunDirError: which check failed, and what to do.
    See: notebooks/10_full_training.ipynb §4.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise RunDirError(f"{path}: exists and is not a folder; choose another --out")
    ancestor = path.absolute()
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise RunDirError(f"{path}: cannot create the run directory, {ancestor} is a file, not a folder; choose "
                          "another --out")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise RunDirError(f"{path}: cannot create the run directory, {ancestor} is not writable; choose another "
                          "--out")
    free = free_bytes(ancestor)
    if free < min_free_bytes:
        raise RunDirError(f"{path}: only {free / 2**20:.1f} MiB free on its disk and a run needs "
                          f"{min_free_bytes / 2**20:.0f} MiB (checkpoints, log, weights); free some space or choose "
                          "another --out")
    return path


def run_name(task: str, model: str, seed: int) -> str:
    """The course's run-directory name, ``<task>-<model>-<seed>`` (e.g. ``melody-lstm-0``)."""
    return f"{task}-{model}-{seed}"


def environment_record() -> dict:
    """Keras backend, package versions and hardware, for config.json (read, never compared)."""
    from importlib import metadata

    versions = {}
    for package in ("mgtutor", "keras", "tensorflow", "tensorflow-cpu", "jax", "numpy"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return {"keras_backend": os.environ.get("KERAS_BACKEND", "tensorflow"), "versions": versions,
            "hardware": {"machine": platform.machine(), "cpus": os.cpu_count(), "python": platform.python_version()}}


def _differences(old, new, prefix: str = "") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in sorted(set(old) | set(new)):
            if not prefix and key in RECORD_KEYS:
                continue
            out += _differences(old.get(key), new.get(key), f"{prefix}{key}.")
        return out
    return [] if old == new else [f"{prefix.rstrip('.')}: {old!r} → {new!r}"]


def _jsonable(value):
    return json.loads(json.dumps(value))


@dataclass
class RunDir:
    """A run directory (see the module docstring); ``path`` is its folder."""

    path: Path

    def __post_init__(self) -> None:
        self.path = Path(self.path)

    # ------------------------------------------------------------------ create / resume
    @classmethod
    def prepare(cls, path: str | os.PathLike, config: dict, force: bool = False) -> RunDir:
        """Start a run in ``path`` or resume it: what running the same command again does.

        * no directory (or an empty one): create it and write ``config.json`` first;
        * an unfinished run with the same settings: resume it (its state and log are kept);
        * a finished run (``COMPLETE``): refuse, unless ``force``, which starts over;
        * an unfinished run with other settings: refuse and name the differences, unless ``force``.

        ``config`` must name ``task`` and ``builder`` and be JSON-serialisable; ``environment`` and
        ``created`` are added here and never compared.
        Raises:
            RunDirError: as above, in one line that says what to do; or ``path`` cannot be written.
        """
        run = cls(path)
        config = _jsonable(config)
        for key in ("task", "builder"):
            if not config.get(key):
                raise RunDirError(f"a run's config needs {key!r}")
        check_run_target(run.path)
        started = run.path.is_dir() and any(run.path.iterdir())
        if started and not force:
            if run.is_complete:
                raise RunDirError(f"{run.path}: this run is already complete; use --force to train it again from "
                                  "scratch, or another --out")
            try:
                old = run.config
            except RunDirError:
                raise RunDirError(f"{run.path}: not a run directory (no readable {CONFIG_FILE}); choose another "
                                  "--out or use --force to start over") from None
            diff = _differences(old, config)
            if diff:
                raise RunDirError(f"{run.path}: an unfinished run with other settings ({'; '.join(diff)}); run the "
                                  "same command to resume it, or use --force to start over")
            return run
        if started:
            if not (run.path / CONFIG_FILE).is_file():
                raise RunDirError(f"{run.path}: holds files but no {CONFIG_FILE}, so it is not a run directory; "
                                  "--force deletes only run directories: choose another --out")
            shutil.rmtree(run.path)
        try:
            run.path.mkdir(parents=True, exist_ok=True)
            record = {**config, "environment": environment_record(), "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
            atomic_write_text(run.path / CONFIG_FILE, json.dumps(record, indent=2, sort_keys=True))
        except OSError as exc:
            raise RunDirError(f"{run.path}: cannot write the run directory ({exc.strerror or exc})") from None
        return run

    @classmethod
    def open(cls, path: str | os.PathLike, task: str | None = None) -> RunDir:
        """An existing, finished run directory (of ``task``, when given).

        Raises:
            RunDirError: no such folder, the run is unfinished, or it is another task's run (the message says
                what to do).
        """
        run = cls(path)
        if not run.path.is_dir():
            raise RunDirError(f"{run.path}: no such run directory; train one with `python -m mgtutor train TASK "
                              f"--out {run.path}`")
        if not run.is_complete:
            raise RunDirError(f"{run.path}: unfinished run (no {DONE_FILE} marker: training was interrupted or is "
                              "still running); run the same train command again to resume it")
        if task is not None and run.config.get("task") != task:
            raise RunDirError(f"{run.path}: a {run.config.get('task')!r} run, not a {task} run")
        return run

    # ------------------------------------------------------------------ reading
    @property
    def config(self) -> dict:
        """The settings in config.json."""
        try:
            return json.loads((self.path / CONFIG_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise RunDirError(f"{self.path / CONFIG_FILE}: not readable ({exc}); train again") from None

    @property
    def is_complete(self) -> bool:
        """True when the completion marker is there (it is written after everything else)."""
        return (self.path / DONE_FILE).is_file()

    @property
    def state_dir(self) -> Path:
        """The folder of the resume state (checkpoints)."""
        return self.path / STATE_DIR

    @property
    def log_path(self) -> Path:
        return self.path / LOG_FILE

    @property
    def results(self) -> dict:
        """results.json of a finished run."""
        try:
            return json.loads((self.path / RESULTS_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise RunDirError(f"{self.path / RESULTS_FILE}: not readable ({exc}); train again") from None

    def artifact(self, name: str) -> Path:
        """The path of an artifact file (e.g. ``vocab.json``); it must exist.

        Raises:
            RunDirError: the run has no such file.
        """
        path = self.path / name
        if not path.is_file():
            raise RunDirError(f"{self.path}: run directory lacks {name}; train again")
        return path

    # ------------------------------------------------------------------ writing
    def save_model(self, model) -> Path:
        """Write the final model: Keras weights to ``model.weights.h5`` — the model's weights only, copied
        into a fresh model from the registry, so no optimizer state (the resume state holds that) — or a
        NumPy model's ``get_params()`` to ``params.npz`` (atomically)."""
        import numpy as np

        if hasattr(model, "get_params"):
            with atomic_path(self.path / PARAMS_FILE, suffix=".npz") as tmp:
                np.savez(tmp, **model.get_params())
            return self.path / PARAMS_FILE
        bare = self.plain_model(model)  # the weights without optimizer state
        with atomic_path(self.path / WEIGHTS_FILE, suffix=".weights.h5") as tmp:
            bare.save_weights(str(tmp), overwrite=True)
        return self.path / WEIGHTS_FILE

    def plain_model(self, model):
        """A fresh model from the registry (config ``builder``, ``builder_kwargs``), float32, on one device, holding
        ``model``'s weights: what a run trained under a distribution strategy or mixed precision hands on."""
        import numpy as np

        from mgtutor.models import build

        cfg = self.config
        bare = build(cfg["builder"], **cfg.get("builder_kwargs", {}))
        bare.set_weights([np.asarray(w) for w in model.get_weights()])
        return bare

    def load_model(self):
        """Rebuild the model through the builder registry (config ``builder`` and ``builder_kwargs``)
        and load its weights or parameters.

        Raises:
            RunDirError: unfinished run, unknown builder, or weights that do not fit the configured model.
        """
        import numpy as np

        from mgtutor.models import ModelConfigError, build

        cfg = self.config
        try:
            model = build(cfg["builder"], **cfg.get("builder_kwargs", {}))
        except (ModelConfigError, TypeError) as exc:
            raise RunDirError(f"{self.path / CONFIG_FILE}: cannot rebuild the model ({exc})") from None
        try:
            if hasattr(model, "set_params"):
                with np.load(self.artifact(PARAMS_FILE)) as params:
                    model.set_params(dict(params))
            else:
                model.load_weights(self.artifact(WEIGHTS_FILE))
        except RunDirError:
            raise
        except Exception as exc:  # h5py/Keras/NumPy raise several types for a corrupt or mismatched file
            raise RunDirError(f"{self.path}: cannot load the saved weights into the configured model "
                              f"({type(exc).__name__}: {exc}); train again") from None
        return model

    def finish(self, results: dict) -> None:
        """Write results.json, then the ``COMPLETE`` marker, then drop the resume state."""
        atomic_write_text(self.path / RESULTS_FILE, json.dumps(_jsonable(results), indent=2, sort_keys=True))
        atomic_write_text(self.path / DONE_FILE, time.strftime("%Y-%m-%dT%H:%M:%S%z\n"))
        shutil.rmtree(self.state_dir, ignore_errors=True)


MANIFEST = "SHA256SUMS"


def write_manifest(folder: str | os.PathLike) -> Path:
    """Write ``SHA256SUMS`` in ``folder``: one ``<sha256>  <relative path>`` line per file below it (sorted), the
    format ``sha256sum -c`` reads. Used for the run directories shipped with the package."""
    import hashlib

    folder = Path(folder)
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST)
    lines = [f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(folder).as_posix()}" for p in files]
    return atomic_write_text(folder / MANIFEST, "\n".join(lines) + "\n")


def read_manifest(folder: str | os.PathLike) -> dict[str, str]:
    """``{relative path: sha256}`` from ``folder``'s ``SHA256SUMS``."""
    text = (Path(folder) / MANIFEST).read_text(encoding="utf-8")
    return {path: digest for digest, path in (line.split("  ", 1) for line in text.splitlines() if line.strip())}
