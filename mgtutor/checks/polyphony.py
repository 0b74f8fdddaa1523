"""Exercise checkers for notebook 07 (polyphonic piano rolls).

Each checker calls the learner's function on a fixed random input and compares with a direct NumPy
formula written out here (natural logarithms, sums over keys, counts with explicit loops), then
recognises the usual wrong answers: a mean over keys instead of a sum, log2 instead of ln, a missing
sign, no smoothing, a transposed or swapped table, a missing silent frame before frame 0.
"""

from __future__ import annotations

import numpy as np

from mgtutor.checks import CheckResult, call, exercise, hint, ok

__all__ = ["frame_nll_exercise", "markov_probs_exercise"]


def _frame_nll_cases():
    rng = np.random.default_rng(7)
    probs = rng.uniform(0.02, 0.98, size=(6, 88))
    frames = (rng.random((6, 88)) < 0.1).astype(np.uint8)
    per_frame = np.zeros(6)
    for t in range(6):
        for j in range(88):
            per_frame[t] -= np.log(probs[t, j]) if frames[t, j] else np.log(1 - probs[t, j])
    return probs, frames, per_frame


@exercise
def frame_nll_exercise(fn) -> CheckResult:
    """Checker for notebooks/07_polyphonic_piano_rolls.ipynb, exercise 1.

    ``fn(probs, frames)`` gets probabilities (T, 88) and 0/1 frames (T, 88) and must return the mean frame
    NLL in nats: (1/T) Σ_t −Σ_j [y_tj ln p_tj + (1 − y_tj) ln(1 − p_tj)] — summed over the keys, averaged over
    the frames.
    """
    probs, frames, per_frame = _frame_nll_cases()
    exact = per_frame.mean()
    got, failure = call(fn, probs.copy(), frames.copy())
    if failure is not None:
        return failure
    try:
        got = float(np.asarray(got, dtype=float).reshape(()))
    except (TypeError, ValueError):
        return hint("Return one number: the mean over frames of each frame's NLL (a float, not an array).",
                    then="per_frame = -(y * np.log(p) + (1 - y) * np.log(1 - p)).sum(axis=-1); return per_frame.mean()")
    if np.isclose(got, exact, rtol=1e-6):
        return ok(f"frame NLL = {exact:.3f} nats per frame, summed over the 88 keys")
    on_only = -np.mean([np.log(probs[t][frames[t] == 1]).sum() for t in range(6)])
    wrong = [
        (exact / 88, "That is 88 times too small: you averaged over the keys. A frame's NLL is the *sum* over keys.",
         "Sum over the last axis (keys), then average over frames: (...).sum(axis=-1).mean()."),
        (exact / np.log(2), "That is in bits (log2); the course reports nats (natural log, np.log).", None),
        (-exact, "The sign is flipped: an NLL is minus the log-likelihood, so it is positive.", None),
        (per_frame.sum(), "That is the total over all frames; divide by the number of frames.", None),
        (on_only, "You scored only the keys that sound. A silent key also costs −ln(1 − p).",
         "−Σ_j [y_j ln p_j + (1 − y_j) ln(1 − p_j)]: both terms, for every key."),
    ]
    for value, advice, then in wrong:
        if np.isclose(got, value, rtol=1e-6):
            return hint(advice, then=then)
    return hint("Each key is a Bernoulli variable: it costs −ln p if it sounds and −ln(1 − p) if not.",
                then="np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p)).sum(axis=-1))")


def _markov_reference(rolls, alpha: float, with_start: bool = True, across: bool = False) -> np.ndarray:
    """p[s, j] = (n_j(s → on) + α) / (n_j(s) + 2α), counted with plain loops."""
    keys = rolls[0].shape[1]
    n_on, n = np.zeros((2, keys)), np.zeros((2, keys))
    pieces = [np.concatenate(rolls)] if across else rolls
    for roll in pieces:
        prev_roll = np.concatenate([np.zeros((1, keys), roll.dtype), roll]) if with_start else roll
        now_roll = roll if with_start else roll[1:]
        for prev, now in zip(prev_roll, now_roll, strict=False):
            for j in range(keys):
                n[prev[j], j] += 1
                n_on[prev[j], j] += now[j]
    with np.errstate(invalid="ignore", divide="ignore"):
        return (n_on + alpha) / (n + 2 * alpha)


def _markov_cases():
    rng = np.random.default_rng(3)
    rolls = []
    for length in (9, 14, 6):
        roll = np.zeros((length, 88), np.uint8)
        roll[:, 40:52] = rng.random((length, 12)) < 0.4
        roll[0, 60:64] = 1                       # sounds at frame 0: only the silent start frame sees it come on
        roll[-1, 30] = 1                         # the last frame of a piece: a join across pieces would count it
        rolls.append(roll)
    return rolls


@exercise
def markov_probs_exercise(fn) -> CheckResult:
    """Checker for notebooks/07_polyphonic_piano_rolls.ipynb, exercise 2.

    ``fn(rolls, alpha)`` gets a list of (T, 88) 0/1 rolls and must return the (2, 88) table
    p[s, j] = p_j(on | key j was in state s one frame before) = (n_j(s → on) + α) / (n_j(s) + 2α), counting
    within each piece, with an all-zero frame before each piece's frame 0.
    """
    rolls, alpha = _markov_cases(), 1.0
    exact = _markov_reference(rolls, alpha)
    got, failure = call(fn, [r.copy() for r in rolls], alpha)
    if failure is not None:
        return failure
    got = np.asarray(got, dtype=float)
    if got.shape == (88, 2):
        return hint("Your table is (88, 2); return it as (2, 88): row 0 = from off, row 1 = from on.",
                    then="Transpose it (table.T).")
    if got.shape != (2, 88):
        return hint(f"Return a (2, 88) table (row s = the key's previous state), not shape {got.shape}.")
    if np.allclose(got, exact, atol=1e-9):
        return ok("p_j(on | off) and p_j(on | on) for every key, add-α smoothed, from the silent start")
    ref0 = _markov_reference(rolls, 0.0)
    wrong = [
        (exact[::-1], "Your rows are swapped: row 0 must be p(on | off), row 1 p(on | on).", None),
        (ref0, "No smoothing: a key never seen in a state gets 0/0 or probability 0, and an infinite NLL later.",
         "Add α to the 'on' count and 2α to the state's count: (n_on + α) / (n + 2α)."),
        (_markov_reference(rolls, alpha, with_start=False),
         "Frame 0 of each piece is not counted: it follows an all-zero frame (the same convention as the NLL).",
         "Put a row of zeros before each roll before counting transitions."),
        (_markov_reference(rolls, alpha, across=True),
         "You counted the jump from the end of one piece into the next; count transitions within each piece.",
         None),
    ]
    for value, advice, then in wrong:
        if np.allclose(got, value, atol=1e-9, equal_nan=True):
            return hint(advice, then=then)
    return hint("Count, for every key, how often it was off (on) in the previous frame and how often it then "
                "sounded.", then="p[s, j] = (n_j(s → on) + α) / (n_j(s) + 2α), previous frame of frame 0 = zeros.")
