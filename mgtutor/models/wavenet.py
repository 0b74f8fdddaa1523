"""WaveNet's core: a stack of dilated causal convolutions (a convolutional network, not a recurrent one).

Part of mgtutor. See notebook 09 §5 (WaveNet is a dilated causal CNN).

WaveNet (van den Oord et al. 2016) predicts audio sample t from samples < t with *causal* convolutions (the
output at t sees inputs ≤ t only) whose dilation doubles per layer: layer l (l = 0 … L−1) with kernel size k
and dilation d_l = 2^l adds (k − 1) · d_l steps of context, so the receptive field is

    R = 1 + Σ_l (k − 1) · d_l = 1 + (k − 1)(2^L − 1),   which is 2^L for k = 2.

No state is carried from one step to the next: every output is one feed-forward pass over a window of R inputs,
which is why WaveNet trains in parallel over time, unlike an RNN. :func:`dilated_causal_stack` builds a tiny
stack (no gates or skip connections: just the convolutions that set causality and the receptive field);
:func:`input_dependence` measures which inputs an output depends on, by perturbing them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mgtutor.models.numpy_rnn import ModelConfigError
from mgtutor.models.registry import register

__all__ = ["dilated_causal_stack", "receptive_field", "input_dependence", "measured_receptive_field"]


def _positive(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ModelConfigError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def receptive_field(layers: int, kernel_size: int = 2, dilations: Sequence[int] | None = None) -> int:
    """R = 1 + Σ_l (k − 1) · d_l, with d_l = 2^l unless ``dilations`` are given: 2^L for k = 2.

    Raises:
        ModelConfigError: a size that is not a positive integer, or ``dilations`` of another length.
    See: notebook 09 §5.
    """
    layers, kernel_size = _positive("layers", layers), _positive("kernel_size", kernel_size)
    d = [2**i for i in range(layers)] if dilations is None else [_positive("a dilation", x) for x in dilations]
    if len(d) != layers:
        raise ModelConfigError(f"{len(d)} dilations for {layers} layers")
    return 1 + (kernel_size - 1) * sum(d)


@register("dilated_causal_stack")
def dilated_causal_stack(layers: int = 4, channels: int = 8, kernel_size: int = 2, causal: bool = True):
    """A Keras model (batch, time, 1) → (batch, time, 1): ``layers`` Conv1D layers with dilations 1, 2, 4, …,
    ``channels`` filters and tanh, then a 1×1 convolution to one output channel.

    ``causal=False`` pads both sides ("same") instead: the non-causal stack the causality check must reject.
    Raises:
        ModelConfigError: a size that is not a positive integer.
    See: notebook 09 §5.
    """
    layers, channels = _positive("layers", layers), _positive("channels", channels)
    kernel_size = _positive("kernel_size", kernel_size)
    import keras

    x = inputs = keras.Input((None, 1))
    for i in range(layers):
        x = keras.layers.Conv1D(channels, kernel_size, dilation_rate=2**i, padding="causal" if causal else "same",
                                activation="tanh", name=f"dilated_{i}")(x)
    out = keras.layers.Conv1D(1, 1, name="out", dtype="float32")(x)
    return keras.Model(inputs, out, name="dilated_causal_stack" if causal else "dilated_same_stack")


def input_dependence(model, length: int, t: int, seed: int = 0, eps: float = 1.0) -> np.ndarray:
    """Which input steps output step ``t`` depends on: bool (length,), True at s when changing input s changes
    output t.

    One batch of ``length + 1`` signals: a random signal and ``length`` copies, copy s with ``eps`` added at step s;
    output t of copy s differs from the original's exactly when t depends on s (for generic weights: tanh of a
    changed sum is a changed value).
    Raises:
        ModelConfigError: ``t`` outside 0 … length − 1.
    See: notebook 09 §5.
    """
    length = _positive("length", length)
    if not 0 <= t < length:
        raise ModelConfigError(f"t must lie in 0 … {length - 1}, got {t}")
    x = np.random.default_rng(seed).normal(size=(1, length, 1)).astype("float32")
    batch = np.repeat(x, length + 1, axis=0)
    batch[np.arange(1, length + 1), np.arange(length), 0] += eps
    y = np.asarray(model(batch))[:, t, 0]
    return np.abs(y[1:] - y[0]) > 1e-6


def measured_receptive_field(model, layers_hint: int | None = None, length: int | None = None) -> int:
    """The number of input steps the last output of a ``length``-step signal depends on (see
    :func:`input_dependence`); ``length`` defaults to 4 · 2^layers_hint (or 256), long enough for the field.

    See: notebook 09 §5.
    """
    length = length or (4 * 2**layers_hint if layers_hint else 256)
    return int(input_dependence(model, length, length - 1).sum())
