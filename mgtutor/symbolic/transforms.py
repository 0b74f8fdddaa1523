"""Transposition, key estimation and key normalisation.

Part of mgtutor.symbolic. See notebooks/04_symbolic_music.ipynb §2 (keys) and §5.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

import numpy as np

from mgtutor.symbolic.core import PIANO_HIGH, PIANO_LOW, Note, PitchRangeError, SymbolicError

__all__ = [
    "KK_MAJOR", "KK_MINOR", "PITCH_CLASSES", "estimate_key", "key_normalizing_shift", "normalize_key", "parse_key",
    "pitch_class_histogram", "transpose", "transpose_grid", "transpose_token",
]

PITCH_CLASSES = ("C", "C#", "D", "E-", "E", "F", "F#", "G", "A-", "A", "B-", "B")
"""Pitch-class names as music21 spells them in key names (flats written ``-``)."""
# Krumhansl & Kessler (1982) probe-tone profiles, tonic first.
KK_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
KK_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
_NAME_TO_PC = {"C": 0, "B#": 0, "C#": 1, "D-": 1, "D": 2, "D#": 3, "E-": 3, "E": 4, "F-": 4, "E#": 5, "F": 5,
               "F#": 6, "G-": 6, "G": 7, "G#": 8, "A-": 8, "A": 9, "A#": 10, "B-": 10, "B": 11, "C-": 11}


def transpose(notes: Iterable[Note], semitones: int, low: int = PIANO_LOW, high: int = PIANO_HIGH) -> list[Note]:
    """Shift every pitch by ``semitones``; times and velocities stay.

    Args:
        notes: the notes.
        semitones: the shift (negative = down).
        low, high: the allowed pitch range after the shift (default: the piano, 21–108).
    Returns:
        New notes.
    Raises:
        PitchRangeError: a shifted pitch leaves [low, high] (the message names the pitch and the range
            of shifts that would fit).
    See: notebooks/04_symbolic_music.ipynb §5.
    """
    notes = list(notes)
    if not notes:
        return []
    pitches = [n.pitch for n in notes]
    lo, hi = min(pitches), max(pitches)
    if lo + semitones < low or hi + semitones > high:
        raise PitchRangeError(
            f"transposing by {semitones:+d} moves pitches {lo}–{hi} to {lo + semitones}–{hi + semitones}, "
            f"outside {low}–{high}; shifts from {low - lo:+d} to {high - hi:+d} fit"
        )
    return [replace(n, pitch=n.pitch + semitones) for n in notes]


def transpose_token(token: str, semitones: int) -> str:
    """Transpose one token of the course's encodings; tokens without a pitch stay as they are.

    Melody-grid pitches (``"60"``) and event tokens ``NOTE_ON_p`` / ``NOTE_OFF_p`` shift by
    ``semitones``; ``"_"``, ``"r"``, ``TIME_SHIFT_k``, ``VELOCITY_v`` and specials stay. No range
    check: a vocabulary decides which results exist (:func:`mgtutor.data.transposition_table`).
    See: notebooks/04_symbolic_music.ipynb §5.
    """
    if token.isdigit():
        return str(int(token) + semitones)
    for prefix in ("NOTE_ON_", "NOTE_OFF_"):
        if token.startswith(prefix) and token[len(prefix):].isdigit():
            return f"{prefix}{int(token[len(prefix):]) + semitones}"
    return token


def transpose_grid(tokens: Sequence[str], semitones: int, low: int = PIANO_LOW, high: int = PIANO_HIGH) -> list[str]:
    """Transpose melody-grid tokens (:func:`transpose_token`): pitches shift, ``"_"``, ``"r"``, specials stay.

    Raises:
        PitchRangeError: a shifted pitch leaves [low, high].
    See: notebooks/04_symbolic_music.ipynb §5.
    """
    out = [transpose_token(t, semitones) for t in tokens]
    for i, (before, after) in enumerate(zip(tokens, out, strict=True)):
        if before.isdigit() and not low <= int(after) <= high:  # not ``after``: a pitch below 0 reads "-3"
            raise PitchRangeError(f"token {i} = {before!r} transposed by {semitones:+d} gives {after}, "
                                  f"outside {low}–{high}")
    return out


def pitch_class_histogram(notes: Iterable[Note], weight: str = "duration") -> np.ndarray:
    """Pitch-class histogram h[c], c = 0 (C) … 11 (B), of the notes with pitch % 12 == c (12 floats, not normalised).

    ``weight="duration"``: h[c] = Σ their durations (key estimation). ``weight="count"``: h[c] = their number, each
    note once whatever its length (mgeval's convention; :func:`mgtutor.metrics.pitch_class_histogram` divides it
    by the number of notes).
    Raises:
        SymbolicError: an unknown ``weight``.
    See: notebooks/04_symbolic_music.ipynb §2; notebooks/11_evaluating_generated_music.ipynb §1.
    """
    if weight not in ("duration", "count"):
        raise SymbolicError(f"weight must be 'duration' or 'count', got {weight!r}")
    h = np.zeros(12)
    for n in notes:
        h[n.pitch % 12] += n.end - n.start if weight == "duration" else 1
    return h


def estimate_key(notes: Iterable[Note]) -> str:
    """Estimate the key with the Krumhansl–Schmuckler algorithm.

    Rule: correlate the duration-weighted pitch-class histogram with the Krumhansl–Kessler major
    and minor profiles rotated to each of the 12 tonics; the best Pearson correlation wins.

    Returns:
        A name like ``"G major"`` or ``"E minor"``.
    Raises:
        SymbolicError: no notes.
    See: notebooks/04_symbolic_music.ipynb §2.
    """
    h = pitch_class_histogram(notes)
    if h.sum() == 0:
        raise SymbolicError("cannot estimate the key of an empty note list")
    best = (-2.0, "")
    for tonic in range(12):
        for mode, profile in (("major", KK_MAJOR), ("minor", KK_MINOR)):
            r = float(np.corrcoef(h, np.roll(profile, tonic))[0, 1])
            if r > best[0] + 1e-12:
                best = (r, f"{PITCH_CLASSES[tonic]} {mode}")
    return best[1]


def parse_key(name: str) -> tuple[int, str]:
    """``"G major"`` → (7, "major"); ``"e minor"`` / ``"E- minor"`` / ``"Bb major"`` accepted.

    Raises:
        SymbolicError: not ``<tonic> major|minor``.
    See: notebooks/04_symbolic_music.ipynb §5.
    """
    parts = str(name).split()
    if len(parts) != 2 or parts[1].lower() not in ("major", "minor"):
        raise SymbolicError(f"key name {name!r} must look like 'G major' or 'e minor'")
    tonic = parts[0][0].upper() + parts[0][1:].replace("b", "-")
    if tonic not in _NAME_TO_PC:
        raise SymbolicError(f"key name {name!r}: unknown tonic {parts[0]!r}")
    return _NAME_TO_PC[tonic], parts[1].lower()


def key_normalizing_shift(key: str) -> int:
    """The shift in −6 … +5 semitones that takes ``key`` to C major (major keys) or A minor (minor keys).

    See: notebooks/04_symbolic_music.ipynb §5.
    """
    pc, mode = parse_key(key)
    target = 0 if mode == "major" else 9
    return (target - pc + 6) % 12 - 6


def normalize_key(notes: Sequence[Note], key: str | None = None, low: int = 0,
                  high: int = 127) -> tuple[list[Note], int]:
    """Transpose notes to C major / A minor by the smallest shift.

    Args:
        notes: the notes.
        key: their key (e.g. ``Piece.key``); ``None`` estimates it with :func:`estimate_key`.
        low, high: allowed pitch range after the shift.
    Returns:
        ``(transposed notes, shift in semitones)``.
    Raises:
        PitchRangeError: the shift leaves the range.
    See: notebooks/04_symbolic_music.ipynb §5.
    """
    shift = key_normalizing_shift(key if key is not None else estimate_key(notes))
    return transpose(notes, shift, low, high), shift
