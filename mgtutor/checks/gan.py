"""Exercise checkers for notebook 08 (GANs from first principles).

Each checker calls the learner's function on fixed inputs and compares with a reference written out here
(the densities from scipy.stats, norms and counts with explicit loops), then recognises the usual wrong answers:
a swapped or unnormalised ratio, a variance read as a standard deviation, the square or the norm in the wrong
place, a one-sided penalty, the wrong radius or threshold for a covered mode, a strict < at the 3σ boundary, and
VEEGAN's "at least one sample" rule in place of the exercise's "at least 20".
"""

from __future__ import annotations

import numpy as np

from mgtutor.checks import CheckResult, call, exercise, hint, ok

__all__ = ["optimal_discriminator_exercise", "gradient_penalty_exercise", "modes_covered_exercise"]

P_REAL = (0.0, 1.0)
"""Exercise 1's data density p = N(0, 1²) (mean, standard deviation)."""
Q_FAKE = (1.0, 0.5)
"""Exercise 1's generator density q = N(1, 0.5²) (mean, standard deviation)."""


def _as_array(got, shape):
    try:
        arr = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return None
    return arr if arr.shape == shape else None


@exercise
def optimal_discriminator_exercise(fn) -> CheckResult:
    """Checker for notebooks/08_gans_first_principles.ipynb, exercise 1.

    ``fn(x)`` gets an array of points and must return D*(x) = p(x) / (p(x) + q(x)) for p = N(0, 1²) (the data)
    and q = N(1, 0.5²) (the generator), elementwise.
    """
    from scipy import stats

    x = np.linspace(-3.0, 3.0, 61)
    p, q = stats.norm.pdf(x, *P_REAL), stats.norm.pdf(x, *Q_FAKE)
    exact = p / (p + q)
    got, failure = call(fn, x.copy())
    if failure is not None:
        return failure
    arr = _as_array(got, x.shape)
    if arr is None:
        return hint("Return one value per point: an array with the shape of x.",
                    then="p = stats.norm.pdf(x, 0, 1); q = stats.norm.pdf(x, 1, 0.5); return p / (p + q)")
    if np.allclose(arr, exact, atol=1e-6):
        return ok(f"optimal discriminator right at every point tested: D*(0) = {exact[30]:.3f}")
    q_var = stats.norm.pdf(x, 1.0, np.sqrt(0.5))
    wrong = [
        (q / (p + q), "Swapped: that is the probability that x came from the *generator*. D scores real data.",
         "D*(x) = p_data(x) / (p_data(x) + p_g(x))."),
        (p / q, "A plain density ratio is not a probability (it exceeds 1); normalise by p + q.", None),
        (p / (p + q_var), "Check q: 0.5 is its standard deviation (scale), not its variance.", None),
        (1 / (1 + np.exp(-(p - q))), "A sigmoid of the difference of densities is not D*; the optimum is a ratio.",
         "D*(x) = p(x) / (p(x) + q(x))."),
    ]
    for value, advice, then in wrong:
        if np.allclose(arr, value, atol=1e-6):
            return hint(advice, then=then)
    return hint("For each x, maximise p log D + q log(1 − D) over D ∈ (0, 1): set the derivative to zero.",
                then="p/D − q/(1 − D) = 0  ⇒  D = p / (p + q).")


def _penalty_cases():
    rng = np.random.default_rng(8)
    grads = rng.normal(size=(7, 3)) * rng.uniform(0.2, 2.0, size=(7, 1))
    norms = np.array([np.sqrt(sum(v * v for v in row)) for row in grads])
    return grads, norms


@exercise
def gradient_penalty_exercise(fn) -> CheckResult:
    """Checker for notebooks/08_gans_first_principles.ipynb, exercise 2.

    ``fn(grads)`` gets the critic's input gradients at B interpolated points, an array (B, d), and must return
    the WGAN-GP penalty (1/B) Σ_b (‖g_b‖₂ − 1)² (without λ).
    """
    grads, norms = _penalty_cases()
    exact = np.mean((norms - 1) ** 2)
    got, failure = call(fn, grads.copy())
    if failure is not None:
        return failure
    try:
        got = float(np.asarray(got, dtype=float).reshape(()))
    except (TypeError, ValueError):
        return hint("Return one number, the mean over the batch (not one value per example).",
                    then="np.mean((np.linalg.norm(grads, axis=1) - 1) ** 2)")
    if np.isclose(got, exact, rtol=1e-6):
        return ok(f"gradient penalty = {exact:.4f} for this batch")
    col_norms = np.linalg.norm(grads, axis=0)
    wrong = [
        ((np.mean(norms) - 1) ** 2, "The square goes inside the mean: penalise each example's (‖g‖ − 1)².", None),
        (np.mean((norms ** 2 - 1) ** 2), "Use the norm ‖g‖₂ (a square root), not the squared norm.", None),
        (np.mean((col_norms - 1) ** 2), "The norm is over each example's gradient (axis=1), not over the batch.",
         "np.linalg.norm(grads, axis=1)"),
        (np.sum((norms - 1) ** 2), "That is the sum over the batch; take the mean.", None),
        (np.mean(np.maximum(norms - 1, 0) ** 2), "That is one-sided (only ‖g‖ > 1 is penalised); WGAN-GP penalises "
                                                 "both sides of 1.", None),
        (np.mean(np.abs(norms - 1)), "Square the distance from 1.", None),
    ]
    for value, advice, then in wrong:
        if np.isclose(got, value, rtol=1e-6):
            return hint(advice, then=then)
    return hint("Per example: the Euclidean norm of its gradient row, its distance from 1, squared; then the mean.",
                then="np.mean((np.linalg.norm(grads, axis=1) - 1) ** 2)")


def _mode_cases():
    """Samples around 8 modes, σ = 1/8 so that 3σ = 0.375 and every coordinate below is exact in binary floating
    point: the sample placed on a 3σ circle is at distance exactly 3σ however the distance is computed."""
    rng = np.random.default_rng(9)
    means = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [2.0, 2.0], [4.0, 0.0], [4.0, 4.0], [0.0, 4.0],
                      [4.0, 2.0]])
    sigma = 0.125
    on_circle = means[6] + [3 * sigma, 0.0]  # exactly 3σ from its mean: inside "within 3σ"
    parts = [means[0] + rng.normal(scale=sigma, size=(40, 2)),        # covered
             means[1] + rng.normal(scale=sigma, size=(20, 2)) * 0.5,  # exactly 20, all close: covered
             means[2] + [2.5 * sigma, 0.0] + rng.normal(scale=0.01, size=(30, 2)),  # 2.5σ away: covered
             means[3] + [0.0, 2.6 * sigma] + rng.normal(scale=0.01, size=(30, 2)),  # 2.6σ away: covered
             means[4] + [3.5 * sigma, 0.0] + rng.normal(scale=0.01, size=(30, 2)),  # 3.5σ away: not covered
             means[5] + rng.normal(scale=0.3 * sigma, size=(8, 2)),   # 8 within 3σ: captured (≥ 1), not covered
             means[6] + rng.normal(scale=0.3 * sigma, size=(19, 2)),  # 19 inside and …
             on_circle[None],                                          # … 1 on the circle: 20, covered
             means[7] + rng.normal(scale=0.3 * sigma, size=(3, 2)),   # 3 within 3σ: captured (≥ 1), not covered
             rng.uniform(-1, 3, size=(5, 2))]
    samples = np.concatenate(parts)
    return samples, means, sigma


def _covered(samples, means, sigma, radius=3.0, least=20, strict=False, strict_radius=False):
    count = 0
    for m in means:
        distances = [np.hypot(*(s - m)) for s in samples]
        near = sum(1 for d in distances if (d < radius * sigma if strict_radius else d <= radius * sigma))
        count += near > least if strict else near >= least
    return count


def _captured(samples, means, sigma):
    """VEEGAN's count: modes nearest to at least one sample that lies within 3σ of its nearest mean."""
    hit = set()
    for s in samples:
        distances = [np.hypot(*(s - m)) for m in means]
        nearest = int(np.argmin(distances))
        if distances[nearest] <= 3 * sigma:
            hit.add(nearest)
    return len(hit)


@exercise
def modes_covered_exercise(fn) -> CheckResult:
    """Checker for notebooks/08_gans_first_principles.ipynb, exercise 3.

    ``fn(samples, means, sigma)`` gets samples (n, 2), the modes' means (K, 2) and σ, and must return how many
    modes are covered: at least 20 samples within (≤) 3σ of the mode's mean (Euclidean distance).
    """
    samples, means, sigma = _mode_cases()
    exact = _covered(samples, means, sigma)
    got, failure = call(fn, samples.copy(), means.copy(), sigma)
    if failure is not None:
        return failure
    try:
        got = int(np.asarray(got).reshape(()))
    except (TypeError, ValueError):
        return hint("Return one integer: the number of covered modes.")
    if got == exact:
        return ok(f"{exact} of {len(means)} modes covered (≥ 20 samples within 3σ)")
    wrong = [
        (_covered(samples, means, sigma, radius=2.0), "Use a radius of 3σ around each mean.", None),
        (_covered(samples, means, sigma, radius=4.0), "Use a radius of 3σ around each mean.", None),
        (_covered(samples, means, sigma, strict=True), "‘At least 20’ includes 20: use ≥, not >.", None),
        (_covered(samples, means, sigma, strict_radius=True),
         "A sample exactly 3σ from a mean is within 3σ: compare the distance with ≤, not <.", None),
        (_captured(samples, means, sigma),
         "That counts a mode as soon as one sample is near it (VEEGAN's *modes captured*). This exercise asks for "
         "at least 20 samples within 3σ of the mean.", None),
        (_covered(samples, means, sigma, radius=np.inf), "Count only the samples *near* a mean (within 3σ).", None),
    ]
    for value, advice, then in wrong:
        if got == value:
            return hint(advice, then=then)
    return hint("For each mean: count the samples whose distance to it is ≤ 3σ; the mode is covered if that count "
                "is ≥ 20. Return how many modes are covered.",
                then="d = np.linalg.norm(samples[:, None] - means[None], axis=-1); "
                     "return int(((d <= 3 * sigma).sum(axis=0) >= 20).sum())")
