"""Baselines fitted by counting, in NumPy: what a trained model must beat on the same split.

Part of mgtutor. See notebook 07 (piano-roll baselines).

A NumPy model has ``fit(data)``, ``get_params() -> dict[str, ndarray]`` and ``set_params(params)``;
a run directory saves its parameters as ``params.npz`` and reloads it through the builder registry
(:mod:`mgtutor.runs`), as it does a Keras model's weights.
"""

from __future__ import annotations

import math

import numpy as np

from mgtutor.models.numpy_rnn import ModelConfigError
from mgtutor.models.registry import register
from mgtutor.symbolic.pianoroll import PIANO_KEYS, check_roll


class BernoulliFrames:
    """Independent Bernoulli keys: every frame is drawn from the same p ∈ (0, 1)^K, ignoring the past.

    Fit (add-α smoothing): p_j = (n_j + α) / (N + 2α), where n_j counts the training frames in which
    key j sounds and N counts all training frames. The frame NLL of a frame y is
    −Σ_j [y_j log p_j + (1 − y_j) log(1 − p_j)] (:func:`mgtutor.metrics.frame_nll`).
    See: notebook 07 (baselines).
    """

    def __init__(self, keys: int = PIANO_KEYS, alpha: float = 1.0) -> None:
        if isinstance(keys, bool) or not isinstance(keys, (int, np.integer)) or keys < 1:
            raise ModelConfigError(f"keys must be a positive integer, got {keys!r}")
        if not alpha > 0:
            raise ModelConfigError(f"alpha must be > 0 (add-alpha smoothing), got {alpha!r}")
        self.keys, self.alpha = int(keys), float(alpha)
        self.p = np.full(self.keys, 0.5)

    def fit(self, rolls) -> BernoulliFrames:
        """Count the keys over every frame of ``rolls`` (a list of (T, K) 0/1 arrays)."""
        frames = np.concatenate([check_roll(r) if self.keys == PIANO_KEYS else np.asarray(r) for r in rolls])
        if frames.ndim != 2 or frames.shape[1] != self.keys:
            raise ModelConfigError(f"frames have shape {frames.shape}, expected (T, {self.keys})")
        self.p = (frames.astype(bool).sum(axis=0) + self.alpha) / (len(frames) + 2 * self.alpha)
        return self

    def probs(self, frames) -> np.ndarray:
        """p_t for every frame (the same vector each time): shape ``frames.shape``."""
        return np.broadcast_to(self.p, np.shape(frames)).copy()

    def sample(self, steps: int, rng: np.random.Generator) -> np.ndarray:
        """``steps`` frames drawn independently: uint8 (steps, K)."""
        return (rng.random((steps, self.keys)) < self.p).astype(np.uint8)

    def get_params(self) -> dict[str, np.ndarray]:
        return {"p": self.p}

    def set_params(self, params: dict[str, np.ndarray]) -> None:
        p = np.asarray(params["p"], float)
        if p.shape != (self.keys,) or not ((p > 0) & (p < 1)).all():
            raise ModelConfigError(f"p has shape {p.shape} or values outside (0, 1); expected ({self.keys},)")
        self.p = p


@register("bernoulli_frames")
def bernoulli_frames(keys: int = PIANO_KEYS, alpha: float = 1.0) -> BernoulliFrames:
    """The independent-Bernoulli frame baseline (:class:`BernoulliFrames`), unfitted."""
    return BernoulliFrames(keys, alpha)


class NGram:
    """An interpolated Witten–Bell n-gram model of token sequences: the baseline a token model must beat.

    Trained on the targets of framed sequences (every token after the first, with the tokens before it as
    history, as a next-token model sees them). With c(h w) the count of token w after history h,
    c(h) = Σ_w c(h w) and T(h) the number of distinct tokens seen after h:

        P_n(w | h) = [c(h w) + T(h) · P_{n−1}(w | h′)] / [c(h) + T(h)],    h′ = h without its oldest token,

    and P_n(w | h) = P_{n−1}(w | h′) for a history never seen. The recursion ends at the unigram
    interpolated with the uniform distribution, P_1(w) = [c(w) + T · 1/V] / [N + T] (N targets, T distinct
    tokens), so every token of the vocabulary has a probability > 0. Near a sequence's start the history is
    shorter (the framing ``<start>`` token is the first history).
    See: notebooks/06_melody_generation.ipynb §2 (baselines).
    """

    def __init__(self, order: int, vocab_size: int) -> None:
        for name, value, low in (("order", order, 1), ("vocab_size", vocab_size, 2)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ModelConfigError(f"{name} must be an integer ≥ {low}, got {value!r}")
        self.order, self.vocab_size = int(order), int(vocab_size)
        self.counts: list[dict[tuple, dict[int, int]]] = [{} for _ in range(self.order)]

    def fit(self, sequences) -> NGram:
        """Count every target (position ≥ 1) with its histories of length 0 … order − 1."""
        for seq in sequences:
            seq = [int(s) for s in seq]
            if any(not 0 <= s < self.vocab_size for s in seq):
                raise ModelConfigError(f"token ids must be in 0…{self.vocab_size - 1}")
            for t in range(1, len(seq)):
                for n in range(min(self.order, t + 1)):
                    table = self.counts[n].setdefault(tuple(seq[t - n:t]), {})
                    table[seq[t]] = table.get(seq[t], 0) + 1
        return self

    def probs(self, history) -> np.ndarray:
        """P(· | history) over the whole vocabulary (V,), summing to 1."""
        history = tuple(int(s) for s in history)[-(self.order - 1):] if self.order > 1 else ()
        unigram = self.counts[0].get((), {})
        total, types = sum(unigram.values()), len(unigram)
        p = np.full(self.vocab_size, types / self.vocab_size if types else 1.0)
        for w, c in unigram.items():
            p[w] += c
        p /= total + types if total else 1.0
        for n in range(1, len(history) + 1):
            table = self.counts[n].get(history[-n:])
            if not table:
                break
            c_h, t_h = sum(table.values()), len(table)
            q = t_h * p
            for w, c in table.items():
                q[w] += c
            p = q / (c_h + t_h)
        return p

    def nll(self, sequences) -> float:
        """Mean negative log-likelihood (nats) per target token over ``sequences`` (targets at positions ≥ 1)."""
        total = count = 0
        for seq in sequences:
            seq = [int(s) for s in seq]
            for t in range(1, len(seq)):
                total -= math.log(self.probs(seq[max(0, t - self.order + 1):t])[seq[t]])
                count += 1
        if count == 0:
            raise ModelConfigError("no targets to score: every sequence is shorter than 2 tokens")
        return total / count
