"""The piano-roll task: polyphonic next-frame models and their baselines (notebook 07).

Part of mgtutor. See notebook 07 (piano rolls)::

    python -m mgtutor train pianoroll [--data chorales|NAME|NAME:member|FILE] [--model bernoulli|markov|lstm|nade]
                                      [--out RUN_DIR] [--epochs N] [--time-budget MIN] [--seed S]
                                      [--dropout P] [--patience N] [--schedule constant|cosine]
    python -m mgtutor evaluate pianoroll --run RUN_DIR [--data …] [--split valid|test]
    python -m mgtutor generate pianoroll --run RUN_DIR --frames N --out FILE.mid|.musicxml|.wav [--seed S]

Data: ``chorales`` (the default, offline) are music21's Bach chorales as quarter-note piano rolls, split **by
tune** (:func:`mgtutor.data.chorale_tunes`: 80/10/10 of the tunes, shuffled by the seed); anything else is a
benchmark in the Boulanger-Lewandowski layout with its published split (:func:`mgtutor.data.load_benchmark`).
Every model predicts frame t from the frames before it, frame 0 from an all-zero frame, and is scored by the
frame NLL (nats per frame, summed over the 88 keys; :func:`mgtutor.metrics.frame_nll_pieces`), with and
without each piece's first frame. Training keeps the epoch with the best validation frame NLL; the test split
is read only by ``evaluate --split test``.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from mgtutor import config
from mgtutor.errors import DatasetError, TrainError
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

MODELS = {"bernoulli": "bernoulli_frames", "markov": "markov_frames", "lstm": "frame_lstm", "nade": "rnn_nade"}
"""``--model`` → builder name."""
NUMPY_MODELS = ("bernoulli", "markov")
SCHEDULES = ("constant", "cosine")
"""``--schedule``: the learning rate stays at ``learning_rate``, or decays along a cosine, step by step, to
:data:`FINAL_LR_FRACTION` of it at the end of epoch ``epochs`` (then stays there). Both are functions of the
optimizer's step count, so a resumed run gets the rates an uninterrupted one would."""
FINAL_LR_FRACTION = 0.05


@dataclass(frozen=True)
class PianoRollSettings:
    """Everything a piano-roll run depends on; recorded in its config.json.

    ``model`` (a key of :data:`MODELS`); the recurrent models' ``units``, ``layers``, ``dropout`` and, for the
    NADE, ``hidden``; ``alpha`` smoothing for the baselines; ``window`` frames per training window with training
    ``stride``; ``transpose`` = N draws a shift in −N…+N semitones per training piece and epoch; ``epochs``,
    ``batch_size``, ``learning_rate`` and its ``schedule`` (:data:`SCHEDULES`), ``time_budget_min`` (the run's whole
    training time), ``patience`` (epochs without a better validation NLL before stopping), ``seed``; ``qpm`` for
    writing files.
    """

    model: str = "lstm"
    units: int = 256
    hidden: int = 150
    layers: int = 1
    dropout: float = 0.3
    alpha: float = 1.0
    window: int = 64
    stride: int = 16
    transpose: int = 0
    epochs: int = 200
    batch_size: int = 32
    learning_rate: float = 1e-3
    schedule: str = "constant"
    time_budget_min: float | None = None
    patience: int = 10
    seed: int = 0
    qpm: float = 80.0

    def builder_kwargs(self) -> dict:
        if self.model in NUMPY_MODELS:
            return {"alpha": self.alpha}
        kwargs = {"units": self.units, "layers": self.layers, "dropout": self.dropout}
        return {**kwargs, "hidden": self.hidden} if self.model == "nade" else kwargs


SMOKE = {"units": 24, "hidden": 16, "epochs": 2, "window": 16, "stride": 16}
"""Smoke-mode defaults (tiny models, two epochs)."""


def settings(**overrides) -> PianoRollSettings:
    """:class:`PianoRollSettings` with the mode's defaults, then ``overrides`` (``None`` values are ignored).

    Raises:
        TrainError: an unknown setting or model, or a value out of range (the message names it).
    """
    s = make_settings(PianoRollSettings, SMOKE, overrides, ("units", "hidden", "layers", "window", "stride", "epochs",
                                                            "batch_size", "patience"), "piano-roll")
    if s.model not in MODELS:
        raise TrainError(f"--model {s.model!r}: use one of {', '.join(MODELS)}")
    if s.schedule not in SCHEDULES:
        raise TrainError(f"--schedule {s.schedule!r}: use one of {', '.join(SCHEDULES)}")
    if s.transpose < 0 or not 0 <= s.dropout < 1 or not s.alpha > 0:
        raise TrainError(f"need transpose ≥ 0, 0 ≤ dropout < 1 and alpha > 0; got {s.transpose}, {s.dropout}, "
                         f"{s.alpha}")
    return s


# --------------------------------------------------------------------------- data
class Split(dict):
    """``{"train", "valid", "test"}`` lists of (T, 88) uint8 rolls that know their data set: ``spec`` (``--data``),
    recorded in a run's config.json (``evaluate pianoroll`` reloads it from there). A plain dict of rolls trains as
    ``chorales``."""

    def __init__(self, parts: dict, spec: str = "chorales") -> None:
        super().__init__(parts)
        self.spec = spec


def load_data(spec: str = "chorales", seed: int = 0, limit: int | None = None) -> Split:
    """The :class:`Split` of ``spec`` (see the module docstring).

    Raises:
        DatasetError, FileNotFoundError: an unknown, unfetched, missing or malformed data set.
    See: notebook 07 (piano rolls).
    """
    from mgtutor import data
    from mgtutor.symbolic import sample_piano_roll

    if spec != "chorales":
        return Split(data.load_benchmark(spec), spec)
    return Split({part: [sample_piano_roll(data.chorale(name).notes, 1) for name in names]
                  for part, names in data.chorale_split(seed, limit).items()}, spec)


def training_data(s: PianoRollSettings, spec: dict) -> Split:
    """The split of a run whose config.json's ``data`` is ``spec`` (its data set; the chorales split by the seed)."""
    return load_data(spec["spec"], s.seed)


def _framed(rolls) -> list[np.ndarray]:
    """Each roll with an all-zero frame in front: the next-step windows then predict every frame, frame 0 from
    silence."""
    return [np.concatenate([np.zeros((1, r.shape[1]), np.uint8), np.asarray(r, np.uint8)]) for r in rolls]


def frame_sampler(model):
    """The NumPy sampler of a frame model (``probs_over(roll)``, ``sample(steps, rng)``): the one registered beside
    its builder (:func:`mgtutor.models.sampler`), or the model itself (a NumPy baseline is its own).

    Raises:
        ModelConfigError: neither (a Keras model that no registered builder made).
    """
    from mgtutor import models

    found = models.sampler(model) or model
    if not (hasattr(found, "probs_over") and hasattr(found, "sample")):
        raise models.ModelConfigError(f"{type(model).__name__}: no frame sampler; build the model with a registered "
                                      "builder (mgtutor.models.frame_lstm, rnn_nade) or give it probs_over and sample")
    return found


def probs_over(model, roll: np.ndarray) -> np.ndarray:
    """p(key on) for every frame of ``roll`` given the frames before it (frame 0 from silence): (T, 88)."""
    return frame_sampler(model).probs_over(roll)


def score(model, rolls) -> dict:
    """Frame NLL of ``model`` on ``rolls`` in both conventions, with the frame and piece counts."""
    from mgtutor.metrics import frame_nll_pieces

    sampler = frame_sampler(model)
    probs = [sampler.probs_over(r) for r in rolls]
    nll, frames = frame_nll_pieces(probs, rolls)
    skip, _ = frame_nll_pieces(probs, rolls, skip_first=True)
    return {"frame_nll": nll, "frame_nll_skip_first": skip, "frames": frames, "pieces": len(rolls)}


def train(data: dict, out, settings: PianoRollSettings, *, force: bool = False, callbacks=(), verbose: int = 0,
          plan=None) -> TaskRun:
    """Train (or resume) a piano-roll run on ``data["train"]`` (a :class:`Split` records its data set), keeping the
    epoch with the best validation NLL.

    ``plan`` (:class:`mgtutor.distribute.TrainingPlan`): where and how the Keras models train (notebook 10);
    recorded in config.json, not compared.

    Raises:
        TrainError: a bad setting. RunDirError: a finished run (``force`` starts over) or other settings.
    See: notebook 07 (piano rolls).
    """
    import keras

    from mgtutor import data as datasets
    from mgtutor import models
    from mgtutor.metrics import keras_metric
    from mgtutor.train import BestCheckpoint, fit_run

    start = time.monotonic()
    s, split = settings, data
    data_spec = split.spec if isinstance(split, Split) else "chorales"
    builder = MODELS[s.model]
    if s.model not in NUMPY_MODELS:  # the windows first: a split too short for one fails before the run directory
        shifts = list(range(-s.transpose, s.transpose + 1)) if s.transpose else []
        try:
            train_data = datasets.NextStepData(_framed(split["train"]), s.window, s.stride, s.batch_size,
                                               shuffle=True, seed=s.seed, shifts=shifts,
                                               transposer=datasets.roll_transposer(shifts) if shifts else None,
                                               dtype="float32")
            valid_data = datasets.NextStepData(_framed(split["valid"]), s.window, s.window, s.batch_size,
                                               dtype="float32")
        except DatasetError as exc:
            raise DatasetError(f"{data_spec}: {exc}") from None
        if s.model == "nade":
            train_data, valid_data = datasets.TeacherForced(train_data), datasets.TeacherForced(valid_data)
    with start_run(out, {"task": "pianoroll", "builder": builder, "builder_kwargs": s.builder_kwargs(), "seed": s.seed,
                         "data": {"spec": data_spec, "pieces": {k: len(v) for k, v in split.items()}},
                         "training": asdict(s)}, force, plan) as run:
        if s.model in NUMPY_MODELS:
            try:
                model = models.build(builder, **s.builder_kwargs()).fit(split["train"])
            except ValueError as exc:
                raise DatasetError(f"{data_spec}: {exc}") from None
            run.save_model(model)
            times = {"epochs_run": 0, "stopped_by_budget": False, "train_seconds": time.monotonic() - start}
        else:
            rate = s.learning_rate if s.schedule == "constant" else keras.optimizers.schedules.CosineDecay(
                s.learning_rate, s.epochs * train_data.steps_per_epoch, alpha=FINAL_LR_FRACTION)

            def build():
                config.seed_everything(s.seed)
                model = models.build(builder, **s.builder_kwargs())
                model.compile(optimizer=keras.optimizers.Adam(rate, clipnorm=1.0), loss=models.frame_loss(),
                              weighted_metrics=[keras_metric("frame")])
                return model

            best = BestCheckpoint(run.state_dir, run.log_path, monitor="val_nll", patience=s.patience)
            fit = fit_run(run, build, train_data, valid_data, epochs=s.epochs, callbacks=[best, *callbacks],
                          time_budget_s=None if s.time_budget_min is None else 60 * s.time_budget_min, verbose=verbose,
                          plan=plan)
            model, times = fit.model, fit_results(fit)
        return finish_run(run, model, {"model": s.model, "valid": score(model, split["valid"]), **times}, start, plan)


def load(run_dir) -> TaskRun:
    """A finished piano-roll run (the model rebuilt through the registry).

    Raises:
        RunDirError: missing, unfinished, or not a piano-roll run.
    """
    return open_run(run_dir, "pianoroll")


def sample(model, frames: int, seed: int = 0) -> np.ndarray:
    """``frames`` frames drawn from ``model`` (each given the ones before it): uint8 (frames, 88)."""
    return frame_sampler(model).sample(frames, np.random.default_rng(seed))


# --------------------------------------------------------------------------- command line
_D = PianoRollSettings()
DATA_HELP = ("chorales (music21's Bach chorales split by tune; default), a registry name such as jsb_chorales "
             "or boulanger_tcn_mat:Nottingham (fetch it first with `python -m mgtutor data get NAME`), or a "
             "Boulanger-Lewandowski .pickle / TCN .mat file")
TRAIN_OPTIONS = (
    option("--data", default="chorales", help=DATA_HELP),
    option("--model", default=None, choices=list(MODELS), help=f"the model (default {_D.model})"),
    *run_options("runs/pianoroll-<model>-<seed>",
                 f"maximum epochs (default {_D.epochs}; {SMOKE['epochs']} in smoke)"),
    option("--seed", type=int, default=None, help="seed for weights, shuffling and the chorale split (default 0)"),
    option("--units", type=int, default=None, help=f"LSTM size (default {_D.units}; {SMOKE['units']} in smoke)"),
    option("--hidden", type=int, default=None, help=f"NADE hidden size (default {_D.hidden})"),
    option("--transpose", type=int, default=None, metavar="N",
           help="transpose each training piece by a random shift in -N…+N semitones per epoch (default 0)"),
    option("--dropout", type=float, default=None, help=f"dropout after each LSTM (default {_D.dropout})"),
    option("--patience", type=int, default=None,
           help=f"stop after this many epochs without a better validation NLL (default {_D.patience})"),
    option("--schedule", default=None, choices=list(SCHEDULES),
           help=f"the learning rate: constant, or a cosine decay to {FINAL_LR_FRACTION * 100:g} %% of it over --epochs "
                f"(default {_D.schedule})"),
    *DEVICE_OPTIONS,
)
EVALUATE_OPTIONS = (
    run_dir_option("pianoroll"),
    option("--data", default=None, help="the data to score (default: the run's own); " + DATA_HELP),
    option("--split", default="valid", choices=["train", "valid", "test"],
           help="which split to score (default valid; read test once, at the end)"),
)
GENERATE_OPTIONS = (
    run_dir_option("pianoroll"),
    option("--frames", type=int, required=True, help="number of frames (time steps) to generate"),
    option("--seed", type=int, default=0, help="sampling seed (same run + seed ⇒ same file)"),
    option("--out", required=True, help="output file: .mid/.midi, .musicxml/.xml or .wav"),
)


def _run_train(args) -> int:
    from mgtutor.runs import check_run_target, run_name

    plan = training_plan(args, MODELS.get(args.model))  # first: splitting a CPU must precede the backend's start
    s = settings(model=args.model, epochs=args.epochs, time_budget_min=args.time_budget_min, seed=args.seed,
                 units=args.units, hidden=args.hidden, transpose=args.transpose, batch_size=args.batch_size,
                 learning_rate=args.learning_rate, dropout=args.dropout, patience=args.patience,
                 schedule=args.schedule)
    out = Path(args.out) if args.out else config.runs_dir() / run_name("pianoroll", s.model, s.seed)
    check_run_target(plan.run_path(out))  # before the data is loaded: a bad --out fails at once
    callbacks = [] if s.model in NUMPY_MODELS else progress_callbacks(plan, s.epochs)
    result = train(load_data(args.data, s.seed), out, s, force=args.force, callbacks=callbacks, plan=plan)
    v = result.results["valid"]
    print(f"{result.run_dir}: {s.model}, {result.results['epochs_run']} epoch(s), validation frame NLL "
          f"{v['frame_nll']:.3f} nats/frame ({v['frame_nll_skip_first']:.3f} without first frames) on "
          f"{v['pieces']} pieces")
    return 0


def _run_evaluate(args) -> int:
    run = load(args.run_dir)
    spec = args.data or run.config["data"]["spec"]
    rolls = load_data(spec, run.config["seed"])[args.split]
    if not rolls:
        from mgtutor.errors import DatasetError

        raise DatasetError(f"{spec}: the {args.split} split is empty")
    print(json.dumps({"split": args.split, **score(run.model, rolls), "model": run.config["training"]["model"]}))
    return 0


def _run_generate(args) -> int:
    from mgtutor.render import check_output, write
    from mgtutor.symbolic import piano_roll_to_notes

    if args.frames < 1:
        raise TrainError(f"--frames must be ≥ 1, got {args.frames}")
    out = check_output(args.out)
    run = load(args.run_dir)
    roll = sample(run.model, args.frames, args.seed)
    notes = piano_roll_to_notes(roll, steps_per_quarter=1)
    if not notes:
        raise TrainError(f"{out}: the sampled frames are all silent; try another seed or more frames")
    write(notes, out, tempo=run.config["training"]["qpm"])
    print(f"{out}: {len(notes)} notes in {args.frames} frames, {math.ceil(args.frames / 4)} bars of 4/4")
    return 0


register_task(Task("pianoroll", "polyphonic next-frame models on piano rolls, with baselines (notebook 07)", {
    "train": (TRAIN_OPTIONS, _run_train),
    "evaluate": (EVALUATE_OPTIONS, _run_evaluate),
    "generate": (GENERATE_OPTIONS, _run_generate),
}, PianoRollSettings, train, load, training_data))
