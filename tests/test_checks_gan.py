"""Tests for mgtutor.checks.gan (notebook 08's exercise checkers): each checker passes a correct answer, says
"not attempted yet" for a stub, and names the typical wrong answers."""

import numpy as np
import pytest
from scipy import stats

from mgtutor import checks, data, metrics


def p(x):
    return stats.norm.pdf(x, 0, 1)


def q(x):
    return stats.norm.pdf(x, 1, 0.5)


def test_optimal_discriminator_accepts_the_ratio_and_its_log_form():
    assert checks.optimal_discriminator_exercise(lambda x: p(x) / (p(x) + q(x)))
    assert checks.optimal_discriminator_exercise(
        lambda x: 1 / (1 + np.exp(stats.norm.logpdf(x, 1, 0.5) - stats.norm.logpdf(x, 0, 1))))


@pytest.mark.parametrize(("wrong", "phrase"), [
    (lambda x: q(x) / (p(x) + q(x)), "Swapped"),
    (lambda x: p(x) / q(x), "not a probability"),
    (lambda x: p(x) / (p(x) + stats.norm.pdf(x, 1, np.sqrt(0.5))), "not its variance"),
    (lambda x: 1 / (1 + np.exp(-(p(x) - q(x)))), "sigmoid of the difference"),
    (lambda x: 0.5, "shape of x"),
    (lambda x: np.zeros_like(x), "maximise p log D"),
    (lambda x: x.missing, "AttributeError"),
])
def test_optimal_discriminator_recognises_wrong_answers(wrong, phrase):
    result = checks.optimal_discriminator_exercise(wrong)
    assert not result and phrase in result.message


def test_stubs_are_not_attempted():
    def stub(x):
        ...

    for checker in (checks.optimal_discriminator_exercise, checks.gradient_penalty_exercise,
                    checks.modes_covered_exercise):
        result = checker(stub)
        assert not result and "not attempted yet" in result.message


def norms(g):
    return np.sqrt((g ** 2).sum(axis=1))


def test_gradient_penalty_accepts_the_formula():
    assert checks.gradient_penalty_exercise(lambda g: np.mean((np.linalg.norm(g, axis=1) - 1) ** 2))
    assert checks.gradient_penalty_exercise(lambda g: ((norms(g) - 1) ** 2).mean())


@pytest.mark.parametrize(("wrong", "phrase"), [
    (lambda g: (np.mean(norms(g)) - 1) ** 2, "inside the mean"),
    (lambda g: np.mean(((g ** 2).sum(axis=1) - 1) ** 2), "squared norm"),
    (lambda g: np.mean((np.linalg.norm(g, axis=0) - 1) ** 2), "not over the batch"),
    (lambda g: np.sum((norms(g) - 1) ** 2), "sum over the batch"),
    (lambda g: np.mean(np.maximum(norms(g) - 1, 0) ** 2), "one-sided"),
    (lambda g: np.mean(np.abs(norms(g) - 1)), "Square the distance"),
    (lambda g: (norms(g) - 1) ** 2, "one number"),
    (lambda g: 0.0, "Euclidean norm"),
])
def test_gradient_penalty_recognises_wrong_answers(wrong, phrase):
    result = checks.gradient_penalty_exercise(wrong)
    assert not result and phrase in result.message


def test_gradient_penalty_second_failure_adds_the_formula():
    wrong = lambda g: 0.0  # noqa: E731
    assert "Next hint" not in checks.gradient_penalty_exercise(wrong).message
    assert "Next hint" in checks.gradient_penalty_exercise(wrong).message


def covered(samples, means, sigma, radius=3.0, strict=False, strict_radius=False):
    d = np.linalg.norm(samples[:, None] - means[None], axis=-1)
    counts = (d < radius * sigma if strict_radius else d <= radius * sigma).sum(axis=0)
    return int((counts > 20).sum() if strict else (counts >= 20).sum())


def captured(samples, means, sigma):
    """VEEGAN's modes captured: modes nearest to at least one sample within 3σ of its nearest mode."""
    d = np.linalg.norm(samples[:, None] - means[None], axis=-1)
    nearest, high_quality = d.argmin(axis=1), d.min(axis=1) <= 3 * sigma
    return len(set(nearest[high_quality].tolist()))


def test_modes_covered_accepts_the_definition_and_the_library():
    assert checks.modes_covered_exercise(covered)
    assert checks.modes_covered_exercise(lambda s, m, sigma: metrics.modes_covered(s, m, sigma))
    grid = data.toy_set("grid")  # and the library agrees with the definition on real data
    x = data.toy_sample("grid", 2500, seed=5)
    assert metrics.modes_covered(x, grid.means, grid.sigma) == covered(x, grid.means, grid.sigma) == 25


@pytest.mark.parametrize(("wrong", "phrase"), [
    (lambda s, m, sg: covered(s, m, sg, radius=2.0), "radius of 3σ"),
    (lambda s, m, sg: covered(s, m, sg, radius=4.0), "radius of 3σ"),
    (lambda s, m, sg: covered(s, m, sg, strict=True), "use ≥, not >"),
    (lambda s, m, sg: covered(s, m, sg, strict_radius=True), "with ≤, not <"),
    (captured, "VEEGAN's *modes captured*"),
    (lambda s, m, sg: int(((np.linalg.norm(s[:, None] - m[None], axis=-1) <= 3 * sg).sum(axis=0) >= 1).sum()),
     "as soon as one sample is near it"),
    (lambda s, m, sg: len(m), "*near* a mean"),
    (lambda s, m, sg: 0, "For each mean"),
    (lambda s, m, sg: [1, 2], "one integer"),
])
def test_modes_covered_recognises_wrong_answers(wrong, phrase):
    result = checks.modes_covered_exercise(wrong)
    assert not result and phrase in result.message


def test_modes_covered_cases_hold_a_sample_exactly_on_the_3_sigma_circle():
    from mgtutor.checks.gan import _mode_cases

    samples, means, sigma = _mode_cases()
    d = np.linalg.norm(samples[:, None] - means[None], axis=-1)
    assert (d == 3 * sigma).sum() == 1  # float-exact: σ = 1/8, coordinates in eighths
    # the answers the checker tells apart are all different numbers on its cases
    answers = [covered(samples, means, sigma), covered(samples, means, sigma, strict_radius=True),
               covered(samples, means, sigma, strict=True), captured(samples, means, sigma)]
    assert len(set(answers)) == len(answers), answers
