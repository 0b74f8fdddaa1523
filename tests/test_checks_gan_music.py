"""Tests for mgtutor.checks.gan_music (notebook 09's exercise checkers): each checker passes a correct answer, says
"not attempted yet" for a stub, and names the typical wrong answers."""

import numpy as np
import pytest

from mgtutor import checks, metrics
from mgtutor.models import receptive_field


def test_used_pitch_classes_accepts_the_metric_and_a_loop():
    assert checks.used_pitch_classes_exercise(lambda bars, lowest: metrics.used_pitch_classes(bars, lowest))

    def by_sets(bars, lowest):
        return np.mean([len({(lowest + k) % 12 for k in np.flatnonzero(b.any(axis=0))}) for b in bars])

    assert checks.used_pitch_classes_exercise(by_sets)


def _keys(bars, lowest):
    return np.mean([b.any(axis=0).sum() for b in bars])


def _non_empty(bars, lowest):
    return np.mean([len({(lowest + k) % 12 for k in np.flatnonzero(b.any(axis=0))}) for b in bars if b.any()])


def _pooled(bars, lowest):
    return len({(lowest + k) % 12 for k in np.flatnonzero(bars.any(axis=(0, 1)))})


@pytest.mark.parametrize(("wrong", "phrase"), [
    (_keys, "You counted keys"), (_non_empty, "empty bar counts 0"), (_pooled, "all bars together"),
    (lambda bars, lowest: [1, 2], "Return one number"), (lambda bars, lowest: 7.0, "mean over 4 bars"),
    (lambda bars, lowest: bars.missing, "AttributeError"),
])
def test_used_pitch_classes_recognises_wrong_answers(wrong, phrase):
    result = checks.used_pitch_classes_exercise(wrong)
    assert not result and phrase in result.message


def test_receptive_field_accepts_the_formula():
    assert checks.receptive_field_exercise(lambda layers, k: receptive_field(layers, k))
    assert checks.receptive_field_exercise(lambda layers, k: 1 + sum((k - 1) * 2**i for i in range(layers)))


@pytest.mark.parametrize(("wrong", "phrase"), [
    (lambda layers, k: 2**layers, "kernel 2 only"), (lambda layers, k: 1 + (k - 1) * layers, "without dilation"),
    (lambda layers, k: (k - 1) * (2**layers - 1), "Off by one"), (lambda layers, k: k**layers, "strided"),
    (lambda layers, k: 3, "4 layers of kernel 2"), (lambda layers, k: "many", "whole number"),
])
def test_receptive_field_recognises_wrong_answers(wrong, phrase):
    result = checks.receptive_field_exercise(wrong)
    assert not result and phrase in result.message


def test_receptive_field_second_failure_adds_the_formula():
    assert "Next hint" not in checks.receptive_field_exercise(lambda layers, k: 2**layers).message
    assert "Next hint: R = 1 + Σ_l" in checks.receptive_field_exercise(lambda layers, k: 2**layers).message


def test_frechet_diagonal_accepts_the_closed_form_and_the_general_function():
    assert checks.frechet_diagonal_exercise(
        lambda m1, v1, m2, v2: ((m1 - m2) ** 2).sum() + ((np.sqrt(v1) - np.sqrt(v2)) ** 2).sum())
    assert checks.frechet_diagonal_exercise(
        lambda m1, v1, m2, v2: metrics.frechet_distance_gaussians(m1, np.diag(v1), m2, np.diag(v2)))


@pytest.mark.parametrize(("wrong", "phrase"), [
    (lambda m1, v1, m2, v2: ((m1 - m2) ** 2).sum() + ((v1 - v2) ** 2).sum(), "not variances"),
    (lambda m1, v1, m2, v2: ((np.sqrt(v1) - np.sqrt(v2)) ** 2).sum(), "add ‖μ1 − μ2‖²"),
    (lambda m1, v1, m2, v2: ((m1 - m2) ** 2).sum(), "spreads differ"),
    (lambda m1, v1, m2, v2: np.sqrt(((m1 - m2) ** 2).sum() + ((np.sqrt(v1) - np.sqrt(v2)) ** 2).sum()),
     "no square root"),
    (lambda m1, v1, m2, v2: 0.0, "You returned 0"),
])
def test_frechet_diagonal_recognises_wrong_answers(wrong, phrase):
    result = checks.frechet_diagonal_exercise(wrong)
    assert not result and phrase in result.message


def test_stubs_are_not_attempted():
    def stub(*args):
        ...

    for checker in (checks.used_pitch_classes_exercise, checks.receptive_field_exercise,
                    checks.frechet_diagonal_exercise):
        result = checker(stub)
        assert not result and "not attempted yet" in result.message
