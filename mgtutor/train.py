"""Training tools and run directories: windows, perplexity, a time budget, ``train melody``.

Part of mgtutor. See notebooks/06_melody_generation.ipynb §2 (training) and §5 (the CLI).

A **run directory** (``runs/<task>-<model>-<seed>/`` by default) holds everything needed to
generate again later:

* ``config.json`` — task, model builder and its arguments, data and training settings, results;
* ``model.weights.h5`` — the Keras weights, written to a temporary file then renamed (atomic);
* ``vocab.json`` — the token vocabulary (:class:`mgtutor.symbolic.Vocabulary`);
* ``log.csv`` — one row per epoch (Keras ``CSVLogger``);
* ``COMPLETE`` — written **last**; a directory without it is an unfinished run and
  :func:`load_run` refuses it.

Importing this module does not import TensorFlow.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mgtutor import config
from mgtutor.errors import MgtutorError
from mgtutor.files import atomic_path, atomic_write_text

__all__ = [
    "RunDirError",
    "TrainError",
    "RUN_FILES",
    "run_name",
    "Run",
    "save_run",
    "load_run",
    "is_complete",
    "melody_windows",
    "sequence_nll",
    "time_budget_callback",
    "load_melody_corpus",
    "TrainResult",
    "train_melody",
    "add_train_parser",
    "run_train",
]

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.weights.h5"
VOCAB_FILE = "vocab.json"
LOG_FILE = "log.csv"
DONE_FILE = "COMPLETE"
RUN_FILES = (CONFIG_FILE, WEIGHTS_FILE, VOCAB_FILE, LOG_FILE, DONE_FILE)
"""The files of a finished run directory; ``COMPLETE`` is always written last."""

BUILDERS = ("melody_lstm",)


class RunDirError(MgtutorError, ValueError):
    """A run directory is missing, unfinished or malformed (the message names it and what to do)."""


class TrainError(MgtutorError, ValueError):
    """A training setting or corpus cannot be used (the message says which and how to fix it)."""


# --------------------------------------------------------------------------- run directories


def run_name(task: str, model: str, seed: int) -> str:
    """The course's run-directory name, ``<task>-<model>-<seed>`` (e.g. ``melody-lstm-0``)."""
    return f"{task}-{model}-{seed}"


@dataclass
class Run:
    """A loaded run: its directory, the rebuilt Keras model with weights, vocabulary and config."""

    path: Path
    model: object
    vocab: object
    config: dict = field(default_factory=dict)


def is_complete(run_dir: str | os.PathLike) -> bool:
    """True when ``run_dir`` holds the completion marker (written after everything else)."""
    return (Path(run_dir) / DONE_FILE).is_file()


def save_run(run_dir: str | os.PathLike, model, vocab, run_config: dict) -> Path:
    """Write a run directory: config, weights and vocabulary, then the ``COMPLETE`` marker last.

    An old marker is removed first, so a crash while rewriting leaves an *unfinished* run,
    never a complete-looking mix of old and new files. The weights go to a temporary
    ``*.weights.h5`` in the same folder and are renamed into place.

    Args:
        run_dir: the folder (created if needed).
        model: a Keras model built by a builder named in ``run_config["builder"]``.
        vocab: a :class:`mgtutor.symbolic.Vocabulary`.
        run_config: JSON-serialisable settings; must contain ``builder`` and ``model`` (its kwargs).
    Returns:
        The run directory.
    Raises:
        RunDirError: ``run_config`` lacks ``builder``/``model`` or names an unknown builder.
    See: notebooks/06_melody_generation.ipynb §5.
    """
    if run_config.get("builder") not in BUILDERS or not isinstance(run_config.get("model"), dict):
        raise RunDirError(f"run_config needs 'builder' (one of {BUILDERS}) and 'model' (its keyword arguments)")
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / DONE_FILE).unlink(missing_ok=True)
    atomic_write_text(run_dir / CONFIG_FILE, json.dumps(run_config, indent=2, sort_keys=True))
    vocab.save(run_dir / VOCAB_FILE)
    with atomic_path(run_dir / WEIGHTS_FILE, suffix=".weights.h5") as tmp:
        model.save_weights(str(tmp), overwrite=True)
    atomic_write_text(run_dir / DONE_FILE, time.strftime("%Y-%m-%dT%H:%M:%S%z\n"))
    return run_dir


def load_run(run_dir: str | os.PathLike) -> Run:
    """Load a finished run directory: rebuild the model from config.json, load weights and vocabulary.

    Raises:
        RunDirError: the directory does not exist, is unfinished (no ``COMPLETE``), or a file is
            missing or unreadable — the message names the directory and what to do.
    See: notebooks/06_melody_generation.ipynb §5.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise RunDirError(f"{run_dir}: no such run directory; train one with `python -m mgtutor train melody "
                          f"--out {run_dir}`")
    if not is_complete(run_dir):
        raise RunDirError(f"{run_dir}: unfinished run (no {DONE_FILE} marker; training was interrupted or is "
                          "still running); wait for it to finish or train again")
    missing = [name for name in (CONFIG_FILE, WEIGHTS_FILE, VOCAB_FILE) if not (run_dir / name).is_file()]
    if missing:
        raise RunDirError(f"{run_dir}: run directory lacks {', '.join(missing)}; train again")
    try:
        cfg = json.loads((run_dir / CONFIG_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RunDirError(f"{run_dir / CONFIG_FILE}: not readable JSON ({exc}); train again") from None
    if cfg.get("builder") not in BUILDERS or not isinstance(cfg.get("model"), dict):
        raise RunDirError(f"{run_dir / CONFIG_FILE}: needs 'builder' (one of {BUILDERS}) and 'model'")
    from mgtutor import models
    from mgtutor.symbolic import Vocabulary

    vocab = Vocabulary.load(run_dir / VOCAB_FILE)
    model = getattr(models, cfg["builder"])(**cfg["model"])
    model.build((None, None))
    try:
        model.load_weights(run_dir / WEIGHTS_FILE)
    except Exception as exc:  # h5py/Keras raise several types for a corrupt or mismatched file
        raise RunDirError(f"{run_dir / WEIGHTS_FILE}: cannot load these weights into the configured model "
                          f"({type(exc).__name__}: {exc}); train again") from None
    return Run(run_dir, model, vocab, cfg)


# --------------------------------------------------------------------------- data and metrics


def melody_windows(sequences: Sequence[np.ndarray], length: int, stride: int,
                   pad_id: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut token-id sequences into (input, target, weight) windows for next-token training.

    Window k of a sequence s takes s[a : a+L+1] with a = k·stride (a < len(s) − 1), pads it
    with ``pad_id`` to L+1 tokens, and gives inputs = first L, targets = last L (shifted by one),
    weights = 1 where the target is a real token, 0 on padding. With stride = L every target
    token of every sequence is counted exactly once (use that for validation).

    Args:
        sequences: 1-D integer arrays (one per piece, already split by piece).
        length: L, tokens per window (≥ 1). stride: step between window starts (≥ 1).
        pad_id: the padding id.
    Returns:
        (x, y, w): int32 (N, L), int32 (N, L), float32 (N, L).
    Raises:
        TrainError: length or stride < 1, or no sequence has 2 tokens.
    See: notebooks/06_melody_generation.ipynb §2.
    """
    if length < 1 or stride < 1:
        raise TrainError(f"window length and stride must be ≥ 1, got length={length}, stride={stride}")
    xs, ys, ws = [], [], []
    for seq in sequences:
        seq = np.asarray(seq, dtype=np.int32)
        for a in range(0, max(len(seq) - 1, 0), stride):
            chunk = seq[a:a + length + 1]
            n = len(chunk) - 1
            x = np.full(length, pad_id, np.int32)
            y = np.full(length, pad_id, np.int32)
            w = np.zeros(length, np.float32)
            x[:n], y[:n], w[:n] = chunk[:-1], chunk[1:], 1.0
            xs.append(x)
            ys.append(y)
            ws.append(w)
    if not xs:
        raise TrainError("no training windows: every sequence is shorter than 2 tokens")
    return np.stack(xs), np.stack(ys), np.stack(ws)


def sequence_nll(model, x: np.ndarray, y: np.ndarray, w: np.ndarray, batch_size: int = 256) -> float:
    """Mean negative log-likelihood per real token (nats): −Σ w log p(y | x) / Σ w.

    Perplexity is e^NLL: the model is "as unsure as a uniform choice among e^NLL tokens";
    a uniform model over V tokens has NLL = log V.

    Args:
        model: maps ids (B, L) to logits (B, L, V). x, y, w: from :func:`melody_windows`.
    Returns:
        The mean NLL in nats.
    See: notebooks/06_melody_generation.ipynb §2.
    """
    total, count = 0.0, 0.0
    for a in range(0, len(x), batch_size):
        logits = np.asarray(model(x[a:a + batch_size], training=False), dtype=np.float64)
        logz = logits.max(-1) + np.log(np.exp(logits - logits.max(-1, keepdims=True)).sum(-1))
        picked = np.take_along_axis(logits, y[a:a + batch_size, :, None].astype(np.int64), axis=-1)[..., 0]
        total += float(np.sum((logz - picked) * w[a:a + batch_size]))
        count += float(np.sum(w[a:a + batch_size]))
    if count == 0:
        raise TrainError("no real tokens to score (all weights are zero)")
    return total / count


def time_budget_callback(minutes: float | None):
    """A Keras callback that stops training once ``minutes`` of wall-clock time have passed.

    It checks after every batch, so a run overshoots by at most one batch. ``None`` = no limit.

    Raises:
        TrainError: minutes ≤ 0.
    See: notebooks/06_melody_generation.ipynb §2.
    """
    if minutes is not None and not minutes > 0:
        raise TrainError(f"time budget must be > 0 minutes, got {minutes!r}")
    import keras

    class TimeBudget(keras.callbacks.Callback):
        def __init__(self, seconds):
            super().__init__()
            self.seconds, self.start, self.stopped_early = seconds, None, False

        def on_train_begin(self, logs=None):
            self.start = time.monotonic()

        def on_train_batch_end(self, batch, logs=None):
            if self.seconds is not None and time.monotonic() - self.start > self.seconds:
                self.model.stop_training = True
                self.stopped_early = True

    return TimeBudget(None if minutes is None else 60.0 * minutes)


def load_melody_corpus(corpus: str, limit: int | None = None) -> list[list[str]]:
    """Melody-grid token lists for ``chorales``, ``folk`` or a folder of MIDI files.

    For a folder, each file's first voice becomes one melody (its top line where notes overlap,
    quantised to sixteenths, via :func:`mgtutor.data.melody_tokens`); unreadable files are skipped.

    Raises:
        TrainError: an unknown corpus name that is not a folder, or a folder with no usable melody.
    See: notebooks/06_melody_generation.ipynb §1.
    """
    from mgtutor import data

    if corpus == "chorales":
        return data.chorale_melodies(limit)
    if corpus == "folk":
        return data.folk_melodies(limit)
    folder = Path(corpus)
    if not folder.is_dir():
        raise TrainError(f"--corpus {corpus!r}: use 'chorales', 'folk' or a folder of MIDI files")
    from mgtutor.symbolic import SymbolicError
    from mgtutor.symbolic.midi import load_midi_folder

    pieces, _report = load_midi_folder(folder, warn=False)
    melodies = []
    for piece in pieces[:limit]:
        try:
            tokens = data.melody_tokens(piece, 0)
        except (SymbolicError, IndexError, KeyError):
            continue
        if len(tokens) >= 2:
            melodies.append(tokens)
    if not melodies:
        raise TrainError(f"{folder}: no usable melody in any MIDI file (need monophonic-ish lines of ≥ 2 steps)")
    return melodies


# --------------------------------------------------------------------------- training


@dataclass
class TrainResult:
    """What :func:`train_melody` returns: the run, its validation numbers and the history."""

    run_dir: Path
    model: object
    vocab: object
    val_nll: float
    val_perplexity: float
    epochs_run: int
    stopped_by_budget: bool
    history: dict
    seconds: float


def train_melody(melodies: Sequence[Sequence[str]], out: str | os.PathLike, epochs: int = 20,
                 time_budget_min: float | None = None, seed: int = 0, embed_dim: int = 64, units: int = 256,
                 layers: int = 2, dropout: float = 0.2, window: int = 64, stride: int = 16,
                 batch_size: int = 64, learning_rate: float = 2e-3, valid_fraction: float = 0.1,
                 transpositions: Sequence[int] = (0,), corpus: str = "custom", verbose: int = 0) -> TrainResult:
    """Train the Embedding + LSTM melody model and write a run directory.

    Pipeline: split the melodies by piece (:func:`mgtutor.data.split_by_piece`, train/valid),
    transpose the *training* pieces by ``transpositions`` semitones, frame each piece with
    ``<start>``…``<end>``, cut windows (:func:`melody_windows`; validation with stride = window),
    minimise the cross-entropy −log p(next token), then report the validation NLL and
    perplexity e^NLL and save the run (:func:`save_run`).

    Args:
        melodies: melody-grid token lists, one per piece.
        out: run directory to write.
        epochs: maximum epochs; time_budget_min: stop after this many minutes (None = no limit).
        seed: seeds weights, shuffling and the split.
        embed_dim, units, layers, dropout: the model (:func:`mgtutor.models.melody_lstm`).
        window, stride, batch_size, learning_rate: training data and optimiser settings.
        valid_fraction: share of pieces held out for validation.
        transpositions: semitone shifts applied to training pieces (0 = as written).
        corpus: a label stored in config.json. verbose: Keras ``fit`` verbosity (2 = a line per epoch).

    Note: ``val_loss`` in log.csv is Keras' mean over *all* window positions, padding included (weight
    0 but still counted in the denominator), so it reads lower than ``val_nll``, which averages over
    real tokens only (:func:`sequence_nll`).

    Returns:
        :class:`TrainResult`.
    Raises:
        TrainError: fewer than 2 melodies, a bad setting, or epochs < 1.
    See: notebooks/06_melody_generation.ipynb §2.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise TrainError(f"epochs must be a positive integer, got {epochs!r}")
    if len(melodies) < 2:
        raise TrainError(f"need at least 2 melodies to hold one out for validation, got {len(melodies)}")
    if not 0 < valid_fraction < 1:
        raise TrainError(f"valid_fraction must be in (0, 1), got {valid_fraction!r}")
    import keras

    from mgtutor import data, models
    from mgtutor.symbolic import melody_vocabulary, transpose_grid

    start = time.monotonic()
    config.seed_everything(seed)
    train_p, valid_p = data.split_by_piece(list(melodies), (1 - valid_fraction, valid_fraction), seed=seed)
    if not valid_p:
        train_p, valid_p = train_p[1:], train_p[:1]
    vocab = melody_vocabulary()
    train_seqs = [vocab.encode(transpose_grid(m, k) if k else m, add_start_end=True)
                  for m in train_p for k in transpositions]
    valid_seqs = [vocab.encode(m, add_start_end=True) for m in valid_p]
    x, y, w = melody_windows(train_seqs, window, stride, vocab.pad_id)
    xv, yv, wv = melody_windows(valid_seqs, window, window, vocab.pad_id)

    model_kwargs = {"vocab_size": len(vocab), "embed_dim": embed_dim, "units": units, "layers": layers,
                    "dropout": dropout}
    model = models.melody_lstm(**model_kwargs)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate, clipnorm=1.0),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / DONE_FILE).unlink(missing_ok=True)
    budget = time_budget_callback(time_budget_min)
    import tensorflow as tf

    # An explicit tf.data pipeline (no .map): Keras' own array adapter adds a parallel map that,
    # with deterministic ops on, makes TF 2.21 log a harmless NodeDef error line to stderr.
    train_ds = tf.data.Dataset.from_tensor_slices((x, y, w)).shuffle(len(x), seed=seed).batch(batch_size)
    valid_ds = tf.data.Dataset.from_tensor_slices((xv, yv, wv)).batch(batch_size)
    hist = model.fit(train_ds, validation_data=valid_ds, epochs=epochs, shuffle=False, verbose=verbose,
                     callbacks=[budget, keras.callbacks.CSVLogger(str(out / LOG_FILE))])
    val_nll = sequence_nll(model, xv, yv, wv)
    history = {k: [float(v) for v in vals] for k, vals in hist.history.items()}
    epochs_run = len(history.get("loss", []))
    run_config = {
        "task": "melody", "builder": "melody_lstm", "model": model_kwargs, "corpus": corpus, "seed": seed,
        "encoding": "melody-grid", "steps_per_quarter": 4, "qpm": 100.0,
        "training": {"epochs": epochs, "epochs_run": epochs_run, "time_budget_min": time_budget_min,
                     "stopped_by_budget": budget.stopped_early, "window": window, "stride": stride,
                     "batch_size": batch_size, "learning_rate": learning_rate, "valid_fraction": valid_fraction,
                     "transpositions": list(transpositions), "train_pieces": len(train_p),
                     "valid_pieces": len(valid_p), "train_windows": int(len(x)), "valid_windows": int(len(xv))},
        "results": {"val_nll": val_nll, "val_perplexity": math.exp(val_nll),
                    "uniform_perplexity": len(vocab), "seconds": time.monotonic() - start},
        "versions": {"keras": keras.__version__},
    }
    save_run(out, model, vocab, run_config)
    return TrainResult(out, model, vocab, val_nll, math.exp(val_nll), epochs_run, budget.stopped_early, history,
                       time.monotonic() - start)


# --------------------------------------------------------------------------- CLI


def add_train_parser(sub) -> argparse.ArgumentParser:
    """The ``train`` command: ``train melody [--corpus chorales|folk|DIR] --out RUN_DIR ...``."""
    p = sub.add_parser("train", help="train a course model and write a run directory")
    tasks = p.add_subparsers(dest="task", required=True)
    m = tasks.add_parser("melody", help="Embedding + LSTM next-token model on melody-grid tokens")
    m.add_argument("--corpus", default="chorales", help="chorales (default), folk, or a folder of MIDI files")
    m.add_argument("--out", default=None, help="run directory (default: runs/melody-lstm-<seed>)")
    m.add_argument("--epochs", type=int, default=None, help="maximum epochs (default 30; 1 in smoke mode)")
    m.add_argument("--time-budget", type=float, default=None, metavar="MIN", help="stop after MIN minutes")
    m.add_argument("--seed", type=int, default=0, help="seed for weights, shuffling and the split")
    m.add_argument("--units", type=int, default=None, help="LSTM size (default 256; 32 in smoke mode)")
    m.add_argument("--layers", type=int, default=2, help="stacked LSTM layers (default 2)")
    m.add_argument("--embed-dim", type=int, default=None, help="embedding size (default 64; 16 in smoke mode)")
    m.add_argument("--limit", type=int, default=None, help="use only the first N pieces")
    return p


def run_train(args) -> int:
    """Run ``train melody`` from parsed arguments; print one summary line."""
    if args.seed < 0:
        raise TrainError(f"--seed must be ≥ 0, got {args.seed}")
    if args.epochs is not None and args.epochs < 1:
        raise TrainError(f"--epochs must be ≥ 1, got {args.epochs}")
    out = Path(args.out) if args.out else config.runs_dir() / run_name("melody", "lstm", args.seed)
    melodies = load_melody_corpus(args.corpus, args.limit)
    result = train_melody(
        melodies, out, epochs=args.epochs or config.pick(30, 1), time_budget_min=args.time_budget,
        seed=args.seed, units=args.units or config.pick(256, 32), layers=args.layers,
        embed_dim=args.embed_dim or config.pick(64, 16), corpus=str(args.corpus),
    )
    budget = " (time budget reached)" if result.stopped_by_budget else ""
    print(f"{result.run_dir}: {result.epochs_run} epoch(s){budget}, validation perplexity "
          f"{result.val_perplexity:.2f} (uniform {len(result.vocab)}), {result.seconds:.0f} s")
    return 0
