"""Recurrent cells from scratch, in NumPy: the equations of notebook 05, written once.

Part of mgtutor. A vanilla RNN with backpropagation through time, and LSTM and GRU steps that
reproduce ``keras.layers.LSTM`` / ``keras.layers.GRU`` exactly when given the Keras layer's
weights. The same :func:`lstm_step`, stacked in :class:`LSTMStack`, is the fast stateful generator of
notebook 06 (:class:`mgtutor.models.StatefulLSTM`) and the piano-roll sampler of notebook 07
(:class:`mgtutor.models.PianoRollSampler`).

Keras weight layout (Keras 3, the shapes ``layer.get_weights()`` returns):

* LSTM: ``kernel`` (D, 4U), ``recurrent_kernel`` (U, 4U), ``bias`` (4U,); the four column
  blocks are the gates in the order **i, f, g (candidate, "c" in Keras' code), o**.
* GRU: ``kernel`` (D, 3U), ``recurrent_kernel`` (U, 3U); blocks in the order
  **z (update), r (reset), h̃ (candidate)**. With ``reset_after=True`` (the Keras default,
  and cuDNN's convention) ``bias`` has shape (2, 3U): row 0 is added to ``x W``, row 1 to
  ``h U``, and the reset gate multiplies ``h U_h + b_h`` *after* the matrix product. With
  ``reset_after=False`` ``bias`` is (3U,) and the reset gate multiplies ``h`` *before* it.
  Keras' new state is ``h = z ⊙ h_prev + (1 − z) ⊙ h̃`` (z is the "keep" gate).

Importing this module does not import TensorFlow or Keras.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from mgtutor.errors import GenerationError, MgtutorError

__all__ = [
    "ModelConfigError",
    "RNNGrads",
    "sigmoid",
    "rnn_forward",
    "rnn_backward",
    "lstm_step",
    "lstm_forward",
    "default_lstm_weights",
    "LSTMStack",
    "gru_step",
    "gru_forward",
]


class ModelConfigError(MgtutorError, ValueError):
    """A model size or weight array has a shape or value the builder cannot use."""


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function σ(x) = 1 / (1 + e^(−x)), computed without overflow warnings.

    See: notebooks/05_rnn_lstm_from_scratch.ipynb §4.
    """
    x = np.asarray(x)
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _check_2d(name: str, a: np.ndarray, rows: int | None, cols: int | None) -> np.ndarray:
    a = np.asarray(a)
    if a.ndim != 2 or (rows is not None and a.shape[0] != rows) or (cols is not None and a.shape[1] != cols):
        want = f"({rows if rows is not None else '?'}, {cols if cols is not None else '?'})"
        raise ModelConfigError(f"{name} has shape {a.shape}, expected {want}; pass the layer's get_weights()")
    return a


# --------------------------------------------------------------------------- vanilla RNN


def rnn_forward(x: np.ndarray, w_xh: np.ndarray, w_hh: np.ndarray, b: np.ndarray,
                h0: np.ndarray | None = None) -> np.ndarray:
    """Run a tanh RNN over a batch of sequences: h_t = tanh(x_t W_xh + h_{t−1} W_hh + b).

    The same convention as ``keras.layers.SimpleRNN`` (row vectors times matrices), so its
    ``get_weights()`` = ``[w_xh, w_hh, b]`` plug in directly.

    Args:
        x: inputs, shape (B, T, D).
        w_xh: input weights (D, H); w_hh: recurrent weights (H, H); b: bias (H,).
        h0: initial state (B, H); zeros when ``None``.
    Returns:
        All states ``hs`` of shape (B, T + 1, H); ``hs[:, 0]`` is h0, ``hs[:, t + 1]`` is h_t.
    Raises:
        ModelConfigError: the shapes do not fit together.
    See: notebooks/05_rnn_lstm_from_scratch.ipynb §1.
    """
    x = np.asarray(x)
    if x.ndim != 3:
        raise ModelConfigError(f"x has shape {x.shape}, expected (batch, time, features)")
    bsz, steps, dim = x.shape
    w_xh = _check_2d("w_xh", w_xh, dim, None)
    units = w_xh.shape[1]
    w_hh = _check_2d("w_hh", w_hh, units, units)
    hs = np.zeros((bsz, steps + 1, units), dtype=np.result_type(x, w_xh))
    if h0 is not None:
        hs[:, 0] = h0
    for t in range(steps):
        hs[:, t + 1] = np.tanh(x[:, t] @ w_xh + hs[:, t] @ w_hh + b)
    return hs


class RNNGrads(NamedTuple):
    """Gradients of a loss with respect to a tanh RNN's parameters and inputs."""

    w_xh: np.ndarray
    w_hh: np.ndarray
    b: np.ndarray
    x: np.ndarray
    h0: np.ndarray


def rnn_backward(x: np.ndarray, hs: np.ndarray, w_xh: np.ndarray, w_hh: np.ndarray,
                 dhs: np.ndarray) -> RNNGrads:
    """Backpropagation through time for :func:`rnn_forward`.

    With a_t = x_t W_xh + h_{t−1} W_hh + b and h_t = tanh(a_t), going backwards from t = T:
    δ_t = (∂L/∂h_t + δ_{t+1}-path) ⊙ (1 − h_t²), then ∂L/∂W_xh += x_tᵀ δ_t,
    ∂L/∂W_hh += h_{t−1}ᵀ δ_t, ∂L/∂b += Σ δ_t, and the gradient reaching h_{t−1} is δ_t W_hhᵀ.

    Args:
        x: the inputs (B, T, D) given to :func:`rnn_forward`; hs: its output (B, T + 1, H).
        w_xh, w_hh: the weights used.
        dhs: ∂L/∂h_t for t = 1..T, shape (B, T, H) (zeros where the loss does not look).
    Returns:
        :class:`RNNGrads` with arrays shaped like the parameters, the inputs and h0.
    See: notebooks/05_rnn_lstm_from_scratch.ipynb §1.
    """
    x, hs, dhs = np.asarray(x), np.asarray(hs), np.asarray(dhs)
    steps = x.shape[1]
    if hs.shape[1] != steps + 1 or dhs.shape[:2] != x.shape[:2]:
        raise ModelConfigError(
            f"shapes do not fit: x {x.shape}, hs {hs.shape} (needs T + 1 steps), dhs {dhs.shape} (needs T)"
        )
    g_xh, g_hh = np.zeros_like(w_xh, dtype=float), np.zeros_like(w_hh, dtype=float)
    g_b, g_x = np.zeros(w_hh.shape[0]), np.zeros(x.shape)
    carry = np.zeros(hs[:, 0].shape)
    for t in reversed(range(steps)):
        delta = (dhs[:, t] + carry) * (1.0 - hs[:, t + 1] ** 2)
        g_xh += x[:, t].T @ delta
        g_hh += hs[:, t].T @ delta
        g_b += delta.sum(axis=0)
        g_x[:, t] = delta @ w_xh.T
        carry = delta @ w_hh.T
    return RNNGrads(g_xh, g_hh, g_b, g_x, carry)


# --------------------------------------------------------------------------- LSTM


def lstm_step(x_t: np.ndarray, h: np.ndarray, c: np.ndarray, kernel: np.ndarray,
              recurrent_kernel: np.ndarray, bias: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One LSTM step with Keras' weights and gate order (i, f, g, o).

    z = x_t W + h_{t−1} U + b, split into four blocks of U columns;
    i = σ(z_i), f = σ(z_f), g = tanh(z_g), o = σ(z_o);
    c_t = f ⊙ c_{t−1} + i ⊙ g;  h_t = o ⊙ tanh(c_t).

    Args:
        x_t: inputs (B, D).
        h, c: previous hidden and cell state (B, U).
        kernel: (D, 4U); recurrent_kernel: (U, 4U); bias: (4U,).
    Returns:
        (h_t, c_t), each (B, U).
    See: notebooks/05_rnn_lstm_from_scratch.ipynb §4.
    """
    z = x_t @ kernel + h @ recurrent_kernel + bias
    i, f, g, o = np.split(z, 4, axis=-1)
    c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
    return sigmoid(o) * np.tanh(c), c


def _lstm_weights(weights) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if len(weights) != 3:
        raise ModelConfigError(
            f"an LSTM layer has 3 weight arrays (kernel, recurrent_kernel, bias), got {len(weights)}"
        )
    kernel, rec, bias = (np.asarray(w) for w in weights)
    units = rec.shape[0]
    _check_2d("recurrent_kernel", rec, units, 4 * units)
    _check_2d("kernel", kernel, None, 4 * units)
    if bias.shape != (4 * units,):
        raise ModelConfigError(f"bias has shape {bias.shape}, expected ({4 * units},)")
    return kernel, rec, bias


def lstm_forward(x: np.ndarray, weights, h0: np.ndarray | None = None,
                 c0: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run :func:`lstm_step` over a batch of sequences (what ``keras.layers.LSTM`` computes).

    Args:
        x: inputs (B, T, D).
        weights: ``[kernel, recurrent_kernel, bias]`` as from ``layer.get_weights()``.
        h0, c0: initial states (B, U); zeros when ``None``.
    Returns:
        (hs, h_T, c_T): all hidden states (B, T, U) (``return_sequences=True``) and the final states.
    Raises:
        ModelConfigError: the weights are not an LSTM layer's or do not fit ``x``.
    See: notebooks/05_rnn_lstm_from_scratch.ipynb §4.
    """
    kernel, rec, bias = _lstm_weights(weights)
    x = np.asarray(x)
    if x.ndim != 3 or x.shape[-1] != kernel.shape[0]:
        raise ModelConfigError(f"x has shape {x.shape}, expected (batch, time, {kernel.shape[0]})")
    units = rec.shape[0]
    h = np.zeros((x.shape[0], units), x.dtype) if h0 is None else np.asarray(h0)
    c = np.zeros_like(h) if c0 is None else np.asarray(c0)
    hs = []
    for t in range(x.shape[1]):
        h, c = lstm_step(x[:, t], h, c, kernel, rec, bias)
        hs.append(h)
    return np.stack(hs, axis=1), h, c


def default_lstm_weights(layer) -> list:
    """The weights of a Keras LSTM layer that :func:`lstm_step` reproduces: tanh/sigmoid, with bias, forwards.

    Raises:
        GenerationError: any other LSTM (the message names the layer).
    """
    cfg = layer.get_config()
    if (cfg.get("activation") != "tanh" or cfg.get("recurrent_activation") != "sigmoid"
            or cfg.get("go_backwards") or not cfg.get("use_bias", True)):
        raise GenerationError(f"layer {layer.name!r}: only the default LSTM (tanh/sigmoid, with bias, forwards) "
                              "can be stepped in NumPy")
    return layer.get_weights()


class LSTMStack:
    """Stacked LSTM layers in NumPy that advance one input at a time, carrying each layer's (h, c).

    Layer ℓ reads the layer below's new h (the first reads the input x): (h^ℓ, c^ℓ) = lstm_step(x, h^ℓ, c^ℓ,
    W^ℓ, U^ℓ, b^ℓ), x = h^ℓ. Dropout between layers is the identity, as in Keras at inference. What the melody
    generator (:class:`mgtutor.models.StatefulLSTM`) and the piano-roll sampler
    (:class:`mgtutor.models.PianoRollSampler`) share; build it from a model's layers with
    :meth:`from_keras_layers`.

    Args:
        weights: ``[kernel, recurrent_kernel, bias]`` of each layer, bottom first.
        dtype: the dtype every array and state is kept in.
    Raises:
        GenerationError: no layer, or a layer whose input size is not the size of the layer below.
        ModelConfigError: weights that are not an LSTM layer's.
    See: notebooks/06_melody_generation.ipynb §4.
    """

    def __init__(self, weights: Sequence[Sequence[np.ndarray]], dtype: str = "float32") -> None:
        if not weights:
            raise GenerationError("the model has no LSTM layer")
        self.dtype = np.dtype(dtype)
        self.layers = [tuple(np.asarray(w, self.dtype) for w in _lstm_weights(ws)) for ws in weights]
        self.inputs = self.layers[0][0].shape[0]
        for index in range(1, len(self.layers)):
            wanted, given = self.layers[index][0].shape[0], self.layers[index - 1][1].shape[0]
            if wanted != given:
                raise GenerationError(f"LSTM {index} expects {wanted} inputs, the layer below gives {given}")
        self.units = [rec.shape[0] for _, rec, _ in self.layers]

    @classmethod
    def from_keras_layers(cls, layers, dtype: str = "float32") -> LSTMStack:
        """The stack of these Keras LSTM layers, bottom first (:func:`default_lstm_weights` of each).

        Raises:
            GenerationError: no layer, or a layer that is not a default LSTM (the message names it).
        """
        return cls([default_lstm_weights(layer) for layer in layers], dtype)

    def initial_state(self, batch: int = 1) -> list[tuple[np.ndarray, np.ndarray]]:
        """Zero (h, c) for every layer, for ``batch`` sequences at once."""
        return [(np.zeros((batch, u), self.dtype), np.zeros((batch, u), self.dtype)) for u in self.units]

    def step(self, x: np.ndarray, state: list[tuple[np.ndarray, np.ndarray]]
             ) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
        """Feed one input per sequence (B, D); return the top layer's new h (B, U) and the new state.

        For each layer: (h, c) = lstm_step(x, h, c, W, U, b) and x = h (gate order i, f, g, o).
        """
        new_state = []
        for (kernel, rec, bias), (h, c) in zip(self.layers, state, strict=True):
            h, c = lstm_step(x, h, c, kernel, rec, bias)
            new_state.append((h, c))
            x = h
        return x, new_state


# --------------------------------------------------------------------------- GRU


def gru_step(x_t: np.ndarray, h: np.ndarray, kernel: np.ndarray, recurrent_kernel: np.ndarray,
             bias: np.ndarray, reset_after: bool = True) -> np.ndarray:
    """One GRU step with Keras' weights and gate order (z, r, h̃).

    z = σ(x W_z + h U_z + b_z), r = σ(x W_r + h U_r + b_r) and, with ``reset_after=True``
    (Keras' default), h̃ = tanh(x W_h + b_h^x + r ⊙ (h U_h + b_h^h)); with
    ``reset_after=False``, h̃ = tanh(x W_h + (r ⊙ h) U_h + b_h). Then
    h_t = z ⊙ h_{t−1} + (1 − z) ⊙ h̃.

    Args:
        x_t: inputs (B, D); h: previous state (B, U).
        kernel (D, 3U), recurrent_kernel (U, 3U), bias: (2, 3U) if ``reset_after`` else (3U,).
        reset_after: where the reset gate is applied (see above).
    Returns:
        h_t, shape (B, U).
    Raises:
        ModelConfigError: ``bias`` does not have the shape ``reset_after`` implies.
    See: notebooks/05_rnn_lstm_from_scratch.ipynb §6.
    """
    units = recurrent_kernel.shape[0]
    bias = np.asarray(bias)
    want = (2, 3 * units) if reset_after else (3 * units,)
    if bias.shape != want:
        raise ModelConfigError(
            f"GRU bias has shape {bias.shape}, expected {want} for reset_after={reset_after}; "
            "check the layer's reset_after setting"
        )
    b_x, b_h = (bias[0], bias[1]) if reset_after else (bias, np.zeros_like(bias))
    xz, xr, xh = np.split(x_t @ kernel + b_x, 3, axis=-1)
    u_z, u_r, u_h = np.split(recurrent_kernel, 3, axis=-1)
    bz, br, bh = np.split(b_h, 3)
    z = sigmoid(xz + h @ u_z + bz)
    r = sigmoid(xr + h @ u_r + br)
    cand = np.tanh(xh + r * (h @ u_h + bh)) if reset_after else np.tanh(xh + (r * h) @ u_h)
    return z * h + (1.0 - z) * cand


def gru_forward(x: np.ndarray, weights, h0: np.ndarray | None = None,
                reset_after: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Run :func:`gru_step` over a batch of sequences (what ``keras.layers.GRU`` computes).

    Args:
        x: inputs (B, T, D); weights: ``[kernel, recurrent_kernel, bias]``; h0: (B, U) or ``None``.
        reset_after: must match the Keras layer's setting.
    Returns:
        (hs, h_T): all states (B, T, U) and the final one.
    See: notebooks/05_rnn_lstm_from_scratch.ipynb §6.
    """
    if len(weights) != 3:
        raise ModelConfigError(f"a GRU layer has 3 weight arrays, got {len(weights)}")
    kernel, rec, bias = (np.asarray(w) for w in weights)
    x = np.asarray(x)
    if x.ndim != 3 or x.shape[-1] != kernel.shape[0]:
        raise ModelConfigError(f"x has shape {x.shape}, expected (batch, time, {kernel.shape[0]})")
    h = np.zeros((x.shape[0], rec.shape[0]), x.dtype) if h0 is None else np.asarray(h0)
    hs = []
    for t in range(x.shape[1]):
        h = gru_step(x[:, t], h, kernel, rec, bias, reset_after)
        hs.append(h)
    return np.stack(hs, axis=1), h
