"""The course's note representation: :class:`Note`, :class:`Piece`, and music21 conversion.

Part of mgtutor.symbolic. See notebooks/04_symbolic_music.ipynb §1–§2.

Time unit
    Every ``start``/``end`` in this package is measured in **quarter notes (beats)** from the
    start of the piece, because that is what scores count in and what the grid encodings
    quantise. A :class:`Piece` keeps its tempo (``qpm``, quarter notes per minute) so that
    ``seconds = beats * 60 / qpm`` (:func:`notes_to_seconds`) when audio or MIDI needs seconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction

from mgtutor.errors import MgtutorError, display_path

PIANO_LOW = 21
"""MIDI pitch of the piano's lowest key, A0 (column 0 of a piano roll)."""
PIANO_HIGH = 108
"""MIDI pitch of the piano's highest key, C8 (column 87 of a piano roll)."""
DEFAULT_VELOCITY = 80
"""Velocity given to notes decoded from encodings that do not store loudness."""
MAX_GRID_STEPS = 1_000_000
"""Longest melody grid or piano roll built from notes, in grid steps: 250,000 quarter notes at 4 steps per
quarter, 35 hours at 120 qpm. One note of a few bytes of MIDI can last 2²⁸ ticks (10⁹ sixteenths at 1 tick
per beat); the length is computed from the last note's end and checked before any token or row is made."""
MAX_SCORE_BYTES = 16 * 2**20
"""Largest score file :func:`load_score` hands to music21, in bytes on disk and, for a compressed MusicXML
(``.mxl``) file, unpacked (all its members together): 16 MiB, twice the MIDI limit, as MusicXML is verbose."""
MAX_SCORE_RATIO = 100
"""Largest compression ratio of an ``.mxl`` member over 1 MiB, the archive rule of ``mgtutor.fetch`` (zip bombs)."""


class SymbolicError(MgtutorError, ValueError):
    """Base class of the symbolic-music errors (bad notes, tokens, ranges, files)."""


class NoteError(SymbolicError):
    """A note has an impossible field (pitch outside 0–127, end before start, ...)."""


class PitchRangeError(SymbolicError):
    """A pitch falls outside the range an encoding or transposition allows."""


class QuantizationError(SymbolicError):
    """A time is not on the encoding's grid; quantise first (:func:`quantize_notes`)."""


class EncodingError(SymbolicError):
    """A sequence cannot be encoded or decoded (polyphony where a melody is needed, a bad token order)."""


class SequenceTooLongError(EncodingError):
    """Notes would make a melody grid or piano roll longer than :data:`MAX_GRID_STEPS` steps."""


def check_grid_length(steps: int, steps_per_quarter: int) -> int:
    """``steps`` if at most :data:`MAX_GRID_STEPS`, else :class:`SequenceTooLongError` ("too long (N steps …)").

    See: notebooks/04_symbolic_music.ipynb §4.
    """
    if steps > MAX_GRID_STEPS:
        raise SequenceTooLongError(f"too long ({steps:,} steps of 1/{steps_per_quarter} quarter note, the limit "
                                   f"is {MAX_GRID_STEPS:,})")
    return steps


_EPS = 1e-6
"""Tolerance, in grid steps, for a time to count as on the grid."""


def _check_spq(steps_per_quarter: int) -> int:
    """``steps_per_quarter`` as an int after checking it is a positive integer (shared by the grid encodings)."""
    if isinstance(steps_per_quarter, bool) or int(steps_per_quarter) != steps_per_quarter or steps_per_quarter < 1:
        raise SymbolicError(f"steps_per_quarter must be a positive integer (4 = sixteenths), got {steps_per_quarter!r}")
    return int(steps_per_quarter)


def _steps(t: float, s: int, what: str) -> int:
    """The grid step k with ``k = t·s`` exactly (within :data:`_EPS`), else :class:`QuantizationError`."""
    k = round(t * s)
    if abs(k - t * s) > _EPS:
        raise QuantizationError(
            f"{what} at beat {t:g} is not on the grid of 1/{s} quarter note; quantise first "
            f"(notes, report = quantize_notes(notes, {s})) and look at report.max_error"
        )
    return k


@dataclass(frozen=True)
class Note:
    """One sounding note.

    Args:
        pitch: MIDI pitch 0–127 (60 = middle C, 69 = A4 = 440 Hz).
        start: onset in quarter notes (beats) from the start of the piece, ≥ 0.
        end: release in quarter notes; must be > ``start``.
        velocity: MIDI velocity 1–127 (loudness).
        voice: part index (0 = soprano / first part / first MIDI instrument).
        program: General MIDI program 0–127 of the instrument (0 = acoustic grand piano).
    Raises:
        NoteError: a field is out of range (the message names the field and the value).
    See: notebooks/04_symbolic_music.ipynb §1.
    """

    pitch: int
    start: float
    end: float
    velocity: int = DEFAULT_VELOCITY
    voice: int = 0
    program: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.pitch <= 127 or int(self.pitch) != self.pitch:
            raise NoteError(f"Note pitch must be an integer MIDI number 0–127, got {self.pitch!r}")
        if not self.start >= 0:
            raise NoteError(f"Note start must be ≥ 0 beats, got {self.start!r} (pitch {self.pitch})")
        if not self.end > self.start:
            raise NoteError(
                f"Note end ({self.end!r}) must be after its start ({self.start!r}) (pitch {self.pitch}); "
                "zero-length notes cannot sound"
            )
        if not 1 <= self.velocity <= 127:
            raise NoteError(f"Note velocity must be 1–127, got {self.velocity!r} (pitch {self.pitch})")
        if not 0 <= self.program <= 127:
            raise NoteError(f"Note program must be a General MIDI program 0–127, got {self.program!r}")

    @property
    def duration(self) -> float:
        """``end - start`` in quarter notes."""
        return self.end - self.start


@dataclass
class Piece:
    """A piece: its notes (times in quarter notes) and what the models need to know about it.

    Args:
        notes: the notes, sorted by (start, pitch) on construction.
        qpm: tempo in quarter notes per minute (the first tempo of the file).
        time_signature: (numerator, denominator), e.g. (3, 4).
        key: a key name such as ``"G major"`` or ``"e minor"`` when known, else ``None``.
        name: where it came from (corpus name or file name).
    See: notebooks/04_symbolic_music.ipynb §1.
    """

    notes: list[Note]
    qpm: float = 120.0
    time_signature: tuple[int, int] = (4, 4)
    key: str | None = None
    name: str = ""
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.notes = sort_notes(self.notes)
        if not self.qpm > 0:
            raise SymbolicError(f"Piece {self.name!r}: tempo must be > 0 quarter notes per minute, got {self.qpm}")

    @property
    def end(self) -> float:
        """End of the last note, in quarter notes (0 for an empty piece)."""
        return max((n.end for n in self.notes), default=0.0)

    def voice(self, index: int) -> list[Note]:
        """The notes of one voice (part), e.g. ``voice(0)`` is the soprano of a chorale."""
        return [n for n in self.notes if n.voice == index]

    @property
    def voices(self) -> list[int]:
        """The voice indices present, ascending."""
        return sorted({n.voice for n in self.notes})

    def to_dict(self) -> dict:
        """A JSON-friendly dict; :meth:`from_dict` inverts it exactly."""
        return {
            "name": self.name, "qpm": self.qpm, "time_signature": list(self.time_signature),
            "key": self.key, "meta": self.meta,
            "notes": [[n.pitch, n.start, n.end, n.velocity, n.voice, n.program] for n in self.notes],
        }

    @classmethod
    def from_dict(cls, d: dict) -> Piece:
        """Rebuild a piece written by :meth:`to_dict`."""
        notes = [Note(int(p), float(s), float(e), int(v), int(vo), int(pr)) for p, s, e, v, vo, pr in d["notes"]]
        return cls(notes, float(d["qpm"]), tuple(d["time_signature"]), d.get("key"), d.get("name", ""),
                   dict(d.get("meta") or {}))


def sort_notes(notes: Iterable[Note]) -> list[Note]:
    """Notes sorted by onset, then pitch (low to high), then voice: the order every encoding uses.

    See: notebooks/04_symbolic_music.ipynb §4.
    """
    return sorted(notes, key=lambda n: (n.start, n.pitch, n.voice, n.end))


def notes_to_seconds(notes: Iterable[Note], qpm: float = 120.0) -> list[tuple[int, float, float, int]]:
    """Convert notes to ``(pitch, start_s, end_s, velocity)`` tuples in seconds.

    Rule: ``t_seconds = t_beats * 60 / qpm``. These tuples are what
    ``mgtutor.audio.render_notes`` and the MIDI writer take.

    Args:
        notes: notes with times in quarter notes.
        qpm: tempo in quarter notes per minute, > 0.
    Returns:
        A list of ``(pitch, start_seconds, end_seconds, velocity)``.
    Raises:
        SymbolicError: ``qpm`` ≤ 0.
    See: notebooks/04_symbolic_music.ipynb §1.
    """
    if not qpm > 0:
        raise SymbolicError(f"tempo qpm must be > 0 quarter notes per minute, got {qpm!r}")
    scale = 60.0 / qpm
    return [(n.pitch, n.start * scale, n.end * scale, n.velocity) for n in sort_notes(notes)]


def check_monophonic(notes: Sequence[Note], what: str = "melody") -> None:
    """Raise :class:`SymbolicError` if two notes overlap in time (the first overlap is named).

    See: notebooks/04_symbolic_music.ipynb §4.
    """
    ordered = sort_notes(notes)
    for a, b in zip(ordered, ordered[1:], strict=False):
        if b.start < a.end - 1e-9:
            raise SymbolicError(
                f"{what} is not monophonic: pitch {b.pitch} starts at beat {b.start:g} while pitch "
                f"{a.pitch} still sounds (until beat {a.end:g}); take one voice (Piece.voice(i)) or "
                "the top line (skyline) first"
            )


def skyline(notes: Iterable[Note]) -> list[Note]:
    """The top line of a polyphonic part: at each onset keep the highest note, cut overlaps.

    Rule: among notes sharing an onset keep the highest; a kept note is shortened to end where
    the next kept note starts. Used for folk tunes written with occasional chords.
    See: notebooks/04_symbolic_music.ipynb §5.
    """
    by_start: dict[float, Note] = {}
    for n in notes:
        if n.start not in by_start or n.pitch > by_start[n.start].pitch:
            by_start[n.start] = n
    kept = [by_start[s] for s in sorted(by_start)]
    out = []
    for a, b in zip(kept, kept[1:] + [None], strict=False):
        if b is not None and a.end > b.start:
            a = replace(a, end=b.start)
        out.append(a)
    return out


# --------------------------------------------------------------------------- music21 conversion
def _float(x) -> float:
    return float(Fraction(x)) if not isinstance(x, float) else x


def piece_from_music21(score, name: str = "", parts: Sequence[int] | None = None) -> Piece:
    """Convert a music21 ``Score`` (or a single ``Part``/``Stream``) into a :class:`Piece`.

    Rule: ties are merged into one note (``stripTies``), chords become one note per pitch,
    grace notes (zero length) and chord symbols are dropped, part *i* becomes ``voice=i``.
    Tempo is the first metronome mark (120 qpm if none), the time signature the first one
    (4/4 if none), the key the first ``Key``/``KeySignature`` found (``None`` if none).

    Args:
        score: a parsed music21 stream.
        name: stored as ``Piece.name``.
        parts: indices of the parts to keep (default: all).
    Returns:
        The piece, times in quarter notes.
    See: notebooks/04_symbolic_music.ipynb §2.
    """
    from music21 import chord, harmony, key, meter, note, stream, tempo

    part_list = list(score.parts) if isinstance(score, stream.Score) and score.parts else [score]
    chosen = range(len(part_list)) if parts is None else parts
    notes: list[Note] = []
    for voice_index, part_index in enumerate(chosen):
        part = part_list[part_index].stripTies(matchByPitch=True)
        for el in part.recurse().notes:
            if isinstance(el, harmony.ChordSymbol):
                continue
            ql = _float(el.quarterLength)
            if ql <= 0:
                continue
            start = _float(el.getOffsetInHierarchy(part))
            velocity = el.volume.velocity if el.volume.velocity is not None else DEFAULT_VELOCITY
            pitches = el.pitches if isinstance(el, chord.Chord) else [el.pitch] if isinstance(el, note.Note) else []
            for p in pitches:
                notes.append(Note(int(p.midi), start, start + ql, int(velocity), voice_index))
    first_ts = next(iter(score.recurse().getElementsByClass(meter.TimeSignature)), None)
    first_mm = next(iter(score.recurse().getElementsByClass(tempo.MetronomeMark)), None)
    first_key = next(iter(score.recurse().getElementsByClass(key.KeySignature)), None)
    key_name = None
    if first_key is not None:
        k = first_key if isinstance(first_key, key.Key) else first_key.asKey("major")
        key_name = f"{k.tonic.name} {k.mode}"
    qpm = float(first_mm.getQuarterBPM()) if first_mm is not None and first_mm.number else 120.0
    ts = (first_ts.numerator, first_ts.denominator) if first_ts is not None else (4, 4)
    return Piece(notes, qpm=qpm, time_signature=ts, key=key_name, name=name)


def check_score_file(path) -> None:
    """Refuse a score file music21 should not parse: over :data:`MAX_SCORE_BYTES` on disk or, for a zip
    (``.mxl``), unpacked, or with a member over 1 MiB that expands more than :data:`MAX_SCORE_RATIO` times.

    Only the zip's directory is read (each member's declared size; Python's zip reader never unpacks more).
    Raises:
        SymbolicError: too large, or an ``.mxl`` file that is not a readable zip (the message names the file).
    See: notebooks/04_symbolic_music.ipynb §2.
    """
    import zipfile
    from pathlib import Path

    path = Path(path)
    size = path.stat().st_size
    limit = f"the limit for a score file is {MAX_SCORE_BYTES:,} bytes ({MAX_SCORE_BYTES / 2**20:g} MiB)"
    if size > MAX_SCORE_BYTES:
        raise SymbolicError(f"{display_path(path)}: {size:,} bytes; {limit}: too large for the course's loader")
    if path.suffix.lower() != ".mxl" and not zipfile.is_zipfile(path):
        return
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise SymbolicError(f"{display_path(path)}: not a readable compressed MusicXML (.mxl) file ({exc})") from None
    unpacked = sum(m.file_size for m in members)
    if unpacked > MAX_SCORE_BYTES:
        raise SymbolicError(f"{display_path(path)}: {unpacked:,} bytes once unpacked; {limit}: too large for the "
                            "course's loader (a zip bomb?)")
    for m in members:
        ratio = m.file_size / max(m.compress_size, 1)
        if m.file_size > 2**20 and ratio > MAX_SCORE_RATIO:
            raise SymbolicError(f"{display_path(path)}: member {m.filename!r} expands {ratio:,.0f}:1, more than "
                                f"{MAX_SCORE_RATIO}:1 (a zip bomb?); not read")


def load_score(source, name: str | None = None) -> Piece:
    """Parse a MusicXML, kern (``.krn``), abc or MIDI file — or a music21 corpus name — into a Piece.

    A file is first checked by :func:`check_score_file` (at most :data:`MAX_SCORE_BYTES`, unpacked too).

    Args:
        source: a file path, or a corpus name such as ``"bach/bwv269"``.
        name: stored as ``Piece.name`` (default: the source).
    Returns:
        The piece (see :func:`piece_from_music21` for the rules).
    Raises:
        SymbolicError: too large, or music21 cannot read it (the message names the source and the reason).
    See: notebooks/04_symbolic_music.ipynb §2.
    """
    from pathlib import Path

    from music21 import converter, corpus

    text = str(source)
    is_file = Path(text).is_file()
    if is_file:
        check_score_file(text)
    try:
        score = converter.parse(text) if is_file else corpus.parse(text)
    except Exception as exc:  # music21 raises many unrelated types for unreadable input
        raise SymbolicError(
            f"{display_path(text)}: music21 could not read it ({type(exc).__name__}: {exc}); give a MusicXML, .krn, "
            ".abc or .mid file path, or a corpus name such as 'bach/bwv269'"
        ) from exc
    return piece_from_music21(score, name=name if name is not None else text)
