"""The headless end-to-end demo: ``python -m mgtutor demo [--out DIR] [--seed S]``.

Part of mgtutor. Offline, on music21's bundled Bach chorales, in a few minutes on two CPU cores:

1. soprano lines of the chorales → melody-grid tokens (notebook 04);
2. a small Embedding + LSTM next-token model trained for seconds (notebook 06);
3. a melody sampled with the stateful generator (notebook 06 §4);
4. written as MIDI, MusicXML, WAV (the course's NumPy synthesizer) and a piano-roll PNG,
   each followed by a one-line summary read back from the file.

It is the same code the notebooks and the ``train``/``generate`` commands use, with demo-sized
settings (:data:`DEMO`; smaller still in smoke mode).
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


def run_demo(out: str | Path = "demo_out", seed: int = 0) -> list[DemoFile]:
    """Train, generate and write the four demo files into ``out``; return them with summaries.

    Raises:
        ConfigError: a bad seed or ``MGTUTOR_MODE``.
    """
    from mgtutor import data, generate, render
    from mgtutor.symbolic import notes_to_piano_roll
    from mgtutor.tasks import melody

    settings = {**DEMO, **(SMOKE if config.is_smoke() else {})}
    config.seed_everything(seed)
    out = Path(out)
    melodies = data.chorale_melodies(limit=settings["chorales"])
    training = melody.settings(**{k: settings[k] for k in TRAINING}, seed=seed)
    result = melody.train(melodies, out / "run", training, corpus="chorales", limit=settings["chorales"], force=True)
    midi = generate.generate_melody(result.run_dir, settings["length"], out / "melody.mid", seed=seed,
                                    temperature=settings["temperature"], top_k=settings["top_k"])
    paths = [midi.path]
    for name in ("melody.musicxml", "melody.wav"):
        generate.write_melody(midi.tokens, out / name)
        paths.append(out / name)
    roll = notes_to_piano_roll(midi.notes, steps_per_quarter=4, allow_merge=True)
    paths.append(render.save_piano_roll_png(roll, out / "melody.png", title="Generated melody"))
    files = [DemoFile(p, summarize(p)) for p in paths]
    files.append(DemoFile(result.run_dir, f"run directory, validation perplexity {result.val_perplexity:.1f} "
                                          f"after {result.epochs_run} epoch(s) ({result.seconds:.0f} s)"))
    return files
