"""One-bar piano-roll fragments: what the bar GAN of notebook 09 learns from.

Part of mgtutor. See notebook 09 §2 (a bar GAN on chorale fragments).

A *bar* here is a (16, K) 0/1 array: sixteen sixteenth-note steps (one bar of 4/4) by K keys, column j being
MIDI pitch ``lowest + j``. :func:`roll_bars` cuts a piece's sixteenth-resolution piano roll into bar-length
windows that start on every beat (``stride=4``): the cached chorales carry no barlines (a pickup shifts them),
so every beat-aligned window of a bar's length is a fragment, and each musical bar is seen at its four phases.
Only 4/4 chorales are used (a 3/4 bar is twelve steps), each transposed to C major or A minor by the smallest
shift (:func:`mgtutor.symbolic.normalize_key`, key estimated by Krumhansl–Schmuckler): a small GAN then learns
one scale's vocabulary instead of twenty-four. The chorales are split **by tune** before any window is cut, so no
training window shares a tune with a held-out piece.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mgtutor.errors import DatasetError
from mgtutor.symbolic.core import PIANO_LOW
from mgtutor.symbolic.pianoroll import PIANO_KEYS, check_roll

__all__ = ["BAR_STEPS", "BAR_LOWEST", "BAR_KEYS", "roll_bars", "chorale_bars", "bars_to_roll"]

BAR_STEPS = 16
"""Steps in a bar of 4/4 at sixteenth resolution."""
BAR_LOWEST = 30
"""MIDI pitch of a bar's column 0 (F#1; the key-normalised chorales reach down to G1 = 31)."""
BAR_KEYS = 56
"""Keys of a bar (F#1 … C#6; the key-normalised chorales reach up to C6 = 84). A multiple of 4 (the GAN's two
×2 upsamplings)."""


def roll_bars(roll, bar_steps: int = BAR_STEPS, stride: int = 4, lowest: int = BAR_LOWEST,
              keys: int = BAR_KEYS) -> np.ndarray:
    """Every window of ``bar_steps`` steps starting at a multiple of ``stride`` that lies inside ``roll``,
    cropped to the keys ``lowest … lowest + keys − 1``.

    Args:
        roll: a (T, 88) 0/1 piano roll (column j = MIDI pitch 21 + j).
        bar_steps: steps per window.
        stride: steps between window starts (4 = every beat at sixteenth resolution).
        lowest, keys: the pitch range kept.
    Returns:
        uint8 (N, bar_steps, keys); N = 0 when the roll is shorter than a bar.
    Raises:
        DatasetError: a bad size, a range outside the piano, or a note outside the kept range (the crop never
            drops a note silently).
    See: notebook 09 §2.
    """
    roll = check_roll(roll)
    for name, value in (("bar_steps", bar_steps), ("stride", stride), ("keys", keys)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise DatasetError(f"{name} must be a positive integer, got {value!r}")
    a = lowest - PIANO_LOW
    if a < 0 or a + keys > PIANO_KEYS:
        raise DatasetError(f"keys {lowest}…{lowest + keys - 1} leave the piano's {PIANO_LOW}…{PIANO_LOW + 87}")
    outside = np.flatnonzero(np.delete(roll, np.s_[a:a + keys], axis=1).any(axis=0))
    if outside.size:
        raise DatasetError(f"the roll has notes outside MIDI {lowest}…{lowest + keys - 1}; widen lowest/keys")
    starts = range(0, len(roll) - bar_steps + 1, stride)
    if not len(starts):
        return np.zeros((0, bar_steps, keys), np.uint8)
    return np.stack([roll[s:s + bar_steps, a:a + keys] for s in starts]).astype(np.uint8)


def chorale_bars(names: Sequence[str], stride: int = 4, lowest: int = BAR_LOWEST, keys: int = BAR_KEYS,
                 normalize: bool = True) -> np.ndarray:
    """The bar windows (:func:`roll_bars`) of the 4/4 chorales among ``names``, at sixteenth resolution.

    Each chorale (transposed to C major / A minor when ``normalize``) becomes a (T, 88) roll of its four voices
    sampled every sixteenth (:func:`mgtutor.symbolic.sample_piano_roll` with 4 steps per quarter: every chorale
    note is seen, a unison or a repeated note merges), then its windows; chorales in another metre are skipped.
    Returns:
        uint8 (N, 16, keys), in the order of ``names``.
    See: notebook 09 §2.
    """
    from mgtutor import data
    from mgtutor.symbolic import normalize_key, sample_piano_roll

    out = [np.zeros((0, BAR_STEPS, keys), np.uint8)]
    for name in names:
        piece = data.chorale(name)
        if tuple(piece.time_signature) != (4, 4):
            continue
        notes = normalize_key(piece.notes)[0] if normalize else piece.notes
        out.append(roll_bars(sample_piano_roll(notes, 4), BAR_STEPS, stride, lowest, keys))
    return np.concatenate(out)


def bars_to_roll(bars, lowest: int = BAR_LOWEST) -> np.ndarray:
    """Bars (N, T, K) laid end to end as one (N·T, 88) piano roll (for listening and scores).

    Raises:
        DatasetError: not (N, T, K), or keys that leave the piano.
    See: notebook 09 §2.
    """
    b = np.asarray(bars)
    if b.ndim == 2:
        b = b[None]
    if b.ndim != 3:
        raise DatasetError(f"bars must be (N, T, K), got shape {b.shape}")
    a = lowest - PIANO_LOW
    if a < 0 or a + b.shape[2] > PIANO_KEYS:
        raise DatasetError(f"keys {lowest}…{lowest + b.shape[2] - 1} leave the piano")
    roll = np.zeros((b.shape[0] * b.shape[1], PIANO_KEYS), np.uint8)
    roll[:, a:a + b.shape[2]] = b.reshape(-1, b.shape[2]) > 0
    return roll
