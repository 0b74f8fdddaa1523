"""The melody task: an Embedding + LSTM next-token model on melody-grid tokens (notebook 06).

Part of mgtutor. See notebooks/06_melody_generation.ipynb §2 (training), §4 (generation) and §5
(the command line)::

    python -m mgtutor train melody [--corpus chorales|folk|DIR] [--out RUN_DIR] [--epochs N] …
    python -m mgtutor generate melody --run RUN_DIR --length N --out FILE.mid|.musicxml|.wav
    python -m mgtutor evaluate melody --run RUN_DIR

Every setting and its default lives once, in :class:`MelodySettings` (smaller in smoke mode:
:data:`SMOKE`). Training splits the melodies by piece, frames each with ``<start>`` … ``<end>``,
cuts windows by the course's one rule (:class:`mgtutor.data.NextStepData`: training windows
overlap, validation windows do not, no target is dropped), transposes training pieces by a random
shift per epoch when ``transpose`` > 0, and trains with :func:`mgtutor.train.fit_run` in a run
directory whose ``log.csv`` logs the token-weighted NLL (``nll``, ``val_nll``) — the same number
``results.json`` and the command line report. Generation (:func:`generate_melody`) loads a finished run, samples
with its stateful NumPy copy (:func:`mgtutor.sampling.generate_stateful`) and writes the melody
(:func:`write_melody`).
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from mgtutor import config
from mgtutor.errors import GenerationError, TrainError
from mgtutor.tasks import (
    DEVICE_OPTIONS,
    Task,
    TaskRun,
    finish_run,
    fit_results,
    make_settings,
    open_run,
    option,
    progress_callbacks,
    register_task,
    run_dir_option,
    run_options,
    start_run,
    training_plan,
)

VOCAB_FILE = "vocab.json"
MODELS = {"lstm": "melody_lstm"}
"""``--model`` → the registered builder (:mod:`mgtutor.models.registry`) of a next-token model: any builder whose
model maps token ids (B, T) to logits (B, T, V) trains here. Its keyword arguments are the settings its signature
names, with ``vocab_size`` (:func:`mgtutor.models.builder_kwargs`); generation uses the sampler registered beside it,
else :func:`mgtutor.sampling.generate_refeed`."""
RUN_FILES = ("COMPLETE", "config.json", "log.csv", "model.weights.h5", "results.json", VOCAB_FILE)
"""The files of a finished melody run directory (``COMPLETE`` is written last)."""


@dataclass(frozen=True)
class MelodySettings:
    """Everything a melody run depends on; recorded in its config.json.

    Model: ``model`` (a key of :data:`MODELS`) and, for the LSTM, ``embed_dim``, ``units``, ``layers``, ``dropout``
    (:func:`mgtutor.models.melody_lstm`).
    Data: ``window`` tokens per window, training ``stride``, ``valid_fraction`` and ``test_fraction`` of pieces
    held out (``split="tune"``: whole tunes — :func:`mgtutor.data.tune_groups` — stay on one side; ``"piece"``: by
    piece; shuffled by ``seed``): validation chooses (the best epoch, the baselines' order), test reports, ``transpose``
    = N draws a shift in −N…+N semitones per training piece and epoch (0 = none), ``steps_per_quarter`` and ``qpm``
    for writing files.
    Training: ``epochs``, ``batch_size``, ``learning_rate`` (Adam, gradient norm clipped at 1), ``patience`` (stop
    after this many epochs without a better validation NLL; None = never), ``time_budget_min`` over the run's whole
    training time (None = no limit), ``seed``. The run keeps its best epoch's weights.
    """

    model: str = "lstm"
    embed_dim: int = 64
    units: int = 256
    layers: int = 2
    dropout: float = 0.2
    window: int = 64
    stride: int = 16
    valid_fraction: float = 0.1
    test_fraction: float = 0.1
    split: str = "tune"
    transpose: int = 0
    epochs: int = 30
    batch_size: int = 64
    learning_rate: float = 2e-3
    patience: int | None = None
    time_budget_min: float | None = None
    seed: int = 0
    steps_per_quarter: int = 4
    qpm: float = 100.0

    def builder_kwargs(self, vocab_size: int) -> dict:
        """The keyword arguments of the model's builder: the settings it names, and ``vocab_size``."""
        from mgtutor import models

        return models.builder_kwargs(MODELS[self.model], {**asdict(self), "vocab_size": vocab_size})


SMOKE = {"embed_dim": 16, "units": 32, "epochs": 1, "stride": 64}
"""Smoke-mode defaults (tiny model, one epoch)."""


def settings(**overrides) -> MelodySettings:
    """:class:`MelodySettings` with the mode's defaults, then ``overrides`` (``None`` values are ignored).

    Raises:
        TrainError: an unknown setting, or a value out of range (the message names it).
    """
    s = make_settings(MelodySettings, SMOKE, overrides, ("embed_dim", "units", "layers", "window", "stride", "epochs",
                                                          "batch_size", "steps_per_quarter"), "melody")
    if s.model not in MODELS:
        raise TrainError(f"--model {s.model!r}: use one of {', '.join(MODELS)}")
    if s.split not in ("tune", "piece"):
        raise TrainError(f"split must be 'tune' or 'piece', got {s.split!r}")
    if not (0 < s.valid_fraction < 1 and 0 <= s.test_fraction and s.valid_fraction + s.test_fraction < 1):
        raise TrainError(f"need 0 < valid_fraction, 0 ≤ test_fraction and valid_fraction + test_fraction < 1; got "
                         f"{s.valid_fraction!r} and {s.test_fraction!r}")
    if s.patience is not None and (isinstance(s.patience, bool) or not isinstance(s.patience, int) or s.patience < 1):
        raise TrainError(f"patience must be a positive integer or None, got {s.patience!r}")
    if s.transpose < 0:
        raise TrainError(f"transpose must be ≥ 0 semitones, got {s.transpose!r}")
    return s


# --------------------------------------------------------------------------- corpora
class Corpus(list):
    """Melodies (token lists) that know where they came from: ``name`` (``chorales``, ``folk``, a folder; ``custom``
    for melodies made in code) and ``limit``, recorded in a run's config.json (``evaluate melody`` reloads them from
    there), and ``origin``, what made the run (the demo's ``"demo"``), recorded as config.json's ``origin`` when
    set. Any list of melodies trains as a ``custom`` corpus."""

    def __init__(self, melodies: Sequence[Sequence[str]] = (), name: str = "custom", limit: int | None = None,
                 origin: str | None = None) -> None:
        super().__init__(melodies)
        self.name, self.limit, self.origin = name, limit, origin


def load_corpus(corpus: str, limit: int | None = None) -> Corpus:
    """Melody-grid token lists for ``chorales``, ``folk`` or a folder of MIDI files, as a :class:`Corpus`.

    ``chorales`` are the soprano lines of the 350 distinct chorales (:func:`mgtutor.data.chorale_soprano_lines`;
    the first :data:`mgtutor.data.SMOKE_CHORALES` in smoke mode unless ``limit`` says otherwise).
    For a folder, each file's melody is chosen and folded into the vocabulary's range by
    :func:`mgtutor.data.folder_melodies`, which prints one line per skipped file and a summary.
    Raises:
        TrainError: an unknown corpus name that is not a folder, or a ``limit`` below 2 (a run holds one melody out).
        DatasetError: a folder with no usable melody.
    See: notebooks/06_melody_generation.ipynb §1.
    """
    from mgtutor import data

    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 2):
        raise TrainError(f"--limit must be at least 2 pieces (one is held out for validation), got {limit!r}")
    if corpus == "chorales":  # the shipped soprano lines: what a parse gives, without the minute of parsing
        lines = list(data.chorale_soprano_lines().values())
        return Corpus(lines[: limit if limit is not None else config.pick(None, data.SMOKE_CHORALES)], corpus, limit)
    if corpus == "folk":
        return Corpus(data.folk_melodies(limit), corpus, limit)
    if not Path(corpus).is_dir():
        raise TrainError(f"--corpus {corpus!r}: use 'chorales', 'folk' or a folder of MIDI files")
    return Corpus(data.folder_melodies(corpus, limit=limit, warn=_warn_line)[0], corpus, limit)


def training_data(s: MelodySettings, spec: dict) -> Corpus:
    """The melodies of a run whose config.json's ``data`` is ``spec`` (its corpus and limit)."""
    return load_corpus(spec["corpus"], spec["limit"])


def _warn_line(message: str) -> None:
    print(f"mgtutor: warning: {message}", file=sys.stderr)


# --------------------------------------------------------------------------- training
SIDES = ("train", "valid", "test")


def split_indices(melodies: Sequence[Sequence[str]], s: MelodySettings) -> dict[str, list[int]]:
    """The indices of ``melodies`` on each side of a run (``train``, ``valid``, ``test``; test empty when
    ``s.test_fraction`` is 0) by the settings' split rule (``s.split``, ``s.seed``, the fractions): by tune, every
    melody of a tune on one side (:func:`mgtutor.data.split_by_group`).

    Raises:
        TrainError: fewer melodies or tunes than sides.
    See: notebooks/06_melody_generation.ipynb §1.
    """
    from mgtutor import data

    sides = 3 if s.test_fraction else 2
    if len(melodies) < sides:
        raise TrainError(f"need at least {sides} melodies to hold {sides - 1} out (validation"
                         f"{' and test' if sides == 3 else ''}), got {len(melodies)}")
    index = list(range(len(melodies)))
    groups = data.tune_groups(melodies) if s.split == "tune" else index
    fractions = (1 - s.valid_fraction - s.test_fraction, s.valid_fraction, s.test_fraction)[:sides]
    parts = data.split_by_group(index, groups, fractions, seed=s.seed, fill_empty=True)
    if not all(parts):
        raise TrainError(f"the {len(melodies)} melodies hold {len(set(groups))} tune(s): too few for "
                         f"{', '.join(SIDES[:sides])}" + ("; --test-fraction 0 trains without a test split"
                                                          if sides == 3 else ""))
    return {side: sorted(part) for side, part in zip(SIDES, (*parts, [])[:3], strict=True)}


@dataclass(frozen=True)
class MelodySplit:
    """A melody run's data: the :class:`~mgtutor.data.NextStepData` of each side (``test`` None without a test
    split), and the melodies' ``index`` on each side (:func:`split_indices`)."""

    train: object
    valid: object
    test: object | None
    index: dict[str, list[int]]


def splits(melodies: Sequence[Sequence[str]], s: MelodySettings, vocab) -> MelodySplit:
    """The windows of a melody run: training windows overlap (``s.stride``) and are transposed per piece and epoch
    (``s.transpose``); validation and test windows do not overlap, so each target counts once."""
    from mgtutor import data

    index = split_indices(melodies, s)
    encode = [vocab.encode(m, add_start_end=True) for m in melodies]
    shifts = [k for k in range(-s.transpose, s.transpose + 1)] if s.transpose else []
    train = data.NextStepData([encode[i] for i in index["train"]], s.window, s.stride, s.batch_size, shuffle=True,
                              seed=s.seed, shifts=shifts, transposer=data.token_transposer(vocab, shifts) if shifts
                              else None)
    held = {side: data.NextStepData([encode[i] for i in index[side]], s.window, s.window, s.batch_size)
            for side in ("valid", "test") if index[side]}
    return MelodySplit(train, held["valid"], held.get("test"), index)


NGRAM_ORDERS = tuple(range(1, 12))
"""The n-gram orders a melody run is compared with (:func:`ngram_baselines`)."""


def ngram_baselines(melodies: Sequence[Sequence[str]], s: MelodySettings, vocab,
                    orders: Sequence[int] = NGRAM_ORDERS, index: dict[str, list[int]] | None = None) -> dict:
    """What a melody model must beat, on its own split: Witten–Bell n-grams (:class:`mgtutor.models.NGram`) of
    every order in ``orders``, trained on the run's training melodies as written (``plain``) and, when the run
    transposes (``s.transpose`` = N), on every transposition by −N…+N that fits the vocabulary's range
    (``transposed``: the data the model sees over its epochs). Each is scored, like the model, on every target of
    the validation and test melodies (framed ``<start>`` … ``<end>``). ``index`` is the run's split
    (:func:`split_indices`, computed when not given).

    Returns:
        ``{"orders": [...], "valid": {variant: [NLL per order]}, "test": {...}, "best": {"variant", "order",
        "valid_nll", "test_nll"}}`` — the best chosen on validation, reported on test (test entries absent without
        a test split).
    See: notebooks/06_melody_generation.ipynb §2 (baselines).
    """
    from mgtutor import data, models

    index = index if index is not None else split_indices(melodies, s)
    framed = {side: [vocab.encode(melodies[i], add_start_end=True) for i in index[side]] for side in SIDES}
    variants = {"plain": framed["train"]}
    if s.transpose:
        shift = data.token_transposer(vocab, range(-s.transpose, s.transpose + 1))
        variants["transposed"] = [t for seq in framed["train"] for k in range(-s.transpose, s.transpose + 1)
                                  if (t := shift(seq, k)) is not None]
    fitted = {name: models.NGram(max(orders), len(vocab)).fit(seqs) for name, seqs in variants.items()}
    out: dict = {"orders": list(orders)}
    for side in ("valid", "test"):
        if framed[side]:
            out[side] = {name: [ngram.nll(framed[side], order=n) for n in orders] for name, ngram in fitted.items()}
    variant, k = min(((name, k) for name in fitted for k in range(len(orders))), key=lambda v: out["valid"][v[0]][v[1]])
    out["best"] = {"variant": variant, "order": orders[k], "valid_nll": out["valid"][variant][k],
                   **({"test_nll": out["test"][variant][k]} if "test" in out else {})}
    return out


def train(data: Sequence[Sequence[str]], out, settings: MelodySettings, *, force: bool = False,
          callbacks: Sequence = (), verbose: int = 0, plan=None) -> TaskRun:
    """Train (or resume) a melody run on the melodies ``data`` (a :class:`Corpus` records where they came from) in
    ``out`` and return it, with the weights of its best validation epoch, its validation and test NLL, and the
    n-gram baselines on the same split (:func:`ngram_baselines`).

    Running it again on an unfinished run with the same settings resumes it; on a finished one it refuses
    (``force`` starts over); with other settings it refuses and names them (:meth:`RunDir.prepare`).
    ``plan`` (:class:`mgtutor.distribute.TrainingPlan`) says where and how it trains (notebook 10); it is
    recorded in config.json but not compared, so a run may resume on other hardware.
    Returns:
        the :class:`~mgtutor.tasks.TaskRun`, with its ``vocab``.
    Raises:
        TrainError: too few melodies or a bad setting. RunDirError: see above.
    See: notebooks/06_melody_generation.ipynb §2.
    """
    import keras

    from mgtutor import models
    from mgtutor.metrics import keras_metric
    from mgtutor.symbolic import melody_vocabulary
    from mgtutor.train import BestCheckpoint, fit_run

    start = time.monotonic()
    s = settings
    corpus = data if isinstance(data, Corpus) else Corpus(data)
    vocab = melody_vocabulary()
    split = splits(corpus, s, vocab)
    builder, kwargs = MODELS[s.model], s.builder_kwargs(len(vocab))
    with start_run(out, {
        "task": "melody", "builder": builder, "builder_kwargs": kwargs, "seed": s.seed,
        "data": {"corpus": corpus.name, "limit": corpus.limit, "pieces": len(corpus), "encoding": "melody-grid",
                 "steps_per_quarter": s.steps_per_quarter, "qpm": s.qpm,
                 "split": {"by": s.split, "seed": s.seed, "valid_fraction": s.valid_fraction,
                           "test_fraction": s.test_fraction, "valid_index": split.index["valid"],
                           "test_index": split.index["test"]}},
        "training": asdict(s), **({"origin": corpus.origin} if corpus.origin else {}),
    }, force, plan) as run:
        vocab.save(run.path / VOCAB_FILE)

        def build():
            config.seed_everything(s.seed)
            model = models.build(builder, **kwargs)
            model.compile(optimizer=keras.optimizers.Adam(s.learning_rate, clipnorm=1.0),
                          loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True,
                                                                          reduction="mean_with_sample_weight"),
                          weighted_metrics=[keras_metric("token")])
            return model

        best = BestCheckpoint(run.state_dir, run.log_path, monitor="val_nll", patience=s.patience)
        fit = fit_run(run, build, split.train, split.valid, epochs=s.epochs,
                      time_budget_s=None if s.time_budget_min is None else 60 * s.time_budget_min,
                      callbacks=[best, *callbacks], verbose=verbose, plan=plan)
        scores = {f"{side}_nll": validation_nll(fit.model, windows)
                  for side, windows in (("val", split.valid), ("test", split.test)) if windows is not None}
        results = {**scores, **{k.replace("_nll", "_perplexity"): math.exp(v) for k, v in scores.items()},
                   "uniform_perplexity": len(vocab), "best_epoch": best.best_epoch,
                   "baselines": ngram_baselines(corpus, s, vocab, index=split.index),
                   **{f"{side}_windows": w.examples_per_epoch for side, w in
                      (("train", split.train), ("valid", split.valid), ("test", split.test)) if w is not None},
                   **{f"{side}_pieces": len(split.index[side]) for side in SIDES}, **fit_results(fit)}
        return finish_run(run, fit.model, results, start, plan, vocab=vocab)


def validation_nll(model, valid) -> float:
    """Token NLL of ``model`` over every target of held-out windows ``valid`` (validation or test), each scored once
    (:func:`mgtutor.metrics.sequence_nll`)."""
    from mgtutor.metrics import sequence_nll

    x, y, w = valid.epoch(0)
    return sequence_nll(model, x, y, w)


def load(run_dir) -> TaskRun:
    """A finished melody run: its model (rebuilt through the registry), ``vocab``, config and results.

    Raises:
        RunDirError: missing, unfinished or not a melody run (the message says what to do).
    """
    from mgtutor.symbolic import Vocabulary

    return open_run(run_dir, "melody", lambda run: {"vocab": Vocabulary.load(run.artifact(VOCAB_FILE))})


# --------------------------------------------------------------------------- generation
def parse_primer(text: str | None, vocab):
    """Token ids for a primer written as space-separated tokens, e.g. ``"60 _ 62 _"``.

    An empty or missing primer is the ``<start>`` token alone. A leading ``<start>`` is added
    when the text does not begin with it (training sequences are framed that way).

    Returns:
        int64 token ids (P,).
    Raises:
        GenerationError: a token is not in the run's vocabulary (the message names it).
    See: notebooks/06_melody_generation.ipynb §4.
    """
    tokens = (text or "").split()
    unknown = [t for t in tokens if t not in vocab]
    if unknown:
        raise GenerationError(
            f"primer token(s) {unknown[:5]} not in this run's vocabulary ({len(vocab)} tokens: pitches as MIDI "
            "numbers, '_' hold, 'r' rest); e.g. --primer \"60 _ 62 _\""
        )
    if not tokens or tokens[0] != vocab.id_to_token[vocab.start_id]:
        tokens = [vocab.id_to_token[vocab.start_id], *tokens]
    return vocab.encode(tokens)


@dataclass(frozen=True)
class GeneratedMelody:
    """What ``generate melody`` produced: the tokens, the notes and the file written."""

    tokens: list[str]
    notes: list
    path: Path


def generate_melody(run_dir, length: int, out, temperature: float = 1.0, top_k: int | None = None,
                    top_p: float | None = None, primer: str | None = None, seed: int = 0) -> GeneratedMelody:
    """Load a finished melody run, sample a melody and write it to ``out``.

    The tokens come from the sampler registered beside the run's builder (:func:`mgtutor.models.sampler`; the
    LSTM's is :class:`~mgtutor.models.StatefulLSTM`) through :func:`mgtutor.sampling.generate_stateful`, or, for a
    model kind without one, from :func:`mgtutor.sampling.generate_refeed` over the whole history — the same
    distribution, one forward pass of the history per token.

    The output type follows the suffix (:func:`mgtutor.render.write`): MIDI (``.mid``), MusicXML
    (``.musicxml``) or WAV (``.wav``, the course's NumPy synthesizer). Same run + same arguments ⇒ the
    same file bytes (MIDI, WAV).

    Raises:
        RunDirError: the run directory is missing or unfinished.
        GenerationError, RenderError: a bad length, temperature, top-k, top-p, primer or output suffix.
    See: notebooks/06_melody_generation.ipynb §5.
    """
    from mgtutor import models
    from mgtutor.render import check_output
    from mgtutor.sampling import check_length, generate_refeed, generate_stateful

    out = check_output(out)
    check_length(length)  # before the run is loaded: a bad argument fails at once
    run = load(run_dir)
    ids = parse_primer(primer, run.vocab)
    how = {"seed": seed, "temperature": temperature, "top_k": top_k, "top_p": top_p}
    stepper = models.sampler(run.model)
    new = (generate_stateful(stepper, ids, length, **how) if stepper is not None
           else generate_refeed(run.model, ids, length, window=None, **how))
    tokens = run.vocab.decode([*ids.tolist(), *new[0].tolist()])
    spec = run.config["data"]
    notes = write_melody(tokens, out, steps_per_quarter=spec["steps_per_quarter"], qpm=spec["qpm"])
    return GeneratedMelody(tokens, notes, out)


def write_melody(tokens: Sequence[str], out, steps_per_quarter: int = 4, qpm: float = 100.0) -> list:
    """Decode melody-grid tokens to notes and write them as MIDI, MusicXML or WAV (:func:`mgtutor.render.write`).

    Returns:
        The decoded notes (a hold after a rest is read as a rest).
    Raises:
        GenerationError: the tokens hold no note. RenderError: an unknown suffix.
    See: notebooks/06_melody_generation.ipynb §5.
    """
    from mgtutor.render import check_output, write
    from mgtutor.symbolic import grid_to_melody

    out = check_output(out)
    notes = grid_to_melody(tokens, steps_per_quarter=steps_per_quarter, strict=False)
    if not notes:
        raise GenerationError(f"{out}: the melody has no notes (only rests and holds); try another seed, a higher "
                              "temperature or a primer that starts with a pitch, e.g. \"60 _ 62 _\"")
    write(notes, out, tempo=qpm)
    return notes


# --------------------------------------------------------------------------- command line
_D = MelodySettings()
TRAIN_OPTIONS = (
    option("--corpus", default="chorales", help="chorales (default), folk, or a folder of MIDI files"),
    option("--limit", type=int, default=None, help="use only the first N pieces"),
    option("--model", default=None, help=f"the next-token model: {', '.join(MODELS)} (default {_D.model})"),
    *run_options("runs/melody-<model>-<seed>",
                 f"epochs (default {_D.epochs}; {SMOKE['epochs']} in smoke)"),
    option("--seed", type=int, default=None, help="seed for weights, shuffling and the split (default 0)"),
    option("--units", type=int, default=None, help=f"LSTM size (default {_D.units}; {SMOKE['units']} in smoke)"),
    option("--layers", type=int, default=None, help=f"stacked LSTM layers (default {_D.layers})"),
    option("--embed-dim", type=int, default=None,
           help=f"embedding size (default {_D.embed_dim}; {SMOKE['embed_dim']} in smoke mode)"),
    option("--window", type=int, default=None, help=f"tokens per training window (default {_D.window})"),
    option("--stride", type=int, default=None,
           help=f"tokens between training windows, ≤ window (default {_D.stride}; {SMOKE['stride']} in smoke)"),
    option("--transpose", type=int, default=None, metavar="N",
           help="transpose each training piece by a random shift in -N…+N semitones per epoch (default 0)"),
    option("--dropout", type=float, default=None, help=f"dropout after each LSTM (default {_D.dropout})"),
    option("--test-fraction", type=float, default=None,
           help=f"fraction of the pieces held out, by tune, for the test split (default {_D.test_fraction}; 0: none)"),
    option("--patience", type=int, default=None,
           help="stop after this many epochs without a better validation NLL (default: train every epoch); the run "
                "keeps its best epoch's weights either way"),
    *DEVICE_OPTIONS,
)


def _run_train(args) -> int:
    from mgtutor.runs import check_run_target, run_name

    plan = training_plan(args, MODELS.get(args.model))  # first: splitting a CPU must precede the backend's start
    s = settings(model=args.model, epochs=args.epochs, time_budget_min=args.time_budget_min, seed=args.seed,
                 units=args.units, layers=args.layers, embed_dim=args.embed_dim, window=args.window, stride=args.stride,
                 transpose=args.transpose, batch_size=args.batch_size, learning_rate=args.learning_rate,
                 dropout=args.dropout, patience=args.patience, test_fraction=args.test_fraction)
    out = Path(args.out) if args.out else config.runs_dir() / run_name("melody", s.model, s.seed)
    check_run_target(plan.run_path(out))  # before the data is loaded: a bad --out fails at once
    result = train(load_corpus(args.corpus, args.limit), out, s, force=args.force,
                   callbacks=progress_callbacks(plan, s.epochs), plan=plan)
    budget = " (time budget reached)" if result.stopped_by_budget else ""
    best = f", best {result.best_epoch + 1}" if result.best_epoch is not None else ""
    print(f"{result.run_dir}: {result.epochs_run} epoch(s){budget}{best}, validation NLL "
          f"{result.val_nll:.4f} nats/token, perplexity {result.val_perplexity:.2f} (uniform {len(result.vocab)}), "
          f"{result.wall_seconds:.0f} s")
    print(f"{result.run_dir}: {baseline_line(result.results)}")
    return 0


GENERATE_OPTIONS = (
    run_dir_option("melody"),
    option("--length", type=int, required=True, help="number of sixteenth-note tokens to generate"),
    option("--temperature", type=float, default=1.0, help="> 0; lower is more conservative (default 1)"),
    option("--top-k", type=int, default=None, help="sample among the k most likely tokens"),
    option("--top-p", type=float, default=None, help="nucleus mass in (0, 1]"),
    option("--primer", default="", help='tokens to start from, e.g. "60 _ 62 _"'),
    option("--seed", type=int, default=0, help="sampling seed (same run + seed ⇒ same file)"),
    option("--out", required=True, help="output file: .mid/.midi, .musicxml/.xml or .wav"),
)


def _run_generate(args) -> int:
    start = time.perf_counter()
    result = generate_melody(args.run_dir, args.length, args.out, args.temperature, args.top_k, args.top_p,
                             args.primer, args.seed)
    print(f"{result.path}: {len(result.notes)} notes from {args.length} generated tokens "
          f"in {time.perf_counter() - start:.1f} s")
    return 0


EVALUATE_OPTIONS = (
    run_dir_option("melody"),
)


def _run_evaluate(args) -> int:
    from mgtutor.runs import RunDirError

    run = load(args.run_dir)
    data_spec = run.config["data"]
    if data_spec["corpus"] == "custom":
        raise RunDirError(f"{run.run_dir}: trained on melodies passed in code; evaluate it with "
                          "mgtutor.tasks.melody.validation_nll in that code")
    melodies = load_corpus(data_spec["corpus"], data_spec["limit"])
    s = run.settings
    split = splits(melodies, s, run.vocab)
    if any(split.index[side] != data_spec["split"].get(f"{side}_index", []) for side in ("valid", "test")):
        raise RunDirError(f"{run.run_dir}: the corpus no longer gives this run's split; train again")
    for name, windows in (("validation", split.valid), ("test", split.test)):
        if windows is not None:
            nll = validation_nll(run.model, windows)
            side = "valid" if name == "validation" else "test"
            print(f"{run.run_dir}: {name} NLL {nll:.4f} nats/token, perplexity {math.exp(nll):.2f} on "
                  f"{len(split.index[side])} held-out pieces ({windows.examples_per_epoch} windows)")
    print(f"{run.run_dir}: {baseline_line(run.results)}")
    return 0


def baseline_line(results: dict) -> str:
    """One line: the run's held-out perplexity beside the best n-gram's (:func:`ngram_baselines`), on test when the
    run has a test split, else on validation."""
    side = "test" if "test_nll" in results else "val"
    best = results["baselines"]["best"]
    ngram, model = math.exp(best[f"{'test' if side == 'test' else 'valid'}_nll"]), results[f"{side}_perplexity"]
    return (f"{'test' if side == 'test' else 'validation'} perplexity {model:.3f} against the best n-gram's "
            f"{ngram:.3f} ({best['order']}-gram, {best['variant']}): ratio {model / ngram:.3f}")


register_task(Task("melody", "Embedding + LSTM next-token model on melody-grid tokens (notebook 06)", {
    "train": (TRAIN_OPTIONS, _run_train),
    "generate": (GENERATE_OPTIONS, _run_generate),
    "evaluate": (EVALUATE_OPTIONS, _run_evaluate),
}, MelodySettings, train, load, training_data))
