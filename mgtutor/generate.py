"""Sampling from a token model: temperature, top-k, top-p, and fast stateful LSTM generation.

Part of mgtutor. See notebooks/06_melody_generation.ipynb §3 (sampling) and §4 (stateful
generation).

Two ways to generate with a recurrent model:

* **re-feed** (the TensorFlow text-generation tutorial): at every step run the whole window of
  the last W tokens through ``model.predict`` and keep only the last position's logits —
  O(W) work and a ~50 ms framework call per token;
* **stateful** (:class:`StatefulLSTM`): keep each LSTM layer's (h, c) and feed one token per
  step through :func:`mgtutor.models.lstm_step`, in NumPy, with the trained Keras weights —
  O(1) work per token, thousands of tokens per second, any batch size.

Both draw from the same :func:`sampling_distribution` with :func:`sample_tokens`, so with the
same seed they draw the same tokens. ``python -m mgtutor generate melody`` calls
:func:`generate_melody`. Importing this module does not import TensorFlow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mgtutor.errors import MgtutorError

__all__ = [
    "GenerationError",
    "softmax",
    "apply_temperature",
    "top_k_logits",
    "top_p_logits",
    "sampling_distribution",
    "sample_tokens",
    "StatefulLSTM",
    "generate_stateful",
    "generate_refeed",
    "parse_primer",
    "GeneratedMelody",
    "generate_melody",
    "write_melody",
]


class GenerationError(MgtutorError, ValueError):
    """A sampling or generation setting is out of range, or a model cannot be generated from."""


def default_lstm_weights(layer) -> list:
    """The weights of a Keras LSTM layer that :func:`mgtutor.models.lstm_step` reproduces: tanh/sigmoid, with
    bias, forwards.

    Raises:
        GenerationError: any other LSTM (the message names the layer).
    """
    cfg = layer.get_config()
    if (cfg.get("activation") != "tanh" or cfg.get("recurrent_activation") != "sigmoid"
            or cfg.get("go_backwards") or not cfg.get("use_bias", True)):
        raise GenerationError(f"layer {layer.name!r}: only the default LSTM (tanh/sigmoid, with bias, forwards) "
                              "can be stepped in NumPy")
    return layer.get_weights()


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


# --------------------------------------------------------------------------- stateful LSTM


class StatefulLSTM:
    """A NumPy copy of an Embedding → LSTM… → Dense model that advances one token at a time.

    For each LSTM layer ℓ it keeps (h^ℓ, c^ℓ) and applies :func:`mgtutor.models.lstm_step` — the
    cell of notebook 05 — to the layer's input: the token's embedding for the first layer, the
    layer below's new h for the others. Dropout is the identity at inference, as in Keras. The
    logits are the top h times the Dense kernel plus its bias.

    Build it with :meth:`from_keras`. ``step`` logits equal the Keras model's logits at the
    same position to ~1e-6 (float32).

    See: notebooks/06_melody_generation.ipynb §4.
    """

    def __init__(self, embedding: np.ndarray, lstm_weights: Sequence[Sequence[np.ndarray]],
                 dense_kernel: np.ndarray, dense_bias: np.ndarray, dtype: str = "float32") -> None:
        from mgtutor.models.numpy_rnn import _lstm_weights

        if not lstm_weights:
            raise GenerationError("the model has no LSTM layer; StatefulLSTM needs Embedding → LSTM… → Dense")
        self.dtype = np.dtype(dtype)
        self.embedding = np.asarray(embedding, self.dtype)
        self.layers = [tuple(np.asarray(w, self.dtype) for w in _lstm_weights(weights)) for weights in lstm_weights]
        inputs = self.embedding.shape[1]
        for index, (kernel, rec, _) in enumerate(self.layers):
            if kernel.shape[0] != inputs:
                raise GenerationError(f"LSTM {index} expects {kernel.shape[0]} inputs, the layer below gives {inputs}")
            inputs = rec.shape[0]
        self.units = [rec.shape[0] for _, rec, _ in self.layers]
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
                lstms.append(default_lstm_weights(layer))
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
        return cls(emb, lstms, dense[0], dense[1])

    def initial_state(self, batch: int = 1) -> list[tuple[np.ndarray, np.ndarray]]:
        """Zero (h, c) for every layer, for ``batch`` sequences at once."""
        return [(np.zeros((batch, u), self.dtype), np.zeros((batch, u), self.dtype)) for u in self.units]

    def step(self, tokens: np.ndarray, state: list[tuple[np.ndarray, np.ndarray]]
             ) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
        """Feed one token per sequence; return the next-token logits (B, V) and the new state.

        x = E[token]; for each layer: (h, c) = lstm_step(x, h, c, W, U, b) and x = h; logits = x W_d + b_d.
        """
        from mgtutor.models import lstm_step

        x = self.embedding[np.asarray(tokens)]
        new_state = []
        for (kernel, rec, bias), (h, c) in zip(self.layers, state, strict=True):
            h, c = lstm_step(x, h, c, kernel, rec, bias)
            new_state.append((h, c))
            x = h
        return x @ self.dense_kernel + self.dense_bias, new_state

    def logits_over(self, tokens: np.ndarray) -> np.ndarray:
        """Logits at every position of token sequences (B, T) → (B, T, V), one step at a time."""
        tokens = np.atleast_2d(np.asarray(tokens))
        state = self.initial_state(tokens.shape[0])
        out = []
        for t in range(tokens.shape[1]):
            logits, state = self.step(tokens[:, t], state)
            out.append(logits)
        return np.stack(out, axis=1)


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


def _check_length(length: int) -> int:
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


def generate_stateful(stepper: StatefulLSTM, primer, length: int, seed: int | None = 0,
                      temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None,
                      greedy: bool = False, batch: int | None = None) -> np.ndarray:
    """Generate ``length`` tokens after a primer, one step per token, carrying the LSTM state.

    The primer is read token by token (its last logits give the first new token); then each new
    token is sampled and fed back. All B sequences advance together.

    Args:
        stepper: a :class:`StatefulLSTM`.
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
    length = _check_length(length)
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
    length = _check_length(length)
    seq = _primer_batch(primer, None)
    rng = np.random.default_rng(seed)
    for _ in range(length):
        context = (seq if window is None else seq[:, -int(window):]).astype("int32")
        logits = model.predict(context, verbose=0)[:, -1]
        seq = np.concatenate([seq, sample_tokens(logits, rng, temperature, top_k, top_p, greedy)[:, None]], axis=1)
    return seq[:, -length:]


# --------------------------------------------------------------------------- CLI


def parse_primer(text: str | None, vocab) -> np.ndarray:
    """Token ids for a primer written as space-separated tokens, e.g. ``"60 _ 62 _"``.

    An empty or missing primer is the ``<start>`` token alone. A leading ``<start>`` is added
    when the text does not begin with it (training sequences are framed that way).

    Raises:
        GenerationError: a token is not in the run's vocabulary (the message names it).
    See: notebooks/06_melody_generation.ipynb §4.
    """
    tokens = (text or "").split()
    unknown = [t for t in tokens if t not in vocab]
    if unknown:
        raise GenerationError(
            f"primer token(s) {unknown[:5]} not in this run's vocabulary ({len(vocab)} tokens: pitches as MIDI "
            "numbers, '_' hold, 'r' rest); e.g. --primer \"60 _ 62 _\""
        )
    if not tokens or tokens[0] != vocab.id_to_token[vocab.start_id]:
        tokens = [vocab.id_to_token[vocab.start_id], *tokens]
    return vocab.encode(tokens)


@dataclass(frozen=True)
class GeneratedMelody:
    """What ``generate melody`` produced: the tokens, the notes and the file written."""

    tokens: list[str]
    notes: list
    path: Path


def generate_melody(run_dir, length: int, out, temperature: float = 1.0, top_k: int | None = None,
                    top_p: float | None = None, primer: str | None = None, seed: int = 0) -> GeneratedMelody:
    """Load a finished melody run, sample a melody with the stateful generator and write it to ``out``.

    The output type follows the suffix (:func:`mgtutor.render.write`): MIDI (``.mid``), MusicXML
    (``.musicxml``) or WAV (``.wav``, the course's NumPy synthesizer). Same run + same arguments ⇒ the
    same file bytes (MIDI, WAV).

    Raises:
        RunDirError: the run directory is missing or unfinished.
        GenerationError, RenderError: a bad length, temperature, top-k, top-p, primer or output suffix.
    See: notebooks/06_melody_generation.ipynb §5.
    """
    from mgtutor.render import check_output
    from mgtutor.tasks import melody

    out = check_output(out)
    _check_length(length)  # before the run is loaded: a bad argument fails at once
    run = melody.load(run_dir)
    ids = parse_primer(primer, run.vocab)
    new = generate_stateful(StatefulLSTM.from_keras(run.model), ids, length, seed=seed, temperature=temperature,
                            top_k=top_k, top_p=top_p)
    tokens = run.vocab.decode([*ids.tolist(), *new[0].tolist()])
    spec = run.config["data"]
    notes = write_melody(tokens, out, steps_per_quarter=spec["steps_per_quarter"], qpm=spec["qpm"])
    return GeneratedMelody(tokens, notes, out)


def write_melody(tokens: Sequence[str], out, steps_per_quarter: int = 4, qpm: float = 100.0) -> list:
    """Decode melody-grid tokens to notes and write them as MIDI, MusicXML or WAV (:func:`mgtutor.render.write`).

    Returns:
        The decoded notes (a hold after a rest is read as a rest).
    Raises:
        GenerationError: the tokens hold no note. RenderError: an unknown suffix.
    See: notebooks/06_melody_generation.ipynb §5.
    """
    from mgtutor.render import check_output, write
    from mgtutor.symbolic import grid_to_melody

    out = check_output(out)
    notes = grid_to_melody(tokens, steps_per_quarter=steps_per_quarter, strict=False)
    if not notes:
        raise GenerationError(f"{out}: the melody has no notes (only rests and holds); try another seed, a higher "
                              "temperature or a primer that starts with a pitch, e.g. \"60 _ 62 _\"")
    write(notes, out, tempo=qpm)
    return notes
