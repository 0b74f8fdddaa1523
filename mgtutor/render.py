"""Rendering symbolic music: MIDI and MusicXML files, score SVG (verovio), audio, piano-roll plots.

Part of mgtutor. See notebooks/04_symbolic_music.ipynb §1 (files), §2 (scores, audio), §3 (plots), §7 (browser).

Every function takes notes with times in quarter notes (:class:`mgtutor.symbolic.Note`) or
melody-grid tokens, plus a tempo where seconds are needed (``seconds = beats · 60 / qpm``).

Audio: :func:`synthesize` uses FluidSynth with the General MIDI soundfont that pretty_midi
ships when the FluidSynth library and ``pyfluidsynth`` are installed, and otherwise falls back
to the NumPy synthesizer ``mgtutor.audio.render_notes`` (harmonics + envelope), with a
one-line ``warnings`` notice saying so.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from mgtutor.errors import MgtutorError
from mgtutor.files import atomic_path
from mgtutor.symbolic import (
    PIANO_HIGH,
    PIANO_LOW,
    Note,
    RollShapeError,
    check_roll,
    grid_to_melody,
    notes_to_seconds,
    sort_notes,
)

__all__ = [
    "FluidSynthFallbackWarning", "RenderError", "VEROVIO_OPTIONS", "as_notes", "fluidsynth_available",
    "musicxml_string", "piece_browser", "piece_view", "plot_histograms", "plot_piano_roll", "show_piece_view",
    "save_piano_roll_png", "score_svg", "soundfont_path", "synthesize", "to_music21", "to_pretty_midi",
    "write_midi", "write_musicxml", "OUTPUT_SUFFIXES", "check_output", "write", "MIDDLE_C", "grand_staff",
]

VEROVIO_OPTIONS = {
    "xmlIdSeed": 1,
    "pageWidth": 1800,
    "pageHeight": 2000,
    "scale": 35,
    "adjustPageHeight": True,
    "footer": "none",
    "header": "none",
    "breaks": "auto",
}
"""Default verovio options: a fixed ``xmlIdSeed`` makes the SVG identical on every run."""


class RenderError(MgtutorError, ValueError):
    """Something cannot be rendered (no notes, a bad piano roll, a score verovio cannot read)."""


class FluidSynthFallbackWarning(UserWarning):
    """Audio was rendered with the NumPy synthesizer because FluidSynth is not available."""


def as_notes(music) -> list[Note]:
    """Accept notes or melody-grid tokens (list of str) and return notes (times in quarter notes).

    Raises:
        RenderError: empty, or neither notes nor tokens.
    See: notebooks/04_symbolic_music.ipynb §1.
    """
    items = list(music)
    if not items:
        raise RenderError("nothing to render: the note/token list is empty")
    if all(isinstance(x, str) for x in items):
        return grid_to_melody(items)
    if all(isinstance(x, Note) for x in items):
        return sort_notes(items)
    raise RenderError("expected a list of mgtutor.symbolic.Note or of melody-grid tokens (str)")


# --------------------------------------------------------------------------- MIDI / MusicXML export
def to_pretty_midi(music, tempo: float = 120.0):
    """Build a ``pretty_midi.PrettyMIDI`` from notes/tokens: one instrument per (voice, program).

    Rule: ``seconds = beats · 60 / tempo``; the file's tempo is set to ``tempo`` so that a MIDI
    reader gets the beats back.
    See: notebooks/04_symbolic_music.ipynb §1.
    """
    import pretty_midi

    notes = as_notes(music)
    if not tempo > 0:
        raise RenderError(f"tempo must be > 0 quarter notes per minute, got {tempo!r}")
    pm = pretty_midi.PrettyMIDI(initial_tempo=float(tempo))
    instruments: dict[tuple[int, int], pretty_midi.Instrument] = {}
    scale = 60.0 / tempo
    for n in notes:
        key = (n.voice, n.program)
        if key not in instruments:
            instruments[key] = pretty_midi.Instrument(program=n.program, name=f"voice {n.voice}")
        instruments[key].notes.append(pretty_midi.Note(n.velocity, n.pitch, n.start * scale, n.end * scale))
    pm.instruments = [instruments[k] for k in sorted(instruments)]
    return pm


def write_midi(music, path: str | os.PathLike, tempo: float = 120.0) -> Path:
    """Write notes (or melody-grid tokens) to a standard MIDI file.

    Args:
        music: a list of Note (times in quarter notes) or melody-grid tokens.
        path: the ``.mid`` file to write (folders are created).
        tempo: quarter notes per minute.
    Returns:
        The path written.
    Raises:
        RenderError: nothing to write, or a bad tempo.
    See: notebooks/04_symbolic_music.ipynb §1.
    """
    pm = to_pretty_midi(music, tempo)
    with atomic_path(path, suffix=".mid") as tmp:
        pm.write(str(tmp))
    return Path(path)


def _lanes(notes: Sequence[Note]) -> list[list[list[Note]]]:
    """Split one voice into non-overlapping lanes of chords (notes with equal start and end)."""
    chords: dict[tuple[float, float], list[Note]] = {}
    for n in notes:
        chords.setdefault((n.start, n.end), []).append(n)
    lanes: list[list[list[Note]]] = []
    for (start, _), chord in sorted(chords.items()):
        for lane in lanes:
            if lane[-1][0].end <= start:
                lane.append(chord)
                break
        else:
            lanes.append([chord])
    return lanes


MIDDLE_C = 60
"""MIDI pitch of middle C (C4): the default split of :func:`grand_staff`."""


def _check_split(split) -> int:
    if isinstance(split, bool) or not isinstance(split, (int, np.integer)) or not PIANO_LOW <= split <= PIANO_HIGH + 1:
        raise RenderError(f"split must be a MIDI pitch from {PIANO_LOW} to {PIANO_HIGH + 1} (the lowest pitch of the "
                          f"treble staff; {MIDDLE_C} = middle C), got {split!r}")
    return int(split)


def _element(chord_notes: Sequence[Note]):
    """A music21 Note (one pitch) or Chord for notes sharing start and end."""
    from music21 import chord, note

    first = chord_notes[0]
    el = note.Note(first.pitch) if len(chord_notes) == 1 else chord.Chord([n.pitch for n in chord_notes])
    el.quarterLength = first.end - first.start
    el.volume.velocity = first.velocity
    return el


def grand_staff(music, split: int = MIDDLE_C, time_signature: tuple[int, int] = (4, 4), tempo: float | None = None,
                key: str | None = None):
    """Build a music21 ``Score`` on a piano's grand staff: pitches ≥ ``split`` on a treble staff, the rest on a bass
    staff, the two joined by a brace.

    The rule is by register only (a note's ``voice`` is ignored), as for a piano roll, which has no voices: with
    ``split = 60`` middle C and above go to the treble staff, B3 and below to the bass staff. Within a staff,
    notes sharing start and end become a chord and notes that overlap otherwise go to separate voices (stems up
    and down); rests fill every voice to the end of the last bar (hidden in all voices but the first of a staff).

    Args:
        music: notes (times in quarter notes) or melody-grid tokens.
        split: the lowest MIDI pitch of the treble staff (default :data:`MIDDLE_C`).
        time_signature, tempo, key: as for :func:`to_music21`.
    Returns:
        A ``music21.stream.Score`` of two ``PartStaff`` parts (treble clef, then bass clef) in a brace
        ``StaffGroup``.
    Raises:
        RenderError: nothing to render, or ``split`` is not a MIDI pitch.
    See: notebooks/07_polyphonic_piano_rolls.ipynb §7 (sampled piano rolls engraved this way).
    """
    from music21 import clef, layout, meter, note, stream
    from music21 import key as m21key
    from music21 import tempo as m21tempo

    split = _check_split(split)
    notes = as_notes(music)
    bar = 4.0 * time_signature[0] / time_signature[1]
    total = bar * max(1, int(np.ceil(max(n.end for n in notes) / bar - 1e-9)))
    score = stream.Score()
    staves = []
    for staff_clef, on_staff in ((clef.TrebleClef(), lambda p: p >= split), (clef.BassClef(), lambda p: p < split)):
        part = stream.PartStaff()
        part.insert(0, staff_clef)
        part.insert(0, meter.TimeSignature(f"{time_signature[0]}/{time_signature[1]}"))
        if key is not None:
            tonic, mode = key.split()
            part.insert(0, m21key.Key(tonic, mode.lower()))
        if tempo is not None and not staves:
            part.insert(0, m21tempo.MetronomeMark(number=tempo))
        for number, lane in enumerate(_lanes([n for n in notes if on_staff(n.pitch)]) or [[]], start=1):
            voice, now = stream.Voice(id=str(number)), 0.0
            for start, end in [(ch[0].start, ch[0].end) for ch in lane] + [(total, total)]:
                if start > now:  # a gap: a rest, shown in the first voice and hidden in the others
                    rest = note.Rest(quarterLength=start - now)
                    rest.style.hideObjectOnPrint = number > 1
                    voice.insert(now, rest)
                now = max(now, end)
            for ch in lane:
                voice.insert(ch[0].start, _element(ch))
            part.insert(0, voice)
        staves.append(part)
        score.insert(0, part)
    score.insert(0, layout.StaffGroup(staves, symbol="brace", barTogether=True))
    return score.makeNotation()


def to_music21(music, time_signature: tuple[int, int] = (4, 4), tempo: float | None = None, key: str | None = None,
               grand: bool = False):
    """Build a music21 ``Score`` from notes/tokens: a part per voice (extra parts where a voice overlaps itself).

    Notes sharing start and end within a voice become a chord; rests fill the gaps
    (``makeNotation`` splits notes at bar lines with ties). With ``grand=True`` the notes go on a grand staff
    split at middle C instead (:func:`grand_staff`), the layout for piano rolls.
    See: notebooks/04_symbolic_music.ipynb §1.
    """
    from music21 import key as m21key
    from music21 import meter, stream
    from music21 import tempo as m21tempo

    if grand:
        return grand_staff(music, MIDDLE_C, time_signature, tempo, key)
    notes = as_notes(music)
    score = stream.Score()
    voices = sorted({n.voice for n in notes})
    for v in voices:
        for lane in _lanes([n for n in notes if n.voice == v]):
            part = stream.Part()
            part.insert(0, meter.TimeSignature(f"{time_signature[0]}/{time_signature[1]}"))
            if key is not None:
                tonic, mode = key.split()
                part.insert(0, m21key.Key(tonic, mode.lower()))
            if tempo is not None and v == voices[0] and not score.parts:
                part.insert(0, m21tempo.MetronomeMark(number=tempo))
            for ch in lane:
                part.insert(ch[0].start, _element(ch))
            score.insert(0, part)
    return score.makeNotation()


def write_musicxml(music, path: str | os.PathLike, time_signature: tuple[int, int] = (4, 4),
                   tempo: float | None = None, key: str | None = None, grand: bool = False) -> Path:
    """Write notes (or melody-grid tokens) as a MusicXML score (music21).

    music21 embeds random instrument ids: compare files by their parsed notes, never by bytes.

    Args:
        music: a list of Note (times in quarter notes) or melody-grid tokens.
        path: the ``.musicxml``/``.xml`` file to write.
        time_signature: (numerator, denominator).
        tempo: a metronome mark to write, in quarter notes per minute (optional).
        key: a key such as ``"G major"`` (optional).
        grand: engrave on a grand staff split at middle C (:func:`grand_staff`) instead of a staff per voice.
    Returns:
        The path written.
    See: notebooks/04_symbolic_music.ipynb §1.
    """
    score = to_music21(music, time_signature, tempo, key, grand)
    with atomic_path(path, suffix=".musicxml") as tmp:
        score.write("musicxml", fp=str(tmp))
    return Path(path)


OUTPUT_SUFFIXES = {".mid": "MIDI", ".midi": "MIDI", ".musicxml": "MusicXML", ".xml": "MusicXML", ".wav": "WAV"}
"""The file types :func:`write` chooses by suffix."""


def check_output(path: str | os.PathLike) -> Path:
    """``path`` as a Path if :func:`write` knows its suffix and ``path`` is not a folder.

    Raises:
        RenderError: an unknown suffix (the message lists the known ones), or a folder by that name.
    """
    path = Path(path)
    if path.suffix.lower() not in OUTPUT_SUFFIXES:
        raise RenderError(f"{path}: unknown output type {path.suffix!r}; use one of {', '.join(OUTPUT_SUFFIXES)}")
    if path.is_dir():
        raise RenderError(f"{path}: is a folder; name the output file, e.g. {path / ('out' + path.suffix)}")
    return path


def write(music, path: str | os.PathLike, tempo: float = 120.0, sr: int = 22050) -> Path:
    """Write notes (or melody-grid tokens) in the format the suffix names, atomically.

    ``.mid``/``.midi`` → :func:`write_midi`; ``.musicxml``/``.xml`` → :func:`write_musicxml` (with the
    tempo as a metronome mark); ``.wav`` → the course's NumPy synthesizer
    (:func:`mgtutor.audio.render_notes`) at ``sr`` Hz, 16-bit — the same notes give the same bytes.
    Raises:
        RenderError: an unknown suffix, or nothing to write.
    See: notebooks/04_symbolic_music.ipynb §1.
    """
    path = check_output(path)
    kind = OUTPUT_SUFFIXES[path.suffix.lower()]
    if kind == "MIDI":
        return write_midi(music, path, tempo=tempo)
    if kind == "MusicXML":
        return write_musicxml(music, path, tempo=tempo)
    from mgtutor.audio import render_notes, write_wav
    from mgtutor.symbolic import notes_to_seconds

    write_wav(path, render_notes(notes_to_seconds(as_notes(music), qpm=tempo), sr=sr), sr)
    return path


# --------------------------------------------------------------------------- score SVG (verovio)
def musicxml_string(music, time_signature: tuple[int, int] = (4, 4), key: str | None = None,
                    grand: bool = False) -> str:
    """The MusicXML text of notes/tokens (via music21, written to a temporary file); ``grand`` as in
    :func:`write_musicxml`.

    See: notebooks/04_symbolic_music.ipynb §1.
    """
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        return write_musicxml(music, Path(tmp) / "score.musicxml", time_signature, key=key,
                              grand=grand).read_text(encoding="utf-8")


def score_svg(source, page: int = 1, options: dict | None = None, time_signature: tuple[int, int] = (4, 4),
              key: str | None = None, grand: bool = False) -> str:
    """Engrave a score with verovio and return page ``page`` as SVG text.

    The toolkit is created fresh and ``xmlIdSeed`` is reset before each load, so the same input
    gives byte-identical SVG (verovio 6.4.1 writes its version into the SVG).

    Args:
        source: MusicXML text, a path to a MusicXML/MEI file, a list of Note, or melody-grid tokens.
        page: 1-based page number.
        options: verovio options overriding :data:`VEROVIO_OPTIONS`.
        time_signature, key: used when ``source`` is notes/tokens.
        grand: when ``source`` is notes/tokens, engrave them on a grand staff split at middle C
            (:func:`grand_staff`: treble ≥ MIDI 60, bass below), the layout for piano rolls.
    Returns:
        SVG text (display it with ``IPython.display.SVG``).
    Raises:
        RenderError: verovio cannot read the input, or the page does not exist.
    See: notebooks/04_symbolic_music.ipynb §2.
    """
    import verovio

    if isinstance(source, (str, os.PathLike)) and not str(source).lstrip().startswith("<"):
        path = Path(source)
        if not path.is_file():
            raise RenderError(f"{path}: no such score file (give MusicXML text, a file path, notes or tokens)")
        text = path.read_text(encoding="utf-8")
    elif isinstance(source, str):
        text = source
    else:
        text = musicxml_string(source, time_signature, key, grand)
    verovio.enableLog(verovio.LOG_OFF)  # failures become a RenderError below, not C++ log lines
    tk = verovio.toolkit()
    opts = {**VEROVIO_OPTIONS, **(options or {})}
    tk.setOptions(opts)
    tk.resetXmlIdSeed(int(opts["xmlIdSeed"]))
    if not tk.loadData(text):
        raise RenderError("verovio could not read the score (is it MusicXML or MEI?)")
    if not 1 <= page <= tk.getPageCount():
        raise RenderError(f"page {page} does not exist; the score has {tk.getPageCount()} page(s)")
    return tk.renderToSVG(page)


# --------------------------------------------------------------------------- audio
SOUNDFONT_NAME = "TimGM6mb.sf2"


def soundfont_path() -> Path:
    """The General MIDI soundfont pretty_midi ships (``pretty_midi/TimGM6mb.sf2``).

    See: notebooks/04_symbolic_music.ipynb §2.
    """
    import pretty_midi

    return Path(pretty_midi.__file__).parent / SOUNDFONT_NAME


def fluidsynth_available() -> bool:
    """True if ``pyfluidsynth`` imports, finds the FluidSynth library, and the soundfont exists.

    See: notebooks/04_symbolic_music.ipynb §2.
    """
    try:
        import fluidsynth  # noqa: F401  (pyfluidsynth; fails when libfluidsynth is missing)
    except (ImportError, OSError):
        return False
    return soundfont_path().is_file()


def synthesize(music, tempo: float = 120.0, sr: int = 22050, backend: str = "auto") -> tuple[np.ndarray, str]:
    """Render notes (or melody-grid tokens) to a mono float32 waveform.

    Args:
        music: notes (times in quarter notes) or melody-grid tokens.
        tempo: quarter notes per minute.
        sr: sample rate in Hz.
        backend: ``"auto"`` (FluidSynth if available, else NumPy with a one-line warning),
            ``"fluidsynth"`` (error if unavailable) or ``"numpy"``.
    Returns:
        ``(samples in [-1, 1], backend used)``.
    Raises:
        RenderError: unknown backend, or ``"fluidsynth"`` asked for but unavailable.
    See: notebooks/04_symbolic_music.ipynb §2.
    """
    if backend not in ("auto", "fluidsynth", "numpy"):
        raise RenderError(f"backend must be 'auto', 'fluidsynth' or 'numpy', got {backend!r}")
    notes = as_notes(music)
    if backend != "numpy" and fluidsynth_available():
        pm = to_pretty_midi(notes, tempo)
        y = pm.fluidsynth(fs=sr, synthesizer=str(soundfont_path()))
        peak = float(np.max(np.abs(y))) if y.size else 0.0
        return (y / peak * 0.9 if peak > 0 else y).astype(np.float32), "fluidsynth"
    if backend == "fluidsynth":
        raise RenderError("FluidSynth is not available: install the library (apt install fluidsynth) and "
                          "`pip install pyfluidsynth`, or use backend='numpy'")
    if backend == "auto":
        warnings.warn("FluidSynth not available: rendering with the NumPy synthesizer "
                      "(mgtutor.audio.render_notes)", FluidSynthFallbackWarning, stacklevel=2)
    from mgtutor.audio import render_notes

    y = np.asarray(render_notes(notes_to_seconds(notes, tempo), sr=sr), dtype=np.float32)
    return y, "numpy"


# --------------------------------------------------------------------------- plots
def plot_piano_roll(roll, steps_per_quarter: int = 4, title: str = "Piano roll", ax=None, pitch_range=None,
                    figsize=(8, 3), dpi: int = 80):
    """Plot a (T, 88) piano roll: time (quarter notes) across, MIDI pitch up.

    Args:
        roll: array (T, 88), 0/1 or probabilities in [0, 1].
        steps_per_quarter: rows per quarter note (for the time axis).
        title: axes title.
        ax: draw into this matplotlib Axes (default: a new Figure).
        pitch_range: (low, high) MIDI pitches to show (default: the used range ± 2).
        figsize, dpi: size of a new figure.
    Returns:
        The matplotlib Figure.
    Raises:
        RenderError: ``roll`` is not (T, 88).
    See: notebooks/04_symbolic_music.ipynb §3.
    """
    import matplotlib.pyplot as plt

    try:
        roll = check_roll(roll).astype(float)
    except RollShapeError as exc:  # render's callers catch RenderError
        raise RenderError(str(exc)) from None
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, dpi=dpi, constrained_layout=True)
    else:
        fig = ax.figure
    used = np.flatnonzero(roll.any(axis=0))
    if pitch_range is None:
        lo, hi = ((int(used.min()) + PIANO_LOW - 2, int(used.max()) + PIANO_LOW + 2) if used.size
                  else (PIANO_LOW, PIANO_HIGH))
    else:
        lo, hi = pitch_range
    lo, hi = max(lo, PIANO_LOW), min(hi, PIANO_HIGH)
    t_end = roll.shape[0] / steps_per_quarter
    ax.imshow(roll[:, lo - PIANO_LOW: hi - PIANO_LOW + 1].T, origin="lower", aspect="auto", cmap="Greys", vmin=0,
              vmax=1, interpolation="nearest", extent=(0, t_end, lo - 0.5, hi + 0.5))
    ax.set_xlabel("time (quarter notes)")
    ax.set_ylabel("MIDI pitch")
    ax.set_title(title)
    return fig


def save_piano_roll_png(roll, path: str | os.PathLike, steps_per_quarter: int = 4, title: str = "Piano roll",
                        dpi: int = 100) -> Path:
    """Plot a piano roll with :func:`plot_piano_roll` and save it as PNG, atomically.

    The figure is made without pyplot, so saving from a notebook neither shows it nor changes
    the notebook's matplotlib backend.

    See: notebooks/04_symbolic_music.ipynb §3.
    """
    from matplotlib.figure import Figure

    from mgtutor.files import atomic_path

    fig = Figure(figsize=(8, 3), dpi=dpi, constrained_layout=True)
    plot_piano_roll(roll, steps_per_quarter, title=title, ax=fig.subplots())
    path = Path(path)
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=dpi)
    return path


def plot_histograms(pieces_notes: Sequence[Sequence[Note]], title: str = "Corpus statistics", dpi: int = 80):
    """Pitch, duration and melodic-interval histograms of a corpus (one list of notes per piece).

    Intervals are between consecutive notes (sorted by onset) of each list, in semitones.
    Returns:
        The matplotlib Figure (three panels).
    See: notebooks/04_symbolic_music.ipynb §3.
    """
    import matplotlib.pyplot as plt

    pitches = [n.pitch for ns in pieces_notes for n in ns]
    durations = [n.end - n.start for ns in pieces_notes for n in ns]
    intervals = []
    for ns in pieces_notes:
        ps = [n.pitch for n in sort_notes(ns)]
        intervals += list(np.diff(ps))
    if not pitches:
        raise RenderError("no notes to count")
    fig, axes = plt.subplots(1, 3, figsize=(11, 3), dpi=dpi, constrained_layout=True)
    axes[0].hist(pitches, bins=np.arange(min(pitches) - 0.5, max(pitches) + 1.5), color="tab:blue")
    axes[0].set(xlabel="MIDI pitch", ylabel="notes", title="pitch")
    d = np.asarray(durations)
    values, counts = np.unique(np.round(d, 3), return_counts=True)
    keep = counts >= max(1, counts.sum() // 500)
    axes[1].bar([f"{v:g}" for v in values[keep]], counts[keep], color="tab:orange")
    axes[1].set(xlabel="duration (quarter notes)", ylabel="notes", title="duration")
    axes[1].tick_params(axis="x", labelrotation=60)
    if intervals:
        iv = np.clip(intervals, -12, 12)
        axes[2].hist(iv, bins=np.arange(-12.5, 13.5), color="tab:green")
    axes[2].set(xlabel="interval (semitones, clipped to ±12)", ylabel="pairs", title="melodic interval")
    fig.suptitle(title)
    return fig


# --------------------------------------------------------------------------- a piece browser
def piece_view(piece, beats: float = 12.0, sr: int = 16000, backend: str = "numpy") -> dict:
    """Everything the browser shows for one piece: score SVG, piano-roll figure and audio of its opening.

    Args:
        piece: a :class:`mgtutor.symbolic.Piece`.
        beats: how much of the opening to show and play, in quarter notes.
        sr: audio sample rate in Hz.
        backend: audio backend for :func:`synthesize` (``"numpy"`` is deterministic).
    Returns:
        ``{"svg": str, "figure": matplotlib Figure, "audio": float32 array, "sr": int, "title": str}``.
    Raises:
        RenderError: the piece has no notes in the opening.
    See: notebooks/04_symbolic_music.ipynb §7.
    """
    from mgtutor.symbolic import notes_to_piano_roll, quantize_notes

    opening = [n for n in piece.notes if n.start < beats]
    if not opening:
        raise RenderError(f"piece {piece.name!r} has no notes in its first {beats:g} quarter notes")
    cut = [replace(n, end=min(n.end, beats)) for n in opening]
    svg = score_svg(cut, time_signature=piece.time_signature, key=piece.key)
    roll = notes_to_piano_roll(quantize_notes(cut, 4)[0], 4, allow_merge=True)
    title = f"{piece.name} ({piece.key or 'key unknown'}, {piece.time_signature[0]}/{piece.time_signature[1]})"
    fig = plot_piano_roll(roll, 4, title=title)
    y, _ = synthesize(cut, tempo=piece.qpm, sr=sr, backend=backend)
    return {"svg": svg, "figure": fig, "audio": y, "sr": sr, "title": title}


def piece_browser(pieces, beats: float = 12.0, display_fn=None):
    """An ipywidgets browser: pick a piece → its score, piano roll and audio (:func:`piece_view`).

    Args:
        pieces: the pieces offered in the dropdown.
        beats: how much of each opening to show.
        display_fn: what shows each object (default ``IPython.display.display``; tests pass a recorder).
    Returns:
        An ``ipywidgets.VBox`` (a dropdown over an output area); display it in a notebook.
    See: notebooks/04_symbolic_music.ipynb §7.
    """
    import ipywidgets as widgets

    pieces = list(pieces)
    if not pieces:
        raise RenderError("no pieces to browse")
    menu = widgets.Dropdown(options=[(p.name, i) for i, p in enumerate(pieces)], description="piece")
    out = widgets.Output()

    def show(change=None) -> None:
        view = piece_view(pieces[menu.value], beats)
        with out:
            out.clear_output(wait=True)
            show_piece_view(view, display_fn)

    menu.observe(show, names="value")
    show()
    return widgets.VBox([menu, out])


def show_piece_view(view: dict, display_fn=None) -> None:
    """Show a :func:`piece_view`: its score (SVG), its piano roll (the figure, then closed) and an audio player.

    The browser's callback; a notebook calls it once more for the piece the browser opens on, so a reader
    without a kernel sees that view too.

    Args:
        view: from :func:`piece_view`.
        display_fn: what shows each object (default ``IPython.display.display``; tests pass a recorder).
    See: notebooks/04_symbolic_music.ipynb §7.
    """
    import matplotlib.pyplot as plt
    from IPython.display import SVG, Audio, display

    display_fn = display_fn or display
    display_fn(SVG(view["svg"]))
    display_fn(view["figure"])
    plt.close(view["figure"])
    display_fn(Audio(view["audio"], rate=view["sr"]))
