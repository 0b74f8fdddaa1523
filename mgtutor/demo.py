"""The headless end-to-end demo: ``python -m mgtutor demo [--out DIR] [--seed S] [--train]``.

Part of mgtutor. Offline, on music21's bundled Bach chorales:

1. the melody run that ships with the package (notebook 06: an Embedding + LSTM next-token model trained on the
   chorales' soprano lines, split by tune) — or, with ``--train``, a small one trained here in a few minutes on two
   CPU cores, with demo-sized settings (:data:`DEMO`; smaller still in smoke mode);
2. a melody sampled with the stateful generator (notebook 06 §4), in seconds;
3. written as MIDI, MusicXML, WAV (the course's NumPy synthesizer) and a piano-roll PNG,
   each followed by a one-line summary read back from the file;
4. the model's held-out perplexity beside the best n-gram's on the same split (notebook 06 §2).

It is the same code the notebooks and the ``train``/``generate`` commands use.

The demo replaces only what an earlier demo wrote: the files it lists in ``OUT/demo.json`` (:data:`MARKER`) and its
run (``OUT/run``, marked ``"origin": "demo"`` in its config.json). Anything else in the way is refused unless
``force`` (:func:`check_out`), and even then a folder holding more than a run's own files is left alone
(:meth:`mgtutor.runs.RunDir.prepare`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from mgtutor import config

DEMO = {
    "chorales": 120, "epochs": 4, "units": 96, "layers": 1, "embed_dim": 32, "window": 48, "stride": 12,
    "length": 256, "temperature": 0.9, "top_k": 8, "time_budget_min": 1.5,
}
SMOKE = {"chorales": 16, "epochs": 1, "units": 32, "embed_dim": 16, "time_budget_min": 0.5}
RUN_DIR = "run"
OUTPUTS = ("melody.mid", "melody.musicxml", "melody.wav", "melody.png")
"""What the demo writes in ``OUT``, beside its run directory ``OUT/run`` when it trains."""
MARKER = "demo.json"
"""The demo's record in ``OUT``: ``{"origin": "demo", "run": …, "files": OUTPUTS}``, written last."""
SHIPPED_RUN = "melody-chorales"
"""The shipped run the demo samples from unless it trains (:mod:`mgtutor.shipped`)."""
ORIGIN = "demo"
TRAINING = ("epochs", "units", "layers", "embed_dim", "window", "stride", "time_budget_min")
"""The demo settings that are training settings (:class:`mgtutor.tasks.melody.MelodySettings`)."""


@dataclass(frozen=True)
class DemoFile:
    """One file the demo wrote and its one-line summary."""

    path: Path
    summary: str

    def __str__(self) -> str:
        return f"{self.path.name:14s} {self.summary}"


def summarize(path: Path) -> str:
    """Read a demo output back and describe it in one line (what a learner would check first)."""
    suffix = path.suffix.lower()
    if suffix == ".mid":
        import pretty_midi

        pm = pretty_midi.PrettyMIDI(str(path))
        notes = [n for inst in pm.instruments for n in inst.notes]
        pitches = [n.pitch for n in notes]
        return (f"MIDI, {len(notes)} notes, {pm.get_end_time():.1f} s, "
                f"pitches {min(pitches, default=0)}–{max(pitches, default=0)}")
    if suffix == ".musicxml":
        import music21

        score = music21.converter.parse(str(path))
        bars = len(score.parts[0].getElementsByClass('Measure'))
        return f"MusicXML, {len(score.flatten().notes)} note heads (tied across barlines) in {bars} bars"
    if suffix == ".wav":
        import soundfile

        info = soundfile.info(str(path))
        return f"WAV, {info.duration:.1f} s at {info.samplerate} Hz, {info.subtype}"
    if suffix == ".png":
        from PIL import Image

        with Image.open(path) as image:
            return f"PNG piano roll, {image.width}×{image.height} px"
    raise ValueError(f"{path}: the demo writes no such file type")


def is_demo_run(folder: str | Path) -> bool:
    """Whether ``folder`` holds a run an earlier demo wrote (its config.json says ``"origin": "demo"``)."""
    from mgtutor.runs import run_config

    return (run_config(folder) or {}).get("origin") == ORIGIN


def is_demo_out(out: str | Path) -> bool:
    """Whether an earlier demo wrote the files in ``out``: its :data:`MARKER` says so, or its run does."""
    from mgtutor.runs import RunDirError, read_json_object

    try:
        marker = read_json_object(Path(out) / MARKER)
    except RunDirError:  # absent or unreadable: then only a demo run beside the files counts
        marker = {}
    return marker.get("origin") == ORIGIN or is_demo_run(Path(out) / RUN_DIR)


def check_out(out: str | Path, force: bool = False) -> Path:
    """Refuse an ``out`` where the demo would replace something it did not write: a non-empty ``OUT/run`` that is
    not a demo run, or one of :data:`OUTPUTS` with no demo run beside it — unless ``force``.

    Raises:
        RunDirError: naming what is in the way and what to do.
    """
    from mgtutor.runs import RunDirError

    out = Path(out)
    run_dir = out / RUN_DIR
    if force or is_demo_run(run_dir):
        return out
    if is_demo_out(out) and not (run_dir.exists() and (not run_dir.is_dir() or any(run_dir.iterdir()))):
        return out
    if run_dir.exists() and (not run_dir.is_dir() or any(run_dir.iterdir())):
        raise RunDirError(f"{run_dir}: holds files an earlier demo did not write; choose another --out (demo --force "
                          "replaces a run there, never other files)")
    existing = [name for name in OUTPUTS if (out / name).exists()]
    if existing:
        raise RunDirError(f"{out}: already holds {', '.join(existing)}, not written by a demo; choose another --out, "
                          "or use demo --force to replace them")
    return out


def run_demo(out: str | Path = "demo_out", seed: int = 0, force: bool = False, train: bool = False) -> list[DemoFile]:
    """Generate from the shipped melody run (or, with ``train``, from a small run trained into ``out/run``) and
    write the four demo files into ``out``; return them with summaries, and a last line comparing the model with
    the best n-gram on its held-out tunes.

    An earlier demo's files in ``out`` are replaced; anything else is refused unless ``force`` (:func:`check_out`).
    Raises:
        ConfigError: a bad seed or ``MGTUTOR_MODE``. RunDirError: see :func:`check_out`.
    """
    from mgtutor import data, render, shipped
    from mgtutor.files import atomic_write_text
    from mgtutor.symbolic import notes_to_piano_roll
    from mgtutor.tasks import melody

    settings = {**DEMO, **(SMOKE if config.is_smoke() else {})}
    config.seed_everything(seed)
    out = check_out(out, force)
    out.mkdir(parents=True, exist_ok=True)
    if train:
        melodies = data.chorale_melodies(limit=settings["chorales"])
        training = melody.settings(**{k: settings[k] for k in TRAINING}, seed=seed)
        run = melody.train(melody.Corpus(melodies, "chorales", settings["chorales"], origin=ORIGIN), out / RUN_DIR,
                           training, force=True)
        what = (f"run directory, trained here: {run.epochs_run} epoch(s) in {run.wall_seconds:.0f} s; "
                f"{melody.baseline_line(run.results)}")
    else:
        run = melody.load(shipped.path(SHIPPED_RUN))
        what = f"the shipped run {SHIPPED_RUN} ({run.epochs_run} epochs); {melody.baseline_line(run.results)}"
    mid, musicxml, wav, png = (out / name for name in OUTPUTS)
    midi = melody.generate_melody(run.run_dir, settings["length"], mid, seed=seed,
                                  temperature=settings["temperature"], top_k=settings["top_k"])
    paths = [midi.path]
    for path in (musicxml, wav):
        melody.write_melody(midi.tokens, path)
        paths.append(path)
    roll = notes_to_piano_roll(midi.notes, steps_per_quarter=4, allow_merge=True)
    paths.append(render.save_piano_roll_png(roll, png, title="Generated melody"))
    atomic_write_text(out / MARKER, json.dumps({"origin": ORIGIN, "run": str(run.run_dir), "files": OUTPUTS}) + "\n")
    return [*(DemoFile(p, summarize(p)) for p in paths), DemoFile(run.run_dir, what)]
