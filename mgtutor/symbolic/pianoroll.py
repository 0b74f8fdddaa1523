"""The piano-roll convention, in one place: 88 keys from MIDI 21, shape checks, transposition.

Part of mgtutor. See notebooks/04_symbolic_music.ipynb §4 (encodings).

A piano roll is an ``np.ndarray`` of shape (T, 88), dtype bool/uint8/float: row t is time step t,
column j is MIDI pitch j + 21 (A0 … C8), 1 where the pitch sounds. So pitch p ↔ column
``p - PIANO_LOW`` and ``PIANO_KEYS = PIANO_HIGH - PIANO_LOW + 1 = 108 - 21 + 1 = 88``.

* the convention: :data:`PIANO_KEYS` (with :data:`PIANO_LOW`, :data:`PIANO_HIGH`), :func:`check_roll`
  (:class:`RollShapeError`);
* notes ↔ roll: :func:`notes_to_piano_roll` (notes on a grid), :func:`sample_piano_roll` (what sounds at
  each grid time), :func:`piano_roll_to_notes` (runs of 1s back to notes);
* Boulanger-Lewandowski steps ↔ roll: :func:`steps_to_piano_roll`, :func:`piano_roll_to_steps`;
* transposition: :func:`roll_shift_range`, :func:`transpose_roll`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from mgtutor.symbolic.core import (
    _EPS,
    DEFAULT_VELOCITY,
    PIANO_HIGH,
    PIANO_LOW,
    EncodingError,
    Note,
    PitchRangeError,
    SymbolicError,
    _check_spq,
    _steps,
    check_grid_length,
    sort_notes,
)

__all__ = [
    "PIANO_HIGH", "PIANO_KEYS", "PIANO_LOW", "RollShapeError", "check_roll", "notes_to_piano_roll",
    "piano_roll_to_notes", "piano_roll_to_steps", "roll_shift_range", "sample_piano_roll", "steps_to_piano_roll",
    "transpose_roll",
]

PIANO_KEYS = PIANO_HIGH - PIANO_LOW + 1
"""Columns of a piano roll: 88 keys, MIDI 21 (A0) … 108 (C8)."""


class RollShapeError(SymbolicError):
    """An array is not a (T, 88) piano roll."""


def check_roll(roll, what: str = "a piano roll") -> np.ndarray:
    """Return ``roll`` as an array after checking it is (T, 88).

    Rule: ``roll.ndim == 2`` and ``roll.shape[1] == PIANO_KEYS``; any T ≥ 0 and any dtype are accepted.

    Raises:
        RollShapeError: another shape (the message names ``what`` and the shape).
    See: notebooks/04_symbolic_music.ipynb §4.
    """
    roll = np.asarray(roll)
    if roll.ndim != 2 or roll.shape[1] != PIANO_KEYS:
        raise RollShapeError(f"{what} has shape (T, {PIANO_KEYS}) (column j = MIDI pitch j + {PIANO_LOW}); "
                             f"got {roll.shape}")
    return roll


def _check_pitch(pitch: int, where: str) -> None:
    if not PIANO_LOW <= pitch <= PIANO_HIGH:
        raise PitchRangeError(f"pitch {pitch} {where} is outside the piano roll's {PIANO_LOW}–{PIANO_HIGH}")


# --------------------------------------------------------------------------- notes ↔ roll
def notes_to_piano_roll(notes: Iterable[Note], steps_per_quarter: int = 4, total_steps: int | None = None,
                        allow_merge: bool = False) -> np.ndarray:
    """Encode notes as a (T, 88) uint8 piano roll: ``roll[t, p - 21] = 1`` while pitch p sounds in step t.

    Rule: with ``s = steps_per_quarter``, a note of pitch p from beat a to beat b covers the steps
    ``a·s ≤ t < b·s`` (end excluded), so ``roll[a·s : b·s, p - 21] = 1``; T = max over notes of ``b·s``.

    Args:
        notes: notes with times on the grid and pitches 21–108.
        steps_per_quarter: 1 for the chorale benchmark (quarter notes), 4 for melodies.
        total_steps: number of rows T (default: end of the last note).
        allow_merge: a note that starts exactly where the same pitch ends (a repeated note), or
            overlaps it (a unison of two voices), cannot be told apart in a roll. If False such a
            pair raises; if True they merge (the Boulanger-Lewandowski benchmark does this).
    Returns:
        uint8 array of shape (T, 88).
    Raises:
        PitchRangeError: a pitch is outside 21–108.
        QuantizationError: a time is off the grid.
        EncodingError: two notes of one pitch touch or overlap and ``allow_merge`` is False.
        SequenceTooLongError: more than :data:`~mgtutor.symbolic.core.MAX_GRID_STEPS` rows (checked first).
    See: notebooks/04_symbolic_music.ipynb §3.
    """
    s = _check_spq(steps_per_quarter)
    notes = sort_notes(notes)
    spans = []
    for n in notes:
        _check_pitch(n.pitch, f"at beat {n.start:g}")
        a = _steps(n.start, s, f"start of pitch {n.pitch}")
        spans.append((n.pitch, a, _steps(n.end, s, f"end of pitch {n.pitch}")))
    length = max((b for _, _, b in spans), default=0)
    if total_steps is not None:
        if total_steps < length:
            raise EncodingError(f"total_steps={total_steps} is shorter than the notes ({length} steps)")
        length = total_steps
    roll = np.zeros((check_grid_length(length, s), PIANO_KEYS), dtype=np.uint8)
    last_end: dict[int, int] = {}
    for p, a, b in spans:
        if not allow_merge and p in last_end and a <= last_end[p]:
            raise EncodingError(
                f"pitch {p} is struck again at step {a} while (or just as) the previous one sounds: a piano roll "
                "cannot tell the two notes apart; pass allow_merge=True to merge them"
            )
        last_end[p] = max(b, last_end.get(p, 0))
        roll[a:b, p - PIANO_LOW] = 1
    return roll


def sample_piano_roll(notes: Iterable[Note], steps_per_quarter: int = 1, total_steps: int | None = None) -> np.ndarray:
    """A (T, 88) uint8 piano roll that samples what sounds at each grid time (no quantisation needed).

    Rule: ``roll[t, p - 21] = 1`` iff some note of pitch p has ``start ≤ t / s < end``. This is how
    the Boulanger-Lewandowski JSB-chorale rolls are made (one frame per quarter note): a passing
    eighth note between two beats is simply not seen, and repeated notes merge.

    Args:
        notes: notes with any times, pitches 21–108.
        steps_per_quarter: frames per quarter note.
        total_steps: number of frames (default: ⌈s · end of the last note⌉).
    Raises:
        PitchRangeError: a pitch is outside 21–108.
        SequenceTooLongError: more than :data:`~mgtutor.symbolic.core.MAX_GRID_STEPS` rows (checked first).
    See: notebooks/04_symbolic_music.ipynb §3.
    """
    s = _check_spq(steps_per_quarter)
    notes = list(notes)
    for n in notes:
        _check_pitch(n.pitch, f"at beat {n.start:g}")
    length = math.ceil(max((n.end for n in notes), default=0) * s - _EPS) if total_steps is None else total_steps
    roll = np.zeros((check_grid_length(max(length, 0), s), PIANO_KEYS), dtype=np.uint8)
    for n in notes:
        a = math.ceil(n.start * s - _EPS)
        b = math.ceil(n.end * s - _EPS)
        roll[a:b, n.pitch - PIANO_LOW] = 1
    return roll


def piano_roll_to_notes(roll: np.ndarray, steps_per_quarter: int = 4, velocity: int = DEFAULT_VELOCITY) -> list[Note]:
    """Decode a (T, 88) piano roll: each run of 1s in a column becomes one note.

    Rule: a maximal run ``roll[a:b, j] = 1`` (``roll[a-1, j] = roll[b, j] = 0`` or the edge) becomes
    ``Note(j + 21, a / s, b / s, velocity)``; the inverse of :func:`notes_to_piano_roll` on notes that
    do not touch or overlap on one pitch.

    Raises:
        RollShapeError: ``roll`` is not (T, 88).
        EncodingError: ``roll`` holds values other than 0/1.
    See: notebooks/04_symbolic_music.ipynb §3.
    """
    s = _check_spq(steps_per_quarter)
    roll = check_roll(roll)
    if roll.size and not np.isin(roll, (0, 1)).all():
        raise EncodingError("a piano roll holds only 0/1 (or False/True); threshold probabilities first (roll > 0.5)")
    padded = np.zeros((roll.shape[0] + 2, PIANO_KEYS), dtype=np.int8)
    padded[1:-1] = roll.astype(np.int8)
    diff = np.diff(padded, axis=0)
    notes = []
    for col in range(PIANO_KEYS):
        starts = np.flatnonzero(diff[:, col] == 1)
        ends = np.flatnonzero(diff[:, col] == -1)
        for a, b in zip(starts, ends, strict=True):
            notes.append(Note(col + PIANO_LOW, a / s, b / s, velocity))
    return sort_notes(notes)


# --------------------------------------------------------------------------- Boulanger-Lewandowski steps ↔ roll
def steps_to_piano_roll(piece: Sequence[Sequence[float]]) -> np.ndarray:
    """One Boulanger-Lewandowski piece (list of pitch tuples) → (T, 88) uint8 piano roll.

    Rule: ``T = len(piece)`` and ``roll[t, p - 21] = 1`` iff ``p ∈ piece[t]`` (a pitch listed twice in a
    step is one 1). Inverse: :func:`piano_roll_to_steps`.

    Raises:
        PitchRangeError: a pitch is outside 21–108.
    See: notebooks/04_symbolic_music.ipynb §3.
    """
    roll = np.zeros((len(piece), PIANO_KEYS), dtype=np.uint8)
    for t, step in enumerate(piece):
        for p in step:
            _check_pitch(int(p), f"in step {t}")
            roll[t, int(p) - PIANO_LOW] = 1
    return roll


def piano_roll_to_steps(roll: np.ndarray) -> list[tuple[int, ...]]:
    """(T, 88) piano roll → list of sorted pitch tuples (the Boulanger-Lewandowski step format).

    Rule: ``steps[t] = (j + 21 for each column j with roll[t, j] ≠ 0)``, ascending; so
    ``piano_roll_to_steps(steps_to_piano_roll(piece))`` is each step sorted without repeats and
    ``steps_to_piano_roll(piano_roll_to_steps(roll)) == (roll != 0)``.

    Raises:
        RollShapeError: ``roll`` is not (T, 88).
    See: notebooks/04_symbolic_music.ipynb §3.
    """
    roll = check_roll(roll)
    return [tuple(int(j) + PIANO_LOW for j in np.flatnonzero(row)) for row in roll]


# --------------------------------------------------------------------------- transposition
def roll_shift_range(roll) -> tuple[int, int]:
    """The semitone shifts (lo, hi), inclusive, that keep every sounding note of ``roll`` on the keyboard.

    Rule: with J the columns that sound somewhere, ``lo = −min J`` and ``hi = 87 − max J``.
    A silent roll can take any shift: (−87, 87).
    See: notebooks/04_symbolic_music.ipynb §6.
    """
    used = np.flatnonzero(check_roll(roll).any(axis=0))
    if used.size == 0:
        return -(PIANO_KEYS - 1), PIANO_KEYS - 1
    return -int(used.min()), PIANO_KEYS - 1 - int(used.max())


def transpose_roll(roll, semitones: int) -> np.ndarray:
    """Shift every note of a piano roll by ``semitones`` (columns move right for a positive shift).

    Rule: ``out[:, j + k] = roll[:, j]`` for k = ``semitones``; the same as transposing the notes by k
    (:func:`~mgtutor.symbolic.transpose`) and encoding them again. The dtype is kept.

    Raises:
        PitchRangeError: a sounding note would leave 21–108 (the message gives the allowed shifts).
        RollShapeError: ``roll`` is not (T, 88).
    See: notebooks/04_symbolic_music.ipynb §6.
    """
    roll = check_roll(roll)
    semitones = int(semitones)
    lo, hi = roll_shift_range(roll)
    if not lo <= semitones <= hi:
        raise PitchRangeError(f"a shift of {semitones:+d} moves notes off the keyboard; this roll allows "
                              f"{lo:+d} … {hi:+d}")
    out = np.zeros_like(roll)
    if semitones >= 0:
        out[:, semitones:] = roll[:, :PIANO_KEYS - semitones]
    else:
        out[:, :semitones] = roll[:, -semitones:]
    return out
