"""The melody model of notebook 06: Embedding + stacked LSTM + Dense logits, and its NumPy copy.

Part of mgtutor. See notebooks/06_melody_generation.ipynb §2 (the model) and §4 (:class:`StatefulLSTM`, one
token at a time).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mgtutor.errors import GenerationError
from mgtutor.models.numpy_rnn import LSTMStack, ModelConfigError
from mgtutor.models.registry import register

__all__ = ["melody_lstm", "StatefulLSTM"]


@register("melody_lstm", sampler=lambda model: StatefulLSTM.from_keras(model), cudnn_lstm=True)
def melody_lstm(vocab_size: int, embed_dim: int = 64, units: int = 256, layers: int = 2,
                dropout: float = 0.2, name: str = "melody_lstm"):
    """Embedding + stacked LSTM + Dense next-token model (logits at every position).

    p(token_{t+1} | token_≤t) = softmax(W h_t^(L) + b), where h_t^(L) is the top LSTM's state
    after reading the embeddings of tokens 0..t. Trained with sparse categorical cross-entropy
    from logits on windows shifted by one. The model is a plain ``keras.Sequential`` (fully
    serialisable); :class:`StatefulLSTM` reads its weights for fast generation.

    Args:
        vocab_size: number of tokens V (≥ 2).
        embed_dim: embedding size E; units: LSTM size U; layers: number of stacked LSTMs (≥ 1).
        dropout: dropout rate between layers, in [0, 1).
        name: the model's name.
    Returns:
        A built ``keras.Sequential`` taking int token ids (B, T) and returning float32 logits (B, T, V).
    Raises:
        ModelConfigError: a size is not a positive integer or dropout is outside [0, 1).
    See: notebooks/06_melody_generation.ipynb §2.
    """
    for label, value, low in (("vocab_size", vocab_size, 2), ("embed_dim", embed_dim, 1),
                              ("units", units, 1), ("layers", layers, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ModelConfigError(f"{label} must be an integer ≥ {low}, got {value!r}")
    if not 0.0 <= float(dropout) < 1.0:
        raise ModelConfigError(f"dropout must be in [0, 1), got {dropout!r}")
    import keras

    stack = [keras.Input(shape=(None,), dtype="int32"), keras.layers.Embedding(int(vocab_size), int(embed_dim))]
    for k in range(int(layers)):
        stack.append(keras.layers.LSTM(int(units), return_sequences=True, name=f"lstm_{k}"))
        if dropout > 0:
            stack.append(keras.layers.Dropout(float(dropout), name=f"dropout_{k}"))
    stack.append(keras.layers.Dense(int(vocab_size), name="logits", dtype="float32"))
    return keras.Sequential(stack, name=name)


class StatefulLSTM:
    """A NumPy copy of an Embedding → LSTM… → Dense model that advances one token at a time.

    Its :class:`~mgtutor.models.numpy_rnn.LSTMStack` keeps each LSTM layer's (h^ℓ, c^ℓ) and applies
    :func:`mgtutor.models.lstm_step` — the cell of notebook 05 — to the layer's input: the token's embedding for
    the first layer, the layer below's new h for the others. Dropout is the identity at inference, as in Keras.
    The logits are the top h times the Dense kernel plus its bias.

    Build it with :meth:`from_keras`. ``step`` logits equal the Keras model's logits at the
    same position to ~1e-6 (float32). :func:`mgtutor.sampling.generate_stateful` samples with it.

    Args:
        embedding: (V, E); lstm_weights: each LSTM layer's ``[kernel, recurrent_kernel, bias]``, bottom first, or
            an :class:`~mgtutor.models.numpy_rnn.LSTMStack`; dense_kernel: (U, V); dense_bias: (V,).
    See: notebooks/06_melody_generation.ipynb §4.
    """

    def __init__(self, embedding: np.ndarray, lstm_weights: Sequence[Sequence[np.ndarray]] | LSTMStack,
                 dense_kernel: np.ndarray, dense_bias: np.ndarray, dtype: str = "float32") -> None:
        if not isinstance(lstm_weights, LSTMStack) and not lstm_weights:
            raise GenerationError("the model has no LSTM layer; StatefulLSTM needs Embedding → LSTM… → Dense")
        self.dtype = np.dtype(dtype)
        self.embedding = np.asarray(embedding, self.dtype)
        self.lstm = lstm_weights if isinstance(lstm_weights, LSTMStack) else LSTMStack(lstm_weights, dtype)
        if self.lstm.inputs != self.embedding.shape[1]:
            raise GenerationError(f"LSTM 0 expects {self.lstm.inputs} inputs, the layer below gives "
                                  f"{self.embedding.shape[1]}")
        self.layers, self.units = self.lstm.layers, self.lstm.units
        self.dense_kernel = np.asarray(dense_kernel, self.dtype)
        self.dense_bias = np.asarray(dense_bias, self.dtype)
        self.vocab_size = self.dense_kernel.shape[1]

    @classmethod
    def from_keras(cls, model) -> StatefulLSTM:
        """Read the weights of a Keras Embedding → (LSTM, Dropout)… → Dense model.

        Raises:
            GenerationError: the model has another layer type, a non-default LSTM activation, or
                an LSTM that is bidirectional/go_backwards (the message names the layer).
        """
        import keras

        emb, lstms, dense = None, [], None
        for layer in model.layers:
            if isinstance(layer, keras.layers.Embedding) and emb is None and not lstms:
                emb = layer.get_weights()[0]
            elif isinstance(layer, keras.layers.LSTM) and emb is not None and dense is None:
                lstms.append(layer)
            elif isinstance(layer, keras.layers.Dropout):
                continue
            elif isinstance(layer, keras.layers.Dense) and lstms and dense is None:
                if layer.get_config().get("activation") != "linear":
                    raise GenerationError(f"layer {layer.name!r}: the output Dense must give logits (no activation)")
                dense = layer.get_weights()
            else:
                raise GenerationError(
                    f"layer {layer.name!r} ({type(layer).__name__}) does not fit Embedding → LSTM… → Dense; "
                    "build the model with mgtutor.models.melody_lstm"
                )
        if emb is None or dense is None:
            raise GenerationError("the model needs an Embedding first and a Dense (logits) last")
        return cls(emb, LSTMStack.from_keras_layers(lstms), dense[0], dense[1])

    def initial_state(self, batch: int = 1) -> list[tuple[np.ndarray, np.ndarray]]:
        """Zero (h, c) for every layer, for ``batch`` sequences at once."""
        return self.lstm.initial_state(batch)

    def step(self, tokens: np.ndarray, state: list[tuple[np.ndarray, np.ndarray]]
             ) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
        """Feed one token per sequence; return the next-token logits (B, V) and the new state.

        x = E[token]; for each layer: (h, c) = lstm_step(x, h, c, W, U, b) and x = h; logits = x W_d + b_d.
        """
        top, state = self.lstm.step(self.embedding[np.asarray(tokens)], state)
        return top @ self.dense_kernel + self.dense_bias, state

    def logits_over(self, tokens: np.ndarray) -> np.ndarray:
        """Logits at every position of token sequences (B, T) → (B, T, V), one step at a time."""
        tokens = np.atleast_2d(np.asarray(tokens))
        state = self.initial_state(tokens.shape[0])
        out = []
        for t in range(tokens.shape[1]):
            logits, state = self.step(tokens[:, t], state)
            out.append(logits)
        return np.stack(out, axis=1)
