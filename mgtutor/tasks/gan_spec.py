"""The spectrogram-GAN task: a pitch-conditioned GAN of one-shot notes, scored by pitch accuracy and a Fréchet
distance (notebook 09).

Part of mgtutor. See notebook 09 §3–4::

    python -m mgtutor train gan-spec --out RUN_DIR [--epochs N] [--time-budget MIN] [--seed S]
    python -m mgtutor generate gan-spec --run RUN_DIR --n K --out DIR [--pitch P] [--seed S]
    python -m mgtutor evaluate gan-spec --run RUN_DIR

Data: one-shot notes of a continuous timbre family (:func:`mgtutor.data.family_notes`): every note draws its own
harmonic spectrum (a spectral tilt and per-harmonic gains around one of the five named timbres), attack and decay
times, velocity and detune, as scaled log-magnitude spectrograms (:func:`mgtutor.data.note_spectrograms`). The
training notes are the draw :data:`TRAIN_DATA_SEED`, the held-out real notes the draw :data:`HELD_OUT_DATA_SEED`:
no held-out note shares its timbre, envelope or velocity with a training note. The model is
:func:`mgtutor.models.gan_music.spec_gan` (WGAN-GP, conditioned on the pitch).

Evaluation, without any downloaded model, each number beside two yardsticks — the real-vs-real interval (the
same metric on random held-out sub-samples of the generated set's size, :func:`mgtutor.metrics.subsample_interval`)
and a **memoriser** that replays a training note of each asked pitch (:func:`mgtutor.metrics.memoriser_indices`) —
and an untrained generator (the same builder and seed) as the floor to beat:

* **pitch accuracy**: ``eval_per_pitch`` notes per pitch, spectrogram → Griffin-Lim → ``librosa.pyin``; a note
  is right when its median f0 is within ±50 cents of the asked pitch (:func:`mgtutor.metrics.pitch_accuracy`);
* **Fréchet distance** on the ``features`` layer of a small classifier trained on the real training notes
  (:func:`mgtutor.models.gan_music.note_classifier`): ``fd_n`` notes against a held-out real set A of ``fd_n``
  notes; the generated notes are asked for the pitches of a second held-out set B, whose own distance to A is
  the ``fd_floor``;
* **copy check**: each set's median RMS distance to its nearest training spectrogram
  (:func:`mgtutor.metrics.nearest_neighbour_rms`): about 0 for the memoriser, the held-out notes' distance for a
  model that generalises. The Fréchet distance cannot see copying: the memoriser scores near the floor.
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

TASK = "gan-spec"
BUILDER = "spec_gan"
CLASSIFIER = "classifier"
"""The name of the run's second model, the note classifier (config.json's ``classifier``, ``classifier.weights.h5``:
:meth:`mgtutor.runs.RunDir.save_model`)."""
CLASSIFIER_BUILDER = "note_classifier"
TRAIN_DATA_SEED = 0
"""The draw of the timbre family that gives the training notes (:func:`mgtutor.data.family_notes`)."""
HELD_OUT_DATA_SEED = 1000
"""The draw that gives the held-out real notes: other timbres, envelopes and velocities than training's."""


@dataclass(frozen=True)
class SpecGanSettings:
    """Everything a spectrogram-GAN run depends on; recorded in its config.json.

    The notes: ``n_pitches`` consecutive MIDI pitches from ``lowest_pitch``, every timbre class of
    :data:`mgtutor.audio.TIMBRES`, ``train_draws`` (training) and ``held_out_draws`` (held-out) members of the
    timbre family per class and pitch. The GAN: ``noise_dim``, ``channels``, ``n_critic``, ``gp_weight``;
    ``epochs``, ``batch_size``, ``learning_rate`` (Adam, β = (0.5, 0.9)), ``time_budget_min``, ``seed``. The
    classifier: ``features`` (the Fréchet distance's feature size), ``classifier_epochs``. The evaluation:
    ``fd_n`` notes per set, ``eval_per_pitch`` notes per pitch for the pitch accuracy, ``gl_iters`` Griffin-Lim
    iterations, ``interval_draws`` held-out sub-samples for each real-vs-real interval.
    """

    n_pitches: int = 24
    lowest_pitch: int = 48
    train_draws: int = 12
    held_out_draws: int = 10
    noise_dim: int = 64
    channels: int = 48
    n_critic: int = 3
    gp_weight: float = 10.0
    epochs: int = 120
    batch_size: int = 32
    learning_rate: float = 2e-4
    time_budget_min: float | None = None
    seed: int = 0
    features: int = 16
    classifier_epochs: int = 8
    fd_n: int = 256
    eval_per_pitch: int = 5
    gl_iters: int = 32
    interval_draws: int = 20

    def builder_kwargs(self) -> dict:
        cfg = spec_config()
        return {"noise_dim": self.noise_dim, "n_pitches": self.n_pitches, "frames": cfg.frames, "bins": cfg.bins,
                "channels": self.channels, "n_critic": self.n_critic, "gp_weight": self.gp_weight, "seed": self.seed}

    def classifier_kwargs(self) -> dict:
        from mgtutor.audio import TIMBRES

        cfg = spec_config()
        return {"frames": cfg.frames, "bins": cfg.bins, "n_pitches": self.n_pitches, "n_timbres": len(TIMBRES),
                "features": self.features}


SMOKE = {"channels": 8, "noise_dim": 16, "epochs": 1, "train_draws": 1, "held_out_draws": 2, "classifier_epochs": 1,
         "fd_n": 48, "eval_per_pitch": 1, "gl_iters": 8, "interval_draws": 5}
"""Smoke-mode defaults (a tiny GAN, one epoch, small evaluation sets)."""


def spec_config():
    """The spectrogram settings of the task (:class:`mgtutor.data.SpecConfig`'s defaults: 8 kHz, 0.5 s, 256-point
    FFT, hop 64 → 64 frames × 128 bins)."""
    from mgtutor.data import SpecConfig

    return SpecConfig()


def settings(**overrides) -> SpecGanSettings:
    """:class:`SpecGanSettings` with the mode's defaults, then ``overrides`` (``None`` values are ignored).

    Raises:
        TrainError: an unknown setting or a value out of range (the message names it).
    """
    s = make_settings(SpecGanSettings, SMOKE, overrides, ("n_pitches", "lowest_pitch", "train_draws", "held_out_draws",
                                                          "noise_dim", "channels", "n_critic", "epochs", "batch_size",
                                                          "features", "classifier_epochs", "fd_n", "eval_per_pitch",
                                                          "gl_iters", "interval_draws"),
                      "spectrogram-GAN")
    if s.lowest_pitch + s.n_pitches - 1 > 127 or s.interval_draws < 2:
        raise TrainError(f"pitches {s.lowest_pitch}…{s.lowest_pitch + s.n_pitches - 1} must lie in MIDI 0…127 and "
                         f"interval_draws ({s.interval_draws}) must be ≥ 2")
    if s.fd_n <= s.features:
        raise TrainError(f"fd_n ({s.fd_n}) must exceed the feature size ({s.features}) for a full-rank covariance")
    if not s.learning_rate > 0 or not s.gp_weight >= 0:
        raise TrainError(f"need learning_rate > 0 and gp_weight ≥ 0, got {s.learning_rate}, {s.gp_weight}")
    return s


# --------------------------------------------------------------------------- data
def load_notes(s: SpecGanSettings, seed: int, draws: int) -> dict[str, np.ndarray]:
    """``draws`` notes of the timbre family per timbre class and pitch, drawn from ``seed``: ``{"audio" (N,
    samples), "spec" (N, frames, bins), "pitch" (N,) MIDI, "label" (N,) pitch index, "timbre" (N,) class index,
    "velocity" (N,)}``.

    See: notebook 09 §3.
    """
    from mgtutor.data import family_notes, note_spectrograms

    cfg = spec_config()
    audio, labels = family_notes(seed, draws, s.n_pitches, s.lowest_pitch, cfg=cfg)
    return {"audio": audio, "spec": note_spectrograms(audio, cfg), "pitch": labels["pitch"],
            "label": (labels["pitch"] - s.lowest_pitch).astype("int32"), "timbre": labels["timbre"].astype("int32"),
            "velocity": labels["velocity"]}


def training_notes(s: SpecGanSettings) -> dict[str, np.ndarray]:
    """The training notes: the draw :data:`TRAIN_DATA_SEED`, ``train_draws`` per timbre class and pitch."""
    return load_notes(s, TRAIN_DATA_SEED, s.train_draws)


def held_out_sets(s: SpecGanSettings, seed: int = 0) -> dict:
    """The held-out real notes (the draw :data:`HELD_OUT_DATA_SEED`) cut by ``seed`` into what the evaluation
    needs (index arrays into ``notes``): the reference set ``A`` of ``fd_n`` notes; the ``pool`` of all other
    held-out notes, from which the real-vs-real intervals draw their sub-samples; ``B``, the first ``fd_n`` of the
    pool (the held-out row of the tables); ``pitch``: ``2 · eval_per_pitch`` pool notes of each pitch, whose first
    half (``ceiling``) is scored like the generated notes.

    Raises:
        TrainError: the held-out pool is too small for A and a disjoint pool of ``fd_n``.
    """
    notes = load_notes(s, HELD_OUT_DATA_SEED, s.held_out_draws)
    n = len(notes["pitch"])
    if 2 * s.fd_n > n:
        raise TrainError(f"fd_n={s.fd_n}: two disjoint held-out sets need {2 * s.fd_n} notes, the pool has {n}")
    rng = np.random.default_rng([seed, 9])
    order = rng.permutation(n)
    pool = order[s.fd_n:]
    per_pitch = [rng.choice(pool[notes["label"][pool] == k], 2 * s.eval_per_pitch, replace=False)
                 for k in range(s.n_pitches)]
    pitch = np.concatenate([p[: s.eval_per_pitch] for p in per_pitch] + [p[s.eval_per_pitch:] for p in per_pitch])
    return {"notes": notes, "A": order[: s.fd_n], "pool": pool, "B": pool[: s.fd_n], "pitch": pitch,
            "ceiling": pitch[: s.eval_per_pitch * s.n_pitches]}


# --------------------------------------------------------------------------- models
def train_classifier(notes: dict, s: SpecGanSettings, verbose: int = 0):
    """The note classifier (pitch and timbre from a spectrogram) trained on ``notes``; seeded by ``s.seed``.

    See: notebook 09 §4.
    """
    import keras

    from mgtutor import models

    config.seed_everything(s.seed)
    clf = models.build(CLASSIFIER_BUILDER, **s.classifier_kwargs())
    clf.compile(optimizer=keras.optimizers.Adam(1e-3),
                loss={"pitch": keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      "timbre": keras.losses.SparseCategoricalCrossentropy(from_logits=True)})
    clf.fit(notes["spec"][..., None], {"pitch": notes["label"], "timbre": notes["timbre"]}, batch_size=64,
            epochs=s.classifier_epochs, shuffle=True, verbose=verbose)
    return clf


def classifier_accuracy(clf, notes: dict, idx=None) -> dict:
    """Pitch and timbre accuracy of the classifier on ``notes`` (rows ``idx``)."""
    idx = np.arange(len(notes["label"])) if idx is None else np.asarray(idx)
    out = clf.predict(notes["spec"][idx][..., None], verbose=0, batch_size=256)
    return {"pitch": float(np.mean(np.argmax(out["pitch"], -1) == notes["label"][idx])),
            "timbre": float(np.mean(np.argmax(out["timbre"], -1) == notes["timbre"][idx]))}


def generate_spectrograms(model, labels, seed: int = 0) -> np.ndarray:
    """Spectrograms (N, frames, bins) from a spectrogram GAN for pitch indices ``labels`` (fixed seed ⇒ same)."""
    return np.asarray(model.sample(len(labels), labels=np.asarray(labels, "int32"), seed=int(seed)))


def to_audio(spectrograms, s: SpecGanSettings, seed: int = 0) -> np.ndarray:
    """Griffin-Lim audio (N, samples) of spectrograms, ``s.gl_iters`` iterations, phases seeded by ``seed``."""
    from mgtutor.data import spectrograms_to_audio

    return spectrograms_to_audio(spectrograms, spec_config(), n_iter=s.gl_iters, seed=seed)


def evaluate(model, clf, s: SpecGanSettings, seed: int = 0, baseline: bool = True, train=None) -> dict:
    """Pitch accuracy, Fréchet distance and the copy check of a spectrogram GAN beside their yardsticks (see the
    module docstring); ``seed`` draws the held-out sets, the noise and the phases; ``train`` the training notes
    (:func:`training_notes` when None). Each of the four sets — ``gan``, ``memoriser``, ``held_out`` and (when
    ``baseline``) ``untrained`` — gets ``pitch_accuracy`` (``eval_per_pitch`` notes per pitch), ``fd`` (``fd_n``
    notes against held-out set A, asked B's pitches) and ``nn_median`` (median RMS distance to the nearest training
    spectrogram). ``fd_interval`` and ``pitch_interval`` are the real-vs-real intervals (2.5–97.5 %, with
    ``median`` and ``std``) over ``interval_draws`` held-out sub-samples of the generated sets' sizes. The
    untrained generator is built after ``config.seed_everything(s.seed + 12345)``, which reseeds the global
    generators. The flat keys ``pitch_accuracy``, ``pitch_accuracy_ceiling``, ``fd``, ``fd_floor``, ``fd_ratio``
    and ``fd_untrained`` repeat the GAN's, the held-out set's and the untrained generator's numbers.

    See: notebook 09 §3–4.
    """
    from mgtutor import models
    from mgtutor.metrics import (
        frechet_distance,
        memoriser_indices,
        nearest_neighbour_rms,
        pitch_accuracy,
        subsample_interval,
    )
    from mgtutor.models.gan_music import note_features

    cfg = spec_config()
    train = training_notes(s) if train is None else train
    held = held_out_sets(s, seed)
    notes = held["notes"]
    n_pitch = s.eval_per_pitch * s.n_pitches
    asked = np.repeat(np.arange(s.n_pitches), s.eval_per_pitch).astype("int32")
    asked_fd = notes["label"][held["B"]]
    feats = note_features(clf, notes["spec"])
    feats_a = feats[held["A"]]

    def correct(spec, labels, phase_seed):
        _, est = pitch_accuracy(to_audio(spec, s, phase_seed), np.asarray(labels) + s.lowest_pitch, cfg.sr)
        return np.abs(100 * (est - (np.asarray(labels) + s.lowest_pitch))) <= 50

    def scores(pitch_spec, fd_spec, nn_spec=None):
        return {"pitch_accuracy": float(correct(pitch_spec, asked, seed).mean()),
                "fd": frechet_distance(note_features(clf, fd_spec), feats_a),
                "nn_median": float(np.median(nearest_neighbour_rms(fd_spec if nn_spec is None else nn_spec,
                                                                   train["spec"])))}

    held_ok = correct(notes["spec"][held["pitch"]], notes["label"][held["pitch"]], seed)
    out = {"pitch_notes": n_pitch, "fd_n": s.fd_n, "features": s.features,
           "classifier_accuracy": classifier_accuracy(clf, notes, np.concatenate([held["A"], held["B"]]))}
    sets = {"gan": scores(generate_spectrograms(model, asked, seed), generate_spectrograms(model, asked_fd, seed + 1))}
    sets["held_out"] = {"pitch_accuracy": float(held_ok[:n_pitch].mean()),
                        "fd": frechet_distance(feats[held["B"]], feats_a),
                        "nn_median": float(np.median(nearest_neighbour_rms(notes["spec"][held["B"]], train["spec"])))}
    sets["memoriser"] = scores(train["spec"][memoriser_indices(len(train["label"]), n_pitch, seed, asked,
                                                               train["label"])],
                               train["spec"][memoriser_indices(len(train["label"]), s.fd_n, seed + 1, asked_fd,
                                                               train["label"])])
    if baseline:
        config.seed_everything(s.seed + 12345)
        untrained = models.build(BUILDER, **s.builder_kwargs())
        sets["untrained"] = scores(generate_spectrograms(untrained, asked, seed),
                                   generate_spectrograms(untrained, asked_fd, seed + 1))
    out["sets"] = sets
    strip = ("low", "high", "median", "std")
    fd_iv = subsample_interval(lambda f: frechet_distance(f, feats_a), feats[held["pool"]], s.fd_n, s.interval_draws,
                               seed)
    pitch_iv = subsample_interval(np.mean, held_ok.astype(float), n_pitch, s.interval_draws, seed)
    out["fd_interval"] = {k: fd_iv[k] for k in strip}
    out["pitch_interval"] = {k: pitch_iv[k] for k in strip}
    out.update(pitch_accuracy=sets["gan"]["pitch_accuracy"], pitch_accuracy_ceiling=sets["held_out"]["pitch_accuracy"],
               fd=sets["gan"]["fd"], fd_floor=sets["held_out"]["fd"])
    out["fd_ratio"] = out["fd"] / out["fd_floor"]
    if baseline:
        out["fd_untrained"] = sets["untrained"]["fd"]
    return out


def train(data: dict, out, settings: SpecGanSettings, *, force: bool = False, callbacks=(), verbose: int = 0,
          plan=None) -> TaskRun:
    """Train (or resume) a spectrogram GAN on the notes ``data`` (:func:`training_notes`), train the note
    classifier on the same notes, then evaluate (:func:`evaluate`).

    Returns:
        the :class:`~mgtutor.tasks.TaskRun`, with its ``classifier``.
    Raises:
        TrainError: a bad setting. RunDirError: a finished run (``force`` starts over) or other settings.
    See: notebook 09 §3.
    """
    from mgtutor.data import FullBatchData, TimbreFamily

    start = time.monotonic()
    s, notes = settings, data
    with start_run(out, {"task": TASK, "builder": BUILDER, "builder_kwargs": s.builder_kwargs(), "seed": s.seed,
                         CLASSIFIER: {"builder": CLASSIFIER_BUILDER, "builder_kwargs": s.classifier_kwargs()},
                         "data": {"spec": "one-shot notes", "notes": len(notes["label"]),
                                  "spectrogram": spec_config().to_dict(), "timbre_family": TimbreFamily().to_dict(),
                                  "split": {"by": "timbre-family draw", "train_seed": TRAIN_DATA_SEED,
                                            "held_out_seed": HELD_OUT_DATA_SEED}},
                         "training": asdict(s)}, force, plan) as run:
        train_data = FullBatchData((notes["spec"], notes["label"]), s.batch_size, shuffle=True, seed=s.seed)
        fit, clock = fit_wgan(run, BUILDER, s, train_data, callbacks, verbose, plan)
        c0 = time.process_time()
        clf = train_classifier(notes, s)
        classifier_cpu = time.process_time() - c0
        run.save_model(clf, name=CLASSIFIER)  # the weights without the optimizer's state
        results = {"evaluation": evaluate(fit.model, clf, s, train=notes), **fit_results(fit),
                   "train_cpu_seconds": clock.seconds, "classifier_cpu_seconds": classifier_cpu}
        return finish_run(run, fit.model, results, start, plan, classifier=clf)


def load(run_dir) -> TaskRun:
    """A finished spectrogram-GAN run: the GAN and its ``classifier`` rebuilt through the registry.

    Raises:
        RunDirError: missing, unfinished, not a spectrogram-GAN run, or a classifier that does not load.
    """
    return open_run(run_dir, TASK, lambda run: {"classifier": run.load_model(name=CLASSIFIER)})


def training_data(s: SpecGanSettings, spec: dict) -> dict[str, np.ndarray]:
    """The training notes of a run with settings ``s`` (:func:`training_notes`)."""
    return training_notes(s)


# --------------------------------------------------------------------------- command line
_D = SpecGanSettings()
TRAIN_OPTIONS = (
    *run_options("runs/gan-spec-spec_gan-<seed>",
                 f"epochs (default {_D.epochs}; {SMOKE['epochs']} in smoke)"),
    option("--seed", type=int, default=None, help="seed for weights, noise and batches (default 0)"),
)
EVALUATE_OPTIONS = (
    run_dir_option("gan-spec"),
    option("--seed", type=int, default=0, help="seed of the held-out sets, the noise and the phases (default 0)"),
)
GENERATE_OPTIONS = (
    run_dir_option("gan-spec"),
    option("--n", type=int, required=True, help="number of notes to generate"),
    option("--out", required=True, help="output folder (one WAV per note, and spectrograms.npy)"),
    option("--pitch", type=int, default=None,
           help="MIDI pitch of every note (default: the notes walk up the run's pitch range)"),
    option("--seed", type=int, default=0, help="sampling seed (same run + seed ⇒ same notes)"),
)


def _run_train(args) -> int:
    from mgtutor.runs import run_name

    s = settings(epochs=args.epochs, time_budget_min=args.time_budget_min, seed=args.seed)
    out = Path(args.out) if args.out else config.runs_dir() / run_name(TASK, BUILDER, s.seed)
    result = train(training_notes(s), out, s, force=args.force)
    ev = result.results["evaluation"]
    print(f"{result.run_dir}: {result.results['epochs_run']} epoch(s); pitch accuracy {ev['pitch_accuracy']:.0%} "
          f"(ceiling {ev['pitch_accuracy_ceiling']:.0%}), Fréchet distance {ev['fd']:.3g} = {ev['fd_ratio']:.2f}× the "
          f"real-vs-real floor {ev['fd_floor']:.3g}")
    return 0


def _run_evaluate(args) -> int:
    run = load(args.run_dir)
    print(json.dumps({"task": TASK, "seed": args.seed, **evaluate(run.model, run.classifier, run.settings,
                                                                  args.seed)}))
    return 0


def _run_generate(args) -> int:
    from mgtutor.audio import write_wav
    from mgtutor.files import atomic_path

    if args.n < 1:
        raise TrainError(f"--n must be ≥ 1, got {args.n}")
    run = load(args.run_dir)
    s = run.settings
    if args.pitch is None:
        labels = np.arange(args.n) % s.n_pitches
    elif s.lowest_pitch <= args.pitch < s.lowest_pitch + s.n_pitches:
        labels = np.full(args.n, args.pitch - s.lowest_pitch)
    else:
        raise TrainError(f"--pitch {args.pitch}: this run knows MIDI pitches {s.lowest_pitch}…"
                         f"{s.lowest_pitch + s.n_pitches - 1}")
    spec = generate_spectrograms(run.model, labels, args.seed)
    audio = to_audio(spec, s, args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with atomic_path(out / "spectrograms.npy", suffix=".npy") as tmp:
        np.save(tmp, spec)
    for i, (y, k) in enumerate(zip(audio, labels, strict=True)):
        write_wav(out / f"note-{i:03d}-pitch{int(k) + s.lowest_pitch}.wav", y, spec_config().sr)
    print(f"{out}: {args.n} note(s) at MIDI {sorted({int(k) + s.lowest_pitch for k in labels})} → spectrograms.npy "
          "and one WAV each")
    return 0


register_task(Task(TASK, "a pitch-conditioned GAN of one-shot note spectrograms, with pitch accuracy and a "
                         "Fréchet distance (notebook 09)", {
                             "train": (TRAIN_OPTIONS, _run_train),
                             "evaluate": (EVALUATE_OPTIONS, _run_evaluate),
                             "generate": (GENERATE_OPTIONS, _run_generate),
                         }, SpecGanSettings, train, load, training_data))
