"""Polyphonic piano-roll models: an LSTM over frames with independent keys, and an RNN-NADE.

Part of mgtutor. See notebook 07 (piano rolls).

A piano roll is a 0/1 array (T, K), K = 88 keys, column j = MIDI pitch j + 21. Both models
read the previous frames y_<t (frame 0 is predicted from an all-zero frame) with an LSTM whose
state after frame t − 1 is s_t, and give a distribution over the next frame y_t ∈ {0, 1}^K:

* :func:`frame_lstm` — keys independent given the past:
  p(y_t | y_<t) = Π_j p_tj^y_tj (1 − p_tj)^(1 − y_tj), p_t = σ(s_t W + b);
* :func:`rnn_nade` — an RNN-NADE (after Boulanger-Lewandowski, Bengio & Vincent, ICML 2012):
  a NADE whose biases are set by s_t models the keys *jointly*,
  p(y_t | y_<t) = Π_j p(y_tj | y_t,<j, y_<t), exactly, with no sampling or approximation.

Both output, for every frame and key, the probability p_tj that key j is down, so the frame's
negative log-likelihood is Σ_j BCE(y_tj, p_tj) for both (:func:`mgtutor.metrics.frame_nll`) and
the same loss (:func:`frame_loss`) and metric (``keras_metric("frame")``) train and score them.
:class:`PianoRollSampler` is a NumPy copy of either model for sampling and for scoring whole
pieces. Importing this module does not import TensorFlow or Keras; building a model does (its Keras layers and loss
are :mod:`mgtutor.models.pianoroll_layers`).

See: notebook 07 (piano rolls).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mgtutor.errors import GenerationError
from mgtutor.models.numpy_rnn import LSTMStack, ModelConfigError, sigmoid
from mgtutor.models.registry import register
from mgtutor.symbolic.pianoroll import PIANO_KEYS

__all__ = ["frame_lstm", "rnn_nade", "frame_loss", "PianoRollSampler"]


def _check_sizes(dropout: float, **sizes: int) -> None:
    for label, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ModelConfigError(f"{label} must be an integer ≥ 1, got {value!r}")
    if not 0.0 <= float(dropout) < 1.0:
        raise ModelConfigError(f"dropout must be in [0, 1), got {dropout!r}")


def frame_loss():
    """The training loss of both piano-roll models: the frame NLL, summed over keys (not averaged).

    ℓ_t = −Σ_j [y_tj log p_tj + (1 − y_tj) log(1 − p_tj)], reduced as Σ_t w_t ℓ_t / Σ_t w_t
    (``reduction="mean_with_sample_weight"``), so the logged loss equals ``keras_metric("frame")``
    and :func:`mgtutor.metrics.frame_nll`. (``keras.losses.BinaryCrossentropy`` *averages* over the
    last axis: it is this loss divided by K, and would log nats per key, not per frame.)

    Returns:
        A ``keras.losses.Loss`` for ``model.compile(loss=...)``.
    See: notebook 07 (piano rolls).
    """
    from mgtutor.models.pianoroll_layers import FrameNLLLoss

    return FrameNLLLoss()


# --------------------------------------------------------------------------- builders


@register("frame_lstm", sampler=lambda model: PianoRollSampler.from_keras(model), cudnn_lstm=True)
def frame_lstm(units: int = 256, layers: int = 1, dropout: float = 0.2, keys: int = PIANO_KEYS,
               name: str = "frame_lstm"):
    """LSTM over the previous frames + sigmoid Dense: keys independent given the past.

    s_t = LSTM(y_0 … y_{t−1}) (the input at t is the frame before, zeros at t = 0);
    p_tj = p(y_tj = 1 | y_<t) = σ(s_t W + b)_j, and the frame's likelihood is the product over keys
    p(y_t | y_<t) = Π_j p_tj^y_tj (1 − p_tj)^(1 − y_tj). Train with :func:`frame_loss` (the sum over
    keys of binary cross-entropy, i.e. the frame NLL) and ``weighted_metrics=[keras_metric("frame")]``.

    Args:
        units: LSTM size U; layers: stacked LSTMs (≥ 1); dropout: rate after each LSTM, in [0, 1).
        keys: frame width K (88 for a piano).
        name: the model's name.
    Returns:
        A built ``keras.Sequential``: previous frames (B, L, K) float32 → probabilities (B, L, K)
        (the Dense output layer computes in float32).
    Raises:
        ModelConfigError: a size is not a positive integer or dropout is outside [0, 1).
    See: notebook 07 (piano rolls).
    """
    _check_sizes(dropout, units=units, layers=layers, keys=keys)
    import keras

    stack = [keras.Input(shape=(None, int(keys)), dtype="float32")]
    for k in range(int(layers)):
        stack.append(keras.layers.LSTM(int(units), return_sequences=True, name=f"lstm_{k}"))
        if dropout > 0:
            stack.append(keras.layers.Dropout(float(dropout), name=f"dropout_{k}"))
    stack.append(keras.layers.Dense(int(keys), activation="sigmoid", name="probs", dtype="float32"))
    return keras.Sequential(stack, name=name)


@register("rnn_nade", sampler=lambda model: PianoRollSampler.from_keras(model), cudnn_lstm=True)
def rnn_nade(units: int = 256, hidden: int = 150, layers: int = 1, dropout: float = 0.3, keys: int = PIANO_KEYS,
             name: str = "rnn_nade"):
    """RNN-NADE: an LSTM over the previous frames sets the biases of a NADE over the keys of the next.

    The frame is factorised exactly by the chain rule over keys (low to high),
    p(y_t | y_<t) = Π_{j=1..K} p(y_tj | y_t,<j, y_<t), and each conditional is a NADE unit:

        a_tj = c_t + Σ_{i<j} y_ti W_i,   h_tj = σ(a_tj),   p_tj = σ(b_tj + V_j · h_tj),

    with W, V ∈ R^(K×H) shared by all frames and the biases set by the LSTM state s_t (which has read
    y_0 … y_{t−1} only): c_t = s_t W_c + c₀ ∈ R^H and b_t = s_t W_b + b₀ ∈ R^K (two Dense layers).
    The sum over i < j is an *exclusive* cumulative sum over keys, computed for all j at once in
    ``keras.ops`` (teacher forcing: the target frame's own keys are given), so training has no loop over
    keys. It is written as a product with the strictly lower-triangular matrix M (M_ji = 1 for i < j),
    A = (M ⊙ y) W: one batched matmul, several times faster on a CPU than ``ops.cumsum`` over a
    (B, L, K, H) tensor. Including i = j would let key j see itself and break the factorisation.

    The difference from the 2012 paper: an LSTM instead of a tanh RNN, and (as in their RNN-NADE) the
    NADE weights W, V are not conditioned on the past, only the biases.

    Because Σ_j BCE(y_tj, p_tj) = −log p(y_t | y_<t), the same :func:`frame_loss` and
    ``keras_metric("frame")`` as :func:`frame_lstm` train and score it, and its frame NLL is exact.

    Args:
        units: LSTM size U; hidden: NADE hidden size H; layers: stacked LSTMs (≥ 1);
        dropout: rate after each LSTM, in [0, 1). keys: frame width K (88 for a piano). name: the model's name.
    Returns:
        A built functional ``keras.Model``: one input (B, L, 2K) = concat([previous frames, target frames],
        axis=-1) → conditionals p_tj = p(y_tj = 1 | y_t,<j, y_<t), float32 (B, L, K). The NADE and its two
        bias layers compute in float32.
    Raises:
        ModelConfigError: a size is not a positive integer or dropout is outside [0, 1).
    See: notebook 07 (piano rolls).
    """
    _check_sizes(dropout, units=units, hidden=hidden, layers=layers, keys=keys)
    import keras

    from mgtutor.models.pianoroll_layers import NADEFrames, SplitFrames

    inputs = keras.Input(shape=(None, 2 * int(keys)), dtype="float32", name="previous_and_target")
    state, target = SplitFrames(int(keys), name="split")(inputs)
    for k in range(int(layers)):
        state = keras.layers.LSTM(int(units), return_sequences=True, name=f"lstm_{k}")(state)
        if dropout > 0:
            state = keras.layers.Dropout(float(dropout), name=f"dropout_{k}")(state)
    c = keras.layers.Dense(int(hidden), name="nade_hidden_bias", dtype="float32")(state)
    b = keras.layers.Dense(int(keys), name="nade_visible_bias", dtype="float32")(state)
    probs = NADEFrames(int(hidden), name="nade", dtype="float32")([c, b, target])
    return keras.Model(inputs, probs, name=name)


# --------------------------------------------------------------------------- NumPy sampler


class PianoRollSampler:
    """A NumPy copy of :func:`frame_lstm` or :func:`rnn_nade` that samples and scores whole pieces.

    Its :class:`~mgtutor.models.numpy_rnn.LSTMStack` keeps each LSTM layer's (h, c) and steps it with
    :func:`mgtutor.models.lstm_step` over the frames generated so far (frame −1 = zeros); dropout is the identity,
    as in Keras at inference. Then:

    * ``frame_lstm``: p_j = σ(s W + b)_j, and the keys are drawn independently;
    * ``rnn_nade``: c = s W_c + c₀, b = s W_b + b₀; for j = 1..K in order, h = σ(a), p_j = σ(b_j + V_j · h),
      draw y_j, then a += y_j W_j (a starts at c): ancestral sampling, key by key, from the exact joint.

    ``temperature`` T divides every logit: p_j = σ(logit_j / T) (T = 1 samples the model).
    Build it with :meth:`from_keras`.

    See: notebook 07 (piano rolls).
    """

    def __init__(self, kind: str, lstm_weights: Sequence[Sequence[np.ndarray]] | LSTMStack,
                 head: dict[str, np.ndarray], dtype: str = "float32") -> None:
        if kind not in ("frame_lstm", "rnn_nade"):
            raise GenerationError(f"kind must be 'frame_lstm' or 'rnn_nade', got {kind!r}")
        self.kind = kind
        self.dtype = np.dtype(dtype)
        self.lstm = lstm_weights if isinstance(lstm_weights, LSTMStack) else LSTMStack(lstm_weights, dtype)
        self.layers, self.units, self.keys = self.lstm.layers, self.lstm.units, self.lstm.inputs
        self.head = {k: np.asarray(v, self.dtype) for k, v in head.items()}
        want = ["kernel", "bias"] if kind == "frame_lstm" else ["c_kernel", "c_bias", "b_kernel", "b_bias", "W", "V"]
        if sorted(self.head) != sorted(want):
            raise GenerationError(f"a {kind} head needs the arrays {want}, got {sorted(self.head)}")

    @classmethod
    def from_keras(cls, model, dtype: str = "float32") -> PianoRollSampler:
        """Read the weights of a model built by :func:`frame_lstm` or :func:`rnn_nade`.

        Raises:
            GenerationError: the model has another layer type or a non-default LSTM (the message names it).
        See: notebook 07 (piano rolls).
        """
        import keras

        from mgtutor.models.pianoroll_layers import NADEFrames, SplitFrames

        lstms, head, kind = [], {}, "frame_lstm"
        for layer in model.layers:
            if isinstance(layer, (keras.layers.InputLayer, keras.layers.Dropout, SplitFrames)):
                continue
            if isinstance(layer, keras.layers.LSTM) and not head:
                lstms.append(layer)
            elif isinstance(layer, keras.layers.Dense) and lstms and layer.name == "probs":
                if layer.get_config().get("activation") != "sigmoid":
                    raise GenerationError(f"layer {layer.name!r}: the output Dense must be sigmoid")
                head["kernel"], head["bias"] = layer.get_weights()
            elif isinstance(layer, keras.layers.Dense) and lstms and layer.name == "nade_hidden_bias":
                head["c_kernel"], head["c_bias"] = layer.get_weights()
            elif isinstance(layer, keras.layers.Dense) and lstms and layer.name == "nade_visible_bias":
                head["b_kernel"], head["b_bias"] = layer.get_weights()
            elif isinstance(layer, NADEFrames):
                head["W"], head["V"] = layer.get_weights()
                kind = "rnn_nade"
            else:
                raise GenerationError(f"layer {layer.name!r} ({type(layer).__name__}) does not fit a piano-roll "
                                      "model; build it with mgtutor.models.frame_lstm or rnn_nade")
        return cls(kind, LSTMStack.from_keras_layers(lstms, dtype), head, dtype=dtype)

    def initial_state(self, batch: int = 1) -> list[tuple[np.ndarray, np.ndarray]]:
        """Zero (h, c) for every LSTM layer, for ``batch`` pieces at once.

        See: notebook 07 (piano rolls).
        """
        return self.lstm.initial_state(batch)

    def step(self, frames: np.ndarray, state: list[tuple[np.ndarray, np.ndarray]]
             ) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
        """Feed one frame per piece (B, K); return the top LSTM state s (B, U) and the new state.

        For each layer: (h, c) = lstm_step(x, h, c, W, U, b) and x = h (gate order i, f, g, o).
        See: notebook 07 (piano rolls).
        """
        return self.lstm.step(np.asarray(frames, self.dtype), state)

    def _states_over(self, roll: np.ndarray) -> np.ndarray:
        """Top LSTM states s_t (B, T, U) having read frames −1 (zeros) … t − 1 of ``roll`` (B, T, K).

        See: notebook 07 (piano rolls).
        """
        state = self.initial_state(roll.shape[0])
        frame = np.zeros((roll.shape[0], self.keys), self.dtype)
        out = []
        for t in range(roll.shape[1]):
            s, state = self.step(frame, state)
            out.append(s)
            frame = roll[:, t]
        return np.stack(out, axis=1)

    def nade_conditionals(self, s: np.ndarray, frames: np.ndarray) -> np.ndarray:
        """p(y_j = 1 | y_<j, s) for every key of ``frames`` (…, K), given LSTM states s (…, U) (rnn_nade only).

        c = s W_c + c₀, b = s W_b + b₀, a_j = c + Σ_{i<j} y_i W_i (exclusive cumulative sum),
        p_j = σ(b_j + V_j · σ(a_j)).

        Raises:
            GenerationError: the sampler copies a frame_lstm.
        See: notebook 07 (piano rolls).
        """
        if self.kind != "rnn_nade":
            raise GenerationError("nade_conditionals needs an rnn_nade model")
        hd = self.head
        y = np.asarray(frames, self.dtype)
        c = s @ hd["c_kernel"] + hd["c_bias"]
        b = s @ hd["b_kernel"] + hd["b_bias"]
        terms = y[..., :, None] * hd["W"]
        inclusive = np.cumsum(terms, axis=-2)
        exclusive = np.concatenate([np.zeros_like(inclusive[..., :1, :]), inclusive[..., :-1, :]], axis=-2)
        h = sigmoid(c[..., None, :] + exclusive)
        return sigmoid(b + (h * hd["V"]).sum(axis=-1))

    def probs_over(self, roll: np.ndarray) -> np.ndarray:
        """The model's probabilities for every frame of a whole piece, without windows.

        ``frame_lstm``: p_tj = p(y_tj = 1 | y_<t); ``rnn_nade``: the conditionals
        p_tj = p(y_tj = 1 | y_t,<j, y_<t) given the roll's own keys. Either way
        ``mgtutor.metrics.frame_nll(probs_over(roll), roll)`` is the piece's exact NLL per frame.

        Args:
            roll: 0/1 frames (T, K), or a batch (B, T, K).
        Returns:
            Probabilities of the same shape, in the sampler's dtype.
        Raises:
            GenerationError: the roll does not have K columns.
        See: notebook 07 (piano rolls).
        """
        roll = np.asarray(roll, self.dtype)
        single = roll.ndim == 2
        batch = roll[None] if single else roll
        if batch.ndim != 3 or batch.shape[-1] != self.keys:
            raise GenerationError(f"roll has shape {roll.shape}, expected (T, {self.keys}) or (B, T, {self.keys})")
        s = self._states_over(batch)
        if self.kind == "frame_lstm":
            probs = sigmoid(s @ self.head["kernel"] + self.head["bias"])
        else:
            probs = self.nade_conditionals(s, batch)
        return probs[0] if single else probs

    def _draw_frame(self, s: np.ndarray, rng: np.random.Generator, temperature: float) -> np.ndarray:
        hd = self.head
        if self.kind == "frame_lstm":
            p = sigmoid((s @ hd["kernel"] + hd["bias"]) / temperature)
            return (rng.random(p.shape) < p).astype(self.dtype)
        a = s @ hd["c_kernel"] + hd["c_bias"]
        b = s @ hd["b_kernel"] + hd["b_bias"]
        frame = np.zeros((s.shape[0], self.keys), self.dtype)
        for j in range(self.keys):
            p = sigmoid((b[:, j] + sigmoid(a) @ hd["V"][j]) / temperature)
            frame[:, j] = rng.random(len(p)) < p
            a = a + frame[:, j:j + 1] * hd["W"][j]
        return frame

    def sample(self, steps: int, rng: np.random.Generator, temperature: float = 1.0,
               batch: int | None = None) -> np.ndarray:
        """Draw a piece frame by frame from the model (frame −1 = zeros).

        Args:
            steps: number of frames T (≥ 1); rng: a ``numpy.random.Generator``.
            temperature: T > 0 dividing every logit (1 = the model's distribution).
            batch: draw this many pieces at once; ``None`` draws one.
        Returns:
            uint8 roll (T, K), or (batch, T, K) when ``batch`` is given.
        Raises:
            GenerationError: steps, batch or temperature out of range.
        See: notebook 07 (piano rolls).
        """
        for label, value in (("steps", steps), ("batch", 1 if batch is None else batch)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise GenerationError(f"{label} must be a positive integer, got {value!r}")
        if not float(temperature) > 0:
            raise GenerationError(f"temperature must be > 0, got {temperature!r}")
        n = 1 if batch is None else int(batch)
        state = self.initial_state(n)
        frame = np.zeros((n, self.keys), self.dtype)
        out = np.zeros((n, int(steps), self.keys), np.uint8)
        for t in range(int(steps)):
            s, state = self.step(frame, state)
            frame = self._draw_frame(s, rng, float(temperature))
            out[:, t] = frame
        return out[0] if batch is None else out
