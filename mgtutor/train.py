"""Training: one fit function for every Keras model, with a time budget and safe resume.

Part of mgtutor. See notebooks/06_melody_generation.ipynb §2 (training) and notebook 10 (resume).

:func:`fit_run` trains a model *built by a function you pass* (so a distribution scope or a
mixed-precision policy can wrap its creation) on :class:`~mgtutor.data.EpochData` splits, inside
a :class:`~mgtutor.runs.RunDir`:

* :class:`RunCheckpoint` (a thin subclass of Keras' ``BackupAndRestore``) saves the weights —
  optimizer state included, every optimizer of a GAN too — at the end of each epoch, atomically, with
  its SHA-256, keeping the previous good checkpoint; a damaged latest checkpoint (checksum mismatch,
  unreadable) falls back to the previous one with a one-line :class:`CheckpointWarning`;
* :class:`BestCheckpoint` keeps the best epoch's weights and early-stops with a patience that both
  survive a resume; :func:`warmup_cosine` is a schedule of the epoch alone; :class:`EventLog` writes
  TensorBoard event files; :class:`ProgressLine` prints one line per epoch with an ETA;
* :class:`TimeBudget` stops training once the run's *total* training time, across resumes, passes
  the budget; :class:`CpuClock` adds up the CPU seconds spent in ``fit``;
* ``log.csv`` is reconciled on resume: rows of epochs that will be trained again are dropped, so
  the log has no gap and no duplicate epoch;
* epoch e's data is a function of (seed, e) only, so a resumed run sees the same batches as an
  uninterrupted one.

Each task trains through it (the melody model of notebook 06: :func:`mgtutor.tasks.melody.train`).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from mgtutor.data.windows import EpochData
from mgtutor.distribute import TrainingPlan
from mgtutor.errors import CheckpointWarning, TrainError
from mgtutor.files import atomic_path, atomic_write_text, sha256_file
from mgtutor.runs import RunDir, RunDirError

__all__ = ["TrainError", "TimeBudget", "CpuClock", "ProgressLine", "format_seconds", "RunCheckpoint",
           "CheckpointWarning", "BestCheckpoint", "warmup_cosine", "EventLog", "read_events",
           "FitResult", "fit_run", "read_log", "StopOnNonFinite", "reconcile_log"]


class TimeBudget(keras.callbacks.Callback):
    """Stop training once ``seconds`` of training time have passed, counting ``spent`` from earlier sessions.

    It checks after every batch, so a run overshoots by at most one batch. ``seconds=None`` = no limit.
    See: notebooks/06_melody_generation.ipynb §2.
    """

    def __init__(self, seconds: float | None = None, spent: float = 0.0) -> None:
        super().__init__()
        if seconds is not None and not seconds > 0:
            raise TrainError(f"the time budget must be > 0, got {seconds!r}")
        self.seconds, self.spent, self.stopped_early, self._start = seconds, float(spent), False, None

    @property
    def total(self) -> float:
        """Training seconds so far, earlier sessions included."""
        return self.spent + (time.monotonic() - self._start if self._start is not None else 0.0)

    @property
    def exhausted(self) -> bool:
        return self.seconds is not None and self.total >= self.seconds

    def on_train_begin(self, logs=None):
        self._start = time.monotonic()

    def on_train_batch_end(self, batch, logs=None):
        if self.exhausted:
            self.model.stop_training = True
            self.stopped_early = True

    def on_train_end(self, logs=None):
        self.spent, self._start = self.total, None


class CpuClock(keras.callbacks.Callback):
    """Add up this process's CPU seconds (all threads) spent inside ``fit``: its ``seconds``.

    On a shared machine the wall-clock time of a run depends on the other jobs; the CPU time much less.
    See: notebooks/09_gans_music_audio.ipynb.
    """

    seconds = 0.0

    def on_train_begin(self, logs=None):
        self._start = time.process_time()

    def on_train_end(self, logs=None):
        self.seconds += time.process_time() - self._start


def format_seconds(seconds: float) -> str:
    """``"42 s"``, ``"3 min 05 s"``, ``"2 h 07 min"``: a duration for a progress line."""
    seconds = max(int(round(seconds)), 0)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


class ProgressLine(keras.callbacks.Callback):
    """One line per epoch on stdout: ``epoch 3/30: loss 2.1234, val_loss 2.3456, 4.1 s, ETA 1 min 50 s``.

    The ETA is the mean epoch time of this session times the epochs left. A resumed run first says where it
    resumes. See: notebooks/10_full_training.ipynb §3.
    """

    def __init__(self, epochs: int, stream=None) -> None:
        super().__init__()
        self.epochs, self.stream, self.times, self._start = int(epochs), stream, [], None

    def _print(self, text: str) -> None:
        import sys

        print(text, file=self.stream or sys.stdout, flush=True)

    def on_epoch_begin(self, epoch, logs=None):
        if not self.times and epoch > 0:
            done = "epoch 1 is" if epoch == 1 else f"epochs 1–{epoch} are"
            self._print(f"resuming at epoch {epoch + 1}/{self.epochs} ({done} in the checkpoint)")
        self._start = time.monotonic()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.monotonic() - self._start)
        logs = logs or {}
        values = [f"{k} {float(logs[k]):.4f}" for k in ("loss", "val_loss") if k in logs]
        eta = sum(self.times) / len(self.times) * (self.epochs - epoch - 1)
        self._print(f"epoch {epoch + 1}/{self.epochs}: {', '.join([*values, format_seconds(self.times[-1])])}, "
                    f"ETA {format_seconds(eta)}")


def warmup_cosine(epoch: int, base_lr: float, epochs: int, warmup: int = 0, final_fraction: float = 0.05) -> float:
    """The learning rate of ``epoch`` (0-based): a linear warm-up over ``warmup`` epochs, then a cosine from
    ``base_lr`` down to ``final_fraction · base_lr`` at the last epoch.

    η_e = η₀ (e + 1) / W for e < W;  η_e = η₀ [f + (1 − f)(1 + cos(π (e − W) / (E − W − 1))) / 2] after.

    A function of the epoch number only, so a resumed run gets exactly the rates an uninterrupted one would
    (``keras.callbacks.LearningRateScheduler(lambda e, lr: warmup_cosine(e, ...))``); a schedule with its own
    counters (``ReduceLROnPlateau``) starts them afresh after a crash.
    Raises:
        TrainError: a non-positive rate or epoch count, warm-up not shorter than the run, f outside (0, 1].
    See: notebooks/10_full_training.ipynb §3.
    """
    import math

    if not base_lr > 0 or epochs < 1 or not 0 <= warmup < epochs or not 0 < final_fraction <= 1:
        raise TrainError(f"need base_lr > 0, epochs ≥ 1, 0 ≤ warmup < epochs and 0 < final_fraction ≤ 1; got "
                         f"{base_lr}, {epochs}, {warmup}, {final_fraction}")
    if epoch < warmup:
        return base_lr * (epoch + 1) / warmup
    span = max(epochs - warmup - 1, 1)
    progress = min(max(epoch - warmup, 0) / span, 1.0)
    return base_lr * (final_fraction + (1 - final_fraction) * (1 + math.cos(math.pi * progress)) / 2)


STATE_FILE = "state.json"


class StopOnNonFinite(keras.callbacks.Callback):
    """Stop training at the first batch whose loss (any log ending in ``loss``) is NaN or infinite, by raising
    :class:`TrainError` before the epoch ends: the epoch's checkpoint is never written, so nothing diverged is saved
    and the run is never marked complete. (Keras' ``TerminateOnNaN`` lets the epoch end, and its checkpoint
    would hold the NaN weights.)"""

    epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        bad = sorted(k for k, v in (logs or {}).items() if k.endswith("loss") and not math.isfinite(float(v)))
        if bad:
            raise TrainError(f"training diverged: {', '.join(bad)} became {float(logs[bad[0]])} at epoch "
                             f"{self.epoch + 1}, batch {batch + 1}; nothing of that epoch was saved: lower the "
                             "learning rate and train again")


class RunCheckpoint(keras.callbacks.BackupAndRestore):
    """Keras' ``BackupAndRestore``, made atomic and able to restore before ``fit`` starts.

    At the end of each epoch k it writes ``epoch-k.weights.h5`` (model and optimizer variables) to a
    temporary file and renames it into place, then atomically replaces ``state.json`` — the commit
    point — which names the new checkpoint and its SHA-256, the previous one, the training seconds so far and the
    states of the model's random-seed generators (dropout masks; ``save_weights`` leaves them out), so a
    resumed run draws the masks an uninterrupted one would. Only
    those two checkpoints are kept. A kill at any moment leaves a consistent state: the new epoch or
    the previous one, never weights of one epoch labelled with another.

    :meth:`restore` loads the latest checkpoint whose bytes match their checksum and which loads (falling
    back to the previous one, with a one-line :class:`CheckpointWarning`) *before* ``fit``, so the caller
    knows the epoch to resume at and can
    start the data stream there. Every optimizer is built first (``model.build_optimizers()`` when a
    model has several, as a GAN does) so its state is restored too.
    See: notebook 10 (resume).
    """

    def __init__(self, state_dir: str | Path, budget: TimeBudget | None = None) -> None:
        super().__init__(str(state_dir), save_freq="epoch", double_checkpoint=True, delete_checkpoint=False)
        self.state_dir, self.budget = Path(state_dir), budget

    def _state(self) -> dict | None:
        path = self.state_dir / STATE_FILE
        if not path.is_file():
            return None
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise RunDirError(f"{path}: unreadable resume state ({exc}); use --force to start over") from None
        if not isinstance(state, dict) or not isinstance(state.get("weights"), str):
            raise RunDirError(f"{path}: unreadable resume state (not a checkpoint record); use --force to start over")
        return state

    def restore(self, model) -> tuple[int, float]:
        """Load the latest good checkpoint into ``model``; return (epochs done, training seconds so far).

        A fresh run returns (0, 0.0) and loads nothing.
        Raises:
            RunDirError: neither checkpoint can be read.
        """
        state = self._state()
        if state is None:
            return 0, 0.0
        if hasattr(model, "build_optimizers"):
            model.build_optimizers()
        elif model.optimizer is not None and not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
        entries = [state, state.get("previous")]
        for entry, fallback in zip(entries, entries[1:] + [None], strict=True):
            if not entry:
                continue
            path = self.state_dir / entry["weights"]
            problem = _checkpoint_problem(path, entry.get("sha256"))
            if problem is None:
                try:
                    model.load_weights(path)
                except Exception as exc:  # a truncated or corrupt .h5 raises OSError, ValueError, KeyError…
                    problem = f"unreadable ({type(exc).__name__})"
            if problem is not None:
                then = f"using the previous checkpoint (epoch {fallback['epoch']})" if fallback else \
                    "no earlier checkpoint"
                warnings.warn(f"{path}: {problem}; {then}", CheckpointWarning, stacklevel=2)
                continue
            for variable, value in zip(_seed_states(model), entry.get("seeds", []), strict=False):
                variable.assign(np.asarray(value, dtype=variable.dtype))
            self._current_epoch = model._initial_epoch = int(entry["epoch"])
            return int(entry["epoch"]), float(entry["seconds"])
        raise RunDirError(f"{self.state_dir}: no readable checkpoint; use --force to start over")

    def on_train_begin(self, logs=None):
        """Nothing to do: :meth:`restore` ran before ``fit``."""

    def _save_model(self):
        epoch = int(self._current_epoch)
        name = f"epoch-{epoch:04d}.weights.h5"
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with atomic_path(self.state_dir / name, suffix=".weights.h5") as tmp:
            self.model.save_weights(str(tmp), overwrite=True)
            digest = sha256_file(tmp)
        old = self._state()
        entry = {"epoch": epoch, "weights": name, "sha256": digest,
                 "seconds": self.budget.total if self.budget else 0.0,
                 "seeds": [np.asarray(v).tolist() for v in _seed_states(self.model)]}
        previous = {k: old.get(k) for k in entry} if old and old["weights"] != name else None
        atomic_write_text(self.state_dir / STATE_FILE, json.dumps({**entry, "previous": previous}))
        keep = {name, previous["weights"] if previous else None}
        for f in self.state_dir.glob("epoch-*.weights.h5"):
            if f.name not in keep:
                f.unlink(missing_ok=True)


class BestCheckpoint(keras.callbacks.Callback):
    """Keep the weights of the best epoch so far (by ``monitor``), stop after ``patience`` epochs without a better
    one, and end training with the best weights — across resumes.

    Keras' ``EarlyStopping(restore_best_weights=True)`` keeps the best weights in memory and starts counting
    afresh in every ``fit``, so a run killed and resumed would forget them. This callback writes them to
    ``best-epoch-K.weights.h5`` in ``folder`` (atomically, before the epoch's checkpoint commits) and, on a resume,
    reads the best value and the epochs since it from ``log_path`` (the log already cut back to the resumed
    epoch by :func:`reconcile_log`), so a resumed run stops and ends exactly where an uninterrupted one would.
    See: notebooks/10_full_training.ipynb §3.
    """

    def __init__(self, folder: str | Path, log_path: str | Path, monitor: str = "val_loss", mode: str = "min",
                 patience: int | None = None) -> None:
        super().__init__()
        if mode not in ("min", "max"):
            raise TrainError(f"mode must be 'min' or 'max', got {mode!r}")
        self.folder, self.log_path, self.monitor, self.mode, self.patience = Path(folder), Path(log_path), monitor, \
            mode, patience
        self.best, self.best_epoch, self.wait = None, None, 0

    def _better(self, value: float) -> bool:
        return self.best is None or (value < self.best if self.mode == "min" else value > self.best)

    def _path(self, epoch: int) -> Path:
        return self.folder / f"best-epoch-{epoch:04d}.weights.h5"

    def on_train_begin(self, logs=None):
        log = read_log(self.log_path)
        self.best, self.best_epoch, self.wait = None, None, 0
        for epoch, value in zip(log.get("epoch", []), log.get(self.monitor, []), strict=False):
            if self._better(value):
                self.best, self.best_epoch, self.wait = value, int(epoch), 0
            else:
                self.wait += 1
        if self.best_epoch is not None and not self._path(self.best_epoch).is_file():
            self.best, self.best_epoch, self.wait = None, None, 0  # its weights are gone: count afresh
        self._drop_others()

    def _drop_others(self) -> None:
        for f in self.folder.glob("best-epoch-*.weights.h5"):
            if self.best_epoch is None or f != self._path(self.best_epoch):
                f.unlink(missing_ok=True)

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None:
            raise TrainError(f"{self.monitor!r} is not in the logs ({', '.join(sorted(logs or {}))}); monitor one of "
                             "them")
        if self._better(float(value)):
            self.best, self.best_epoch, self.wait = float(value), int(epoch), 0
            self.folder.mkdir(parents=True, exist_ok=True)
            with atomic_path(self._path(epoch), suffix=".weights.h5") as tmp:
                self.model.save_weights(str(tmp), overwrite=True)
            self._drop_others()
        else:
            self.wait += 1
            if self.patience is not None and self.wait >= self.patience:
                self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.best_epoch is not None and self._path(self.best_epoch).is_file():
            self.model.load_weights(self._path(self.best_epoch))


class EventLog(keras.callbacks.Callback):
    """TensorBoard event files of every epoch's logs, written with TensorFlow alone.

    ``log_dir/train`` gets the training values (``epoch_loss``, ``epoch_nll``, …), ``log_dir/validation`` the
    ``val_`` ones under the same tags, at step = epoch — the layout of Keras' ``TensorBoard`` callback, which
    needs the separate ``tensorboard`` package (TensorFlow 2.21 no longer installs it). The viewer reads them:
    ``pip install tensorboard; tensorboard --logdir runs/``. A resumed run adds an event file per session.
    See: notebooks/10_full_training.ipynb §3.
    """

    def __init__(self, log_dir: str | Path) -> None:
        super().__init__()
        self.log_dir, self._writers = Path(log_dir), {}

    def _writer(self, folder: str):
        import tensorflow as tf

        if folder not in self._writers:
            self._writers[folder] = tf.summary.create_file_writer(str(self.log_dir / folder))
        return self._writers[folder]

    def on_epoch_end(self, epoch, logs=None):
        import tensorflow as tf
        from tensorflow.core.framework import summary_pb2

        metadata = summary_pb2.SummaryMetadata()
        metadata.plugin_data.plugin_name = "scalars"  # what TensorBoard's scalar dashboard reads
        for key, value in (logs or {}).items():
            folder, name = ("validation", key[4:]) if key.startswith("val_") else ("train", key)
            with self._writer(folder).as_default():
                tf.summary.write(f"epoch_{name}", tf.constant(float(value), tf.float32), step=int(epoch),
                                 metadata=metadata)
        for writer in self._writers.values():
            writer.flush()

    def on_train_end(self, logs=None):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}


def read_events(folder: str | Path) -> dict[str, list[tuple[int, float]]]:
    """The scalars of the TensorBoard event files in ``folder`` (one run's ``train`` or ``validation``), by tag:
    ``{"epoch_loss": [(step, value), ...]}`` in file order.

    See: notebooks/10_full_training.ipynb §3.
    """
    import tensorflow as tf
    from tensorflow.core.util import event_pb2

    out: dict[str, list[tuple[int, float]]] = {}
    for path in sorted(Path(folder).glob("events.out.tfevents.*")):
        for record in tf.data.TFRecordDataset(str(path)):
            event = event_pb2.Event.FromString(record.numpy())
            for value in event.summary.value:
                number = float(tf.make_ndarray(value.tensor)) if value.HasField("tensor") else value.simple_value
                out.setdefault(value.tag, []).append((int(event.step), number))
    return out


def _checkpoint_problem(path: Path, sha256: str | None) -> str | None:
    """Why the checkpoint ``path`` cannot be trusted (missing, or not the bytes that were written), or None."""
    if not path.is_file():
        return "missing"
    if sha256 is not None and sha256_file(path) != sha256:
        return "checksum mismatch (the file changed after it was written)"
    return None


def _seed_states(model) -> list:
    """The state variables of a model's random-seed generators (dropout, noise layers), in a fixed order."""
    return [v for v in model.non_trainable_variables if v.path.endswith("seed_generator_state")]


def read_log(path: str | Path) -> dict[str, list[float]]:
    """``log.csv`` as columns: ``{"epoch": [...], "loss": [...], ...}`` (empty when there is no log; NaN for NA).

    The ``epoch`` column holds integers counted from 0, as Keras' ``CSVLogger`` writes them (epoch e of the log is
    epoch e + 1 of the progress lines, which count from 1); every other column holds floats.
    See: notebooks/10_full_training.ipynb §3 and §5.
    """
    path = Path(path)
    if not path.is_file():
        return {}
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    columns = {key: [float("nan") if r[key] in ("", "NA") else float(r[key]) for r in rows]
               for key in (rows[0] if rows else {})}
    if "epoch" in columns:
        columns["epoch"] = [int(e) for e in columns["epoch"]]
    return columns


def reconcile_log(path: str | Path, first_epoch: int) -> None:
    """Keep only the rows of epochs before ``first_epoch`` (the ones the resumed run will not repeat)."""
    path = Path(path)
    if not path.is_file():
        return
    if first_epoch == 0:
        path.unlink()
        return
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    reader = csv.DictReader(lines)
    kept = [line for line, row in zip(lines[1:], reader, strict=False) if int(float(row["epoch"])) < first_epoch]
    atomic_write_text(path, "".join(lines[:1] + kept))


@contextlib.contextmanager
def _op_determinism(on: bool):
    """TensorFlow's deterministic kernels for the duration of a ``fit`` (and back to the previous setting).

    The one place the course turns them on: with them on, TensorFlow 2.21 logs a NodeDef line to stderr
    whenever Keras feeds NumPy arrays through its parallel ``map`` (``predict``/``fit`` on arrays), and
    :func:`fit_run` feeds its own tf.data pipeline, which has no such ``map``.
    """
    if not on or keras.backend.backend() != "tensorflow":
        yield
        return
    from tensorflow.python.framework import config as tf_config

    was = tf_config.is_op_determinism_enabled()
    tf_config.enable_op_determinism()
    try:
        yield
    finally:
        if not was:
            tf_config.disable_op_determinism()


@dataclass
class FitResult:
    """What :func:`fit_run` did: the trained model, the whole log, and how the run ended."""

    model: object
    history: dict
    epochs_run: int
    resumed_at: int
    stopped_by_budget: bool
    train_seconds: float


def fit_run(run: RunDir, build: Callable[[], object], train: EpochData, valid: EpochData | None = None,
            epochs: int = 1, time_budget_s: float | None = None, callbacks: Sequence = (), verbose: int = 0,
            deterministic: bool = True, plan=None) -> FitResult:
    """Train (or resume) a Keras model in a run directory, then save its final weights there.

    Args:
        run: the run directory (:meth:`RunDir.prepare` has written its config).
        build: returns a new *compiled* model (called once, inside the plan's dtype policy and distribution).
        train, valid: the splits; epoch e of ``train`` is fed as epoch e.
        epochs: the epoch to stop after (counted from the start of the run, not of this session).
        time_budget_s: stop once the run's total training time passes this (None = no limit).
        callbacks: more Keras callbacks.
        verbose: ``fit`` verbosity (2 = a line per epoch).
        deterministic: ask TensorFlow for deterministic kernels (same seed ⇒ same weights, also after a resume).
        plan: a :class:`mgtutor.distribute.TrainingPlan` (mixed precision, XLA, several devices or machines),
            which builds the model in its scope and trains it with its engine (:meth:`TrainingPlan.fit`);
            None = this device, Keras' defaults. Under ``multi-worker`` each worker passes its own run directory
            (:meth:`TrainingPlan.run_path`) and sees its share of every global batch
            (:class:`mgtutor.distribute.WorkerShard`).
    Returns:
        :class:`FitResult` (``history`` is the whole ``log.csv``, earlier sessions included; ``model`` is a
        plain one-device model when the plan distributed the training).
    Raises:
        TrainError: ``epochs`` < 1. RunDirError: unreadable resume state.
    See: notebooks/06_melody_generation.ipynb §2; notebooks/10_full_training.ipynb.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise TrainError(f"epochs must be a positive integer, got {epochs!r}")
    explicit, plan = plan is not None, plan or TrainingPlan(backend=keras.backend.backend())
    budget = TimeBudget(time_budget_s)
    checkpoint = RunCheckpoint(run.state_dir, budget)
    with plan.scope():
        model = build()
        if explicit:
            model.jit_compile = plan.jit_compile
        first, budget.spent = checkpoint.restore(model)
        reconcile_log(run.log_path, first)
        if first < epochs and not budget.exhausted:
            log = keras.callbacks.CSVLogger(str(run.log_path), append=True)
            every = [StopOnNonFinite(), budget, log, *callbacks, checkpoint]  # the checkpoint's commit comes last
            with _op_determinism(deterministic):
                plan.fit(model, train, valid, first, epochs, every, verbose)
    if plan.engine is not None:
        model = run.plain_model(model)
    run.save_model(model)
    history = read_log(run.log_path)
    return FitResult(model, history, len(history.get("epoch", [])), first, budget.stopped_early or budget.exhausted,
                     budget.total)

