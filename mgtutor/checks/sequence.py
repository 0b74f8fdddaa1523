"""Exercise checkers for notebooks 05–06 (RNN/LSTM/GRU, melody generation).

Each checker calls the learner's function on fixed random inputs and compares with an
independent reference: Keras' own layers for the cells, closed-form derivatives for the
gradient check, direct NumPy formulas for the sampling filters.
"""

from __future__ import annotations

import numpy as np

from mgtutor.checks import CheckResult, call, exercise, hint, ok

__all__ = [
    "numeric_gradient_exercise",
    "gru_step_exercise",
    "top_k_exercise",
    "top_p_exercise",
]


@exercise
def numeric_gradient_exercise(fn) -> CheckResult:
    """Checker for notebooks/05_rnn_lstm_from_scratch.ipynb, exercise 1.

    ``fn(f, x, eps)`` must return the central-difference gradient of the scalar function ``f``
    at the array ``x``: (f(x + ε e_i) − f(x − ε e_i)) / 2ε for every entry i.
    """
    x = np.array([[0.3, -1.2], [2.0, 0.5]])

    def f(v):
        return float(np.sum(np.sin(v) * v**2))

    exact = np.cos(x) * x**2 + 2 * x * np.sin(x)
    x_before = x.copy()
    got, failure = call(fn, f, x.copy(), 1e-5)
    if failure is not None:
        return failure
    got = np.asarray(got, dtype=float)
    if got.shape != x.shape:
        return hint(f"Return one partial derivative per entry of x: shape {x.shape}, not {got.shape}.")
    if np.allclose(got, exact, rtol=1e-6, atol=1e-8):
        return ok("central differences agree with the exact derivative to ~1e-6")
    forward = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[idx] = 1e-5
        forward[idx] = (f(x + step) - f(x)) / 1e-5
    if np.allclose(got, forward, rtol=1e-8, atol=1e-10):
        return hint("That is the forward difference (error ~ε); use (f(x+ε) − f(x−ε)) / (2ε), error ~ε².")
    if np.allclose(got, 2 * exact, rtol=1e-5) or np.allclose(got, exact / 2, rtol=1e-5):
        return hint("Off by a factor of 2: divide by 2ε, the distance between x+ε and x−ε.")
    if not np.array_equal(x, x_before):
        return hint("Restore each entry of x after perturbing it.")
    return hint("Perturb one entry at a time by ±ε and keep the others fixed.")


def _keras_gru_reference(units: int, x: np.ndarray, h0, reset_after=True):
    import keras

    rng = np.random.default_rng(11)
    layer = keras.layers.GRU(units, return_state=True, reset_after=reset_after)
    init = [h0]
    layer(x[:, None, :], initial_state=init)
    layer.set_weights([rng.normal(scale=0.6, size=w.shape).astype("float32") for w in layer.get_weights()])
    out = [np.asarray(a) for a in layer(x[:, None, :], initial_state=init)]
    return layer.get_weights(), out


@exercise
def gru_step_exercise(fn) -> CheckResult:
    """Checker for notebooks/05_rnn_lstm_from_scratch.ipynb, exercise 2.

    ``fn(x, h, kernel, recurrent_kernel, bias)`` must return one step of
    ``keras.layers.GRU(reset_after=True)``: gate order z, r, h̃; bias of shape (2, 3U).
    """
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 3)).astype("float32")
    h0 = rng.normal(size=(2, 5)).astype("float32")
    (kernel, rec, bias), (_, h_ref) = _keras_gru_reference(5, x, h0)
    got, failure = call(fn, x, h0, kernel, rec, bias)
    if failure is not None:
        return failure
    h = np.asarray(got, dtype=float)
    if h.shape != h_ref.shape:
        return hint(f"Return the new state of shape {h_ref.shape} (batch, units).")
    if np.allclose(h, h_ref, atol=1e-5):
        return ok("your GRU step equals keras.layers.GRU(reset_after=True)")
    xz, xr, xh = np.split(x @ kernel + bias[0], 3, axis=-1)
    hz, hr, hh = np.split(h0 @ rec + bias[1], 3, axis=-1)

    def sig(v):
        return 1 / (1 + np.exp(-v))

    z, r = sig(xz + hz), sig(xr + hr)
    cand = np.tanh(xh + r * hh)
    if np.allclose(h, (1 - z) * h0 + z * cand, atol=1e-5):
        return hint("z is Keras' *keep* gate: h = z⊙h_prev + (1 − z)⊙h̃, not the other way round.")
    if np.allclose(h, z * h0 + (1 - z) * np.tanh(xh + hh), atol=1e-5):
        return hint("The reset gate is missing: h̃ = tanh(x W_h + b_h + r ⊙ (h U_h + b'_h)).")
    return hint("bias[0] goes with x W, bias[1] with h U; blocks in the order z, r, h̃.")


def _reference_top_k(logits: np.ndarray, k: int) -> np.ndarray:
    keep = np.argsort(-logits, kind="stable")[:k]
    p = np.zeros_like(logits)
    e = np.exp(logits[keep] - logits[keep].max())
    p[keep] = e / e.sum()
    return p


@exercise
def top_k_exercise(fn) -> CheckResult:
    """Checker for notebooks/06_melody_generation.ipynb, exercise 1.

    ``fn(logits, k)`` must return the probabilities of softmax restricted to the k largest logits
    (zeros elsewhere, summing to 1).
    """
    logits = np.array([2.0, -1.0, 0.5, 3.0, 0.0, 1.0])
    for k in (1, 3, 6):
        got, failure = call(fn, logits.copy(), k)
        if failure is not None:
            return failure
        got = np.asarray(got, dtype=float)
        want = _reference_top_k(logits, k)
        if got.shape != want.shape:
            return hint(f"Return one probability per token: shape {want.shape}.")
        if np.allclose(got, want, atol=1e-9):
            continue
        if np.count_nonzero(got) == k and not np.isclose(got.sum(), 1):
            return hint("Renormalise: the k kept probabilities must sum to 1.")
        smallest = set(np.argsort(logits, kind="stable")[:k].tolist())
        if k < len(logits) and set(np.flatnonzero(got).tolist()) == smallest:
            return hint("You kept the k *smallest* logits; keep the largest.",
                        then="np.argsort(-logits)[:k] gives the indices of the k largest.")
        if np.count_nonzero(got) == len(logits) and k < len(logits):
            return hint(f"With k={k} only {k} token(s) may keep a probability; the others must be exactly 0.",
                        then="keep = np.argsort(-logits)[:k]; softmax logits[keep]; zeros elsewhere.")
        return hint(f"For k={k}, the kept tokens or their probabilities are off.",
                    then=f"Keep the {k} largest logits, softmax them (subtract their max first), zeros elsewhere.")
    return ok("top-k keeps the k most likely tokens and renormalises")


@exercise
def top_p_exercise(fn) -> CheckResult:
    """Checker for notebooks/06_melody_generation.ipynb, exercise 2.

    ``fn(probs, p)`` must return nucleus-filtered probabilities: keep the smallest set of most
    likely tokens whose total probability reaches p, renormalise, zeros elsewhere.
    """
    probs = np.array([0.05, 0.4, 0.1, 0.25, 0.2])
    cases = {0.35: [0, 1, 0, 0, 0], 0.6: [0, 1, 0, 1, 0], 0.7: [0, 1, 0, 1, 1], 1.0: [1, 1, 1, 1, 1]}
    for p, keep in cases.items():
        got, failure = call(fn, probs.copy(), p)
        if failure is not None:
            return failure
        got = np.asarray(got, dtype=float)
        want = np.where(np.array(keep, bool), probs, 0.0)
        want = want / want.sum()
        if got.shape != probs.shape:
            return hint(f"Return one probability per token: shape {probs.shape}.")
        if np.allclose(got, want, atol=1e-9):
            continue
        if np.array_equal(got > 0, np.array(keep, bool)) and not np.isclose(got.sum(), 1):
            return hint("Renormalise the kept probabilities so they sum to 1.")
        if np.count_nonzero(got) == sum(keep) - 1:
            return hint(f"With p={p} you kept one token too few: the token whose probability makes the running total "
                        "reach p belongs to the nucleus.",
                        then="keep a token while the mass *before* it, cumsum − itself, is below p.")
        return hint(f"With p={p} keep {sum(keep)} token(s).",
                    then="Sort descending, keep a token while the mass before it is below p, renormalise, zeros "
                         "elsewhere.")
    return ok("nucleus (top-p) filtering keeps the smallest set reaching p")
