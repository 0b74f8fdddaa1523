"""Tests of mgtutor.symbolic.pianoroll: the (T, 88) convention, transposition, and the step format.

References: hand-built rolls with known columns; ``transpose`` on notes as the oracle for ``transpose_roll``.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mgtutor.data
import mgtutor.data.boulanger
import mgtutor.symbolic
import mgtutor.symbolic.encodings
from mgtutor.symbolic import (
    PIANO_HIGH,
    PIANO_KEYS,
    PIANO_LOW,
    EncodingError,
    Note,
    PitchRangeError,
    QuantizationError,
    RollShapeError,
    SequenceTooLongError,
    SymbolicError,
    check_roll,
    notes_to_piano_roll,
    piano_roll_to_notes,
    piano_roll_to_steps,
    pianoroll,
    roll_shift_range,
    sample_piano_roll,
    steps_to_piano_roll,
    transpose,
    transpose_roll,
)

MOVED = ("notes_to_piano_roll", "sample_piano_roll", "piano_roll_to_notes", "steps_to_piano_roll",
         "piano_roll_to_steps")


def roll_with(*pitches: int, steps: int = 2) -> np.ndarray:
    roll = np.zeros((steps, PIANO_KEYS), dtype=np.uint8)
    for p in pitches:
        roll[:, p - PIANO_LOW] = 1
    return roll


# ------------------------------------------------------------------ the convention and its names
def test_keyboard_constants():
    assert (PIANO_LOW, PIANO_HIGH, PIANO_KEYS) == (21, 108, 88)
    assert issubclass(RollShapeError, SymbolicError) and issubclass(RollShapeError, ValueError)


def test_names_are_exported_and_the_same_object_everywhere():
    for name in ("PIANO_KEYS", "RollShapeError", "check_roll", "roll_shift_range", "transpose_roll", *MOVED):
        assert name in mgtutor.symbolic.__all__ and name in pianoroll.__all__
        assert getattr(mgtutor.symbolic, name) is getattr(pianoroll, name)
    for name in MOVED[:3]:
        assert getattr(mgtutor.symbolic.encodings, name) is getattr(pianoroll, name)
    for name in MOVED[3:]:
        assert name in mgtutor.data.__all__
        assert getattr(mgtutor.data, name) is getattr(mgtutor.data.boulanger, name) is getattr(pianoroll, name)


@pytest.mark.parametrize("dtype", [bool, np.uint8, np.float32, np.float64])
@pytest.mark.parametrize("steps", [0, 1, 5])
def test_check_roll_accepts_t_by_88(dtype, steps):
    roll = np.zeros((steps, 88), dtype=dtype)
    out = check_roll(roll)
    assert out.shape == (steps, 88) and out.dtype == roll.dtype
    assert check_roll([[0] * 88]).shape == (1, 88)  # array-likes become arrays


@pytest.mark.parametrize("shape", [(88,), (4, 87), (4, 89), (4, 88, 1), (88, 4)])
def test_check_roll_rejects_other_shapes_and_names_them(shape):
    with pytest.raises(RollShapeError, match=re.escape("my roll has shape (T, 88)")) as info:
        check_roll(np.zeros(shape), "my roll")
    assert str(info.value).endswith(f"got {shape}")
    with pytest.raises(ValueError, match="column j = MIDI pitch j \\+ 21"):
        check_roll(np.zeros(shape))


def test_check_roll_names_a_piano_roll_by_default():
    with pytest.raises(RollShapeError, match=re.escape("a piano roll has shape (T, 88)")) as info:
        check_roll(np.zeros((2, 12)))
    assert str(info.value).startswith("a piano roll has shape")


# ------------------------------------------------------------------ notes ↔ roll
def test_notes_to_piano_roll_hand_built():
    roll = notes_to_piano_roll([Note(60, 0.5, 1.0), Note(PIANO_LOW, 0, 0.25), Note(PIANO_HIGH, 0.75, 1.0)])
    expected = np.zeros((4, 88), dtype=np.uint8)
    expected[[2, 3], 60 - 21] = 1  # beats 0.5–1.0 = sixteenths 2 and 3
    expected[0, 0] = expected[3, 87] = 1
    assert roll.dtype == np.uint8
    np.testing.assert_array_equal(roll, expected)
    assert notes_to_piano_roll([]).shape == (0, 88) and notes_to_piano_roll([], total_steps=3).shape == (3, 88)


def test_notes_to_piano_roll_messages():
    with pytest.raises(PitchRangeError, match="^pitch 20 at beat 1.5 is outside the piano roll's 21–108$"):
        notes_to_piano_roll([Note(60, 0, 1), Note(20, 1.5, 2)])
    with pytest.raises(QuantizationError, match="^start of pitch 60 at beat 0.1 is not on the grid of 1/4"):
        notes_to_piano_roll([Note(60, 0.1, 1)])
    with pytest.raises(QuantizationError, match="^end of pitch 60 at beat 1.1 is not on the grid of 1/4"):
        notes_to_piano_roll([Note(60, 0, 1.1)])
    with pytest.raises(EncodingError, match=r"^total_steps=3 is shorter than the notes \(4 steps\)$"):
        notes_to_piano_roll([Note(60, 0, 1)], total_steps=3)
    with pytest.raises(EncodingError, match="^pitch 60 is struck again at step 2 while .*; pass allow_merge=True to "
                                            "merge them$"):
        notes_to_piano_roll([Note(60, 0, 1), Note(60, 0.5, 2)])
    with pytest.raises(SequenceTooLongError, match="1,000,004 steps of 1/4 quarter note"):
        notes_to_piano_roll([Note(60, 0, 250_001)])  # refused before the roll is allocated


def test_piano_roll_to_notes_held_repeated_and_at_the_end():
    roll = np.zeros((6, 88), dtype=bool)
    roll[0:2, 60 - 21] = roll[3:6, 60 - 21] = True  # a gap at step 2: two notes; the second runs to the end
    roll[:, 64 - 21] = True  # held for the whole roll: one note
    roll[5, PIANO_HIGH - 21] = True  # the last step only
    assert piano_roll_to_notes(roll, steps_per_quarter=2, velocity=100) == [
        Note(60, 0, 1, velocity=100), Note(64, 0, 3, velocity=100), Note(60, 1.5, 3, velocity=100),
        Note(108, 2.5, 3, velocity=100)]
    assert piano_roll_to_notes(roll[:1])[0] == Note(60, 0, 0.25)  # one step, default grid and velocity
    assert piano_roll_to_notes(np.zeros((0, 88))) == []
    with pytest.raises(EncodingError, match=r"^a piano roll holds only 0/1 \(or False/True\); threshold "
                                            r"probabilities first \(roll > 0\.5\)$"):
        piano_roll_to_notes(np.full((2, 88), 0.3))


def test_sample_piano_roll_defaults_lengths_and_messages():
    notes = [Note(60, 0, 2), Note(64, 1.5, 2)]
    expected = np.zeros((2, 88), dtype=np.uint8)
    expected[[0, 1], 60 - 21] = 1  # one frame per quarter note by default; 64 starts after beat 1, ends at beat 2
    roll = sample_piano_roll(notes)
    assert roll.dtype == np.uint8
    np.testing.assert_array_equal(roll, expected)
    assert sample_piano_roll(notes, total_steps=5).shape == (5, 88)
    halves = sample_piano_roll(notes, steps_per_quarter=2)
    np.testing.assert_array_equal(np.flatnonzero(halves[:, 64 - 21]), [3])  # beat 1.5 = frame 3
    assert sample_piano_roll([]).shape == (0, 88) and sample_piano_roll([], 4).shape == (0, 88)
    with pytest.raises(PitchRangeError, match="^pitch 110 at beat 0.5 is outside the piano roll's 21–108$"):
        sample_piano_roll([Note(110, 0.5, 1)])
    with pytest.raises(SequenceTooLongError, match="1,000,004 steps of 1/4 quarter note"):
        sample_piano_roll([Note(60, 0, 250_001)], 4)


# ------------------------------------------------------------------ shift range and transposition
def test_roll_shift_range_exact_values():
    assert roll_shift_range(np.zeros((3, 88))) == (-87, 87)
    assert roll_shift_range(np.zeros((0, 88))) == (-87, 87)
    assert roll_shift_range(roll_with(PIANO_LOW)) == (0, 87)
    assert roll_shift_range(roll_with(PIANO_HIGH)) == (-87, 0)
    assert roll_shift_range(roll_with(PIANO_LOW, PIANO_HIGH)) == (0, 0)
    assert roll_shift_range(roll_with(60, 72)) == (-(60 - 21), 108 - 72)
    with pytest.raises(RollShapeError):
        roll_shift_range(np.zeros((3, 12)))


@pytest.mark.parametrize("k", [1, 5, 12, -1, -7, -12])
def test_transpose_roll_moves_a_known_note(k):
    roll = roll_with(60, steps=3)
    roll[1, 60 - 21] = 0  # a gap, so rows are not all alike
    out = transpose_roll(roll, k)
    assert out.dtype == roll.dtype and out.shape == roll.shape
    np.testing.assert_array_equal(np.flatnonzero(out.any(axis=0)), [60 + k - 21])
    np.testing.assert_array_equal(out[:, 60 + k - 21], roll[:, 60 - 21])
    np.testing.assert_array_equal(transpose_roll(out, -k), roll)


def test_transpose_roll_range_edges():
    roll = roll_with(30, 100)
    lo, hi = roll_shift_range(roll)
    assert (lo, hi) == (-9, 8)
    assert transpose_roll(roll, hi)[:, PIANO_KEYS - 1].all()  # at the edge: 100 + 8 = 108 is the top key
    assert transpose_roll(roll, lo)[:, 0].all()  # 30 − 9 = 21 is the bottom key
    with pytest.raises(PitchRangeError, match=r"\+9 .*allows -9 … \+8"):
        transpose_roll(roll, hi + 1)
    with pytest.raises(PitchRangeError, match=r"-10 .*allows -9 … \+8"):
        transpose_roll(roll, lo - 1)
    np.testing.assert_array_equal(transpose_roll(roll, 0), roll)
    silent = np.zeros((2, 88), np.uint8)
    np.testing.assert_array_equal(transpose_roll(silent, 87), silent)
    with pytest.raises(PitchRangeError):
        transpose_roll(silent, 88)


@st.composite
def notes_and_shift(draw):
    """Non-overlapping notes per pitch on a quarter-note grid, and a shift that keeps them on the keyboard."""
    pitches = draw(st.lists(st.integers(PIANO_LOW, PIANO_HIGH), min_size=1, max_size=6, unique=True))
    notes = []
    for p in pitches:
        start = draw(st.integers(0, 6))
        notes.append(Note(p, float(start), float(start + draw(st.integers(1, 3)))))
    k = draw(st.integers(PIANO_LOW - min(pitches), PIANO_HIGH - max(pitches)))
    return notes, k


@settings(max_examples=60, deadline=None)
@given(notes_and_shift())
def test_transpose_roll_agrees_with_transposing_the_notes(case):
    notes, k = case
    roll = notes_to_piano_roll(notes, 1)
    moved = transpose_roll(roll, k)
    np.testing.assert_array_equal(moved, notes_to_piano_roll(transpose(notes, k), 1, total_steps=len(roll)))
    np.testing.assert_array_equal(transpose_roll(moved, -k), roll)
    lo, hi = roll_shift_range(roll)
    assert (lo, hi) == (PIANO_LOW - min(n.pitch for n in notes), PIANO_HIGH - max(n.pitch for n in notes))
    for outside in (lo - 1, hi + 1):
        with pytest.raises(PitchRangeError):
            transpose_roll(roll, outside)


# ------------------------------------------------------------------ Boulanger-Lewandowski steps
def test_steps_to_piano_roll_known_columns():
    roll = steps_to_piano_roll([(60, 64), (), (21, 108, 21)])
    assert roll.shape == (3, 88) and roll.dtype == np.uint8
    assert roll[0, 39] == roll[0, 43] == roll[2, 0] == roll[2, 87] == 1 and roll.sum() == 4
    assert piano_roll_to_steps(roll) == [(60, 64), (), (21, 108)]
    assert piano_roll_to_steps(np.zeros((0, 88))) == [] and steps_to_piano_roll([]).shape == (0, 88)
    with pytest.raises(PitchRangeError, match="pitch 109 in step 1"):
        steps_to_piano_roll([(60,), (109,)])
    with pytest.raises(RollShapeError, match=r"got \(2, 12\)"):
        piano_roll_to_steps(np.zeros((2, 12)))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(PIANO_LOW, PIANO_HIGH), max_size=5), max_size=12))
def test_steps_round_trip(piece):
    roll = steps_to_piano_roll(piece)
    steps = piano_roll_to_steps(roll)
    assert steps == [tuple(sorted(set(step))) for step in piece]
    np.testing.assert_array_equal(steps_to_piano_roll(steps), roll)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 8).flatmap(lambda t: st.lists(st.lists(st.booleans(), min_size=88, max_size=88),
                                                    min_size=t, max_size=t)))
def test_roll_round_trip(rows):
    roll = np.array(rows, dtype=bool).reshape(len(rows), 88)
    np.testing.assert_array_equal(steps_to_piano_roll(piano_roll_to_steps(roll)), roll.astype(np.uint8))
