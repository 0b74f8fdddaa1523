"""Tasks: what ``python -m mgtutor train|generate|evaluate <task>`` can do, by name.

Part of mgtutor. See notebooks/06_melody_generation.ipynb §5 (the command line).

A :class:`Task` names the verbs it supports and, for each, its options — declared as data
(:class:`Option`: flags and their meaning) — and a function that runs the verb from the parsed
options. A task need not be a model (an evaluation such as a copying check is a task with only
``evaluate``). The command line (:mod:`mgtutor.cli`, the only module that uses argparse) is
generated from :data:`TASKS`; importing a task module must stay cheap (no TensorFlow, Keras or
music21 at import).

A training task (one with ``train``) has one skeleton: a frozen settings dataclass, ``train(data, out, settings,
*, force=False, callbacks=(), verbose=0, plan=None)`` that writes a run directory (:func:`start_run`,
:func:`finish_run`), ``load(run_dir)`` that reads one back (:func:`open_run`), both returning a :class:`TaskRun`, and
``training_data(settings, spec)``: the data a run's config.json describes. :func:`shipped_or_trained` uses them to
give a notebook the run shipped with the package in smoke mode and the same settings trained here in full mode.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path

from mgtutor.errors import TrainError
from mgtutor.runs import LOG_FILE, RunDir

VERBS = ("train", "generate", "evaluate")


@dataclass(frozen=True)
class Option:
    """One option of a task's verb, as data: its flags and what they mean (argparse's keywords:
    ``help``, ``type``, ``default``, ``required``, ``metavar``, ``dest``, ``action``)."""

    flags: tuple[str, ...]
    spec: dict


def option(*flags: str, **spec) -> Option:
    """``option("--epochs", type=int, help="…")``: an :class:`Option`."""
    return Option(flags, spec)


def run_options(out_default: str, epochs_help: str) -> tuple[Option, ...]:
    """The options every ``train`` task shares: ``--out`` (its run directory, ``out_default`` when left out),
    ``--force`` (start over), ``--epochs`` and ``--time-budget`` (how long it trains, across resumes)."""
    return (
        option("--out", default=None, help=f"run directory (default: {out_default}, where runs/ is $MGTUTOR_RUNS "
                                           "when set)"),
        option("--force", action="store_true", help="start over, even if the run directory holds a run"),
        option("--epochs", type=int, default=None, help=epochs_help),
        option("--time-budget", dest="time_budget_min", type=float, default=None, metavar="MIN",
               help="stop once the run's training time passes MIN minutes (counted across resumes)"),
    )


def run_dir_option(task: str) -> Option:
    """``--run RUN_DIR``: the run directory a ``train TASK`` command wrote (for ``evaluate`` and ``generate``)."""
    return option("--run", dest="run_dir", metavar="RUN_DIR", required=True, help=f"a `train {task}` run directory")


@dataclass(frozen=True)
class Task:
    """A task of the command line.

    Args:
        name: the word after the verb (``melody``).
        help: one line for ``--help``.
        verbs: verb → (its options, run(parsed options) -> exit status).
        settings: a training task's settings dataclass (what config.json's ``training`` holds).
        train: ``train(data, out, settings, *, force, callbacks, verbose, plan) -> TaskRun``.
        load: ``load(run_dir) -> TaskRun``.
        data: ``training_data(settings, spec) -> data``: the data ``train`` takes, as config.json's ``data``
            (``spec``) describes it.
        aliases: former names, still accepted on the command line and by :func:`tasks`' lookups (a run's
            config.json may name its task by one: :data:`mgtutor.runs.RUN_TASK_ALIASES`).
    """

    name: str
    help: str
    verbs: dict[str, tuple[Sequence[Option], Callable[..., int]]] = field(default_factory=dict)
    settings: type | None = None
    train: Callable | None = None
    load: Callable | None = None
    data: Callable | None = None
    aliases: tuple[str, ...] = ()


class _Tasks(dict):
    """Tasks by name; a lookup by a task's alias (``TASKS["gan-pianoroll"]``, ``in``, ``get``) finds it too, while
    iterating lists each task once, by its name."""

    def __missing__(self, name):
        for task in self.values():
            if name in task.aliases:
                return task
        raise KeyError(name)

    def __contains__(self, name) -> bool:
        return dict.__contains__(self, name) or any(name in task.aliases for task in self.values())

    def get(self, name, default=None):
        return self[name] if name in self else default


TASKS: dict[str, Task] = _Tasks()
"""Every task, by name (filled by :func:`tasks`); its aliases look it up too."""


def register_task(task: Task) -> Task:
    """Add ``task`` to :data:`TASKS` (names are unique)."""
    unknown = set(task.verbs) - set(VERBS)
    if unknown:
        raise ValueError(f"task {task.name!r}: unknown verb(s) {sorted(unknown)}; use {VERBS}")
    given = [part is not None for part in (task.settings, task.train, task.load, task.data)]
    if not all(given) if "train" in task.verbs else any(given):
        raise ValueError(f"task {task.name!r}: a task with `train` gives its settings, train, load and data; "
                         "another gives none")
    TASKS[task.name] = task
    return task


MAX_BATCH_SIZE = 2**16
"""The largest ``--batch-size`` a task accepts (a batch the size of the data is at most a few thousand examples)."""
MAX_TRANSPOSE = 12
"""The largest random transposition, in semitones either way: an octave; beyond it, shifts move most notes of a
piece off the keyboard."""


def check_settings(s) -> None:
    """The checks every training task's settings share, for the fields ``s`` has: the seed (:func:`mgtutor.config
    .check_seed`), a finite learning rate > 0, 0 ≤ ``transpose`` ≤ :data:`MAX_TRANSPOSE`, ``batch_size`` ≤
    :data:`MAX_BATCH_SIZE`, ``stride`` ≤ ``window`` (no target is skipped) and a time budget > 0.

    Raises:
        TrainError: the first failed check (the message names the setting).
    """
    import math

    from mgtutor import config
    from mgtutor.errors import ConfigError

    try:
        config.check_seed(s.seed)
    except ConfigError as exc:
        raise TrainError(str(exc)) from None
    rate = getattr(s, "learning_rate", 1.0)
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not (math.isfinite(rate) and rate > 0):
        raise TrainError(f"the learning rate must be a finite number > 0, got {rate!r}")
    if not 0 <= getattr(s, "transpose", 0) <= MAX_TRANSPOSE:
        raise TrainError(f"transpose must be from 0 to {MAX_TRANSPOSE} semitones, got {s.transpose!r}")
    if getattr(s, "batch_size", 1) > MAX_BATCH_SIZE:
        raise TrainError(f"batch_size must be at most {MAX_BATCH_SIZE}, got {s.batch_size!r}")
    if hasattr(s, "stride") and hasattr(s, "window") and s.stride > s.window:
        raise TrainError(f"stride {s.stride} > window {s.window} would skip training targets; use stride ≤ window")
    if s.time_budget_min is not None and not s.time_budget_min > 0:
        raise TrainError(f"the time budget must be > 0 minutes, got {s.time_budget_min!r}")


def settings_from_config(cls, training: dict, source):
    """The settings dataclass ``cls`` of a run, from its config.json ``training`` (read by :func:`mgtutor.runs
    .RunDir.open`): a setting this version does not know (a run made by another mgtutor version) is dropped with a
    one-line :class:`~mgtutor.errors.RunVersionWarning`; one it lacks takes its default; a list (JSON's only
    sequence) becomes a tuple, as the frozen settings hold it.

    Raises:
        RunDirError: ``training`` is not an object, or lacks a setting that has no default.
    """
    import warnings
    from dataclasses import MISSING

    from mgtutor.errors import RunVersionWarning
    from mgtutor.runs import RunDirError

    if not isinstance(training, dict):
        raise RunDirError(f"{source}: its training settings are not an object; train again")
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(training) - set(known))
    if unknown:
        warnings.warn(f"{source}: made by another mgtutor version; its setting(s) {', '.join(unknown)} are unknown "
                      "here and ignored", RunVersionWarning, stacklevel=2)
    lacking = sorted(n for n, f in known.items() if n not in training and f.default is MISSING
                     and f.default_factory is MISSING)
    if lacking:
        raise RunDirError(f"{source}: made by another mgtutor version; it lacks the setting(s) {', '.join(lacking)}; "
                          "train again")
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in training.items() if k in known})


def make_settings(cls, smoke: dict, overrides: dict, positive: Sequence[str], what: str,
                  defaults: dict | None = None):
    """A settings dataclass ``cls`` with ``defaults`` (those that depend on another setting, e.g. a data set's),
    then the mode's defaults (``smoke`` in smoke mode), then ``overrides`` (``None`` values ignored), after the checks
    every training task shares: no unknown name, the ``positive`` fields are integers ≥ 1, and
    :func:`check_settings`.

    Raises:
        TrainError: the first failed check (the message names the setting).
    """
    from mgtutor import config

    names = {f.name for f in fields(cls)}
    unknown = sorted(set(overrides) - names)
    if unknown:
        raise TrainError(f"unknown {what} setting(s) {unknown}; known: {', '.join(sorted(names))}")
    s = cls(**{**(defaults or {}), **(smoke if config.is_smoke() else {}),
               **{k: v for k, v in overrides.items() if v is not None}})
    for name in positive:
        value = getattr(s, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise TrainError(f"{name} must be a positive integer, got {value!r}")
    check_settings(s)
    return s


@dataclass
class TaskRun:
    """A trained or loaded run of any training task: its folder, model, config.json and results.json.

    ``parts`` holds what a task's run has beside its model (the melody run's ``vocab``, the bar GAN's ``bars``, the
    spectrogram GAN's ``classifier``). Parts and results read as attributes: ``run.vocab``, ``run.val_nll``,
    ``run.epochs_run``.
    """

    run_dir: Path
    model: object
    config: dict
    results: dict
    parts: dict = field(default_factory=dict)

    def __getattr__(self, name: str):
        for source in ("parts", "results"):
            values = self.__dict__.get(source) or {}
            if name in values:
                return values[name]
        raise AttributeError(f"{type(self).__name__} of {self.__dict__.get('run_dir')} has no {name!r}: neither a "
                             f"part ({sorted(self.__dict__.get('parts') or {})}) nor a result")

    @property
    def settings(self):
        """The run's settings (its task's settings dataclass), from config.json (:func:`settings_from_config`)."""
        return settings_from_config(tasks()[self.config["task"]].settings, self.config["training"], self.run_dir)

    @property
    def history(self) -> dict[str, list[float]]:
        """``log.csv`` as columns (:func:`mgtutor.train.read_log`): every epoch, resumed sessions included; empty for
        a model fitted without epochs."""
        from mgtutor.train import read_log

        return read_log(self.run_dir / LOG_FILE)


def start_run(out, record: dict, force: bool = False, plan=None) -> RunDir:
    """:meth:`RunDir.prepare` of a training task's run: in ``out`` (each worker's own folder under a multi-worker
    ``plan``: :meth:`~mgtutor.distribute.TrainingPlan.run_path`), with config.json's ``record`` and, as its
    ``execution``, the plan's record (None without a plan)."""
    return RunDir.prepare(out if plan is None else plan.run_path(out),
                          {**record, "execution": plan.record() if plan is not None else None}, force=force)


def finish_run(run: RunDir, model, results: dict, start: float, plan=None, **parts) -> TaskRun:
    """Write ``results`` with ``wall_seconds`` (the time since ``start``, :func:`time.monotonic`: training and
    evaluation) and the completion marker (:meth:`RunDir.finish`), wait for the other workers of ``plan``, and
    return the :class:`TaskRun` with its ``parts``."""
    import time

    results = {**results, "wall_seconds": time.monotonic() - start}
    run.finish(results)
    if plan is not None:
        plan.barrier()
    return TaskRun(run.path, model, run.config, results, parts)


def fit_results(fit) -> dict:
    """The results every Keras training task records of its :class:`mgtutor.train.FitResult`: the epochs, whether
    the time budget stopped it, and the training time."""
    return {"epochs_run": fit.epochs_run, "stopped_by_budget": fit.stopped_by_budget,
            "train_seconds": fit.train_seconds}


def open_run(run_dir, task: str, parts: Callable[[RunDir], dict] | None = None) -> TaskRun:
    """A finished run of ``task``: its model rebuilt through the registry, and ``parts(run)``.

    Raises:
        RunDirError: missing, unfinished, or another task's run (the message says what to do).
    """
    run = RunDir.open(run_dir, task=task)
    return TaskRun(run.path, run.load_model(), run.config, run.results, parts(run) if parts else {})


def shipped_or_trained(task: str, name: str, workdir, data=None, verbose: int = 2) -> TaskRun:
    """The run a notebook shows: in smoke mode the run ``name`` that ships with the package
    (:data:`mgtutor.shipped.SHIPPED`), loaded; in full mode the same settings (its config.json's) trained here, in
    ``workdir / name``, on ``data`` or, when None, on the data its config.json describes (:attr:`Task.data`). A
    full-mode run that an earlier call finished is loaded; an unfinished one resumes.

    Raises:
        KeyError: no shipped run ``name``. ValueError: the shipped run is another task's.
    See: notebooks 06–09 (the model each shows).
    """
    from mgtutor import config, shipped

    folder = shipped.path(name)
    entry, spec = shipped.SHIPPED[name], tasks()[task]
    if entry.task != spec.name:
        raise ValueError(f"the shipped run {name!r} is a {entry.task} run, not a {task} run")
    if config.is_smoke():
        return spec.load(folder)
    out = Path(workdir) / name
    if RunDir(out).is_complete:
        return spec.load(out)
    s = settings_from_config(spec.settings, entry.settings, folder)
    return spec.train(spec.data(s, entry.data) if data is None else data, out, s, verbose=verbose)


def tasks() -> dict[str, Task]:
    """:data:`TASKS`, after importing every module of this package (each registers its task; no task module
    imports another)."""
    import importlib
    import pkgutil

    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return TASKS


DEVICE_OPTIONS = (
    option("--batch-size", type=int, default=None,
           help="the global batch: examples per step over every device and worker"),
    option("--learning-rate", type=float, default=None,
           help="the optimizer's learning rate (scale it with the global batch: notebook 10 §7)"),
    option("--distribute", choices=["mirrored", "multi-worker"], default=None,
           help="mirrored: every device of this machine; multi-worker: the machines TF_CONFIG names (run the same "
                "command on each, with its own TF_CONFIG)"),
    option("--mixed-precision", action="store_true",
           help="mixed_float16 with loss scaling and float32 outputs (needs a GPU)"),
    option("--cpu-devices", type=int, default=None, metavar="N",
           help="split the CPU into N logical devices, to try --distribute mirrored without a GPU"),
)
"""The options every Keras training task shares: the global batch, the learning rate and where the run trains
(:func:`training_plan`). See notebooks/10_full_training.ipynb."""


def training_plan(args, model: str | None = None):
    """The :class:`mgtutor.distribute.TrainingPlan` of a ``train`` command's parsed :data:`DEVICE_OPTIONS`, for the
    backend the command chose and the registered builder ``model`` it trains. Call it before anything starts the
    backend's runtime.

    Raises:
        DistributeError: an option that cannot work here (mixed precision without a GPU, multi-worker without
            ``TF_CONFIG``, …).
    """
    from mgtutor import config, distribute

    backend = config.backend()
    if args.cpu_devices is not None:
        distribute.use_cpu_devices(args.cpu_devices, backend)
    cluster = distribute.cluster_from_env() if args.distribute == "multi-worker" else None
    if cluster is not None:
        distribute.join_cluster(cluster, backend)
    return distribute.plan_training(distribute.local_devices(backend), backend, args.distribute,
                                    args.mixed_precision, cluster, model=model)


def progress_callbacks(plan, epochs: int) -> list:
    """The command line's training output: the plan's decisions, then one line per epoch (loss, validation loss,
    time, ETA) from :class:`mgtutor.train.ProgressLine` — on the chief only, when several workers train."""
    if not plan.is_chief:
        return []
    from mgtutor.train import ProgressLine

    for note in plan.notes:
        print(f"plan: {note}", flush=True)
    return [ProgressLine(epochs)]


def fit_wgan(run, builder: str, s, train_data, callbacks=(), verbose: int = 0, plan=None):
    """Train (or resume) the WGAN-GP of ``builder`` (:func:`mgtutor.models.build` with ``s.builder_kwargs()``) in
    ``run``, both players with Adam(``s.learning_rate``, β₁ 0.5, β₂ 0.9), for ``s.epochs`` and ``s.time_budget_min``,
    where ``plan`` says (:func:`mgtutor.train.fit_run`).
    Returns ``(fit, clock)``: the :class:`mgtutor.train.FitResult` and the :class:`mgtutor.train.CpuClock` of the
    training. Notebook 09's bar GAN and spectrogram GAN both train this way."""
    import keras

    from mgtutor import config, models
    from mgtutor.train import CpuClock, fit_run

    def build():
        config.seed_everything(s.seed)
        gan = models.build(builder, **s.builder_kwargs())
        gan.compile(d_optimizer=keras.optimizers.Adam(s.learning_rate, 0.5, 0.9),
                    g_optimizer=keras.optimizers.Adam(s.learning_rate, 0.5, 0.9))
        return gan

    clock = CpuClock()
    fit = fit_run(run, build, train_data, None, epochs=s.epochs, callbacks=[clock, *callbacks],
                  time_budget_s=None if s.time_budget_min is None else 60 * s.time_budget_min, verbose=verbose,
                  plan=plan)
    return fit, clock
