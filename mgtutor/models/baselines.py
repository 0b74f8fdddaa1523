"""Baselines fitted by counting, in NumPy: what a trained model must beat on the same split.

Part of mgtutor. See notebook 07 (piano-roll baselines).

A NumPy model has ``fit(data)``, ``get_params() -> dict[str, ndarray]`` and ``set_params(params)``;
a run directory saves its parameters as ``params.npz`` and reloads it through the builder registry
(:mod:`mgtutor.runs`), as it does a Keras model's weights.
"""

from __future__ import annotations

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
