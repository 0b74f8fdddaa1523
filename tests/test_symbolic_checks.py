"""Tests of the notebook-04 exercise checkers: a correct answer passes, a stub is "not attempted yet", and each
typical mistake gets its nudge, then the rule on the second failure."""

from __future__ import annotations

import numpy as np

from mgtutor import checks


def twice(checker, answer):
    """The first and the second verdict on the same wrong answer (the second adds the next hint tier)."""
    return checker(answer), checker(answer)


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


PCS = {"C": 0, "D": 2, "E": 4, "F#": 6, "G": 7, "A": 9, "B-": 10}


def key_answer(key):
    tonic, mode = key.split()
    return ((0 if mode == "major" else 9) - PCS[tonic] + 6) % 12 - 6


def test_stubs_are_not_attempted_yet():
    def my_grid(notes):
        """Melody-grid tokens."""
        ...  # your code

    for checker in (checks.melody_grid_exercise, checks.piano_roll_exercise, checks.key_shift_exercise):
        verdict = checker(my_grid)
        assert not verdict and "not attempted yet" in verdict.message
    assert not checks.FAILURES


def test_melody_grid_checker():
    good = checks.melody_grid_exercise(grid_answer)
    assert good and good.message.startswith("✔")

    first, second = twice(checks.melody_grid_exercise, lambda n: grid_answer(n)[::4])
    assert not first and "count the sixteenths" in first.message and "4 per quarter note" not in first.message
    assert "Next hint" in second.message and "4 per quarter note" in second.message

    first, second = twice(checks.melody_grid_exercise, lambda n: [t for t in grid_answer(n) for _ in (0, 1)])
    assert "too many" in first.message and "4 per quarter note" in second.message

    first, second = twice(checks.melody_grid_exercise, lambda n: [t if t != "r" else "_" for t in grid_answer(n)])
    assert "covered by no note" in first.message and "'r'" in second.message

    def no_restrike(notes):
        tokens, last = [], None
        for t in grid_answer(notes):
            tokens.append("_" if t == last else t)
            last = t if t.isdigit() else (last if t == "_" else None)
        return tokens

    first, second = twice(checks.melody_grid_exercise, no_restrike)
    assert "struck twice" in first.message and "starts with its number again" in second.message

    first, _ = twice(checks.melody_grid_exercise, lambda n: [str(int(t) + 12) if t.isdigit() else t
                                                             for t in grid_answer(n)])
    assert "step 0 is '72', expected '60'" in first.message

    crash = checks.melody_grid_exercise(lambda n: 1 / 0)
    assert not crash and "ZeroDivisionError" in crash.message


def test_piano_roll_checker():
    assert checks.piano_roll_exercise(roll_answer)

    first, second = twice(checks.piano_roll_exercise, lambda n, s: roll_answer(n, s).T)
    assert "which axis is time" in first.message and "transpose it" not in first.message
    assert "transpose it" in second.message

    first, second = twice(checks.piano_roll_exercise, lambda n, s: np.roll(roll_answer(n, s), 21, axis=1))
    assert "wrong columns" in first.message and "column j is MIDI pitch j + 21" in second.message

    def inclusive_end(notes, spq):
        roll = np.zeros((round(max(e for _, _, e in notes) * spq), 88), dtype=np.uint8)
        for p, s, e in notes:
            roll[round(s * spq): round(e * spq) + 1, p - 21] = 1
        return roll

    first, second = twice(checks.piano_roll_exercise, inclusive_end)
    assert "one step too long" in first.message and "end is excluded" in second.message

    first, second = twice(checks.piano_roll_exercise, lambda n, s: roll_answer(n, s)[:-1])
    assert "rows instead of" in first.message and "× steps_per_quarter" in second.message

    narrow = checks.piano_roll_exercise(lambda n, s: roll_answer(n, s)[:, :87])
    assert not narrow and "88" in narrow.message

    crash = checks.piano_roll_exercise(lambda n, s: [][0])
    assert not crash and "IndexError" in crash.message


def test_key_shift_checker():
    assert checks.key_shift_exercise(key_answer)

    first, second = twice(checks.key_shift_exercise, lambda k: -key_answer(k))
    assert "wrong way" in first.message and "target − tonic" in second.message

    first, second = twice(checks.key_shift_exercise, lambda k: key_answer(k) + 12)
    assert "smallest move" in first.message and "−6 … +5" in second.message

    first, second = twice(checks.key_shift_exercise, lambda k: key_answer(k) + (3 if "minor" in k else 0))
    assert "minor key end in" in first.message and "A minor" in second.message

    first, _ = twice(checks.key_shift_exercise, lambda k: 1)
    assert "'C major': expected +0, got +1" in first.message

    text = checks.key_shift_exercise(lambda k: "five")
    assert not text and "whole number" in text.message

    crash = checks.key_shift_exercise(lambda k: {}[k])
    assert not crash and "KeyError" in crash.message
