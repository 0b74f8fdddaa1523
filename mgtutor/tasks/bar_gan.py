"""The bar-GAN task: a convolutional GAN of one-bar chorale fragments and its bar metrics (notebook 09).

Part of mgtutor. See notebook 09 §2::

    python -m mgtutor train bar-gan --out RUN_DIR [--epochs N] [--time-budget MIN] [--seed S]
    python -m mgtutor generate bar-gan --run RUN_DIR --n K --out DIR [--seed S]
    python -m mgtutor evaluate bar-gan --run RUN_DIR

``gan-pianoroll``, its former name, is an alias (:attr:`mgtutor.tasks.Task.aliases`): the old commands still work, and
a run whose config.json names it (the shipped ``mgtutor/shipped/gan-pianoroll/``) loads as a bar-GAN run.

Data: music21's Bach chorales split **by tune** (:func:`mgtutor.data.chorale_split`, 80/10/10 of the
tunes, shuffled by the seed); the 4/4 chorales of the training tunes give the training bars
(:func:`mgtutor.data.chorale_bars`: transposed to C major / A minor, 16 sixteenths × 56 keys, a window starting on
every beat). The model is
:func:`mgtutor.models.gan_music.bar_gan` (WGAN-GP).

Evaluation (:func:`evaluate`, what a run records in its results.json and ``evaluate bar-gan`` prints; notebook 09
§2 prints the same numbers through :func:`yardsticks`) draws ``eval_bars`` bars with a fixed seed, thresholds them
at 0.5, and sets each bar statistic of :data:`mgtutor.metrics.BAR_METRICS` beside both yardsticks of COURSE.md:
real-vs-real variation — the statistic over bootstrap sub-samples of ``eval_bars`` held-out (validation) bars, real
music the model never saw, whose 2.5–97.5 % interval gives each statistic's tolerance (:func:`tolerance`) and
its spread s the unit of z = (x − training) / s — and a memoriser that replays training bars
(:func:`memoriser_bars`), caught by the copy check (distance to the nearest training bar). A baseline that knows
only how often each cell is on (independent Bernoulli cells, :func:`bernoulli_bars`) decides which statistics
discriminate: one whose interval holds the baseline's value cannot tell a model from coins. No fixed percentage
enters anywhere.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from mgtutor import config
from mgtutor.errors import TrainError
from mgtutor.tasks import (
    Task,
    TaskRun,
    finish_run,
    fit_results,
    fit_wgan,
    make_settings,
    open_run,
    option,
    register_task,
    run_dir_option,
    run_options,
    start_run,
)

TASK = "bar-gan"
ALIASES = ("gan-pianoroll",)
"""The task's former name, still accepted on the command line and in a run's config.json."""
BUILDER = "bar_gan"
SETS = ("training", "held-out", "GAN", "Bernoulli", "memoriser")
"""The sets of bars :func:`yardsticks` compares, in the order notebook 09 prints them."""
DRAWS = 1000
"""Bootstrap sub-samples of the held-out bars behind each real-vs-real interval."""


@dataclass(frozen=True)
class BarGanSettings:
    """Everything a bar-GAN run depends on; recorded in its config.json.

    ``noise_dim``, ``width`` (G's and D's channels), ``n_critic`` critic steps per generator step,
    ``gp_weight`` (λ of WGAN-GP) and ``octave`` (the critic's 1 × 12 first layer); ``window`` steps per bar and
    ``stride`` steps between bar starts; ``chorales`` (how many of the corpus to split, None = all); ``epochs``,
    ``batch_size``, ``learning_rate`` (Adam, β = (0.5, 0.9), both networks), ``time_budget_min``, ``seed``;
    ``eval_bars`` bars drawn to evaluate, ``min_steps`` of a qualified note; ``qpm`` for writing files.
    """

    noise_dim: int = 64
    width: int = 32
    n_critic: int = 3
    gp_weight: float = 10.0
    octave: bool = False
    window: int = 16
    stride: int = 4
    chorales: int | None = None
    epochs: int = 10
    batch_size: int = 64
    learning_rate: float = 1e-4
    time_budget_min: float | None = None
    seed: int = 0
    eval_bars: int = 1000
    min_steps: int = 3
    qpm: float = 80.0

    def builder_kwargs(self) -> dict:
        from mgtutor.data import BAR_KEYS

        return {"noise_dim": self.noise_dim, "width": self.width, "steps": self.window, "keys": BAR_KEYS,
                "n_critic": self.n_critic, "gp_weight": self.gp_weight, "octave": self.octave, "seed": self.seed}


SMOKE = {"width": 8, "noise_dim": 16, "epochs": 1, "eval_bars": 200}
"""Smoke-mode defaults (a tiny GAN, one epoch, the smoke subset of the chorales)."""


def settings(**overrides) -> BarGanSettings:
    """:class:`BarGanSettings` with the mode's defaults, then ``overrides`` (``None`` values are ignored).

    Raises:
        TrainError: an unknown setting or a value out of range (the message names it).
    """
    s = make_settings(BarGanSettings, SMOKE, overrides, ("noise_dim", "width", "n_critic", "window", "stride",
                                                         "epochs", "batch_size", "eval_bars", "min_steps"), "bar-GAN")
    if s.window != 16:
        raise TrainError(f"window must be 16 (one bar of 4/4 in sixteenths), got {s.window}")
    if not s.learning_rate > 0 or not s.gp_weight >= 0:
        raise TrainError(f"need learning_rate > 0 and gp_weight ≥ 0, got {s.learning_rate}, {s.gp_weight}")
    return s


# --------------------------------------------------------------------------- data
def load_bars(seed: int = 0, chorales: int | None = None, stride: int = 4) -> dict[str, np.ndarray]:
    """``{"train", "valid", "test"}`` uint8 bars (N, 16, 56) of the key-normalised 4/4 chorales split by tune
    (``seed``), over the
    first ``chorales`` of the corpus (default all; the smoke subset in smoke mode).

    See: notebook 09 §2.
    """
    from mgtutor import data

    return {part: data.chorale_bars(names, stride=stride)
            for part, names in data.chorale_split(seed, chorales).items()}


BARS_FILE = "bars.npz"
"""The run's own training and validation bars, bit-packed (:func:`save_bars`): evaluation needs no chorale parse."""


def save_bars(bars: dict, path) -> Path:
    """Write the ``train`` and ``valid`` bars (N, 16, K) 0/1 to ``path`` (.npz, each row bit-packed), atomically."""
    from mgtutor.files import atomic_path

    path = Path(path)
    with atomic_path(path, suffix=".npz") as tmp:
        np.savez_compressed(tmp, keys=np.array(bars["train"].shape[2]),
                            **{k: np.packbits(np.asarray(bars[k], bool), axis=-1) for k in ("train", "valid")})
    return path


def read_bars(path) -> dict[str, np.ndarray]:
    """The bars written by :func:`save_bars`: ``{"train", "valid"}`` uint8 (N, 16, K).

    Raises:
        RunDirError: a missing or unreadable file.
    """
    from mgtutor.runs import RunDirError

    try:
        with np.load(path) as f:
            keys = int(f["keys"])
            return {k: np.unpackbits(f[k], axis=-1, count=keys) for k in ("train", "valid")}
    except (OSError, KeyError, ValueError) as exc:
        raise RunDirError(f"{path}: unreadable bars ({type(exc).__name__}); train again") from None


def bernoulli_bars(train: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """The baseline: n bars whose cells are independent coins, each on with its frequency in ``train``.

    See: notebook 09 §2.
    """
    p = np.asarray(train, np.float64).mean(axis=0)
    return (np.random.default_rng(seed).random((n, *p.shape)) < p).astype(np.uint8)


def sample_bars(model, n: int, seed: int = 0, threshold: float = 0.5) -> np.ndarray:
    """n bars from a bar GAN with a fixed seed (same run + seed ⇒ same bars), thresholded: uint8 (n, 16, 56)."""
    return (model.sample(int(n), seed=int(seed))[..., 0] > threshold).astype(np.uint8)


def memoriser_bars(train: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """The memoriser baseline: n training bars replayed, drawn uniformly with replacement
    (:func:`mgtutor.metrics.memoriser_indices`). It scores like the training bars on every bar statistic, and the
    copy check catches it: every one of its bars is at distance 0 from a training bar.

    See: notebook 09 §2.
    """
    from mgtutor.metrics import memoriser_indices

    train = np.asarray(train)
    return train[memoriser_indices(len(train), n, seed)]


def _number(x) -> float | None:
    """``x`` as a float, or None where it is undefined (NaN): results.json holds strict JSON."""
    return None if x is None or not np.isfinite(x) else float(x)


def tolerance(training: float | None, interval: dict) -> float | None:
    """A bar statistic's tolerance from real-vs-real variation: how far from the training value a real set of
    unseen bars, of the generated set's size, can land — max(|low − training|, |high − training|) over the
    real-vs-real interval [low, high] (:func:`yardsticks`). None where the training value or the interval is
    undefined.

    See: notebook 09 §2.
    """
    low, high = interval["low"], interval["high"]
    if training is None or low is None or high is None:
        return None
    return max(abs(low - training), abs(high - training))


def within(value: float | None, training: float | None, tol: float | None) -> bool:
    """|value − training| ≤ ``tol`` (:func:`tolerance`); False where any of them is undefined."""
    return value is not None and training is not None and tol is not None and abs(value - training) <= tol


def yardsticks(model, bars: dict, s: BarGanSettings, seed: int = 0, draws: int = DRAWS) -> dict:
    """The bar statistics of the GAN beside both yardsticks: real-vs-real variation and a memoriser.

    For each statistic of :data:`mgtutor.metrics.BAR_METRICS`: its value on the training bars, the held-out
    (validation) bars, ``s.eval_bars`` GAN bars (seed ``seed``), as many Bernoulli-baseline bars and as many
    memoriser bars (:data:`SETS`; None where a statistic is undefined, e.g. the polyphony of empty bars); the
    real-vs-real interval, the statistic over ``draws`` bootstrap sub-samples of ``s.eval_bars`` held-out bars
    (:func:`mgtutor.metrics.subsample_interval`, 2.5–97.5 %, with its spread s); each set's distance from training
    in units of s, z = (x − training) / s (None where s = 0: every sub-sample gives the same value);
    ``discriminating``: False where the interval contains
    the Bernoulli baseline's value — a statistic on which independent coins look like real music cannot tell a
    model from them; the ``tolerance`` of each statistic (:func:`tolerance`) and whether each set lies ``within``
    it. Each set's copy check (:func:`mgtutor.metrics.nearest_bar_distance` against the training bars) is in
    ``copies``. ``summary`` counts, over the m discriminating statistics, those on which each set lies within
    tolerance and those on which the GAN is closer to the training value than the Bernoulli baseline.

    Returns:
        ``{"n", "draws", "sets": {name: {metric: value}}, "intervals": {metric: {"low", "high", "median",
        "std"}}, "z": {name: {metric: z}}, "discriminating": {metric: bool}, "tolerance": {metric: tol},
        "within": {name: {metric: bool}}, "copies": {name: {"copies", "nearest_distance_mean",
        "nearest_distance_min"}}, "summary": {"statistics", "discriminating", "within": {name: count},
        "gan_closer_than_bernoulli"}}`` with names training, held-out, GAN, Bernoulli, memoriser.
    Raises:
        MetricError: fewer than 2 held-out bars (no real-vs-real interval).
    See: notebook 09 §2.
    """
    from mgtutor.data import BAR_LOWEST
    from mgtutor.metrics import BAR_METRICS, bar_metric_parts, nearest_bar_distance, ratio_of_sums, subsample_interval

    train, valid, n = bars["train"], bars["valid"], s.eval_bars
    sets = {"training": train, "held-out": valid, "GAN": sample_bars(model, n, seed),
            "Bernoulli": bernoulli_bars(train, n, seed), "memoriser": memoriser_bars(train, n, seed)}
    parts = {name: bar_metric_parts(x, BAR_LOWEST, s.min_steps) for name, x in sets.items()}
    values = {name: {m: _number(ratio_of_sums(p[m])) for m in BAR_METRICS} for name, p in parts.items()}
    intervals = {}
    for m in BAR_METRICS:
        iv = subsample_interval(ratio_of_sums, parts["held-out"][m], n, draws, seed, replace=True)
        intervals[m] = {k: _number(iv[k]) for k in ("low", "high", "median", "std")}
        if np.ptp(iv["values"]) == 0:  # every sub-sample gives the same value: s is 0, not np.std's rounding residue
            intervals[m]["std"] = 0.0
    ref = values["training"]

    def z_of(x, m):
        std = intervals[m]["std"]
        return None if x is None or ref[m] is None or not std else (x - ref[m]) / std

    z = {name: {m: z_of(v[m], m) for m in BAR_METRICS} for name, v in values.items()}
    discriminating = {}
    for m in BAR_METRICS:
        low, high, bern = intervals[m]["low"], intervals[m]["high"], values["Bernoulli"][m]
        discriminating[m] = not (low is not None and high is not None and bern is not None and low <= bern <= high)
    tol = {m: tolerance(ref[m], intervals[m]) for m in BAR_METRICS}
    inside = {name: {m: within(v[m], ref[m], tol[m]) for m in BAR_METRICS} for name, v in values.items()}
    copies = {}
    for name in ("held-out", "GAN", "Bernoulli", "memoriser"):
        d = nearest_bar_distance(sets[name], train)
        copies[name] = {"copies": int((d == 0).sum()), "nearest_distance_mean": float(d.mean()),
                        "nearest_distance_min": int(d.min())}
    judged = [m for m in BAR_METRICS if discriminating[m]]

    def distance(name, m):
        x = values[name][m]
        return np.inf if x is None or ref[m] is None else abs(x - ref[m])

    summary = {"statistics": len(BAR_METRICS), "discriminating": len(judged),
               "within": {name: sum(inside[name][m] for m in judged) for name in SETS[1:]},
               "gan_closer_than_bernoulli": sum(distance("GAN", m) < distance("Bernoulli", m) for m in judged)}
    return {"n": n, "draws": draws, "sets": values, "intervals": intervals, "z": z, "discriminating": discriminating,
            "tolerance": tol, "within": inside, "copies": copies, "summary": summary}


def evaluate(model, bars: dict, s: BarGanSettings, seed: int = 0, draws: int = DRAWS) -> dict:
    """What a run records in results.json (``evaluation``) and ``evaluate bar-gan`` prints: :func:`yardsticks`
    (strict JSON: undefined numbers are None) and ``bars``, the number of training and held-out bars.

    Raises:
        MetricError: fewer than 2 held-out bars.
    See: notebook 09 §2.
    """
    return {"bars": {"training": len(bars["train"]), "held-out": len(bars["valid"])},
            **yardsticks(model, bars, s, seed, draws)}


def summary_line(evaluation: dict) -> str:
    """One sentence of an :func:`evaluate` result: the counts of its ``summary`` and the copy checks."""
    sm, cp = evaluation["summary"], evaluation["copies"]
    m, w = sm["discriminating"], sm["within"]
    return (f"{m} of {sm['statistics']} bar statistics discriminate (the Bernoulli baseline lies outside their "
            f"real-vs-real interval); within the real-vs-real tolerance on them: GAN {w['GAN']}/{m}, Bernoulli "
            f"{w['Bernoulli']}/{m}, held-out {w['held-out']}/{m}, memoriser {w['memoriser']}/{m}; GAN closer to "
            f"the training bars than the Bernoulli baseline on {sm['gan_closer_than_bernoulli']}/{m}; copies of a "
            f"training bar: GAN {cp['GAN']['copies']}, memoriser {cp['memoriser']['copies']} of "
            f"{evaluation['n']}")


def train(data: dict, out, settings: BarGanSettings, *, force: bool = False, callbacks=(), verbose: int = 0,
          plan=None) -> TaskRun:
    """Train (or resume) a bar GAN on the bars ``data["train"]`` (:func:`load_bars`) and evaluate it
    (:func:`evaluate`).

    Returns:
        the :class:`~mgtutor.tasks.TaskRun`, with its ``bars`` (training and validation).
    Raises:
        TrainError: a bad setting, or no training bars. RunDirError: a finished run (``force`` starts over) or
            other settings.
    See: notebook 09 §2.
    """
    from mgtutor.data import FullBatchData

    start = time.monotonic()
    s, bars = settings, data
    if not len(bars["train"]):
        raise TrainError("no training bars: the split holds no 4/4 chorale; use more chorales")
    if len(bars["valid"]) < 2:
        raise TrainError(f"{len(bars['valid'])} held-out bar(s): the real-vs-real interval of the evaluation needs "
                         "at least 2; use more chorales")
    with start_run(out, {"task": TASK, "builder": BUILDER, "builder_kwargs": s.builder_kwargs(), "seed": s.seed,
                         "data": {"spec": "chorales", "bars": {k: len(v) for k, v in bars.items()}},
                         "training": asdict(s)}, force, plan) as run:
        save_bars(bars, run.path / BARS_FILE)
        x = bars["train"].astype("float32")[..., None]
        train_data = FullBatchData((x,), s.batch_size, shuffle=True, seed=s.seed)
        fit, clock = fit_wgan(run, BUILDER, s, train_data, callbacks, verbose, plan)
        results = {"evaluation": evaluate(fit.model, bars, s), **fit_results(fit), "train_cpu_seconds": clock.seconds}
        return finish_run(run, fit.model, results, start, plan, bars=read_bars(run.path / BARS_FILE))


def load(run_dir) -> TaskRun:
    """A finished bar-GAN run (the GAN rebuilt through the registry) with its ``bars`` (:func:`read_bars`).

    Raises:
        RunDirError: missing, unfinished, or not a bar-GAN run.
    """
    return open_run(run_dir, TASK, lambda run: {"bars": read_bars(run.artifact(BARS_FILE))})


def training_data(s: BarGanSettings, spec: dict) -> dict[str, np.ndarray]:
    """The bars of a run with settings ``s`` (:func:`load_bars`: the chorales split by its seed)."""
    return load_bars(s.seed, s.chorales, s.stride)


def write_bars(bars: np.ndarray, out_dir, qpm: float = 80.0) -> list[Path]:
    """Write bars (N, 16, 56) to ``out_dir``: ``bars.npy``, and the bars end to end as ``bars.mid`` and
    ``bars.wav`` (numpy synthesis). Returns the paths.

    Raises:
        TrainError: every bar is silent (nothing to write as music).
    """
    from mgtutor.data import bars_to_roll
    from mgtutor.files import atomic_path
    from mgtutor.render import write
    from mgtutor.symbolic import piano_roll_to_notes

    out_dir = Path(out_dir)
    notes = piano_roll_to_notes(bars_to_roll(bars), steps_per_quarter=4)
    if not notes:
        raise TrainError("every generated bar is silent; try another seed")
    out_dir.mkdir(parents=True, exist_ok=True)
    with atomic_path(out_dir / "bars.npy", suffix=".npy") as tmp:
        np.save(tmp, np.asarray(bars, np.uint8))
    paths = [out_dir / "bars.npy"]
    for name in ("bars.mid", "bars.wav"):
        paths.append(write(notes, out_dir / name, tempo=qpm))
    return paths


# --------------------------------------------------------------------------- command line
_D = BarGanSettings()
TRAIN_OPTIONS = (
    *run_options("runs/bar-gan-bar_gan-<seed>",
                 f"epochs (default {_D.epochs}; {SMOKE['epochs']} in smoke)"),
    option("--seed", type=int, default=None, help="seed for weights, noise, batches and the chorale split (default 0)"),
)
EVALUATE_OPTIONS = (
    run_dir_option(TASK),
    option("--seed", type=int, default=0, help="seed of the generated bars (default 0)"),
)
GENERATE_OPTIONS = (
    run_dir_option(TASK),
    option("--n", type=int, required=True, help="number of bars to generate"),
    option("--out", required=True, help="output folder (bars.npy, bars.mid, bars.wav)"),
    option("--seed", type=int, default=0, help="sampling seed (same run + seed ⇒ same bars)"),
)


def _run_train(args) -> int:
    from mgtutor.runs import run_name

    s = settings(epochs=args.epochs, time_budget_min=args.time_budget_min, seed=args.seed)
    out = Path(args.out) if args.out else config.runs_dir() / run_name(TASK, BUILDER, s.seed)
    result = train(load_bars(s.seed, s.chorales, s.stride), out, s, force=args.force)
    ev = result.results["evaluation"]
    print(f"{result.run_dir}: {result.results['epochs_run']} epoch(s) on {ev['bars']['training']} bars; "
          f"{summary_line(ev)}")
    return 0


def _run_evaluate(args) -> int:
    run = load(args.run_dir)
    ev = evaluate(run.model, run.bars, run.settings, seed=args.seed)
    print(json.dumps({"task": TASK, "seed": args.seed, **ev}))
    return 0


def _run_generate(args) -> int:
    if args.n < 1:
        raise TrainError(f"--n must be ≥ 1, got {args.n}")
    run = load(args.run_dir)
    bars = sample_bars(run.model, args.n, args.seed)
    paths = write_bars(bars, args.out, run.settings.qpm)
    print(f"{Path(args.out)}: {args.n} bar(s), {int(bars.sum())} on-cells → {', '.join(p.name for p in paths)}")
    return 0


register_task(Task(TASK, "a convolutional GAN of one-bar chorale fragments, with bar metrics (notebook 09)", {
    "train": (TRAIN_OPTIONS, _run_train),
    "evaluate": (EVALUATE_OPTIONS, _run_evaluate),
    "generate": (GENERATE_OPTIONS, _run_generate),
}, BarGanSettings, train, load, training_data, aliases=ALIASES))
