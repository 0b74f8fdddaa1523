"""The Keras parts of the piano-roll models of notebook 07: two layers and the frame loss.

Part of mgtutor. See notebook 07 (piano rolls). Plain module-level classes, registered for serialisation; this
module imports Keras, so :mod:`mgtutor.models` loads it on first use (``models.NADEFrames``), and the builders of
:mod:`mgtutor.models.pianoroll` import it when they build a model.
"""

from __future__ import annotations

import keras
from keras import ops

from mgtutor.metrics.keras_metrics import frame_nll_ops

__all__ = ["SplitFrames", "NADEFrames", "FrameNLLLoss"]


@keras.saving.register_keras_serializable(package="mgtutor")
class SplitFrames(keras.layers.Layer):
    """(B, L, 2K) = concat([x, y]) → [x, y]: the previous frames and the target frames.

    See: notebook 07 (piano rolls).
    """

    def __init__(self, keys: int, **kwargs):
        super().__init__(**kwargs)
        self.keys = int(keys)

    def call(self, inputs):
        return [inputs[..., :self.keys], inputs[..., self.keys:]]

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape[:-1]) + (self.keys,)
        return [shape, shape]

    def get_config(self):
        return {**super().get_config(), "keys": self.keys}


@keras.saving.register_keras_serializable(package="mgtutor")
class NADEFrames(keras.layers.Layer):
    """The NADE conditionals of every frame, given its biases and (teacher forcing) its own keys.

    Inputs [c, b, y]: hidden biases c (B, L, H), visible biases b (B, L, K), frames y (B, L, K).
    Weights W (K, H) (row i: what key i adds to the hidden layer) and V (K, H). Output (B, L, K):
    a_j = c + Σ_{i<j} y_i W_i  (an exclusive cumulative sum over keys, computed as one batched matrix
                                product with the strictly lower-triangular M, M_ji = 1 for i < j:
                                A = (M ⊙ y) W; no Python loop),
    h_j = σ(a_j),  p_j = σ(b_j + V_j · h_j) = p(y_j = 1 | y_<j, c, b).

    See: notebook 07 (piano rolls).
    """

    def __init__(self, hidden: int, **kwargs):
        super().__init__(**kwargs)
        self.hidden = int(hidden)

    def build(self, input_shape):
        keys = int(input_shape[2][-1])
        self.w = self.add_weight(shape=(keys, self.hidden), initializer="glorot_uniform", name="W")
        self.v = self.add_weight(shape=(keys, self.hidden), initializer="glorot_uniform", name="V")

    def call(self, inputs):
        c, b, y = (ops.cast(t, self.compute_dtype) for t in inputs)
        keys = ops.shape(self.w)[0]
        below = ops.tril(ops.ones((keys, keys), self.compute_dtype), k=-1)  # M_ji = 1 for i < j
        exclusive = ops.matmul(ops.expand_dims(y, -2) * below, self.w)  # (B, L, K, H): Σ_{i<j} y_i W_i
        h = ops.sigmoid(ops.expand_dims(c, -2) + exclusive)
        return ops.sigmoid(b + ops.sum(h * self.v, axis=-1))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[2])

    def get_config(self):
        return {**super().get_config(), "hidden": self.hidden}


@keras.saving.register_keras_serializable(package="mgtutor")
class FrameNLLLoss(keras.losses.Loss):
    """−Σ_j [y_j log p_j + (1 − y_j) log(1 − p_j)] per frame (p clipped to [1e-7, 1 − 1e-7]):
    :func:`mgtutor.metrics.frame_nll_ops`, the formula of the frame NLL metric.

    See: notebook 07 (piano rolls).
    """

    def __init__(self, reduction="mean_with_sample_weight", name="frame_nll", **kwargs):
        super().__init__(reduction=reduction, name=name, **kwargs)

    def call(self, y_true, y_pred):
        return frame_nll_ops(y_true, y_pred)
