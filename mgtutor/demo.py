"""The headless end-to-end demo: ``python -m mgtutor demo [--out DIR] [--seed S]``.

Part of mgtutor. Offline, on music21's bundled Bach chorales, in a few minutes on two CPU cores:

1. soprano lines of the chorales → melody-grid tokens (notebook 04);
2. a small Embedding + LSTM next-token model trained for seconds (notebook 06);
3. a melody sampled with the stateful generator (notebook 06 §4);
4. written as MIDI, MusicXML, WAV (the course's NumPy synthesizer) and a piano-roll PNG,
   each followed by a one-line summary read back from the file.

It is the same code the notebooks and the ``train``/``generate`` commands use, with demo-sized
settings (:data:`DEMO`; smaller still in smoke mode).

The demo replaces only what an earlier demo wrote: its run (``OUT/run``, marked ``"origin": "demo"`` in its
config.json) and the files beside it. Anything else in the way is refused unless ``force`` (:func:`check_out`),
and even then a folder holding more than a run's own files is left alone (:meth:`mgtutor.runs.RunDir.prepare`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mgtutor import config

DEMO = {
    "chorales": 120, "epochs": 4, "units": 96, "layers": 1, "embed_dim": 32, "window": 48, "stride": 12,
    "length": 128, "temperature": 0.9, "top_k": 8, "time_budget_min": 1.5,
}
SMOKE = {"chorales": 16, "epochs": 1, "units": 32, "embed_dim": 16, "time_budget_min": 0.5}
RUN_DIR = "run"
OUTPUTS = ("melody.mid", "melody.musicxml", "melody.wav", "melody.png")
"""What the demo writes in ``OUT``, beside its run directory ``OUT/run``."""
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
    if run_dir.exists() and (not run_dir.is_dir() or any(run_dir.iterdir())):
        raise RunDirError(f"{run_dir}: holds files an earlier demo did not write; choose another --out (demo --force "
                          "replaces a run there, never other files)")
    existing = [name for name in OUTPUTS if (out / name).exists()]
    if existing:
        raise RunDirError(f"{out}: already holds {', '.join(existing)}, not written by a demo; choose another --out, "
                          "or use demo --force to replace them")
    return out


def run_demo(out: str | Path = "demo_out", seed: int = 0, force: bool = False) -> list[DemoFile]:
    """Train, generate and write the four demo files into ``out``; return them with summaries.

    An earlier demo's files in ``out`` are replaced; anything else is refused unless ``force`` (:func:`check_out`).
    Raises:
        ConfigError: a bad seed or ``MGTUTOR_MODE``. RunDirError: see :func:`check_out`.
    """
    from mgtutor import data, render
    from mgtutor.symbolic import notes_to_piano_roll
    from mgtutor.tasks import melody

    settings = {**DEMO, **(SMOKE if config.is_smoke() else {})}
    config.seed_everything(seed)
    out = check_out(out, force)
    melodies = data.chorale_melodies(limit=settings["chorales"])
    training = melody.settings(**{k: settings[k] for k in TRAINING}, seed=seed)
    result = melody.train(melody.Corpus(melodies, "chorales", settings["chorales"], origin=ORIGIN), out / RUN_DIR,
                          training, force=True)
    mid, musicxml, wav, png = (out / name for name in OUTPUTS)
    midi = melody.generate_melody(result.run_dir, settings["length"], mid, seed=seed,
                                    temperature=settings["temperature"], top_k=settings["top_k"])
    paths = [midi.path]
    for path in (musicxml, wav):
        melody.write_melody(midi.tokens, path)
        paths.append(path)
    roll = notes_to_piano_roll(midi.notes, steps_per_quarter=4, allow_merge=True)
    paths.append(render.save_piano_roll_png(roll, png, title="Generated melody"))
    files = [DemoFile(p, summarize(p)) for p in paths]
    files.append(DemoFile(result.run_dir, f"run directory, validation perplexity {result.val_perplexity:.1f} "
                                          f"after {result.epochs_run} epoch(s) ({result.wall_seconds:.0f} s)"))
    return files
