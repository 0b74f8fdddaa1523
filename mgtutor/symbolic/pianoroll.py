"""The piano-roll convention, in one place: 88 keys from MIDI 21, shape checks, transposition.

Part of mgtutor. See notebooks/04_symbolic_music.ipynb §4 (encodings).

A piano roll is an ``np.ndarray`` of shape (T, 88), dtype bool/uint8/float: row t is time step t,
column j is MIDI pitch j + 21 (A0 … C8), 1 where the pitch sounds.
"""

from __future__ import annotations

import numpy as np

from mgtutor.symbolic.core import PIANO_HIGH, PIANO_LOW, PitchRangeError, SymbolicError

PIANO_KEYS = PIANO_HIGH - PIANO_LOW + 1
"""Columns of a piano roll: 88 keys, MIDI 21 (A0) … 108 (C8)."""


class RollShapeError(SymbolicError):
    """An array is not a (T, 88) piano roll."""


def check_roll(roll, what: str = "a piano roll") -> np.ndarray:
    """Return ``roll`` as an array after checking it is (T, 88).

    Raises:
        RollShapeError: another shape (the message names ``what`` and the shape).
    See: notebooks/04_symbolic_music.ipynb §4.
    """
    roll = np.asarray(roll)
    if roll.ndim != 2 or roll.shape[1] != PIANO_KEYS:
        raise RollShapeError(f"{what} has shape (T, {PIANO_KEYS}) (column j = MIDI pitch j + {PIANO_LOW}); "
                             f"got {roll.shape}")
    return roll


def roll_shift_range(roll) -> tuple[int, int]:
    """The semitone shifts (lo, hi), inclusive, that keep every sounding note of ``roll`` on the keyboard.

    A silent roll can take any shift: (−87, 87).
    See: notebooks/04_symbolic_music.ipynb §6.
    """
    used = np.flatnonzero(check_roll(roll).any(axis=0))
    if used.size == 0:
        return -(PIANO_KEYS - 1), PIANO_KEYS - 1
    return -int(used.min()), PIANO_KEYS - 1 - int(used.max())


def transpose_roll(roll, semitones: int) -> np.ndarray:
    """Shift every note of a piano roll by ``semitones`` (columns move right for a positive shift).

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


__all__ = ["PIANO_KEYS", "RollShapeError", "check_roll", "roll_shift_range", "transpose_roll"]
