"""Checkers of notebook 05: the finite-difference exercise tells rounding apart from a changed x."""

import numpy as np

from mgtutor import checks
from mgtutor.checks import FAILURES


def restoring_by_arithmetic(f, x, eps):
    """Central differences that put x back by adding and subtracting ε: off by rounding, not by intent."""
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        x[idx] += eps
        up = f(x)
        x[idx] -= 2 * eps
        down = f(x)
        x[idx] += eps
        grad[idx] = (up - down) / (2 * eps)
    return grad


def never_restoring(f, x, eps):
    grad = restoring_by_arithmetic(f, x, eps)
    x += 1.0
    return grad


def test_a_change_of_x_by_rounding_gets_its_own_first_hint():
    FAILURES.clear()
    result = checks.numeric_gradient_exercise(restoring_by_arithmetic)
    assert not result and "by rounding only" in result.message and "Next hint" not in result.message
    changed = checks.numeric_gradient_exercise(never_restoring)
    assert not changed and "Your function changed x" in changed.message
    FAILURES.clear()


def test_the_rounding_is_real():
    """The checker's x is one whose entries do not survive +ε, −2ε, +ε exactly (else the test above proves nothing)."""
    x = np.array([[0.3, -1.2], [2.0, 0.5]])
    y = x.copy()
    restoring_by_arithmetic(lambda v: float(np.sum(v)), y, 1e-5)
    assert not np.array_equal(x, y) and np.allclose(x, y, rtol=0, atol=1e-12)
