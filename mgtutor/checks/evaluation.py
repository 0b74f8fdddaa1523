"""Exercise checkers for notebook 11 (evaluating generated music).

Each checker calls the learner's function on fixed inputs and compares with a reference written out here with plain
loops (counts of pitch-class pairs; a sum of binomial probabilities with ``math.comb``), then recognises the usual
wrong answers: raw counts instead of shares, rows and columns swapped, rows normalised one by one, pitches instead of
pitch classes; P(K > k) instead of P(K ≥ k), a two-sided p-value, the probability of exactly k, a normal
approximation.
"""

from __future__ import annotations

import math

import numpy as np

from mgtutor.checks import CheckResult, call, exercise, hint, ok

__all__ = ["pitch_class_transitions_exercise", "abx_p_value_exercise"]

_MELODIES = [
    [60, 64, 67, 72, 71, 67, 65, 64, 62, 60],     # C major, an octave leap C4 → C5 is C → C
    [69, 71, 72, 74, 76, 77, 79, 81, 69, 57],     # A minor scale up, then down two octaves
    [62, 62, 66, 69, 62],                         # repeated notes: D → D twice
]


def _reference_pctm(pitches) -> np.ndarray:
    counts = np.zeros((12, 12))
    for a, b in zip(pitches, pitches[1:], strict=False):
        counts[a % 12, b % 12] += 1
    return counts / counts.sum()


@exercise
def pitch_class_transitions_exercise(fn) -> CheckResult:
    """Checker for notebooks/11_evaluating_generated_music.ipynb, exercise 1.

    ``fn(pitches)`` gets a melody as a list of MIDI pitches and returns the 12×12 pitch-class transition matrix:
    M[a, b] = (number of consecutive pairs going from pitch class a to b) / (number of pairs).
    """
    for pitches in _MELODIES:
        want = _reference_pctm(pitches)
        got, failure = call(fn, list(pitches))
        if failure is not None:
            return failure
        try:
            got = np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            return hint("Return a 12 × 12 array of numbers (NumPy).")
        if got.shape != (12, 12):
            return hint(f"Your matrix has shape {got.shape}; it should be 12 × 12, one row and one column per pitch "
                        "class.", then="pitch class = pitch % 12 (C = 0, C# = 1, … B = 11).")
        if np.allclose(got, want):
            continue
        counts = want * (len(pitches) - 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            rows = np.nan_to_num(counts / counts.sum(axis=1, keepdims=True))
        if np.allclose(got, counts):
            return hint("These are the counts; divide by the number of pairs so the matrix sums to 1.")
        if np.allclose(got, want.T):
            return hint("Rows and columns are swapped: M[a, b] counts pairs *from* a *to* b.",
                        then="for a, b in zip(pcs, pcs[1:]): M[a, b] += 1")
        if np.allclose(got, rows):
            return hint("You normalised each row on its own (a Markov chain's P(b | a)); mgeval's matrix shares one "
                        "total: divide by the number of pairs.")
        if np.isclose(got.sum(), 1) and not np.allclose(got, want):
            return hint(f"For {pitches} some transitions land in the wrong cell: consecutive pairs only, by pitch "
                        "class (C4 → C5 is C → C).", then="pcs = [p % 12 for p in pitches]; pairs = zip(pcs, pcs[1:])")
        return hint("Count each consecutive pair (pitch class a, pitch class b) once, then divide by the number of "
                    "pairs.", then="M = np.zeros((12, 12)); M[a % 12, b % 12] += 1 for each pair; return M / M.sum()")
    return ok("pitch-class transition matrix (mgeval's PCTM)")


def _tail(k: int, n: int) -> float:
    return sum(math.comb(n, j) for j in range(k, n + 1)) / 2**n


@exercise
def abx_p_value_exercise(fn) -> CheckResult:
    """Checker for notebooks/11_evaluating_generated_music.ipynb, exercise 2.

    ``fn(correct, trials)`` returns the one-sided exact p-value of an ABX test: P(K ≥ correct) for K ~ Binomial(trials,
    1/2) — the chance that a listener who only guesses gets at least that many right.
    """
    for k, n in ((9, 12), (15, 20), (5, 10), (20, 20), (0, 6)):
        want = _tail(k, n)
        got, failure = call(fn, k, n)
        if failure is not None:
            return failure
        try:
            got = float(np.asarray(got, dtype=float).reshape(()))
        except (TypeError, ValueError):
            return hint("Return one number: the probability P(K ≥ correct).")
        if np.isclose(got, want, rtol=1e-9, atol=1e-12):
            continue
        if np.isclose(got, _tail(k + 1, n), rtol=1e-9, atol=1e-12):
            return hint(f"For {k} of {n} you left out P(K = {k}): the p-value counts results *at least* as good as "
                        "the one observed, K ≥ correct.")
        if np.isclose(got, math.comb(n, k) / 2**n, rtol=1e-9):
            return hint("That is P(K = correct) alone; add every better result too: P(K ≥ correct).",
                        then="sum(math.comb(n, j) for j in range(k, n + 1)) / 2**n")
        if np.isclose(got, min(1.0, 2 * want), rtol=1e-9):
            return hint("That is the two-sided p-value; ABX asks only whether listeners do *better* than chance.")
        z = (k - 0.5 - n / 2) / math.sqrt(n / 4)
        if abs(got - 0.5 * math.erfc(z / math.sqrt(2))) < 1e-6 or abs(got - 0.5 * math.erfc((k - n / 2) / math.sqrt(
                n / 4) / math.sqrt(2))) < 1e-6:
            return hint("That is the normal approximation; with a few dozen trials use the exact binomial sum.")
        return hint(f"For {k} correct of {n} the p-value is {want:.4g}: the chance that guessing (p = 1/2) gives "
                    f"{k} or more right.", then="sum(math.comb(n, j) for j in range(k, n + 1)) / 2**n")
    return ok("the exact one-sided p-value, right for every (correct, trials) pair tested")
