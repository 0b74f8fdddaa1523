"""Tests for mgtutor.checks.evaluation (notebook 11's exercise checkers): each passes a correct answer and the
library, says "not attempted yet" for a stub, and names the typical wrong answers."""

import math

import numpy as np
import pytest
from scipy.stats import binomtest

from mgtutor import checks, metrics
from mgtutor.symbolic import Note


def pctm(pitches):
    m = np.zeros((12, 12))
    for a, b in zip(pitches, pitches[1:], strict=False):
        m[a % 12, b % 12] += 1
    return m / m.sum()


def test_pitch_class_transitions_accepts_the_formula_and_the_library():
    assert checks.pitch_class_transitions_exercise(pctm)
    assert checks.pitch_class_transitions_exercise(
        lambda ps: metrics.pitch_class_transition_matrix([Note(p, k, k + 1) for k, p in enumerate(ps)]))


def test_stubs_are_not_attempted():
    def stub(pitches):
        ...

    for checker in (checks.pitch_class_transitions_exercise, checks.abx_p_value_exercise):
        result = checker(stub)
        assert not result and "not attempted yet" in result.message


def counts(ps):
    return pctm(ps) * (len(ps) - 1)


def by_row(ps):
    c = counts(ps)
    with np.errstate(invalid="ignore"):
        return np.nan_to_num(c / c.sum(axis=1, keepdims=True))


def by_pitch(ps):
    m = np.zeros((12, 12))
    for a, b in zip(ps, ps[2:], strict=False):  # skips a note
        m[a % 12, b % 12] += 1
    return m / m.sum()


@pytest.mark.parametrize(("wrong", "phrase"), [
    (counts, "counts"),
    (lambda ps: pctm(ps).T, "swapped"),
    (by_row, "normalised each row"),
    (by_pitch, "wrong cell"),
    (lambda ps: np.zeros((128, 128)), "12 × 12"),
    (lambda ps: np.ones((12, 12)), "Count each consecutive pair"),
    (lambda ps: 1 / 0, "ZeroDivisionError"),
])
def test_pitch_class_transitions_recognises_wrong_answers(wrong, phrase):
    result = checks.pitch_class_transitions_exercise(wrong)
    assert not result and phrase in result.message


def exact(k, n):
    return sum(math.comb(n, j) for j in range(k, n + 1)) / 2**n


def test_abx_p_value_accepts_the_sum_and_scipy():
    assert checks.abx_p_value_exercise(exact)
    assert checks.abx_p_value_exercise(lambda k, n: binomtest(k, n, 0.5, alternative="greater").pvalue)


@pytest.mark.parametrize(("wrong", "phrase"), [
    (lambda k, n: exact(k + 1, n) if k < n else 0.0, "left out P(K ="),
    (lambda k, n: math.comb(n, k) / 2**n, "P(K = correct) alone"),
    (lambda k, n: min(1.0, 2 * exact(k, n)), "two-sided"),
    (lambda k, n: 0.5 * math.erfc((k - 0.5 - n / 2) / math.sqrt(n / 4) / math.sqrt(2)), "normal approximation"),
    (lambda k, n: k / n, "the chance that guessing"),
    (lambda k, n: [exact(k, n)] * 2, "one number"),
])
def test_abx_p_value_recognises_wrong_answers(wrong, phrase):
    result = checks.abx_p_value_exercise(wrong)
    assert not result and phrase in result.message


def test_the_formula_comes_on_a_second_failure():
    first = checks.abx_p_value_exercise(lambda k, n: k / n)
    second = checks.abx_p_value_exercise(lambda k, n: k / n)
    assert "Next hint" not in first.message and "math.comb" in second.message
