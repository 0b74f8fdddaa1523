"""Sampling from a token model: temperature, top-k, top-p, and fast stateful generation.

Part of mgtutor. See notebooks/06_melody_generation.ipynb §3 (sampling) and §4 (stateful
generation).

Two ways to generate with a recurrent model:

* **re-feed** (the TensorFlow text-generation tutorial, :func:`generate_refeed`): at every step run the whole
  window of the last W tokens through ``model.predict`` and keep only the last position's logits —
  O(W) work and a ~50 ms framework call per token;
* **stateful** (:func:`generate_stateful` with a :class:`mgtutor.models.StatefulLSTM`): keep each LSTM
  layer's (h, c) and feed one token per step through :func:`mgtutor.models.lstm_step`, in NumPy, with the
  trained Keras weights — O(1) work per token, thousands of tokens per second, any batch size.

Both draw from the same :func:`sampling_distribution` with :func:`sample_tokens`, so with the
same seed they draw the same tokens. ``python -m mgtutor generate melody`` calls
:func:`mgtutor.tasks.melody.generate_melody`. Importing this module does not import TensorFlow.
"""

from __future__ import annotations

import numpy as np

from mgtutor.errors import GenerationError

__all__ = [
    "GenerationError",
    "softmax",
    "apply_temperature",
    "top_k_logits",
    "top_p_logits",
    "sampling_distribution",
    "sample_tokens",
    "check_length",
    "generate_stateful",
    "generate_refeed",
]


# --------------------------------------------------------------------------- sampling


def softmax(logits: np.ndarray, axis: int = -1) -> np.ndarray:
    """p_i = e^(z_i − max z) / Σ_j e^(z_j − max z); ``−inf`` logits get probability 0.

    See: notebooks/06_melody_generation.ipynb §3.
    """
    z = np.asarray(logits, dtype=np.float64)
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _check_temperature(temperature: float) -> float:
    try:
        t = float(temperature)
    except (TypeError, ValueError):
        raise GenerationError(f"temperature must be a number > 0, got {temperature!r}") from None
    if not np.isfinite(t) or t <= 0:
        raise GenerationError(f"temperature must be > 0 (1 = the model's own distribution), got {temperature!r}")
    return t


def _check_top_k(k: int | None, vocab: int) -> int | None:
    if k is None:
        return None
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise GenerationError(f"top_k must be a positive integer (or None to keep all), got {k!r}")
    return min(int(k), vocab)


def _check_top_p(p: float | None) -> float | None:
    if p is None:
        return None
    try:
        p = float(p)
    except (TypeError, ValueError):
        raise GenerationError(f"top_p must be a number in (0, 1], got {p!r}") from None
    if not 0.0 < p <= 1.0:
        raise GenerationError(f"top_p must be in (0, 1] (1 keeps every token), got {p!r}")
    return p


def apply_temperature(logits: np.ndarray, temperature: float) -> np.ndarray:
    """Divide logits by the temperature T: softmax(z / T) is sharper for T < 1, flatter for T > 1.

    Raises:
        GenerationError: T is not a finite number > 0.
    See: notebooks/06_melody_generation.ipynb §3.
    """
    return np.asarray(logits, dtype=np.float64) / _check_temperature(temperature)


def top_k_logits(logits: np.ndarray, k: int | None) -> np.ndarray:
    """Keep the k largest logits of each row (last axis) and set the others to −inf.

    Ties at the k-th value are broken by token id (lower id kept). ``k=None`` keeps all.

    Raises:
        GenerationError: k is not a positive integer.
    See: notebooks/06_melody_generation.ipynb §3.
    """
    z = np.array(logits, dtype=np.float64)
    k = _check_top_k(k, z.shape[-1])
    if k is None or k >= z.shape[-1]:
        return z
    order = np.argsort(-z, axis=-1, kind="stable")
    drop = order[..., k:]
    np.put_along_axis(z, drop, -np.inf, axis=-1)
    return z


def top_p_logits(logits: np.ndarray, p: float | None) -> np.ndarray:
    """Nucleus filter: keep the smallest set of most likely tokens whose probability sum reaches p.

    Sort the probabilities in decreasing order, π_1 ≥ π_2 ≥ …; keep token j while the mass
    *before* it, Σ_{i<j} π_i, is below p (so the most likely token is always kept); set the
    other logits to −inf. ``p=None`` or ``p=1`` keeps all.

    Raises:
        GenerationError: p is outside (0, 1].
    See: notebooks/06_melody_generation.ipynb §3.
    """
    z = np.array(logits, dtype=np.float64)
    p = _check_top_p(p)
    if p is None or p >= 1.0:
        return z
    probs = softmax(z)
    order = np.argsort(-probs, axis=-1, kind="stable")
    sorted_p = np.take_along_axis(probs, order, axis=-1)
    before = np.cumsum(sorted_p, axis=-1) - sorted_p
    drop_sorted = before >= p
    drop = np.zeros_like(drop_sorted)
    np.put_along_axis(drop, order, drop_sorted, axis=-1)
    z[drop] = -np.inf
    return z


def sampling_distribution(logits: np.ndarray, temperature: float = 1.0, top_k: int | None = None,
                          top_p: float | None = None) -> np.ndarray:
    """The distribution a token is drawn from: softmax(top_p(top_k(z / T))).

    Order: temperature first, then top-k, then top-p on the tempered, top-k-filtered distribution
    (the order Hugging Face's ``generate`` uses).

    Args:
        logits: (V,) or (B, V) unnormalised log-probabilities.
        temperature: T > 0. top_k: keep the k most likely (None = all). top_p: nucleus mass in (0, 1].
    Returns:
        Probabilities of the same shape, float64, rows summing to 1.
    Raises:
        GenerationError: a setting is out of range (the message names it).
    See: notebooks/06_melody_generation.ipynb §3.
    """
    z = apply_temperature(logits, temperature)
    return softmax(top_p_logits(top_k_logits(z, top_k), top_p))


def sample_tokens(logits: np.ndarray, rng: np.random.Generator, temperature: float = 1.0,
                  top_k: int | None = None, top_p: float | None = None, greedy: bool = False) -> np.ndarray:
    """Draw one token per row of ``logits`` (or take the arg-max when ``greedy``).

    Inverse-CDF sampling: draw u ~ U[0, 1) per row and return the first token whose cumulative
    probability exceeds u. One uniform per row, so two generators that see (almost) the same
    probabilities and the same seed draw the same tokens.

    Args:
        logits: (V,) or (B, V). rng: a ``numpy.random.Generator``.
        temperature, top_k, top_p: see :func:`sampling_distribution`. greedy: ignore them and take arg-max.
    Returns:
        int64 array of shape () or (B,).
    Raises:
        GenerationError: a setting is out of range.
    See: notebooks/06_melody_generation.ipynb §3.
    """
    z = np.asarray(logits)
    if greedy:
        return np.argmax(z, axis=-1)
    temperature = _check_temperature(temperature)
    top_k, top_p = _check_top_k(top_k, z.shape[-1]), _check_top_p(top_p)
    flat = z.reshape(-1, z.shape[-1])
    return _draw(flat, rng, temperature, top_k, top_p).reshape(z.shape[:-1])


def _draw(logits: np.ndarray, rng: np.random.Generator, temperature: float, top_k: int | None,
          top_p: float | None) -> np.ndarray:
    """:func:`sample_tokens` for checked settings and (B, V) logits: inverse-CDF draws from the one chain,
    :func:`sampling_distribution`."""
    cdf = np.cumsum(sampling_distribution(logits, temperature, top_k, top_p), axis=-1)
    u = rng.random(cdf.shape[0]) * cdf[:, -1]
    return np.minimum((cdf <= u[:, None]).sum(axis=-1), cdf.shape[-1] - 1)


# --------------------------------------------------------------------------- generation


def _one_blas_thread():
    """A context that runs NumPy's BLAS on one thread (threadpoolctl, when installed).

    One token's matrix-vector products are far too small to share between threads; on a busy
    machine a multi-threaded BLAS spends more time waking threads than multiplying (10× slower).
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn (librosa)
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def check_length(length: int) -> int:
    """``length`` as an int, the number of tokens to generate.

    Raises:
        GenerationError: not a positive integer.
    """
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length <= 0:
        raise GenerationError(f"length must be a positive number of tokens, got {length!r}")
    return int(length)


def _primer_batch(primer, batch: int | None) -> np.ndarray:
    arr = np.asarray(primer, dtype=np.int64)
    if arr.ndim == 1:
        arr = np.tile(arr, (batch or 1, 1))
    if arr.ndim != 2 or arr.shape[1] == 0:
        raise GenerationError(
            f"the primer must be a non-empty list of token ids (or a (B, P) array), got shape {arr.shape}")
    return arr


def generate_stateful(stepper, primer, length: int, seed: int | None = 0,
                      temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None,
                      greedy: bool = False, batch: int | None = None) -> np.ndarray:
    """Generate ``length`` tokens after a primer, one step per token, carrying the LSTM state.

    The primer is read token by token (its last logits give the first new token); then each new
    token is sampled and fed back. All B sequences advance together.

    Args:
        stepper: a NumPy sampler of a next-token model (``step``, ``initial_state``, ``vocab_size``): the one
            registered beside its builder (:func:`mgtutor.models.sampler`), e.g. :class:`mgtutor.models.StatefulLSTM`.
        primer: token ids (P,) — shared by ``batch`` sequences — or (B, P).
        length: number of new tokens (> 0).
        seed: seed of the ``numpy.random.Generator`` that draws the tokens.
        temperature, top_k, top_p, greedy: see :func:`sample_tokens`.
        batch: number of sequences when ``primer`` is 1-D (default 1).
    Returns:
        New token ids, int64 array (B, length).
    Raises:
        GenerationError: length ≤ 0, empty primer, id outside the vocabulary or a bad sampling setting.
    See: notebooks/06_melody_generation.ipynb §4.
    """
    length = check_length(length)
    primer = _primer_batch(primer, batch)
    if primer.min() < 0 or primer.max() >= stepper.vocab_size:
        raise GenerationError(f"primer ids must be in 0…{stepper.vocab_size - 1}; got {primer.min()}…{primer.max()}")
    temperature = _check_temperature(temperature)
    top_k, top_p = _check_top_k(top_k, stepper.vocab_size), _check_top_p(top_p)
    rng = np.random.default_rng(seed)
    out = np.empty((primer.shape[0], length), dtype=np.int64)
    with _one_blas_thread():
        state = stepper.initial_state(primer.shape[0])
        for t in range(primer.shape[1]):
            logits, state = stepper.step(primer[:, t], state)
        for t in range(length):
            out[:, t] = np.argmax(logits, axis=-1) if greedy else _draw(logits, rng, temperature, top_k, top_p)
            if t + 1 < length:
                logits, state = stepper.step(out[:, t], state)
    return out


def generate_refeed(model, primer, length: int, window: int | None = 64, seed: int | None = 0,
                    temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None,
                    greedy: bool = False) -> np.ndarray:
    """Generate the way the TensorFlow text-generation tutorial does: re-read the window each step.

    Each step calls ``model.predict`` on the last ``window`` tokens (all of them when ``None``)
    and samples from the logits at the last position. Same sampling as :func:`generate_stateful`;
    with ``window=None`` it conditions on the same history, so the same seed gives the same tokens.

    Args:
        model: a Keras model mapping ids (B, T) to logits (B, T, V).
        primer: token ids (P,) or (B, P). length: new tokens (> 0). window: tokens re-read per step.
    Returns:
        New token ids, int64 array (B, length).
    Raises:
        GenerationError: a bad length or sampling setting.
    See: notebooks/06_melody_generation.ipynb §4.
    """
    length = check_length(length)
    seq = _primer_batch(primer, None)
    rng = np.random.default_rng(seed)
    for _ in range(length):
        context = (seq if window is None else seq[:, -int(window):]).astype("int32")
        logits = model.predict(context, verbose=0)[:, -1]
        seq = np.concatenate([seq, sample_tokens(logits, rng, temperature, top_k, top_p, greedy)[:, None]], axis=1)
    return seq[:, -length:]
