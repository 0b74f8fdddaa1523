"""Likelihood metrics, defined once: token NLL for categorical models, frame NLL for piano rolls.

Part of mgtutor. Serves notebooks/06_melody_generation.ipynb §2 (token NLL, perplexity, the Keras metric) and
notebooks/07_polyphonic_piano_rolls.ipynb §2 (frame NLL) to §5 (the piano-roll models' metric).

* **Token NLL** (nats per real token): −Σ_t w_t log p(y_t | y_<t) / Σ_t w_t, where w_t is 1 on a
  real target and 0 on padding. Perplexity is e^NLL: a uniform model over V tokens has NLL = log V.
* **Frame NLL** (nats per frame, the polyphonic benchmark's metric): for each frame t the model
  gives p_t ∈ (0, 1)^88 and NLL_t = −Σ_j [y_tj log p_tj + (1 − y_tj) log(1 − p_tj)] — a *sum over
  the 88 keys* (Keras' binary cross-entropy is the *mean* over keys, 88× smaller) — averaged over
  real frames: Σ_t w_t NLL_t / Σ_t w_t. Over a split, :func:`frame_nll_pieces` takes the mean over
  all frames of all pieces (each piece's first frame predicted from an all-zero frame), or leaves out
  each piece's first frame as the TCN evaluation does.

The NumPy functions are the references; :func:`keras_metric` returns the same quantities as Keras
metrics that accumulate Σ w·NLL and Σ w over a whole epoch, so ``log.csv``, a notebook and the CLI
report one number; they are plain module-level classes (``TokenNLL``, ``FrameNLL``) in
:mod:`mgtutor.metrics.keras_metrics`, which imports Keras, with ``frame_nll_ops``: the frame NLL in
``keras.ops``, the one formula that the Keras metric and the piano-roll models' loss
(:func:`mgtutor.models.frame_loss`) both compute. Importing this module does not import Keras.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from mgtutor.errors import MetricError

__all__ = ["MetricError", "token_nll", "frame_nll", "frame_nll_pieces", "sequence_nll", "keras_metric"]


def _weights(w, shape) -> np.ndarray:
    w = np.ones(shape, np.float64) if w is None else np.asarray(w, np.float64)
    if w.shape != tuple(shape):
        raise MetricError(f"weights have shape {w.shape}, the targets {tuple(shape)}")
    if w.sum() <= 0:
        raise MetricError("no real targets to score (all weights are zero)")
    return w


def token_nll(logits, targets, weights=None) -> float:
    """Mean NLL per real token (nats) from logits (…, V), integer targets (…) and weights (…).

    NLL_t = log Σ_v e^(z_tv) − z_{t, y_t}; the result is Σ w_t NLL_t / Σ w_t.
    Raises:
        MetricError: shapes that do not fit, or all weights zero.
    See: notebooks/06_melody_generation.ipynb §2.
    """
    z = np.asarray(logits, np.float64)
    y = np.asarray(targets).astype(np.int64)
    if z.shape[:-1] != y.shape:
        raise MetricError(f"logits {z.shape} do not fit targets {y.shape}: expected logits of shape {y.shape} + (V,)")
    w = _weights(weights, y.shape)
    nll = logsumexp(z, axis=-1) - np.take_along_axis(z, y[..., None], axis=-1)[..., 0]
    return float((w * nll).sum() / w.sum())


def frame_nll(probs, frames, weights=None, eps: float = 1e-7) -> float:
    """Mean frame NLL (nats per frame, summed over keys) from probabilities (…, K) and 0/1 frames (…, K).

    Probabilities are clipped to [eps, 1 − eps] (as Keras does) before the logarithms.
    Raises:
        MetricError: shapes that do not match, or all weights zero.
    See: notebook 07 (frame NLL).
    """
    p = np.clip(np.asarray(probs, np.float64), eps, 1 - eps)
    y = np.asarray(frames, np.float64)
    if p.shape != y.shape:
        raise MetricError(f"probabilities {p.shape} and frames {y.shape} differ in shape")
    w = _weights(weights, y.shape[:-1])
    nll = -(y * np.log(p) + (1 - y) * np.log1p(-p)).sum(axis=-1)
    return float((w * nll).sum() / w.sum())




def frame_nll_pieces(probs: list[np.ndarray], rolls: list[np.ndarray], skip_first: bool = False) -> tuple[float, int]:
    """Mean frame NLL over every frame of every piece of a split, and the number of frames scored.

    With p_it the prediction for frame t of piece i (made from frames < t; frame 0 from an all-zero
    frame) and NLL_it = −Σ_j [y_itj log p_itj + (1 − y_itj) log(1 − p_itj)] (natural log, summed over
    the keys; probabilities clipped to [1e-7, 1 − 1e-7] as in :func:`frame_nll`), the result is
    Σ_i Σ_t NLL_it / Σ_i T_i: long pieces weigh more, as in the published tables. ``skip_first=True``
    leaves out t = 0 of each piece (the TCN evaluation's convention): Σ_i Σ_{t≥1} NLL_it / Σ_i (T_i − 1).

    Args:
        probs: one (T_i, K) array of probabilities per piece.
        rolls: the matching (T_i, K) 0/1 piano rolls, in the same order.
        skip_first: leave out each piece's frame 0.
    Returns:
        ``(mean NLL in nats per frame, number of frames scored)``.
    Raises:
        MetricError: different numbers of pieces, a piece whose probabilities and roll differ in shape or
            are not 2-D, or no frame to score.
    See: notebook 07 (piano rolls).
    """
    probs, rolls = list(probs), list(rolls)
    if len(probs) != len(rolls):
        raise MetricError(f"{len(probs)} arrays of probabilities for {len(rolls)} piano rolls; give one per piece")
    total, count = 0.0, 0
    for i, (p, y) in enumerate(zip(probs, rolls, strict=True)):
        p, y = np.asarray(p, np.float64), np.asarray(y, np.float64)
        if p.ndim != 2 or p.shape != y.shape:
            raise MetricError(f"piece {i}: probabilities {p.shape} and roll {y.shape} must both be (T, K)")
        if skip_first:
            p, y = p[1:], y[1:]
        if len(y):
            total += frame_nll(p, y) * len(y)
            count += len(y)
    if count == 0:
        raise MetricError("no frame to score: no pieces, or only empty pieces"
                          + (" (or one-frame pieces with skip_first=True)" if skip_first else ""))
    return total / count, count


def sequence_nll(model, x: np.ndarray, y: np.ndarray, w: np.ndarray, batch_size: int = 256) -> float:
    """:func:`token_nll` of a Keras model that maps ids (B, L) to logits (B, L, V), over windows ``(x, y, w)``.

    Runs the model batch by batch and accumulates Σ w·NLL and Σ w, so the result is exact for any batch size.
    See: notebooks/06_melody_generation.ipynb §2.
    """
    total = count = 0.0
    for a in range(0, len(x), batch_size):
        wb = np.asarray(w[a:a + batch_size], np.float64)
        if wb.sum() == 0:
            continue
        logits = np.asarray(model(x[a:a + batch_size], training=False))
        total += token_nll(logits, y[a:a + batch_size], wb) * wb.sum()
        count += wb.sum()
    if count == 0:
        raise MetricError("no real tokens to score (all weights are zero)")
    return total / count


def keras_metric(kind: str, name: str = "nll"):
    """A Keras metric computing :func:`token_nll` (``kind="token"``, from logits) or :func:`frame_nll`
    (``kind="frame"``, from probabilities) over everything it has seen since its last reset.

    Pass it in ``compile(weighted_metrics=[...])`` so it receives the sample weights; ``fit`` then
    logs ``nll`` and ``val_nll`` with the exact token- (or frame-) weighted mean of the epoch.
    Written in ``keras.ops``: it runs on every backend.
    See: notebooks/06_melody_generation.ipynb §2.
    """
    if kind not in ("token", "frame"):
        raise MetricError(f"kind must be 'token' or 'frame', got {kind!r}")
    from mgtutor.metrics.keras_metrics import FrameNLL, TokenNLL

    return (TokenNLL if kind == "token" else FrameNLL)(name=name)
