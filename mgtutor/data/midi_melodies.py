"""Melodies from a folder of real-world MIDI files: which voice is the tune, and how it becomes tokens.

Part of mgtutor.data. See notebooks/04_symbolic_music.ipynb §1.

A pop-song MIDI file holds drums, bass, chords and a tune, one voice per (track, channel)
(:func:`~mgtutor.symbolic.load_midi`). :func:`choose_melody_voice` picks one voice by a fixed rule:

1. drum voices (MIDI channel 10, channel index 9) are never chosen;
2. a voice whose track or instrument name contains one of :data:`MELODY_NAME_WORDS` as a word
   ("Lead Vocal", "MELODY", "LeadVox", "Mélodie") is preferred;
3. otherwise the highest voice (by median note pitch) that is *mostly monophonic*: two or more of
   its notes sound together during at most :data:`MAX_POLYPHONY` (10 %) of its sounding time
   (:func:`polyphonic_fraction`);
4. ties go to the lower voice index; a file with no such voice is skipped with the reason.

The chosen voice is reduced to its own top line (:func:`~mgtutor.symbolic.skyline`; never a
skyline across instruments), pitches outside the vocabulary's range are folded by octaves
(:func:`fold_pitch`), then :func:`~mgtutor.data.melody_tokens` quantises and encodes it.
:func:`folder_melodies` does this for a whole folder and reports every skipped file.
"""

from __future__ import annotations

import os
import re
import statistics
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NamedTuple

from mgtutor.data.corpora import INEXACT_POLICIES, melody_tokens
from mgtutor.errors import DatasetError, display_path
from mgtutor.symbolic import PIANO_HIGH, PIANO_LOW, REST, Note, Piece, SequenceTooLongError, skyline
from mgtutor.symbolic.midi import load_midi_folder

__all__ = [
    "MAX_POLYPHONY", "MELODY_NAME_WORDS", "MelodyChoice", "MelodyCorpusReport", "MelodyCorpusWarning",
    "choose_melody_voice", "describe_voice", "fold_notes", "fold_pitch", "folder_melodies", "is_mostly_monophonic",
    "melody_name_word", "name_words", "polyphonic_fraction", "voice_info",
]

MAX_POLYPHONY = 0.10
"""A voice is mostly monophonic when two or more notes sound during at most this fraction of its sounding time."""
MELODY_NAME_WORDS = ("melody", "melodie", "vocal", "vocals", "voice", "vox", "lead", "singer", "tune")
"""Words (case- and accent-insensitive, whole words) that mark a track or instrument name as the melody."""
_TOLERANCE = 1e-9  # beats: float rounding in the polyphony comparison


class MelodyCorpusWarning(UserWarning):
    """One line of :func:`folder_melodies`' report: a skipped file and why, or the summary line."""


class MelodyChoice(NamedTuple):
    """The voice chosen as a file's melody and why; ``voice`` is ``None`` when the file has none."""

    voice: int | None
    reason: str


def name_words(name: str) -> list[str]:
    """The words of a track name, lower-case and without accents: ``"LeadVocal_2"`` → ``["lead", "vocal"]``.

    Rule: accents are removed (NFKD, combining marks dropped), the text is split at every character
    that is not a letter and between a lower-case and an upper-case letter (camelCase).
    See: notebooks/04_symbolic_music.ipynb §1.
    """
    plain = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    plain = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", plain)
    return [w.casefold() for w in re.findall(r"[^\W\d_]+", plain)]


def melody_name_word(name: str) -> str | None:
    """The first word of ``name`` that is in :data:`MELODY_NAME_WORDS`, or ``None``.

    See: notebooks/04_symbolic_music.ipynb §1.
    """
    return next((w for w in name_words(name) if w in MELODY_NAME_WORDS), None)


def _polyphony(notes: Iterable[Note]) -> tuple[float, float]:
    """``(time with ≥ 2 notes sounding, time with ≥ 1 note sounding)`` in beats, by a sweep over note edges."""
    edges = sorted([(n.start, 1) for n in notes] + [(n.end, -1) for n in notes])  # ends first at equal times
    poly = sounding = 0.0
    count, last = 0, 0.0
    for t, step in edges:
        if count >= 1:
            sounding += t - last
        if count >= 2:
            poly += t - last
        count, last = count + step, t
    return poly, sounding


def polyphonic_fraction(notes: Sequence[Note]) -> float:
    """The fraction of a voice's sounding time during which two or more of its notes sound.

    Rule: ``P / S`` where ``S`` is the length of the union of the notes' intervals ``[start, end)``
    and ``P`` the length of the time covered by two or more of them (a note ending exactly where
    the next starts does not overlap it). 0 for a voice with no notes.
    See: notebooks/04_symbolic_music.ipynb §1.
    """
    poly, sounding = _polyphony(notes)
    return poly / sounding if sounding > 0 else 0.0


def is_mostly_monophonic(notes: Sequence[Note], max_polyphony: float = MAX_POLYPHONY) -> bool:
    """True when two or more notes sound together during at most ``max_polyphony`` of the sounding time.

    Rule: ``P ≤ max_polyphony · S`` (``P``, ``S`` as in :func:`polyphonic_fraction`, with a 1e-9 beat
    tolerance for rounding), so exactly 10 % is still mostly monophonic at the default 0.10.
    See: notebooks/04_symbolic_music.ipynb §1.
    """
    poly, sounding = _polyphony(notes)
    return poly <= max_polyphony * sounding + _TOLERANCE


def voice_info(piece: Piece, voice: int) -> dict:
    """How the MIDI loader described a voice (``Piece.meta["voices"][voice]``), or a neutral description.

    Pieces that did not come from :func:`~mgtutor.symbolic.load_midi` (a music21 score, an old
    cache) have no ``meta["voices"]``: their voices get empty names and are drums only if listed in
    ``meta["drum_voices"]``.
    See: notebooks/04_symbolic_music.ipynb §1.
    """
    described = piece.meta.get("voices") or []
    if 0 <= voice < len(described):
        return described[voice]
    return {"track": None, "track_name": "", "instrument_name": "", "channel": None, "program": None,
            "is_drum": voice in (piece.meta.get("drum_voices") or [])}


def describe_voice(piece: Piece, voice: int) -> str:
    """``voice 2 (track 3 'Lead Vocal', MIDI channel 1)``: a voice as a user finds it in a sequencer.

    See: notebooks/04_symbolic_music.ipynb §1.
    """
    info = voice_info(piece, voice)
    where = []
    if info.get("track") is not None:
        where.append(f"track {info['track']}" + (f" {info['track_name']!r}" if info.get("track_name") else ""))
    if info.get("channel") is not None:
        where.append(f"MIDI channel {info['channel'] + 1}")
    return f"voice {voice}" + (f" ({', '.join(where)})" if where else "")


def choose_melody_voice(piece: Piece, max_polyphony: float = MAX_POLYPHONY) -> MelodyChoice:
    """Choose the voice of a piece that carries its melody (see the module docstring for the rule).

    Rule, over the voices that have notes and are not drums (MIDI channel 10):

    * if some have a track or instrument name containing a word of :data:`MELODY_NAME_WORDS`, the
      choice is among those only; otherwise among the *mostly monophonic* ones
      (:func:`is_mostly_monophonic` with ``max_polyphony``);
    * the chosen one is the first by (not mostly monophonic, highest median pitch of its notes,
      lowest voice index).

    Args:
        piece: a piece, typically from :func:`~mgtutor.symbolic.load_midi`.
        max_polyphony: the "mostly monophonic" threshold, a fraction of sounding time (default 0.10).
    Returns:
        ``MelodyChoice(voice, reason)``; ``voice`` is ``None`` (and ``reason`` says why) when the
        piece has no notes, only drums, or no named and no mostly monophonic voice.
    See: notebooks/04_symbolic_music.ipynb §1.
    """
    if not piece.notes:
        return MelodyChoice(None, "no notes")
    candidates = [v for v in piece.voices if not voice_info(piece, v).get("is_drum")]
    if not candidates:
        return MelodyChoice(None, "only drum voices (MIDI channel 10)")
    fraction, median, mono, named = {}, {}, {}, {}
    for v in candidates:
        notes = piece.voice(v)
        fraction[v] = polyphonic_fraction(notes)
        mono[v] = is_mostly_monophonic(notes, max_polyphony)
        median[v] = statistics.median(n.pitch for n in notes)
        info = voice_info(piece, v)
        word = melody_name_word(info.get("track_name") or "") or melody_name_word(info.get("instrument_name") or "")
        if word:
            named[v] = word
    pool = list(named) or [v for v in candidates if mono[v]]
    if not pool:
        least = min(candidates, key=lambda v: (fraction[v], v))
        return MelodyChoice(None, f"no voice is mostly one note at a time: the least polyphonic, "
                                  f"{describe_voice(piece, least)}, has two or more notes sounding during "
                                  f"{fraction[least]:.0%} of its sounding time (the limit is {max_polyphony:.0%})")
    best = min(pool, key=lambda v: (not mono[v], -median[v], v))
    if named:
        return MelodyChoice(best, f"{describe_voice(piece, best)}: its name contains {named[best]!r}")
    return MelodyChoice(best, f"{describe_voice(piece, best)}: the highest mostly monophonic voice (median pitch "
                              f"{median[best]:g}, {fraction[best]:.0%} of its sounding time polyphonic)")


def _check_range(low: int, high: int) -> None:
    if not (isinstance(low, int) and isinstance(high, int) and 0 <= low and high <= 127 and high - low >= 11):
        raise DatasetError(f"the pitch range must satisfy 0 ≤ low, high ≤ 127 and span at least an octave "
                           f"(high - low ≥ 11) so that every pitch can be folded into it; got {low!r}–{high!r}")


def fold_pitch(pitch: int, low: int = PIANO_LOW, high: int = PIANO_HIGH) -> int:
    """Move a pitch by whole octaves into ``low … high`` (the melody vocabulary's range, 21–108 by default).

    Rule: below ``low``, ``p + 12·⌈(low − p) / 12⌉`` (the lowest octave transposition ≥ ``low``); above
    ``high``, ``p − 12·⌈(p − high) / 12⌉`` (the highest ≤ ``high``); inside, unchanged. Pitch class
    is kept: 3 (D#-1) → 27 (D#1), 120 (C9) → 108 (C8).

    Raises:
        DatasetError: the range spans less than an octave (``high - low < 11``) or leaves 0–127.
    See: notebooks/04_symbolic_music.ipynb §1.
    """
    _check_range(low, high)
    if pitch < low:
        return pitch + 12 * -((pitch - low) // 12)
    if pitch > high:
        return pitch - 12 * -((high - pitch) // 12)
    return pitch


def fold_notes(notes: Iterable[Note], low: int = PIANO_LOW, high: int = PIANO_HIGH) -> tuple[list[Note], int]:
    """Fold every note's pitch into ``low … high`` (:func:`fold_pitch`); return the notes and how many moved.

    See: notebooks/04_symbolic_music.ipynb §1.
    """
    out, moved = [], 0
    for n in notes:
        p = fold_pitch(n.pitch, low, high)
        moved += p != n.pitch
        out.append(replace(n, pitch=p) if p != n.pitch else n)
    return out, moved


@dataclass
class MelodyCorpusReport:
    """What :func:`folder_melodies` did; ``str(report)`` is its summary line.

    Attributes:
        folder: the folder read.
        low, high: the pitch range notes were folded into.
        chosen: ``(file, MelodyChoice)`` for each melody kept, in the order of the melodies
            (``file`` is the path relative to ``folder``, with ``/``).
        skipped: ``(file, reason)`` for each file without a melody (unreadable, only drums, ...).
        folded_notes: notes of the kept melodies moved by octaves into ``low … high``.
    """

    folder: Path
    low: int = PIANO_LOW
    high: int = PIANO_HIGH
    chosen: list[tuple[str, MelodyChoice]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    folded_notes: int = 0

    @property
    def files(self) -> int:
        """Files examined: melodies + skipped."""
        return len(self.chosen) + len(self.skipped)

    @property
    def melodies(self) -> int:
        """Melodies kept."""
        return len(self.chosen)

    def __str__(self) -> str:
        return (f"{self.files} files, {self.melodies} melodies, {len(self.skipped)} skipped, "
                f"{self.folded_notes} notes folded into {self.low}–{self.high}")


def _emitter(warn: bool | Callable[[str], None]) -> Callable[[str], None]:
    if callable(warn):
        return warn
    if warn:
        return lambda line: warnings.warn(line, MelodyCorpusWarning, stacklevel=3)
    return lambda line: None


def folder_melodies(folder: str | os.PathLike, steps_per_quarter: int = 4, low: int = PIANO_LOW,
                    high: int = PIANO_HIGH, limit: int | None = None, on_inexact: str = "quantize",
                    warn: bool | Callable[[str], None] = True,
                    max_polyphony: float = MAX_POLYPHONY) -> tuple[list[list[str]], MelodyCorpusReport]:
    """One melody per MIDI file of a folder, as melody-grid tokens, with a line for every skipped file.

    Rule, per file in sorted path order (sub-folders included, ``*.mid``/``*.midi``):
    :func:`~mgtutor.symbolic.load_midi_folder`; :func:`choose_melody_voice`; the chosen voice's
    top line (:func:`~mgtutor.symbolic.skyline`); pitches folded by octaves into ``low … high``
    (:func:`fold_pitch`); then :func:`~mgtutor.data.melody_tokens` (quantise to the grid, encode);
    leading rests are dropped, so a melody that enters after an intro starts at its first note.
    Every token is then in ``melody_vocabulary(low, high)``. A melody longer than
    :data:`~mgtutor.symbolic.MAX_GRID_STEPS` steps (a note that lasts for days) is skipped before any token
    is made: ``skipped <path>: too long (N steps of 1/4 quarter note, the limit is 1,000,000)``.

    Args:
        folder: the folder of MIDI files.
        steps_per_quarter: grid resolution (4 = sixteenths).
        low, high: the vocabulary's pitch range (default 21–108, the piano); at least an octave.
        limit: stop once this many melodies are kept (later files are not examined or reported).
        on_inexact: ``"quantize"`` (default), ``"skip"`` (the file is skipped with its reason) or
            ``"error"`` for a melody off the grid (see :func:`~mgtutor.data.melody_tokens`).
        warn: ``True`` emits each line as a :class:`MelodyCorpusWarning`; a callable is called with
            each line instead (e.g. ``lambda line: print(line, file=sys.stderr)``); ``False`` is quiet.
            The lines are ``skipped <path>: <reason>`` per skipped file, then the summary ``str(report)``.
        max_polyphony: the "mostly monophonic" threshold of :func:`choose_melody_voice`.
    Returns:
        ``(melodies, report)``: one token list per kept file, and a :class:`MelodyCorpusReport`.
    Raises:
        DatasetError: the folder does not exist or holds no MIDI file, no file gives a melody, or a
            bad argument (range, ``limit``, ``on_inexact``); ``on_inexact="error"`` and a melody off the grid.
    See: notebooks/04_symbolic_music.ipynb §1.
    """
    folder = Path(folder)
    _check_range(low, high)
    if on_inexact not in INEXACT_POLICIES:
        raise DatasetError(f"on_inexact must be one of {INEXACT_POLICIES}, got {on_inexact!r}")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise DatasetError(f"limit must be a positive number of melodies or None, got {limit!r}")
    if not folder.is_dir():
        raise DatasetError(f"{folder}: no such folder; give a folder of MIDI files (.mid, .midi)")
    pieces, loaded = load_midi_folder(folder, warn=False)
    files: list[tuple[Path, Piece | None, str]] = sorted(
        [(p, piece, "") for p, piece in zip(loaded.loaded, pieces, strict=True)]
        + [(p, None, why) for p, why in loaded.skipped], key=lambda item: item[0])
    if not files:
        raise DatasetError(f"{folder}: no MIDI files (*.mid, *.midi) in this folder or its sub-folders")
    emit = _emitter(warn)
    report = MelodyCorpusReport(folder, low, high)
    melodies: list[list[str]] = []

    def skip(path: Path, reason: str) -> None:
        report.skipped.append((path.relative_to(folder).as_posix(), reason))
        emit(f"skipped {display_path(path)}: {reason}")

    for path, piece, why in files:
        if limit is not None and len(melodies) >= limit:
            break
        if piece is None:
            skip(path, why)
            continue
        choice = choose_melody_voice(piece, max_polyphony)
        if choice.voice is None:
            skip(path, choice.reason)
            continue
        line, folded = fold_notes(skyline(piece.voice(choice.voice)), low, high)
        try:
            tokens = melody_tokens(Piece(line, piece.qpm, piece.time_signature, piece.key, piece.name),
                                   choice.voice, steps_per_quarter, on_inexact)
        except SequenceTooLongError as exc:
            skip(path, str(exc))
            continue
        if tokens is None:
            skip(path, f"{describe_voice(piece, choice.voice)} is off the grid of 1/{steps_per_quarter} quarter "
                       "note (on_inexact='skip')")
            continue
        melodies.append(tokens[next((i for i, tok in enumerate(tokens) if tok != REST), len(tokens)):])
        report.chosen.append((path.relative_to(folder).as_posix(), choice))
        report.folded_notes += folded
    emit(str(report))
    if not melodies:
        raise DatasetError(f"{folder}: no usable melody in its MIDI files ({report}); each skipped file and its "
                           "reason is named in a line above")
    return melodies, report
