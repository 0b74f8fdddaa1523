"""Exercise checkers for notebook 04 (symbolic music).

Each checker calls the learner's function on a few phrases and compares the answer with the
package's reference encoders (:mod:`mgtutor.symbolic`), which the notebook proves equal to
music21/pretty_midi. A wrong answer gets a hint about *what kind* of wrong it looks like.
"""

from __future__ import annotations

import numpy as np

from mgtutor.checks import CheckResult, exercise, hint, ok

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
def melody_grid_exercise(fn) -> CheckResult:
    """Checker for notebooks/04_symbolic_music.ipynb, exercise 1.

    ``fn(notes)`` takes ``(pitch, start, end)`` tuples (quarter notes, monophonic, on the sixteenth
    grid) and returns the melody-grid tokens: ``"60"`` at an onset, ``"_"`` while held, ``"r"`` in rests.
    """
    from mgtutor.symbolic import melody_to_grid

    for phrase in _PHRASES:
        want = melody_to_grid(_notes(phrase), steps_per_quarter=4)
        try:
            got = [str(t) for t in fn(list(phrase))]
        except Exception as exc:  # noqa: BLE001  a learner's bug becomes a hint, not a traceback
            return hint(f"Your function raised {type(exc).__name__}: {exc} on {phrase}.")
        if got == want:
            continue
        if len(got) in (-(-len(want) // 4), -(-len(want) // 2)):
            return hint("Too few tokens: one token per *sixteenth*, i.e. 4 per quarter note (step = 0.25).")
        if len(got) == 2 * len(want) or len(got) == 4 * len(want):
            return hint("Too many tokens: one token per sixteenth, 4 per quarter note, not more.")
        if "r" not in got and "r" in want:
            return hint(f"No rests in your answer for {phrase}: steps covered by no note are 'r'.")
        if got.count("_") > want.count("_") and len(got) == len(want):
            return hint(f"For {phrase}: a repeated pitch must start with its number again, not '_' "
                        "('_' only continues the note already sounding).")
        return hint(f"For {phrase} expected {want} but got {got}.")
    return ok("melody grid: onsets, holds and rests on the sixteenth grid")


@exercise
def piano_roll_exercise(fn) -> CheckResult:
    """Checker for notebooks/04_symbolic_music.ipynb, exercise 2.

    ``fn(notes, steps_per_quarter)`` returns a (T, 88) 0/1 array with ``roll[t, p - 21] = 1`` while
    pitch p sounds in step t; T = end of the last note in steps.
    """
    from mgtutor.symbolic import PIANO_KEYS, PIANO_LOW, RollShapeError, check_roll, notes_to_piano_roll

    chords = [(60, 0.0, 1.0), (64, 0.0, 1.0), (67, 0.5, 2.0), (48, 1.0, 2.0)]
    for phrase, spq in ((chords, 4), (chords, 2), (_PHRASES[0], 4)):
        want = notes_to_piano_roll(_notes(phrase), spq)
        try:
            got = np.asarray(fn(list(phrase), spq))
        except Exception as exc:  # noqa: BLE001
            return hint(f"Your function raised {type(exc).__name__}: {exc}.")
        if got.shape == want.T.shape and got.shape != want.shape:
            return hint(f"Shape {got.shape}: the course's piano roll is (time, {PIANO_KEYS}), one row per step — "
                        "transpose it.")
        try:
            check_roll(got, "your roll")
        except RollShapeError as exc:
            return hint(f"{exc}: {PIANO_KEYS} piano keys, one column each.")
        if got.shape[0] != want.shape[0]:
            return hint(f"{got.shape[0]} rows instead of {want.shape[0]}: "
                        "T = end of the last note × steps_per_quarter.")
        if np.array_equal(got != 0, want != 0):
            continue
        for shift in (-PIANO_LOW, PIANO_LOW, -1, 1):
            if np.array_equal(np.roll(got != 0, shift, axis=1), want != 0):
                return hint(f"The notes are in the wrong columns: column j is MIDI pitch j + {PIANO_LOW} "
                            f"(A0 = {PIANO_LOW}).")
        if np.array_equal(got[:-1] != 0, want[:-1] != 0) or (got != 0).sum() > (want != 0).sum():
            return hint("Notes last one step too long: a note covers steps start·s … end·s − 1 (end excluded).")
        return hint("Some cells differ from the reference; print your roll for the first phrase and compare.")
    return ok(f"piano roll (T, {PIANO_KEYS}): rows are steps, column j is pitch j + {PIANO_LOW}, ends excluded")


@exercise
def key_shift_exercise(fn) -> CheckResult:
    """Checker for notebooks/04_symbolic_music.ipynb, exercise 3.

    ``fn(key_name)`` returns the shift in −6 … +5 semitones that moves a major key to C major and a
    minor key to A minor (``"G major"`` → +5, ``"D major"`` → −2, ``"E minor"`` → +5).
    """
    from mgtutor.symbolic import key_normalizing_shift

    keys = ["C major", "G major", "D major", "B- major", "A minor", "E minor", "C minor", "F# major", "F# minor"]
    wrong_sign = 0
    for k in keys:
        want = key_normalizing_shift(k)
        try:
            got = int(fn(k))
        except Exception as exc:  # noqa: BLE001
            return hint(f"Your function raised {type(exc).__name__}: {exc} for {k!r}.")
        if got == want:
            continue
        if got == -want and want != -6:
            wrong_sign += 1
            continue
        if wrong_sign:
            break
        if (got - want) % 12 == 0:
            return hint(f"{k!r}: {got} reaches the right key but not by the smallest move; keep shifts in −6 … +5.")
        if "minor" in k and (got - want) % 12 == 3:
            return hint(f"{k!r}: minor keys go to A minor (tonic A = 9), not to C minor.")
        return hint(f"{k!r}: expected {want:+d}, got {got:+d}.")
    if wrong_sign:
        return hint("The sign is reversed: the shift is target − tonic (G major → C major is +5, up a fourth).")
    return ok("key normalisation: smallest shift to C major / A minor")
