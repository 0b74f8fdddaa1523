"""The 2-D GAN task: mode collapse on the ring and the grid, and a remedy (notebook 08).

Part of mgtutor. See notebook 08 (GANs from first principles) §4::

    python -m mgtutor train gan-toy --out RUN_DIR [--data ring|grid] [--model gan|pacgan|wgan-gp] [--epochs N]
                                    [--time-budget MIN] [--seed S] [--pack M] [--units U] [--batch-size B]
    python -m mgtutor evaluate gan-toy --run RUN_DIR [--seed S]

Data: a fresh draw of the benchmark every epoch (:class:`mgtutor.data.ToyData`, epoch e from (seed, e)).
Models (:func:`mgtutor.models.toy_gan`, the same networks for each): ``gan`` — the plain GAN with the
non-saturating loss; ``pacgan`` — the same GAN whose discriminator judges ``pack`` samples at once (Lin et al.
2018), which makes a generator that repeats a few modes visible; ``wgan-gp`` — a critic with a gradient penalty
(Gulrajani et al. 2017). Both networks work in units of the data's scale (the grid spans ±4) and both learning
rates decay along a cosine to ``final_lr_fraction`` of their start. A run is scored on 2,500 samples (modes
covered, high-quality rate: :func:`mgtutor.metrics.toy_gan_scores`); ``evaluate`` prints them as one JSON line.
"""

from __future__ import annotations

import json
import math
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
    make_settings,
    open_run,
    option,
    register_task,
    run_dir_option,
    run_options,
    start_run,
)

TASK = "gan-toy"
MODELS = ("gan", "pacgan", "wgan-gp")
"""``--model``: the plain GAN and the two remedies."""
DATA = ("ring", "grid")


@dataclass(frozen=True)
class GanToySettings:
    """Everything a toy GAN run depends on; recorded in its config.json.

    ``data`` (ring or grid) and ``model`` (:data:`MODELS`); the networks' ``units`` × ``layers`` (the defaults
    here are the grid's; :data:`DATA_DEFAULTS` has the ring's) and
    ``noise_dim``; ``pack`` (pacgan), ``gp_weight`` and ``n_critic`` (wgan-gp); ``epochs`` × ``steps_per_epoch``
    batches of ``batch_size`` points; Adam's ``learning_rate`` (β₁ = 0.5, β₂ = 0.9), decayed along a cosine to
    ``final_lr_fraction`` of it; ``time_budget_min`` (the run's whole training time) and ``seed``.
    """

    data: str = "ring"
    model: str = "pacgan"
    units: int = 96
    layers: int = 3
    noise_dim: int = 2
    pack: int = 2
    gp_weight: float = 0.1
    n_critic: int = 5
    epochs: int = 15
    steps_per_epoch: int = 1000
    batch_size: int = 256
    learning_rate: float = 1e-3
    final_lr_fraction: float = 0.05
    time_budget_min: float | None = None
    seed: int = 0

    def builder_kwargs(self) -> dict:
        """:func:`mgtutor.models.toy_gan`'s arguments for this run."""
        from mgtutor.data import toy_set

        kwargs = {"data_dim": 2, "noise_dim": self.noise_dim, "units": self.units, "layers": self.layers,
                  "scale": float(np.abs(toy_set(self.data).means).max()), "seed": self.seed}
        if self.model == "pacgan":
            kwargs["pack"] = self.pack
        if self.model == "wgan-gp":
            kwargs.update(loss="wgan-gp", gp_weight=self.gp_weight, n_critic=self.n_critic)
        return kwargs


DATA_DEFAULTS = {"ring": {"units": 64, "batch_size": 128}, "grid": {}}
"""Per-benchmark defaults: the ring's 8 modes need smaller networks and batches than the grid's 25 (with the
grid's settings the plain GAN keeps most ring modes too; notebook 08 §4 shows both)."""
SMOKE = {"epochs": 2, "steps_per_epoch": 20, "units": 32}
"""Smoke-mode defaults (a few dozen steps: the command runs, the numbers mean nothing)."""


def settings(**overrides) -> GanToySettings:
    """:class:`GanToySettings` with the mode's defaults, then ``overrides`` (``None`` values are ignored).

    Raises:
        TrainError: an unknown setting, data set or model, or a value out of range (the message names it).
    """
    name = overrides.get("data") or GanToySettings.data
    if name not in DATA:
        raise TrainError(f"--data {name!r}: use ring or grid")
    s = make_settings(GanToySettings, SMOKE, overrides, ("units", "layers", "noise_dim", "pack", "n_critic", "epochs",
                                                         "steps_per_epoch", "batch_size"), "gan-toy",
                      DATA_DEFAULTS[name])
    if s.model not in MODELS:
        raise TrainError(f"--model {s.model!r}: use one of {', '.join(MODELS)}")
    if s.model == "pacgan" and s.batch_size % s.pack:
        raise TrainError(f"batch_size {s.batch_size} is not a multiple of pack {s.pack}")
    if not (s.learning_rate > 0 and 0 < s.final_lr_fraction <= 1 and s.gp_weight >= 0):
        raise TrainError(f"need learning_rate > 0, 0 < final_lr_fraction ≤ 1 and gp_weight ≥ 0; got "
                         f"{s.learning_rate}, {s.final_lr_fraction}, {s.gp_weight}")
    return s


def optimizers(s: GanToySettings):
    """(d_optimizer, g_optimizer): Adam(β₁ = 0.5, β₂ = 0.9) each, the rate decaying along a cosine over the run."""
    import keras

    def adam():
        rate = keras.optimizers.schedules.CosineDecay(s.learning_rate, s.epochs * s.steps_per_epoch,
                                                      alpha=s.final_lr_fraction)
        return keras.optimizers.Adam(rate, beta_1=0.5, beta_2=0.9)

    return adam(), adam()


def scores(model, data: str, seed: int = 0, n: int | None = None) -> dict:
    """Modes covered and high-quality rate of ``n`` (default 2,500) samples drawn with ``seed``.

    See: notebook 08 §4.
    """
    from mgtutor.data import toy_set
    from mgtutor.metrics import TOY_SAMPLES, toy_gan_scores

    spec = toy_set(data)
    return toy_gan_scores(model.sample(n or TOY_SAMPLES, seed=seed), spec.means, spec.sigma)


def toy_data(s: GanToySettings):
    """The :class:`mgtutor.data.ToyData` a run with settings ``s`` trains on: ``steps_per_epoch`` batches of
    ``batch_size`` fresh points of ``s.data`` each epoch, drawn from the seed."""
    from mgtutor.data import ToyData

    return ToyData(s.data, s.steps_per_epoch * s.batch_size, s.batch_size, seed=s.seed)


def training_data(s: GanToySettings, spec: dict):
    """The data of a run with settings ``s`` (:func:`toy_data`)."""
    return toy_data(s)


def train(data, out, settings: GanToySettings, *, force: bool = False, callbacks=(), verbose: int = 0,
          plan=None) -> TaskRun:
    """Train (or resume) a toy GAN run in ``out`` on ``data``, the settings' :func:`toy_data`, and score it
    (results.json: modes, high_quality, …).

    Raises:
        TrainError: a bad setting, or ``data`` that is not the settings' draws. RunDirError: a finished run
            (``force`` starts over) or other settings.
    See: notebook 08 §4.
    """
    from mgtutor import models
    from mgtutor.data import ToyData
    from mgtutor.train import fit_run

    start = time.monotonic()
    s = settings
    expected = toy_data(s)
    if not isinstance(data, ToyData) or vars(data) != vars(expected):
        raise TrainError(f"gan-toy trains on the draws its settings make ({vars(expected)}), got {data!r}; pass "
                         "gan_toy.toy_data(settings)")
    with start_run(out, {"task": TASK, "builder": "toy_gan", "builder_kwargs": s.builder_kwargs(), "seed": s.seed,
                         "data": {"spec": s.data}, "training": asdict(s)}, force, plan) as run:
        def build():
            config.seed_everything(s.seed)
            model = models.build("toy_gan", **s.builder_kwargs())
            d_opt, g_opt = optimizers(s)
            model.compile(d_optimizer=d_opt, g_optimizer=g_opt, steps_per_execution=math.gcd(100, s.steps_per_epoch))
            return model

        fit = fit_run(run, build, data, epochs=s.epochs, callbacks=list(callbacks), verbose=verbose,
                      time_budget_s=None if s.time_budget_min is None else 60 * s.time_budget_min, plan=plan)
        results = {"data": s.data, "model": s.model, "seed": s.seed, **scores(fit.model, s.data, s.seed),
                   **fit_results(fit)}
        return finish_run(run, fit.model, results, start, plan)


def load(run_dir) -> TaskRun:
    """A finished toy GAN run (the model rebuilt through the registry).

    Raises:
        RunDirError: missing, unfinished, or not a gan-toy run.
    """
    return open_run(run_dir, TASK)


# --------------------------------------------------------------------------- command line
_D = GanToySettings()
TRAIN_OPTIONS = (
    option("--data", default=None, help=f"the benchmark: ring or grid (default {_D.data})"),
    option("--model", default=None, help=f"gan (plain), pacgan (packed discriminator) or wgan-gp (default {_D.model})"),
    *run_options("runs/gan-toy-<data>-<model>-<seed>",
                 f"epochs of {_D.steps_per_epoch} steps (default {_D.epochs}; {SMOKE['epochs']} in smoke)"),
    option("--seed", type=int, default=None, help="seed for weights, data and noise (default 0)"),
    option("--pack", type=int, default=None, help=f"samples per discriminator input for pacgan (default {_D.pack})"),
    option("--units", type=int, default=None,
           help=f"hidden units per layer of G and D (default {DATA_DEFAULTS['ring']['units']} on the ring, "
                f"{_D.units} on the grid)"),
    option("--batch-size", type=int, default=None,
           help=f"points per batch (default {DATA_DEFAULTS['ring']['batch_size']} on the ring, {_D.batch_size} on "
                "the grid)"),
)
EVALUATE_OPTIONS = (
    run_dir_option("gan-toy"),
    option("--seed", type=int, default=None, help="sampling seed (default: the run's seed; same seed ⇒ same line)"),
)


def _run_train(args) -> int:
    from mgtutor.runs import run_name

    s = settings(data=args.data, model=args.model, epochs=args.epochs, time_budget_min=args.time_budget_min,
                 seed=args.seed, pack=args.pack, units=args.units, batch_size=args.batch_size)
    out = Path(args.out) if args.out else config.runs_dir() / run_name(f"{TASK}-{s.data}", s.model, s.seed)
    r = train(toy_data(s), out, s, force=args.force).results
    print(f"{out}: {s.model} on the {s.data}, {r['epochs_run']} epoch(s) in {r['train_seconds']:.0f} s: "
          f"{r['modes']}/{r['of']} modes covered, {100 * r['high_quality']:.1f} % high-quality samples")
    return 0


def _run_evaluate(args) -> int:
    run = load(args.run_dir)
    s = run.settings
    seed = s.seed if args.seed is None else args.seed
    print(json.dumps({"data": s.data, "model": s.model, "seed": seed, **scores(run.model, s.data, seed),
                      "epochs_run": run.results["epochs_run"], "train_seconds": round(run.results["train_seconds"],
                                                                                       1)}))
    return 0


register_task(Task(TASK, "GANs on the 2-D ring and grid: mode collapse and its remedies (notebook 08)", {
    "train": (TRAIN_OPTIONS, _run_train),
    "evaluate": (EVALUATE_OPTIONS, _run_evaluate),
}, GanToySettings, train, load, training_data))
