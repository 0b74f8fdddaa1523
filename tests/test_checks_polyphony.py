"""Tests for mgtutor.checks.polyphony (notebook 07's exercise checkers): each checker passes a correct answer,
says "not attempted yet" for a stub, and names the typical wrong answers."""

import numpy as np
import pytest

from mgtutor import checks, models
from mgtutor.metrics import frame_nll


def nll_sum(p, y):
    return -(y * np.log(p) + (1 - y) * np.log(1 - p)).sum(axis=-1)


def test_frame_nll_accepts_the_formula_and_the_library():
    assert checks.frame_nll_exercise(lambda p, y: nll_sum(p, y).mean())
    assert checks.frame_nll_exercise(lambda p, y: frame_nll(p, y))


def test_frame_nll_stub_is_not_attempted():
    def stub(p, y):
        ...

    result = checks.frame_nll_exercise(stub)
    assert not result and "not attempted yet" in result.message


@pytest.mark.parametrize(("wrong", "phrase"), [
    (lambda p, y: nll_sum(p, y).mean() / 88, "averaged over the keys"),
    (lambda p, y: (-(y * np.log(p) + (1 - y) * np.log(1 - p))).mean(), "averaged over the keys"),
    (lambda p, y: nll_sum(p, y).mean() / np.log(2), "bits"),
    (lambda p, y: -nll_sum(p, y).mean(), "sign"),
    (lambda p, y: nll_sum(p, y).sum(), "total over all frames"),
    (lambda p, y: -(y * np.log(p)).sum(axis=-1).mean(), "only the keys that sound"),
    (lambda p, y: nll_sum(p, y), "one number"),
    (lambda p, y: 1 / 0, "ZeroDivisionError"),
])
def test_frame_nll_recognises_wrong_answers(wrong, phrase):
    result = checks.frame_nll_exercise(wrong)
    assert not result and phrase in result.message


def test_frame_nll_second_failure_adds_the_formula():
    wrong = lambda p, y: nll_sum(p, y).mean() / 88  # noqa: E731
    assert "Next hint" not in checks.frame_nll_exercise(wrong).message
    assert "Next hint" in checks.frame_nll_exercise(wrong).message


def markov(rolls, alpha, start=True, across=False, transpose=False, swap=False):
    keys = rolls[0].shape[1]
    n_on, n = np.zeros((2, keys)), np.zeros((2, keys))
    for roll in [np.concatenate(rolls)] if across else rolls:
        prev = np.concatenate([np.zeros((1, keys), roll.dtype), roll[:-1]]) if start else roll[:-1]
        now = roll if start else roll[1:]
        for s in (0, 1):
            mask = prev == s
            n[s] += mask.sum(axis=0)
            n_on[s] += (mask & (now == 1)).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = (n_on + alpha) / (n + 2 * alpha)
    p = p[::-1] if swap else p
    return p.T if transpose else p


def test_markov_accepts_the_formula_and_the_library():
    assert checks.markov_probs_exercise(lambda rolls, a: markov(rolls, a))
    assert checks.markov_probs_exercise(lambda rolls, a: models.MarkovFrames(alpha=a).fit(rolls).p)


def test_markov_stub_is_not_attempted():
    def stub(rolls, alpha):
        """Counts."""

    assert "not attempted yet" in checks.markov_probs_exercise(stub).message


@pytest.mark.parametrize(("wrong", "phrase"), [
    (lambda r, a: markov(r, a, transpose=True), "(2, 88)"),
    (lambda r, a: markov(r, a, swap=True), "rows are swapped"),
    (lambda r, a: markov(r, 0.0), "No smoothing"),
    (lambda r, a: markov(r, a, start=False), "all-zero frame"),
    (lambda r, a: markov(r, a, across=True), "within each piece"),
    (lambda r, a: np.full((2, 88), 0.5), "Count"),
    (lambda r, a: np.zeros(88), "(2, 88) table"),
])
def test_markov_recognises_wrong_answers(wrong, phrase):
    result = checks.markov_probs_exercise(wrong)
    assert not result and phrase in result.message
