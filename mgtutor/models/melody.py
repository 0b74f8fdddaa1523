"""The melody model of notebook 06: Embedding + stacked LSTM + Dense logits.

Part of mgtutor. See notebooks/06_melody_generation.ipynb §2.
"""

from __future__ import annotations

import numpy as np

from mgtutor.models.numpy_rnn import ModelConfigError
from mgtutor.models.registry import register


@register("melody_lstm")
def melody_lstm(vocab_size: int, embed_dim: int = 64, units: int = 256, layers: int = 2,
                dropout: float = 0.2, name: str = "melody_lstm"):
    """Embedding + stacked LSTM + Dense next-token model (logits at every position).

    p(token_{t+1} | token_≤t) = softmax(W h_t^(L) + b), where h_t^(L) is the top LSTM's state
    after reading the embeddings of tokens 0..t. Trained with sparse categorical cross-entropy
    from logits on windows shifted by one. The model is a plain ``keras.Sequential`` (fully
    serialisable); :class:`mgtutor.generate.StatefulLSTM` reads its weights for fast generation.

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
