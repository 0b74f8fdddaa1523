"""Exercise checkers for notebook 09 (GANs for music and audio).

Each checker calls the learner's function on fixed inputs and compares with a reference computed here by explicit
loops (pitch classes per bar), by the closed form worked out term by term (a receptive field, the Fréchet distance
of two diagonal Gaussians), then recognises the usual wrong answers: keys counted instead of pitch classes, empty
bars left out of the mean, a dilation or a kernel size forgotten, an off-by-one field, variances where standard
deviations belong, the mean term dropped.
"""

from __future__ import annotations

import numpy as np

from mgtutor.checks import CheckResult, call, exercise, hint, ok

__all__ = ["used_pitch_classes_exercise", "receptive_field_exercise", "frechet_diagonal_exercise"]


def _bars_for_upc() -> tuple[np.ndarray, int]:
    """Four bars (16 steps × 24 keys from MIDI 48): a C major triad in two octaves, a chromatic cluster, an empty
    bar, and one repeated key."""
    bars = np.zeros((4, 16, 24), np.uint8)
    bars[0, :, [0, 4, 7, 12, 16, 19]] = 1  # C E G, twice: 3 pitch classes, 6 keys
    bars[1, :8, [1, 2, 3]] = 1              # C# D D#: 3 classes
    bars[1, 8:, [13, 14, 15, 5]] = 1        # the same classes an octave up, and F: 4 classes in all
    bars[3, ::2, 9] = 1                     # A, struck eight times: 1 class
    return bars, 48


def _upc_by_loops(bars: np.ndarray, lowest: int) -> float:
    counts = []
    for bar in bars:
        classes = set()
        for t in range(bar.shape[0]):
            for k in range(bar.shape[1]):
                if bar[t, k]:
                    classes.add((lowest + k) % 12)
        counts.append(len(classes))
    return float(np.mean(counts))


@exercise
def used_pitch_classes_exercise(fn) -> CheckResult:
    """Checker for notebooks/09_gans_music_audio.ipynb, exercise 1.

    ``fn(bars, lowest)`` gets 0/1 bars (N, T, K), column k being MIDI pitch ``lowest + k``, and must return the
    used pitch classes per bar: the number of distinct (lowest + k) mod 12 sounding in a bar, averaged over all N
    bars (an empty bar counts 0).
    """
    bars, lowest = _bars_for_upc()
    expected = _upc_by_loops(bars, lowest)  # (3 + 4 + 0 + 1) / 4 = 2
    got, failure = call(fn, bars.copy(), lowest)
    if failure is not None:
        return failure
    try:
        value = float(got)
    except (TypeError, ValueError):
        return hint(f"Return one number (the mean over the bars), not {type(got).__name__}.")
    if np.isclose(value, expected):
        return ok(f"used pitch classes per bar = {expected:g} on the test bars (C E G in two octaves counts 3)")
    keys = float(np.mean([(bar.any(axis=0)).sum() for bar in bars]))
    if np.isclose(value, keys):
        return hint("You counted keys: C4 and C5 are one pitch class. Fold each key onto (lowest + k) % 12 first.",
                    then="classes = (lowest + np.arange(K)) % 12; count len(set(classes[bar.any(axis=0)])) per bar")
    if np.isclose(value, (3 + 4 + 1) / 3):
        return hint("The empty bar counts 0 in the mean: divide by all N bars, not only the non-empty ones.")
    if np.isclose(value, len({(lowest + k) % 12 for k in np.flatnonzero(bars.any(axis=(0, 1)))})):
        return hint("That counts the classes of all bars together; count per bar, then take the mean.")
    return hint(f"On the test bars the answer is a mean over 4 bars; you returned {value:g}.",
                then="per bar: the set of (lowest + k) % 12 over the keys k that are on at any step; then the mean "
                     "of the set sizes")


@exercise
def receptive_field_exercise(fn) -> CheckResult:
    """Checker for notebooks/09_gans_music_audio.ipynb, exercise 2.

    ``fn(layers, kernel_size)`` must return the receptive field of a stack of causal convolutions with dilations
    1, 2, 4, …, 2^(layers−1): R = 1 + (kernel_size − 1) · (2^layers − 1).
    """
    cases = [(1, 2), (4, 2), (10, 2), (3, 3), (5, 4)]
    expected = [1 + (k - 1) * (2**n - 1) for n, k in cases]
    got = []
    for n, k in cases:
        value, failure = call(fn, n, k)
        if failure is not None:
            return failure
        got.append(value)
    try:
        got = [int(v) for v in got]
    except (TypeError, ValueError):
        return hint("Return a whole number of samples for each (layers, kernel_size).")
    if got == expected:
        return ok("receptive fields right for every stack tested: 1,024 samples for 10 layers of kernel 2 — 64 ms at "
                      "16 kHz")
    checks = [
        ([2**n for n, _ in cases], "2^L holds for kernel 2 only; with kernel k each layer adds (k − 1)·d samples.",
         "R = 1 + Σ_l (k − 1)·2^l = 1 + (k − 1)(2^L − 1)"),
        ([1 + (k - 1) * n for n, k in cases], "That is a stack without dilation (it grows linearly); the dilation "
         "doubles per layer: d_l = 2^l.", "R = 1 + Σ_l (k − 1)·2^l"),
        ([(k - 1) * (2**n - 1) for n, k in cases], "Off by one: the output sample itself is in its receptive field "
         "(one layer of kernel 2 sees 2 samples).", None),
        ([k**n for n, k in cases], "k^L is the field of *strided* (or dilation = k^l) layers; here d_l = 2^l.", None),
    ]
    for wrong, advice, then in checks:
        if got == wrong:
            return hint(advice, then=then)
    return hint(f"For 4 layers of kernel 2 the field is {expected[1]} samples; you gave {got[1]}.",
                then="each layer l adds (k − 1)·2^l samples to the 1 the output starts with")


@exercise
def frechet_diagonal_exercise(fn) -> CheckResult:
    """Checker for notebooks/09_gans_music_audio.ipynb, exercise 3.

    ``fn(mu1, var1, mu2, var2)`` gets the means and the *variances* (diagonals of the covariances) of two Gaussians
    and must return their Fréchet distance ‖μ1 − μ2‖² + Σ_i (σ1_i − σ2_i)², σ = √variance.
    """
    mu1, var1 = np.array([1.0, 0.0, 2.0]), np.array([9.0, 4.0, 1.0])
    mu2, var2 = np.array([0.0, 0.0, 0.0]), np.array([1.0, 4.0, 16.0])
    mean_term = float(((mu1 - mu2) ** 2).sum())  # 5
    cov_term = float(((np.sqrt(var1) - np.sqrt(var2)) ** 2).sum())  # 4 + 0 + 9 = 13
    got, failure = call(fn, mu1.copy(), var1.copy(), mu2.copy(), var2.copy())
    if failure is not None:
        return failure
    try:
        value = float(got)
    except (TypeError, ValueError):
        return hint("Return one number.")
    if np.isclose(value, mean_term + cov_term):
        return ok(f"Fréchet distance = {mean_term + cov_term:g} for the test Gaussians: {mean_term:g} from the means, "
                  f"{cov_term:g} from the covariances")
    if np.isclose(value, mean_term + ((var1 - var2) ** 2).sum()):
        return hint("Compare standard deviations, not variances: (Σ1Σ2)^½ has √(v1·v2) on its diagonal.",
                    then="tr(Σ1 + Σ2 − 2(Σ1Σ2)^½) = Σ(v1 + v2 − 2√(v1 v2)) = Σ(√v1 − √v2)²")
    if np.isclose(value, cov_term):
        return hint("The means differ too: add ‖μ1 − μ2‖².")
    if np.isclose(value, mean_term):
        return hint("The spreads differ too: add the covariance term tr(Σ1 + Σ2 − 2(Σ1Σ2)^½).")
    if np.isclose(value, np.sqrt(mean_term + cov_term)):
        return hint("The Fréchet distance of FID is the *squared* 2-Wasserstein distance: no square root.")
    return hint(f"You returned {value:g}.", then="FD = Σ(μ1 − μ2)² + Σ(√v1 − √v2)²")
