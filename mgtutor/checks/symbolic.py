"""Exercise checkers for notebook 04 (symbolic music).

Part of mgtutor. Each checker calls the learner's function on a few phrases and compares the answer
with the package's reference encoders (:mod:`mgtutor.symbolic`), which the notebook proves equal to
music21/pretty_midi. A wrong answer gets a hint about *what kind* of wrong it looks like: a nudge
first, and from the second failure on the rule itself (see :func:`mgtutor.checks.exercise`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from mgtutor.checks import CheckResult, call, exercise, hint, ok

__all__ = ["key_shift_exercise", "melody_grid_exercise", "piano_roll_exercise"]

_PHRASES = [
    [(60, 0.0, 1.0), (62, 1.0, 1.5), (64, 2.0, 2.25)],           # a rest between 62 and 64
    [(67, 0.5, 1.0), (67, 1.0, 2.0), (71, 2.0, 3.0)],           # a late start and a repeated note
    [(72, 0.0, 0.25), (74, 0.25, 0.5), (76, 0.5, 4.0)],          # sixteenths and a long note
]


def _notes(phrase):
    from mgtutor.symbolic import Note

    return [Note(p, s, e) for p, s, e in phrase]


@exercise
def melody_grid_exercise(fn: Callable) -> CheckResult:
    """Checker for notebooks/04_symbolic_music.ipynb, exercise 1.

    ``fn(notes)`` takes ``(pitch, start, end)`` tuples (quarter notes, monophonic, on the sixteenth
    grid) and returns the melody-grid tokens: ``"60"`` at an onset, ``"_"`` while held, ``"r"`` in rests.
    """
    from mgtutor.symbolic import melody_to_grid

    for phrase in _PHRASES:
        want = melody_to_grid(_notes(phrase), steps_per_quarter=4)
        got, failure = call(fn, list(phrase))
        if failure is not None:
            return failure
        got = [str(t) for t in got]
        if got == want:
            continue
        if len(got) < len(want):
            return hint(f"{len(got)} tokens for {phrase}, {len(want)} expected: count the sixteenths.",
                        then="one token per sixteenth, 4 per quarter note: len = 4 × (end of the last note).")
        if len(got) > len(want):
            return hint(f"{len(got)} tokens for {phrase}, {len(want)} expected: too many.",
                        then="one token per sixteenth, 4 per quarter note (not 8 or 16), and nothing after "
                             "the last note ends.")
        if "r" not in got and "r" in want:
            return hint(f"In {phrase} some steps are covered by no note: what does your answer put there?",
                        then="steps covered by no note are 'r': start from ['r'] * n_steps and write each note "
                             "over it.")
        if got.count("_") > want.count("_"):
            return hint(f"In {phrase} one pitch is struck twice in a row: does your answer strike it again?",
                        then="a repeated pitch starts with its number again; '_' only continues the note "
                             "already sounding.")
        first = next(i for i, (a, b) in enumerate(zip(got, want, strict=True)) if a != b)
        return hint(f"For {phrase} step {first} is {got[first]!r}, expected {want[first]!r}.",
                    then=f"the whole answer should be {want}.")
    return ok("melody grid: onsets, holds and rests on the sixteenth grid")


@exercise
def piano_roll_exercise(fn: Callable) -> CheckResult:
    """Checker for notebooks/04_symbolic_music.ipynb, exercise 2.

    ``fn(notes, steps_per_quarter)`` returns a (T, 88) 0/1 array with ``roll[t, p - 21] = 1`` while
    pitch p sounds in step t; T = end of the last note in steps.
    """
    from mgtutor.symbolic import PIANO_KEYS, PIANO_LOW, RollShapeError, check_roll, notes_to_piano_roll

    chords = [(60, 0.0, 1.0), (64, 0.0, 1.0), (67, 0.5, 2.0), (48, 1.0, 2.0)]
    for phrase, spq in ((chords, 4), (chords, 2), (_PHRASES[0], 4)):
        want = notes_to_piano_roll(_notes(phrase), spq)
        got, failure = call(fn, list(phrase), spq)
        if failure is not None:
            return failure
        got = np.asarray(got)
        if got.shape == want.T.shape and got.shape != want.shape:
            return hint(f"Your roll has shape {got.shape}: which axis is time?",
                        then=f"the course's piano roll is (time, {PIANO_KEYS}), one row per step — transpose it.")
        try:
            check_roll(got, "your roll")
        except RollShapeError as exc:
            return hint(f"{exc}.", then=f"a (T, {PIANO_KEYS}) array: {PIANO_KEYS} piano keys, one column each.")
        if got.shape[0] != want.shape[0]:
            return hint(f"{got.shape[0]} rows instead of {want.shape[0]} for steps_per_quarter={spq}.",
                        then="T = end of the last note × steps_per_quarter, one row per step.")
        if np.array_equal(got != 0, want != 0):
            continue
        for shift in (-PIANO_LOW, PIANO_LOW, -1, 1):
            if np.array_equal(np.roll(got != 0, shift, axis=1), want != 0):
                return hint("The notes are in the wrong columns: which MIDI pitch is the lowest piano key?",
                            then=f"column j is MIDI pitch j + {PIANO_LOW} (A0 = {PIANO_LOW}).")
        if (got != 0).sum() > (want != 0).sum() and not ((want != 0) & (got == 0)).any():
            return hint("Each note lasts one step too long.",
                        then="a note covers steps start·s … end·s − 1: the end is excluded.")
        return hint("Some cells differ from the reference; print your roll for the first phrase and compare.",
                    then=f"roll[t, p − {PIANO_LOW}] = 1 exactly for round(start·s) ≤ t < round(end·s).")
    return ok(f"piano roll (T, {PIANO_KEYS}): every note sounds in its key's column for exactly its steps")


@exercise
def key_shift_exercise(fn: Callable) -> CheckResult:
    """Checker for notebooks/04_symbolic_music.ipynb, exercise 3.

    ``fn(key_name)`` returns the shift in −6 … +5 semitones that moves a major key to C major and a
    minor key to A minor (``"G major"`` → +5, ``"D major"`` → −2, ``"E minor"`` → +5).
    """
    from mgtutor.symbolic import key_normalizing_shift

    keys = ["C major", "G major", "D major", "B- major", "A minor", "E minor", "C minor", "F# major", "F# minor"]
    wrong_sign = 0
    for k in keys:
        want = key_normalizing_shift(k)
        got, failure = call(fn, k)
        if failure is not None:
            return failure
        try:
            got = int(got)
        except (TypeError, ValueError):
            return hint(f"{k!r}: return a whole number of semitones, not {got!r}.")
        if got == want:
            continue
        if got == -want and want != -6:
            wrong_sign += 1
            continue
        if wrong_sign:
            break
        if (got - want) % 12 == 0:
            return hint(f"{k!r}: {got:+d} reaches the right key, but not by the smallest move.",
                        then="wrap into −6 … +5: k = ((τ − c + 6) mod 12) − 6.")
        if "minor" in k and (got - want) % 12 == 3:
            return hint(f"{k!r}: {got:+d} — which key should a minor key end in?",
                        then="minor keys go to A minor (τ = 9), not to C minor: k = ((9 − c + 6) mod 12) − 6.")
        return hint(f"{k!r}: expected {want:+d}, got {got:+d}.",
                    then="k = ((τ − c + 6) mod 12) − 6 with c the tonic's pitch class, τ = 0 (C) for major, "
                         "9 (A) for minor.")
    if wrong_sign:
        return hint("Your shifts go the wrong way: does G major reach C major by going up or down a fourth?",
                    then="the shift is target − tonic: G major → C major is 0 − 7 = −7, wrapped to +5.")
    return ok("key normalisation: smallest shift to C major / A minor")
