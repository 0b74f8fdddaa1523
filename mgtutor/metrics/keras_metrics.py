"""The likelihood metrics as Keras metrics: token NLL and frame NLL accumulated over an epoch, and the frame NLL
of each frame that the piano-roll loss shares.

Part of mgtutor. Serves notebooks/06_melody_generation.ipynb §2 and notebooks/07_polyphonic_piano_rolls.ipynb §4–§5.
Built by :func:`mgtutor.metrics.keras_metric`; written in ``keras.ops``, so they run on every backend. This module
imports Keras.
"""

from __future__ import annotations

import keras
from keras import ops

__all__ = ["TokenNLL", "FrameNLL", "frame_nll_ops"]


def frame_nll_ops(y_true, y_pred):
    """The frame NLL of each frame: −Σ_j [y_j log p_j + (1 − y_j) log(1 − p_j)] over the last axis, p clipped to
    [1e-7, 1 − 1e-7] — :func:`mgtutor.metrics.frame_nll` before its weighted mean.

    The Keras metric :class:`FrameNLL` and the piano-roll loss (:func:`mgtutor.models.frame_loss`) both compute it.
    See: notebook 07 (frame NLL).
    """
    p = ops.clip(ops.cast(y_pred, "float32"), 1e-7, 1 - 1e-7)
    y = ops.cast(y_true, "float32")
    return -ops.sum(y * ops.log(p) + (1 - y) * ops.log(1 - p), axis=-1)


class _WeightedNLL(keras.metrics.Metric):
    """Σ w·NLL / Σ w over everything seen since the last reset; ``per_step`` is the NLL of each step."""

    def __init__(self, name="nll", **kwargs):
        super().__init__(name=name, **kwargs)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total", dtype="float32")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count", dtype="float32")

    def per_step(self, y_true, y_pred):  # pragma: no cover - defined by subclasses
        raise NotImplementedError

    def update_state(self, y_true, y_pred, sample_weight=None):
        nll = ops.cast(self.per_step(y_true, y_pred), "float32")
        w = ops.ones_like(nll) if sample_weight is None else ops.cast(sample_weight, "float32")
        self.total.assign_add(ops.sum(nll * w))
        self.count.assign_add(ops.sum(w))

    def result(self):
        return self.total / ops.maximum(self.count, 1e-12)

    def reset_state(self):
        self.total.assign(0.0)
        self.count.assign(0.0)


class TokenNLL(_WeightedNLL):
    """Token NLL from logits (:func:`mgtutor.metrics.token_nll`)."""

    def per_step(self, y_true, y_pred):
        return ops.sparse_categorical_crossentropy(ops.cast(y_true, "int32"), ops.cast(y_pred, "float32"),
                                                   from_logits=True)


class FrameNLL(_WeightedNLL):
    """Frame NLL from probabilities, summed over keys (:func:`mgtutor.metrics.frame_nll`)."""

    def per_step(self, y_true, y_pred):
        return frame_nll_ops(y_true, y_pred)
