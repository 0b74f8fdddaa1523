"""Tests of the notebook-04 exercise checkers: a correct answer passes, typical mistakes get their hint."""

from __future__ import annotations

import numpy as np

from mgtutor import checks


def grid_answer(notes):
    end = max(e for _, _, e in notes)
    tokens = ["r"] * round(end * 4)
    for p, s, e in notes:
        a, b = round(s * 4), round(e * 4)
        tokens[a:b] = [str(p)] + ["_"] * (b - a - 1)
    return tokens


def roll_answer(notes, spq):
    roll = np.zeros((round(max(e for _, _, e in notes) * spq), 88), dtype=np.uint8)
    for p, s, e in notes:
        roll[round(s * spq): round(e * spq), p - 21] = 1
    return roll


def test_melody_grid_checker():
    assert checks.melody_grid_exercise(grid_answer)
    coarse = checks.melody_grid_exercise(lambda n: grid_answer(n)[::4])
    assert not coarse and "4 per quarter note" in coarse.message
    no_rests = checks.melody_grid_exercise(lambda n: [t if t != "r" else "_" for t in grid_answer(n)])
    assert not no_rests and "rests" in no_rests.message
    crash = checks.melody_grid_exercise(lambda n: 1 / 0)
    assert not crash and "ZeroDivisionError" in crash.message
    assert "✔" in repr(checks.melody_grid_exercise(grid_answer))


def test_piano_roll_checker():
    assert checks.piano_roll_exercise(roll_answer)
    transposed = checks.piano_roll_exercise(lambda n, s: roll_answer(n, s).T)
    assert not transposed and "transpose it" in transposed.message

    def off_by_21(notes, spq):
        return np.roll(roll_answer(notes, spq), 21, axis=1)

    wrong_col = checks.piano_roll_exercise(off_by_21)
    assert not wrong_col and "column j is MIDI pitch j + 21" in wrong_col.message

    def inclusive_end(notes, spq):
        roll = roll_answer(notes, spq)
        for p, _, e in notes:
            k = round(e * spq)
            if k < len(roll):
                roll[k, p - 21] = 1
        return roll

    too_long = checks.piano_roll_exercise(inclusive_end)
    assert not too_long and "end excluded" in too_long.message


def test_key_shift_checker():
    pcs = {"C": 0, "D": 2, "E": 4, "F#": 6, "G": 7, "A": 9, "B-": 10}

    def answer(key):
        tonic, mode = key.split()
        return ((0 if mode == "major" else 9) - pcs[tonic] + 6) % 12 - 6

    assert checks.key_shift_exercise(answer)
    sign = checks.key_shift_exercise(lambda k: -answer(k))
    assert not sign and "sign is reversed" in sign.message
    far = checks.key_shift_exercise(lambda k: answer(k) + 12)
    assert not far and "smallest move" in far.message
    minor_to_c = checks.key_shift_exercise(lambda k: answer(k) + (3 if "minor" in k else 0))
    assert not minor_to_c and "A minor" in minor_to_c.message
