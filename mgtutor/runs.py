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

Nothing a user owns is lost. A folder is a run only when its ``config.json`` is one this package wrote
(:func:`is_run_config`); ``force`` deletes only the names a run writes (:data:`RUN_ENTRIES`) and refuses,
naming them, when the folder holds anything else; ``--out`` may not be the working folder, the home folder
or an ancestor of the working folder. While a process trains, it holds the run's lock (``.mgtutor.lock``, a
:class:`~mgtutor.files.FileLock`): a second process on the same folder is refused, ``--force`` included.
A fresh run that fails before its first checkpoint removes what it wrote (use a RunDir as a context
manager: ``with RunDir.prepare(...) as run: ...``).
"""

from __future__ import annotations

import json
import math
import os
import platform
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from mgtutor.config import backend
from mgtutor.errors import MgtutorError
from mgtutor.files import FileLock, atomic_path, atomic_write_text

__all__ = ["RunDirError", "RunDir", "run_name", "check_run_target", "check_out_folder", "free_bytes", "MIN_FREE_BYTES",
           "read_json_object", "write_json", "is_run_config", "run_config", "task_name",
           "RUN_TASKS", "RUN_TASK_ALIASES", "CONFIG_FILE", "LOG_FILE", "RESULTS_FILE", "DONE_FILE", "LOCK_FILE",
           "RUN_ENTRIES",
           "WEIGHTS_FILE", "PARAMS_FILE", "STATE_DIR", "MODEL", "environment_record"]

CONFIG_FILE = "config.json"
LOG_FILE = "log.csv"
RESULTS_FILE = "results.json"
DONE_FILE = "COMPLETE"
WEIGHTS_FILE = "model.weights.h5"
PARAMS_FILE = "params.npz"
STATE_DIR = "state"
MODEL = "model"
"""The name of a run's model (:meth:`RunDir.save_model`); a task that saves another model names it otherwise."""
LOCK_FILE = ".mgtutor.lock"
RUN_ENTRIES = frozenset({CONFIG_FILE, LOG_FILE, RESULTS_FILE, DONE_FILE, WEIGHTS_FILE, PARAMS_FILE, STATE_DIR,
                         "vocab.json", "bars.npz", "classifier.weights.h5", "tensorboard"})
"""Every name a run writes in its folder (the tasks' artifacts and notebook 10's ``tensorboard/`` included): all
that ``--force`` ever deletes. A task that writes a new artifact adds its name here."""
CONFIG_KEYS = ("task", "builder", "environment", "created")
"""The keys every config.json this package writes holds (:func:`is_run_config`)."""
RUN_TASKS = frozenset({"melody", "pianoroll", "bar-gan", "gan-toy", "gan-spec"})
"""The tasks of the command line that write run directories (those with a ``train`` verb, :mod:`mgtutor.tasks`): a
new training task adds its name here (``tests/test_user_files.py`` compares the two)."""
RUN_TASK_ALIASES = {"gan-pianoroll": "bar-gan"}
"""A training task's former name → its name (:attr:`mgtutor.tasks.Task.aliases`): a run whose config.json names a
task by an alias (one made before the task was renamed) is that task's run."""
MAX_LISTED = 8
"""How many of a folder's other files a refusal names."""
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

    Checks that ``path`` is not a folder of the user's own (:func:`check_out_folder`), that it is a folder or can
    become one (no part of it is a regular file), that its nearest existing folder is writable, and that its disk has
    ``min_free_bytes`` free (:func:`free_bytes`).
    Returns:
        ``path`` as a Path.
    Raises:
        RunDirError: which check failed, and what to do.
    See: notebooks/10_full_training.ipynb §4.
    """
    path = check_out_folder(path)
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


def task_name(task: str) -> str:
    """The name of the training task ``task`` names, an alias (:data:`RUN_TASK_ALIASES`) or not: what a run's
    ``task`` in config.json is compared by."""
    return RUN_TASK_ALIASES.get(task, task)


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
    return {"keras_backend": backend(), "versions": versions,
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
    return json.loads(json.dumps(value, allow_nan=False))


def write_json(path: str | os.PathLike, value) -> Path:
    """Write ``value`` as strict JSON (atomically): a NaN or an infinity is refused, never written as a bare ``NaN``.

    Raises:
        RunDirError: ``value`` holds a non-finite number (the message names the file).
    """
    try:
        text = json.dumps(value, indent=2, sort_keys=True, allow_nan=False)
    except ValueError:
        raise RunDirError(f"{path}: not written, because it would hold a non-finite number (NaN or infinity): "
                          "training diverged; lower the learning rate and train again") from None
    return atomic_write_text(path, text)


def read_json_object(path: str | os.PathLike, what: str = "train again") -> dict:
    """The JSON object (a dict) in ``path``.

    Raises:
        RunDirError: the file is missing, not JSON, or JSON but not an object; the message ends with ``what`` to do.
    """
    try:
        value = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RunDirError(f"{path}: not readable ({exc}); {what}") from None
    if not isinstance(value, dict):
        raise RunDirError(f"{path}: holds a JSON {type(value).__name__}, not an object; {what}")
    return value


def is_run_config(value) -> bool:
    """Whether ``value`` (a parsed config.json) is one this package wrote: a dict with :data:`CONFIG_KEYS` whose
    ``task`` is a training task of the command line (:data:`RUN_TASKS`, or an alias of one)."""
    return (isinstance(value, dict) and all(key in value for key in CONFIG_KEYS)
            and isinstance(value["task"], str) and task_name(value["task"]) in RUN_TASKS)


def run_config(folder: str | os.PathLike) -> dict | None:
    """The config.json in ``folder`` if it is one this package wrote (:func:`is_run_config`), else None (no file,
    not JSON, or another program's)."""
    try:
        value = json.loads((Path(folder) / CONFIG_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if is_run_config(value) else None


def check_out_folder(path: str | os.PathLike) -> Path:
    """Refuse a run directory that is the working folder, the home folder or an ancestor of the working folder:
    folders that hold a user's own files, whatever they contain.

    Raises:
        RunDirError: naming the folder and what it is.
    """
    path = Path(path)
    target = path.resolve()
    cwd, home = Path.cwd().resolve(), Path.home().resolve()
    what = ("the working folder" if target == cwd else "the home folder" if target == home
            else "an ancestor of the working folder" if cwd.is_relative_to(target) else None)
    if what:
        raise RunDirError(f"{path}: is {what}; a run needs a folder of its own: choose another --out "
                          "(e.g. runs/NAME)")
    return path


_TEMPORARY = re.compile(r"\.(?P<entry>.+)\.[a-z0-9_]{8}\.[a-z0-9.]+")
"""The name of the temporary file an interrupted atomic write leaves (:func:`mgtutor.files.atomic_path`)."""


def _run_owned(name: str) -> bool:
    """Whether ``name`` in a run's folder is one a run writes: an entry of :data:`RUN_ENTRIES`, the lock, or the
    temporary file an interrupted atomic write of one of them left (``.<name>.<8 random characters><suffix>``; an
    editor's ``.results.json.swp`` is not one)."""
    temporary = _TEMPORARY.fullmatch(name)
    return name in RUN_ENTRIES or name == LOCK_FILE or (temporary is not None and temporary["entry"] in RUN_ENTRIES)


def _listing(names) -> str:
    names = sorted(names)
    shown = ", ".join(repr(n) for n in names[:MAX_LISTED])
    return shown + (f" and {len(names) - MAX_LISTED} more" if len(names) > MAX_LISTED else "")


def _remove_entry(path: Path) -> None:
    """Delete one run entry; a symbolic link is removed as a link (never followed)."""
    if path.is_symlink() or not path.is_dir():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path)


_HELD: dict[Path, FileLock] = {}
"""The run locks this process holds, by folder. The lock is the process's: a second ``prepare`` of the same folder
in the same process (a notebook cell run again after an error) shares it instead of waiting for itself, and the
first of them to finish lets it go."""


@dataclass
class RunDir:
    """A run directory (see the module docstring); ``path`` is its folder.

    :meth:`prepare` returns it holding the run's lock; :meth:`finish` (or leaving a ``with`` block) lets it go.
    """

    path: Path
    _fresh: bool = field(default=False, repr=False, compare=False)
    _made: list = field(default_factory=list, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.path = Path(self.path)

    # ------------------------------------------------------------------ create / resume
    @classmethod
    def prepare(cls, path: str | os.PathLike, config: dict, force: bool = False) -> RunDir:
        """Start a run in ``path`` or resume it: what running the same command again does.

        * no directory (or an empty one): create it and write ``config.json`` first;
        * an unfinished run with the same settings: resume it (its state and log are kept);
        * a finished run (``COMPLETE``): refuse, unless ``force``, which starts over;
        * an unfinished run with other settings, or another task's run: refuse and name the differences, unless
          ``force``;
        * a folder that is not a run (files but no config.json of this package's): refuse, ``force`` or not;
        * ``force`` deletes only the run's own files (:data:`RUN_ENTRIES`) and refuses, naming them, when the
          folder holds others.

        The returned RunDir holds the run's lock until :meth:`finish` or the end of its ``with`` block.
        ``config`` must name ``task`` and ``builder`` and be JSON-serialisable (no NaN); ``environment`` and
        ``created`` are added here and never compared.
        Raises:
            RunDirError: as above, in one line that says what to do; another process holds the run; or ``path``
                cannot be written (:func:`check_out_folder`, :func:`check_run_target`).
        """
        run = cls(path)
        for key in ("task", "builder"):
            if not config.get(key):
                raise RunDirError(f"a run's config needs {key!r}")
        try:
            config = _jsonable(config)
        except ValueError:
            raise RunDirError(f"{run.path}: a setting is not a finite number ({config.get('training')!r})") from None
        check_run_target(run.path)
        if run.path.is_dir():  # a folder that is no run is refused before anything is written in it
            names = [p.name for p in run.path.iterdir() if p.name != LOCK_FILE]
            if names:
                run._existing_config(names)
        run._made = [p for p in (run.path, *run.path.absolute().parents) if not p.exists()]
        try:
            run.path.mkdir(parents=True, exist_ok=True)
            run._lock()
            run._start(config, force)
        except OSError as exc:
            run._abandon()
            raise RunDirError(f"{run.path}: cannot write the run directory ({exc.strerror or exc})") from None
        except BaseException:
            run._abandon()
            raise
        return run

    def _start(self, config: dict, force: bool) -> None:
        """Under the lock: resume, refuse, or clear the run's own files and write config.json (see :meth:`prepare`)."""
        names = [p.name for p in self.path.iterdir() if p.name != LOCK_FILE]
        if names:
            old = self._existing_config(names)
            task = config["task"]
            if not force:
                if task_name(old["task"]) != task_name(task):
                    state = "a finished" if self.is_complete else "an unfinished"
                    raise RunDirError(f"{self.path}: holds {state} {old['task']} run, not a {task} run; choose "
                                      f"another --out (--force deletes that {old['task']} run)")
                if self.is_complete:
                    raise RunDirError(f"{self.path}: this {task} run is already complete; use --force to train it "
                                      "again from scratch, or another --out")
                diff = _differences({**old, "task": task_name(old["task"])}, {**config, "task": task_name(task)})
                if diff:
                    shown = "; ".join(diff[:MAX_LISTED]) + (f"; and {len(diff) - MAX_LISTED} more" if len(diff) >
                                                             MAX_LISTED else "")
                    raise RunDirError(f"{self.path}: an unfinished {task} run with other settings ({shown}); run "
                                      "the same command to resume it, or use --force to start over")
                return
            others = [n for n in names if not _run_owned(n)]
            if others:
                raise RunDirError(f"{self.path}: --force deletes only a run's own files, and this folder also holds "
                                  f"{_listing(others)}; move them elsewhere or choose another --out")
            for name in names:
                _remove_entry(self.path / name)
        record = {**config, "environment": environment_record(), "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        atomic_write_text(self.path / CONFIG_FILE, json.dumps(record, indent=2, sort_keys=True))
        self._fresh = True

    def _existing_config(self, names: list[str]) -> dict:
        """The config of the run already in the folder (which holds ``names``); refuse a folder that is no run."""
        if CONFIG_FILE not in names:
            raise RunDirError(f"{self.path}: holds files ({_listing(names)}) but no {CONFIG_FILE}, so it is not a "
                              "run directory, and nothing in it is touched; choose another --out")
        old = run_config(self.path)
        if old is None:
            raise RunDirError(f"{self.path}: its {CONFIG_FILE} is not one an mgtutor run wrote, so the folder is not "
                              "a run directory, and nothing in it is touched; choose another --out")
        return old

    # ------------------------------------------------------------------ the lock
    def _lock(self) -> None:
        key = self.path.resolve()
        if key in _HELD:  # this process holds it already (an earlier prepare that ended in an error)
            return
        lock = FileLock(self.path / LOCK_FILE)
        if not lock.try_acquire():
            pid = lock.holder
            raise RunDirError(f"{self.path}: run directory is in use by {f'PID {pid}' if pid else 'another process'}; "
                              "wait for it to finish, or choose another --out")
        _HELD[key] = lock

    def release(self) -> None:
        """Let the run's lock go (if this process holds it); :meth:`finish` and the end of a ``with`` block call
        it."""
        lock = _HELD.pop(self.path.resolve(), None)
        if lock is not None:
            lock.release()

    def _abandon(self) -> None:
        """After a failure: a fresh run with no checkpoint yet removes what it wrote and the folders it made; then
        the lock goes."""
        try:
            if self._fresh and not self.is_complete and not _has_files(self.state_dir) and self.path.is_dir():
                for entry in self.path.iterdir():
                    if _run_owned(entry.name) and entry.name != LOCK_FILE:
                        _remove_entry(entry)
                self._fresh = False
        finally:
            self.release()
        for folder in self._made:  # deepest first; only the ones this prepare made, and only when empty
            try:
                folder.rmdir()
            except OSError:
                break

    def __enter__(self) -> RunDir:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self._abandon()
        else:
            self.release()

    @classmethod
    def open(cls, path: str | os.PathLike, task: str | None = None) -> RunDir:
        """An existing, finished run directory (of ``task``, when given: its config.json may name the task by an
        alias, :func:`task_name`).

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
        if task is not None:
            other = run.config.get("task")
            if not isinstance(other, str) or task_name(other) != task_name(task):
                raise RunDirError(f"{run.path}: a {other!r} run, not a {task} run" if isinstance(other, str) else
                                  f"{run.path}: its {CONFIG_FILE} names no task, so it is not a {task} run")
        return run

    # ------------------------------------------------------------------ reading
    @property
    def config(self) -> dict:
        """The settings in config.json.

        Raises:
            RunDirError: missing, not JSON, or not a JSON object.
        """
        return read_json_object(self.path / CONFIG_FILE)

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
        return read_json_object(self.path / RESULTS_FILE)

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
    def model_files(self, name: str = MODEL) -> tuple[Path, Path]:
        """The files of model ``name``: its Keras weights and its NumPy parameters (``model.weights.h5`` and
        ``params.npz`` for the run's model; ``<name>.weights.h5`` and ``<name>.params.npz`` for another)."""
        if name == MODEL:
            return self.path / WEIGHTS_FILE, self.path / PARAMS_FILE
        return self.path / f"{name}.weights.h5", self.path / f"{name}.params.npz"

    def model_spec(self, name: str = MODEL) -> tuple[str, dict]:
        """The builder and its kwargs of model ``name``: config.json's ``builder`` and ``builder_kwargs`` for the
        run's model, ``config[name]["builder"]`` and ``["builder_kwargs"]`` for another (e.g. the spectrogram GAN's
        ``classifier``).

        Raises:
            RunDirError: config.json does not describe that model.
        """
        cfg = self.config
        spec = cfg if name == MODEL else cfg.get(name)
        if not isinstance(spec, dict) or not isinstance(spec.get("builder"), str):
            raise RunDirError(f"{self.path / CONFIG_FILE}: names no builder for the model {name!r}; train again")
        return spec["builder"], spec.get("builder_kwargs", {})

    def save_model(self, model, name: str = MODEL) -> Path:
        """Write the final model ``name`` (:meth:`model_files`): Keras weights — the model's weights only, copied
        into a fresh model from the registry, so no optimizer state (the resume state holds that) — or a NumPy
        model's ``get_params()`` (atomically)."""
        import numpy as np

        weights, params = self.model_files(name)
        if hasattr(model, "get_params"):
            with atomic_path(params, suffix=".npz") as tmp:
                np.savez(tmp, **model.get_params())
            return params
        bare = self.plain_model(model, name)  # the weights without optimizer state
        with atomic_path(weights, suffix=".weights.h5") as tmp:
            bare.save_weights(str(tmp), overwrite=True)
        return weights

    def plain_model(self, model, name: str = MODEL):
        """A fresh model ``name`` from the registry (:meth:`model_spec`), float32, on one device, holding ``model``'s
        weights: what a run trained under a distribution strategy or mixed precision hands on."""
        import numpy as np

        from mgtutor.models import build

        builder, kwargs = self.model_spec(name)
        bare = build(builder, **kwargs)
        bare.set_weights([np.asarray(w) for w in model.get_weights()])
        return bare

    def load_model(self, name: str = MODEL):
        """Rebuild model ``name`` through the builder registry (:meth:`model_spec`) and load its weights or
        parameters (:meth:`model_files`).

        Raises:
            RunDirError: unfinished run, unknown builder, or weights that do not fit the configured model.
        """
        import numpy as np

        from mgtutor.models import ModelConfigError, build

        builder, kwargs = self.model_spec(name)
        try:
            model = build(builder, **kwargs)
        except (ModelConfigError, TypeError) as exc:
            raise RunDirError(f"{self.path / CONFIG_FILE}: cannot rebuild the model ({exc})") from None
        weights, params = self.model_files(name)
        try:
            if hasattr(model, "set_params"):
                with np.load(self.artifact(params.name)) as values:
                    model.set_params(dict(values))
            else:
                model.load_weights(self.artifact(weights.name))
        except RunDirError:
            raise
        except Exception as exc:  # h5py/Keras/NumPy raise several types for a corrupt or mismatched file
            raise RunDirError(f"{self.path}: cannot load the saved weights into the configured model "
                              f"({type(exc).__name__}: {exc}); train again") from None
        return model

    def finish(self, results: dict) -> None:
        """Write results.json, then the ``COMPLETE`` marker, then drop the resume state and let the lock go.

        Raises:
            RunDirError: a result is not a finite number (a diverged run): nothing is written and the run stays
                unfinished.
        """
        bad = sorted(_non_finite(results))
        if bad:
            raise RunDirError(f"{self.path}: training diverged ({', '.join(bad[:MAX_LISTED])} not a finite number); "
                              "the run is not marked complete: lower the learning rate and train again with --force")
        write_json(self.path / RESULTS_FILE, _jsonable(results))
        atomic_write_text(self.path / DONE_FILE, time.strftime("%Y-%m-%dT%H:%M:%S%z\n"))
        shutil.rmtree(self.state_dir, ignore_errors=True)
        self.release()


def _non_finite(value, prefix: str = "") -> list[str]:
    """The keys (dotted) of the numbers in ``value`` that are NaN or infinite."""
    if isinstance(value, dict):
        return [k for key, v in value.items() for k in _non_finite(v, f"{prefix}{key}.")]
    if isinstance(value, (list, tuple)):
        return [k for i, v in enumerate(value) for k in _non_finite(v, f"{prefix}{i}.")]
    if isinstance(value, float) and not math.isfinite(value):
        return [prefix.rstrip(".")]
    return []


def _has_files(folder: Path) -> bool:
    return folder.is_dir() and any(p.is_file() for p in folder.rglob("*"))

