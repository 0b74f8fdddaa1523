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
    "lstm_step_exercise",
    "gru_step_exercise",
    "top_k_exercise",
    "top_p_exercise",
]


@exercise
def numeric_gradient_exercise(fn) -> CheckResult:
    """Checker for notebooks/05_rnn_lstm_from_scratch.ipynb, exercise 1.

    ``fn(f, x, eps)`` must return the central-difference gradient of the scalar function ``f``
    at the array ``x``: (f(x + ε e_i) − f(x − ε e_i)) / 2ε for every entry i, and leave ``x``
    as it found it. The learner's function gets ``x`` itself (not a copy), so an answer that
    perturbs ``x`` in place and does not restore it is caught.
    """
    x = np.array([[0.3, -1.2], [2.0, 0.5]])
    x_before = x.copy()

    def f(v):
        return float(np.sum(np.sin(v) * v**2))

    exact = np.cos(x_before) * x_before**2 + 2 * x_before * np.sin(x_before)
    got, failure = call(fn, f, x, 1e-5)
    if failure is not None:
        return failure
    if not np.array_equal(x, x_before) and np.allclose(x, x_before, rtol=0, atol=1e-12):
        return hint("x differs from what it was by rounding only: adding ε and then subtracting it does not give "
                    "back the same float. Save the old value and put it back.",
                    then="old = x[idx]; x[idx] = old + ε; …; x[idx] = old − ε; …; x[idx] = old.")
    if not np.array_equal(x, x_before):
        return hint("Your function changed x: leave x as you found it (the caller may still need it).",
                    then="Save old = x[idx], set x[idx] = old + ε, then old − ε, and put x[idx] = old back "
                         "before the next entry; or perturb a copy.")
    got = np.asarray(got, dtype=float)
    if got.shape != x.shape:
        return hint(f"Return one partial derivative per entry of x: shape {x.shape}, not {got.shape}.")
    if np.allclose(got, exact, rtol=1e-6, atol=1e-8):
        return ok("central differences agree with the exact derivative to ~1e-6, and x is unchanged")
    forward = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[idx] = 1e-5
        forward[idx] = (f(x + step) - f(x)) / 1e-5
    if np.allclose(got, forward, rtol=1e-8, atol=1e-10):
        return hint("That is the forward difference (error ~ε); use the central one (error ~ε²).",
                    then="grad[idx] = (f(x + ε e_idx) − f(x − ε e_idx)) / (2ε).")
    if np.allclose(got, 2 * exact, rtol=1e-5) or np.allclose(got, exact / 2, rtol=1e-5):
        return hint("Off by a factor of 2: divide by 2ε, the distance between x+ε and x−ε.")
    return hint("Perturb one entry at a time by ±ε and keep the others fixed.",
                then="for idx in np.ndindex(x.shape): nudge x[idx] up and down by ε, "
                     "grad[idx] = (f(up) − f(down)) / (2ε).")


def _sigmoid(v):
    return 1 / (1 + np.exp(-v))


def _keras_lstm_reference(units: int, x: np.ndarray, h0: np.ndarray, c0: np.ndarray):
    """Weights and one step of ``keras.layers.LSTM`` from the state (h0, c0): ``(weights, h, c)``."""
    import keras

    rng = np.random.default_rng(12)
    layer = keras.layers.LSTM(units, return_state=True)
    init = [h0, c0]
    layer(x[:, None, :], initial_state=init)
    layer.set_weights([rng.normal(scale=0.7, size=w.shape).astype("float32") for w in layer.get_weights()])
    _, h, c = (np.asarray(a) for a in layer(x[:, None, :], initial_state=init))
    return layer.get_weights(), h, c


@exercise
def lstm_step_exercise(fn) -> CheckResult:
    """Checker for notebooks/05_rnn_lstm_from_scratch.ipynb, exercise 2.

    ``fn(x, h, c, kernel, recurrent_kernel, bias)`` must return ``(h_t, c_t)``, one step of
    ``keras.layers.LSTM``: gate order i, f, g, o; c_t = f ⊙ c + i ⊙ g; h_t = o ⊙ tanh(c_t).
    The answer is compared with ``keras.layers.LSTM`` given the same weights and state and with
    :func:`mgtutor.models.lstm_step`; the usual mistakes, the cell-state-free h = o ⊙ g first
    among them, get their own hint.
    """
    from mgtutor.models import lstm_step

    rng = np.random.default_rng(5)
    x = rng.normal(size=(3, 4)).astype("float32")
    h0 = rng.normal(scale=0.8, size=(3, 5)).astype("float32")
    c0 = rng.normal(scale=1.5, size=(3, 5)).astype("float32")
    (kernel, rec, bias), h_ref, c_ref = _keras_lstm_reference(5, x, h0, c0)
    got, failure = call(fn, x, h0.copy(), c0.copy(), kernel, rec, bias)
    if failure is not None:
        return failure
    z = x.astype(float) @ kernel + h0.astype(float) @ rec + bias
    zi, zf, zg, zo = np.split(z, 4, axis=-1)
    i, f, g, o = _sigmoid(zi), _sigmoid(zf), np.tanh(zg), _sigmoid(zo)
    c_new = f * c0 + i * g
    formula = "z = x W + h U + b split into i, f, g, o; c_t = f ⊙ c + i ⊙ g; h_t = o ⊙ tanh(c_t); return (h_t, c_t)."

    def close(a, b):
        return np.shape(a) == np.shape(b) and np.allclose(a, b, atol=1e-5)

    if not (isinstance(got, (tuple, list)) and len(got) == 2):
        if close(np.asarray(got, dtype=float), o * g):
            return hint("You dropped the cell state — the article's mistake: h = o ⊙ g never uses the input "
                        "and forget gates, and nothing carries memory but h.", then=formula)
        return hint(f"Return the pair (h_t, c_t), each of shape {h_ref.shape} (batch, units).", then=formula)
    h, c = (np.asarray(a, dtype=float) for a in got)
    if h.shape != h_ref.shape or c.shape != c_ref.shape:
        return hint(f"Return (h_t, c_t), each of shape {h_ref.shape} (batch, units); got {h.shape} and {c.shape}.")
    h_pkg, c_pkg = lstm_step(x, h0, c0, kernel, rec, bias)
    if close(h, h_ref) and close(c, c_ref) and close(h, h_pkg) and close(c, c_pkg):
        return ok("your LSTM step equals keras.layers.LSTM: h and c")
    if close(h, c_ref) and close(c, h_ref):
        return hint("h and c are swapped: return (h_t, c_t) in that order.")
    if close(h, o * g):
        return hint("You dropped the cell state — the article's mistake: h = o ⊙ g never uses the input and "
                    "forget gates. The LSTM keeps c_t = f ⊙ c_{t−1} + i ⊙ g and outputs o ⊙ tanh(c_t).",
                    then=formula)
    o_swapped, g_swapped = _sigmoid(zg), np.tanh(zo)
    if close(c, f * c0 + i * g_swapped) or close(h, o_swapped * np.tanh(f * c0 + i * g_swapped)):
        return hint("Check the gate order: Keras stores the blocks as i, f, g, o (the candidate g third, the "
                    "output gate o last), not i, f, o, g.", then=formula)
    if close(c, c_ref) and close(h, o * c_new):
        return hint("h_t squashes the cell first: h_t = o ⊙ tanh(c_t), not o ⊙ c_t.")
    if close(c, f * c0 + g):
        return hint("The input gate is missing: the cell adds i ⊙ g, not g (i decides how much of the "
                    "candidate gets written).", then="c_t = f ⊙ c_{t−1} + i ⊙ g.")
    if close(c, f * c0 + i * _sigmoid(zg)):
        return hint("The candidate g uses tanh (values in (−1, 1), so the cell can move both ways); the three "
                    "gates i, f, o use the sigmoid.", then=formula)
    if close(h, h_ref) and not close(c, c_ref):
        return hint("h_t is right but the returned c_t is not: return the new cell state c_t = f ⊙ c + i ⊙ g.")
    return hint("Compare each step with the equations of §4: one product z = x W + h U + b, four blocks of "
                "U columns in the order i, f, g, o.", then=formula)


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
    """Checker for notebooks/05_rnn_lstm_from_scratch.ipynb, exercise 3.

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

    z, r = _sigmoid(xz + hz), _sigmoid(xr + hr)
    cand = np.tanh(xh + r * hh)
    formula = ("z = σ(x W_z + b_z + h U_z + b'_z), r likewise; h̃ = tanh(x W_h + b_h + r ⊙ (h U_h + b'_h)); "
               "h_t = z ⊙ h + (1 − z) ⊙ h̃.")
    if np.allclose(h, (1 - z) * h0 + z * cand, atol=1e-5):
        return hint("z is Keras' *keep* gate: h = z⊙h_prev + (1 − z)⊙h̃, not the other way round.")
    if np.allclose(h, z * h0 + (1 - z) * np.tanh(xh + hh), atol=1e-5):
        return hint("The reset gate is missing: h̃ = tanh(x W_h + b_h + r ⊙ (h U_h + b'_h)).")
    paper = z * h0 + (1 - z) * np.tanh(xh + (r * h0) @ np.split(rec, 3, axis=-1)[2] + bias[1][2 * h.shape[1]:])
    if np.allclose(h, paper, atol=1e-5):
        return hint("That is the paper's form (reset before the product); Keras' default resets after it: "
                    "r ⊙ (h U_h + b'_h).", then=formula)
    return hint("bias[0] goes with x W, bias[1] with h U; blocks in the order z, r, h̃.", then=formula)


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
