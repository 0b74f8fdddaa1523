"""Likelihood metrics, defined once: token NLL for categorical models, frame NLL for piano rolls.

Part of mgtutor. See notebooks/06_melody_generation.ipynb §2 (token NLL, perplexity) and
notebook 07 (frame NLL).

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
:mod:`mgtutor.metrics.keras_metrics`, which imports Keras and is loaded on first use (PEP 562
:func:`__getattr__`). Importing this module does not import Keras.

The last part holds the GAN metrics of notebook 09 (music and audio GANs): statistics of one-bar piano
rolls (empty bars, pitch classes, qualified notes, polyphony, in-scale notes, distance to the nearest
training bar), the Fréchet distance between two feature sets, and pitch accuracy by ``librosa.pyin``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from mgtutor.errors import MgtutorError

__all__ = ["MetricError", "token_nll", "frame_nll", "frame_nll_pieces", "sequence_nll", "keras_metric",
           "roll_notes", "empty_bar_rate", "used_pitch_classes", "qualified_note_ratio", "bar_polyphony",
           "in_scale_ratio", "nearest_bar_distance", "bar_metrics", "frechet_distance_gaussians",
           "frechet_distance", "estimate_note_pitch", "pitch_accuracy", "SCALES"]


class MetricError(MgtutorError, ValueError):
    """Arrays a metric cannot score (shapes that do not match, nothing to score)."""


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


# ---- GAN toy benchmarks (notebook 08)
# Mode collapse on the 2-D ring and grid (mgtutor.data.toy2d), measured as the unrolled-GAN, VEEGAN and PacGAN
# papers do: 2,500 samples; a mode is covered when ≥ 20 samples lie within 3σ of its mean; a sample is
# high-quality when it lies within 3σ of some mean.

__all__ += ["TOY_SAMPLES", "TOY_MIN_COUNT", "mode_counts", "modes_covered", "high_quality_rate", "toy_gan_scores"]

TOY_SAMPLES = 2500
"""Samples drawn to score a GAN on a 2-D benchmark."""
TOY_MIN_COUNT = 20
"""Samples within 3σ of a mean for that mode to count as covered."""


def _toy_points(samples, means) -> tuple[np.ndarray, np.ndarray]:
    x, m = np.asarray(samples, np.float64), np.asarray(means, np.float64)
    if x.ndim != 2 or m.ndim != 2 or x.shape[1] != m.shape[1] or len(m) == 0:
        raise MetricError(f"need samples (n, d) and means (K, d) of one d, got {x.shape} and {m.shape}")
    if len(x) == 0 or not np.all(np.isfinite(x)):
        raise MetricError("no samples to score, or samples that are not finite")
    return x, m


def mode_counts(samples, means, sigma: float) -> np.ndarray:
    """How many samples lie within 3σ of each mean (Euclidean distance ≤ 3σ): int array (K,).

    See: notebook 08 §4.
    """
    x, m = _toy_points(samples, means)
    if not sigma > 0:
        raise MetricError(f"sigma must be > 0, got {sigma!r}")
    near = np.linalg.norm(x[:, None, :] - m[None, :, :], axis=-1) <= 3 * sigma
    return near.sum(axis=0)


def modes_covered(samples, means, sigma: float, min_count: int = TOY_MIN_COUNT) -> int:
    """The number of modes with at least ``min_count`` samples within 3σ of their mean.

    See: notebook 08 §4.
    """
    return int((mode_counts(samples, means, sigma) >= min_count).sum())


def high_quality_rate(samples, means, sigma: float) -> float:
    """The fraction of samples within 3σ of some mean.

    See: notebook 08 §4.
    """
    x, m = _toy_points(samples, means)
    if not sigma > 0:
        raise MetricError(f"sigma must be > 0, got {sigma!r}")
    nearest = np.min(np.linalg.norm(x[:, None, :] - m[None, :, :], axis=-1), axis=1)
    return float(np.mean(nearest <= 3 * sigma))


def toy_gan_scores(samples, means, sigma: float) -> dict:
    """``{"modes": covered, "of": K, "high_quality": rate, "samples": n}`` for samples of a 2-D benchmark.

    Raises:
        MetricError: shapes that do not match, no samples, or σ ≤ 0.
    See: notebook 08 §4.
    """
    return {"modes": modes_covered(samples, means, sigma), "of": len(np.asarray(means)),
            "high_quality": high_quality_rate(samples, means, sigma), "samples": len(np.asarray(samples))}


# ---- music and audio GAN metrics (notebook 09)
#
# A batch of one-bar piano rolls is an array (N, T, K) of 0/1: N bars, T time steps (16 sixteenths for a bar of
# 4/4), K keys; column j is MIDI pitch ``lowest + j``. A *note* is a maximal run of consecutive on-steps of one
# key inside one bar (a roll does not mark re-struck notes, so two repeated quarter notes read as one half note).


def _bars(rolls, what: str = "rolls") -> np.ndarray:
    x = np.asarray(rolls)
    if x.ndim == 2:
        x = x[None]
    if x.ndim != 3 or 0 in x.shape:
        raise MetricError(f"{what}: expected one bar (T, K) or bars (N, T, K) with every size ≥ 1, got shape {x.shape}")
    if x.dtype != bool and not np.isin(x, (0, 1)).all():
        raise MetricError(f"{what}: a piano roll holds only 0/1 (or booleans); threshold the generator's output first")
    return x.astype(bool)


def roll_notes(bar) -> list[tuple[int, int, int]]:
    """The notes of one bar (T, K) as ``(key column, first step, length in steps)``, ordered by key then step.

    A note is a maximal run of on-steps in one column (a run that reaches the bar's end is cut there).
    See: notebook 09 §2 (bar metrics).
    """
    x = _bars(bar, "bar")
    if len(x) != 1:
        raise MetricError(f"roll_notes takes one bar (T, K), got {len(x)} bars")
    x = x[0].astype(np.int8)
    padded = np.concatenate([np.zeros((1, x.shape[1]), np.int8), x, np.zeros((1, x.shape[1]), np.int8)])
    d = np.diff(padded, axis=0)
    notes = []
    for k in range(x.shape[1]):
        starts, ends = np.flatnonzero(d[:, k] == 1), np.flatnonzero(d[:, k] == -1)
        notes += [(k, int(a), int(b - a)) for a, b in zip(starts, ends, strict=True)]
    return notes


def empty_bar_rate(rolls) -> float:
    """EB: the share of bars in which no key is on, (1/N) Σ_n [bar n is all zero]  (MuseGAN, Dong et al. 2018).

    See: notebook 09 §2 (bar metrics).
    """
    x = _bars(rolls)
    return float(np.mean(~x.any(axis=(1, 2))))


def _pitch_class_steps(x: np.ndarray, lowest: int) -> np.ndarray:
    """(N, 12): on-steps of each pitch class in each bar (each key folded onto (lowest + j) mod 12)."""
    per_key = x.sum(axis=1)  # (N, K)
    classes = (lowest + np.arange(x.shape[2])) % 12
    out = np.zeros((x.shape[0], 12), np.int64)
    np.add.at(out.T, classes, per_key.T)
    return out


def used_pitch_classes(rolls, lowest: int = 21) -> float:
    """UPC: the number of distinct pitch classes sounding in a bar (0…12), averaged over all bars (an empty bar
    counts 0).

    Args:
        rolls: (N, T, K) or (T, K) 0/1.
        lowest: the MIDI pitch of column 0 (21 for an 88-key roll).
    See: notebook 09 §2 (bar metrics).
    """
    x = _bars(rolls)
    return float(np.mean((_pitch_class_steps(x, lowest) > 0).sum(axis=1)))


def qualified_note_ratio(rolls, min_steps: int = 3) -> float:
    """QN: the share of notes (runs, see :func:`roll_notes`) lasting at least ``min_steps`` steps.

    MuseGAN counts notes of ≥ 3 of *its* time steps (24 per beat: a thirty-second note); on the sixteenth grid
    used here ``min_steps=3`` is a dotted eighth, ``min_steps=2`` an eighth. Short fragments are what a GAN
    thresholded at 0.5 tends to produce, and few chorale notes are shorter than an eighth.

    Raises:
        MetricError: no note in any bar (nothing to count), or ``min_steps`` < 1.
    See: notebook 09 §2 (bar metrics).
    """
    x = _bars(rolls)
    if isinstance(min_steps, bool) or not isinstance(min_steps, (int, np.integer)) or min_steps < 1:
        raise MetricError(f"min_steps must be an integer ≥ 1, got {min_steps!r}")
    lengths = np.array([n[2] for bar in x for n in roll_notes(bar)])
    if lengths.size == 0:
        raise MetricError("no note in any bar: the qualified-note ratio is undefined")
    return float(np.mean(lengths >= min_steps))


def bar_polyphony(rolls) -> float:
    """The mean number of keys on at once, over the time steps where at least one key is on.

    P = Σ_{n,t} |{k : x_ntk = 1}| / |{(n, t) : some x_ntk = 1}|; a four-part chorale gives about 4 (fewer
    when voices meet on one key), a melody exactly 1.
    Raises:
        MetricError: every step of every bar is silent.
    See: notebook 09 §2 (bar metrics).
    """
    x = _bars(rolls)
    counts = x.sum(axis=2)
    if not (counts > 0).any():
        raise MetricError("every time step is silent: polyphony is undefined")
    return float(counts.sum() / (counts > 0).sum())


_MAJOR_STEPS = (0, 2, 4, 5, 7, 9, 11)
_HARMONIC_MINOR_STEPS = (0, 2, 3, 5, 7, 8, 11)
SCALES: dict[str, frozenset[int]] = {
    **{f"{t} major": frozenset((i + s) % 12 for s in _MAJOR_STEPS) for i, t in enumerate(
        ("C", "C#", "D", "E-", "E", "F", "F#", "G", "A-", "A", "B-", "B"))},
    **{f"{t} harmonic minor": frozenset((i + s) % 12 for s in _HARMONIC_MINOR_STEPS) for i, t in enumerate(
        ("C", "C#", "D", "E-", "E", "F", "F#", "G", "A-", "A", "B-", "B"))},
}
"""The 24 candidate scales of :func:`in_scale_ratio` as pitch-class sets: the 12 major scales (each natural minor
has its relative major's notes) and the 12 harmonic minor scales (the raised leading tone of minor-key chorales)."""


def in_scale_ratio(rolls, lowest: int = 21, scale: str | None = None) -> float:
    """The share of on-steps whose pitch class lies in the bar's best-fitting scale (duration-weighted).

    For each non-empty bar, the scale S among :data:`SCALES` that holds the most on-steps is chosen (or the
    given ``scale`` for every bar); the result pools all bars: Σ_n in_S(n) / Σ_n on(n). (C-RNN-GAN's "scale
    consistency", Mogren 2016, with the best scale chosen per bar.)

    Raises:
        MetricError: an unknown ``scale``, or no on-step in any bar.
    See: notebook 09 §2 (bar metrics).
    """
    x = _bars(rolls)
    if scale is not None and scale not in SCALES:
        raise MetricError(f"unknown scale {scale!r}; use one of {', '.join(SCALES)}")
    pcs = _pitch_class_steps(x, lowest)  # (N, 12)
    total = pcs.sum()
    if total == 0:
        raise MetricError("no on-step in any bar: the in-scale ratio is undefined")
    masks = np.array([[c in SCALES[name] for c in range(12)] for name in ([scale] if scale else SCALES)])
    inside = pcs @ masks.T.astype(np.int64)  # (N, scales)
    return float(inside.max(axis=1).sum() / total)


def nearest_bar_distance(generated, training, chunk: int = 1024) -> np.ndarray:
    """Each generated bar's Hamming distance to its nearest training bar: d_n = min_m Σ_{t,k} |g_ntk − r_mtk|.

    0 means the bar is an exact copy of a training bar (memorisation). With 0/1 vectors,
    |a − b|₁ = |a| + |b| − 2 a·b, computed as one matrix product per chunk of generated bars.

    Args:
        generated: (N, T, K) 0/1 bars.
        training: (M, T, K) 0/1 bars of the same T and K.
        chunk: generated bars per matrix product (memory only; the result does not depend on it).
    Returns:
        int64 array (N,).
    Raises:
        MetricError: bars of different shapes.
    See: notebook 09 §2 (bar metrics).
    """
    g, r = _bars(generated, "generated"), _bars(training, "training")
    if g.shape[1:] != r.shape[1:]:
        raise MetricError(f"generated bars {g.shape[1:]} and training bars {r.shape[1:]} differ in shape")
    gf = g.reshape(len(g), -1).astype(np.float32)
    rf = r.reshape(len(r), -1).astype(np.float32)
    r_norm = rf.sum(axis=1)
    out = np.empty(len(g), np.int64)
    for a in range(0, len(g), chunk):
        block = gf[a:a + chunk]
        d = block.sum(axis=1)[:, None] + r_norm[None, :] - 2.0 * (block @ rf.T)
        out[a:a + chunk] = np.rint(d.min(axis=1)).astype(np.int64)  # exact: integers below 2^24
    return out


def bar_metrics(rolls, lowest: int = 21, min_steps: int = 3, training=None) -> dict:
    """Every bar statistic of notebook 09 in one dict (a metric that is undefined for ``rolls`` is ``None``):
    ``empty_bar_rate``, ``used_pitch_classes``, ``qualified_note_ratio``, ``polyphony``, ``in_scale_ratio`` and,
    given ``training`` bars, ``nearest_distance_mean``, ``nearest_distance_min`` and ``copies`` (bars at
    distance 0).

    See: notebook 09 §2 (bar metrics).
    """
    x = _bars(rolls)

    def defined(fn, *args):
        try:
            return fn(x, *args)
        except MetricError:
            return None

    out = {"bars": len(x), "empty_bar_rate": empty_bar_rate(x), "used_pitch_classes": used_pitch_classes(x, lowest),
           "qualified_note_ratio": defined(qualified_note_ratio, min_steps), "polyphony": defined(bar_polyphony),
           "in_scale_ratio": defined(in_scale_ratio, lowest)}
    if training is not None:
        d = nearest_bar_distance(x, training)
        out.update(nearest_distance_mean=float(d.mean()), nearest_distance_min=int(d.min()),
                   copies=int((d == 0).sum()))
    return out


def _sqrtm_trace_product(s1: np.ndarray, s2: np.ndarray) -> float:
    """tr((Σ1 Σ2)^½) for symmetric positive semi-definite Σ1, Σ2.

    Σ1Σ2 is similar to A = Σ1^½ Σ2 Σ1^½ (symmetric PSD), so its eigenvalues are A's, all ≥ 0, and the trace of
    its principal square root is Σ_i √λ_i(A). Two symmetric eigendecompositions: no complex round-off to drop.
    """
    w, v = np.linalg.eigh(s1)
    root = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    lam = np.linalg.eigvalsh(root @ s2 @ root)
    return float(np.sqrt(np.clip(lam, 0, None)).sum())


def frechet_distance_gaussians(mu1, sigma1, mu2, sigma2) -> float:
    """The Fréchet (2-Wasserstein²) distance between N(μ1, Σ1) and N(μ2, Σ2):

        FD = ‖μ1 − μ2‖² + tr(Σ1 + Σ2 − 2 (Σ1 Σ2)^½)

    (Dowson & Landau 1982; the FID of Heusel et al. 2017 applies it to network features).
    Raises:
        MetricError: shapes that do not fit, or a covariance that is not symmetric.
    See: notebook 09 §4 (Fréchet distance).
    """
    m1, m2 = np.atleast_1d(np.asarray(mu1, np.float64)), np.atleast_1d(np.asarray(mu2, np.float64))
    s1, s2 = np.atleast_2d(np.asarray(sigma1, np.float64)), np.atleast_2d(np.asarray(sigma2, np.float64))
    d = m1.shape[0]
    if m1.shape != (d,) or m2.shape != (d,) or s1.shape != (d, d) or s2.shape != (d, d):
        raise MetricError(f"means {m1.shape}, {m2.shape} and covariances {s1.shape}, {s2.shape} do not fit one "
                          "dimension d: want (d,) and (d, d)")
    for s in (s1, s2):
        if not np.allclose(s, s.T, rtol=1e-6, atol=1e-9 * max(1.0, float(np.abs(s).max()))):
            raise MetricError("a covariance matrix is not symmetric")
    fd = float(((m1 - m2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * _sqrtm_trace_product(s1, s2))
    return max(fd, 0.0)


def frechet_distance(features1, features2) -> float:
    """:func:`frechet_distance_gaussians` of the Gaussians fitted to two feature sets (rows are samples): the
    sample means and the unbiased sample covariances (``np.cov``, ddof = 1).

    The estimate is biased upwards for small sets, so compare only numbers made with the same n and feature size
    (notebook 09 reports the floor: two disjoint real sets of the same n).
    Raises:
        MetricError: not 2-D, different feature sizes, or fewer than 2 rows.
    See: notebook 09 §4 (Fréchet distance).
    """
    a, b = np.asarray(features1, np.float64), np.asarray(features2, np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1] or min(len(a), len(b)) < 2:
        raise MetricError(f"feature sets {a.shape} and {b.shape}: need two 2-D arrays (n, d) with the same d and "
                          "n ≥ 2")
    return frechet_distance_gaussians(a.mean(0), np.cov(a, rowvar=False).reshape(a.shape[1], -1),
                                      b.mean(0), np.cov(b, rowvar=False).reshape(b.shape[1], -1))


def estimate_note_pitch(y, sr: int, fmin: float = 50.0, fmax: float = 2000.0, frame_length: int = 1024) -> float:
    """The median f0 of a one-shot note, as a (fractional) MIDI pitch, by ``librosa.pyin`` over its voiced
    frames; NaN when pyin finds no voiced frame (silence, noise).

    Raises:
        MetricError: not a 1-D signal, or a bad frequency range.
    See: notebook 09 §3 (pitch accuracy).
    """
    import librosa

    y = np.asarray(y, np.float64)
    if y.ndim != 1 or y.size < frame_length:
        raise MetricError(f"expected a 1-D signal of ≥ frame_length={frame_length} samples, got shape {y.shape}")
    if not 0 < fmin < fmax < sr / 2:
        raise MetricError(f"need 0 < fmin < fmax < sr/2, got fmin={fmin}, fmax={fmax}, sr={sr}")
    if not np.isfinite(y).all() or not np.abs(y).max() > 0:
        return float("nan")
    f0, voiced, _ = librosa.pyin(y, fmin=fmin, fmax=fmax, sr=sr, frame_length=frame_length)
    f0 = f0[voiced & np.isfinite(f0)]
    if f0.size == 0:
        return float("nan")
    return float(69 + 12 * np.log2(np.median(f0) / 440.0))


def pitch_accuracy(audio, pitches, sr: int, cents: float = 50.0, fmin: float | None = None,
                   fmax: float | None = None) -> tuple[float, np.ndarray]:
    """The share of notes whose estimated pitch (:func:`estimate_note_pitch`) lies within ±``cents`` of the asked
    MIDI pitch: |100 · (p̂ − p)| ≤ cents. A note with no voiced frame counts as wrong.

    Args:
        audio: (N, samples) one-shot notes.
        pitches: (N,) the MIDI pitches they should have.
        sr: sample rate.
        cents: the tolerance (50 = a quarter tone each way: the nearest semitone is right).
        fmin, fmax: pyin's search range (default: an octave beyond the lowest and highest asked pitch, so a note
            an octave off is found, and counted wrong).
    Returns:
        (accuracy in [0, 1], the estimated pitches (N,), NaN where unvoiced).
    Raises:
        MetricError: shapes that do not fit, or no note.
    See: notebook 09 §3 (pitch accuracy).
    """
    x = np.asarray(audio)
    p = np.asarray(pitches, np.float64)
    if x.ndim != 2 or p.shape != (len(x),) or len(x) == 0:
        raise MetricError(f"audio {x.shape} and pitches {p.shape}: need (N, samples) and (N,) with N ≥ 1")
    fmin = 440.0 * 2 ** ((p.min() - 12 - 69) / 12) if fmin is None else fmin
    fmax = 440.0 * 2 ** ((p.max() + 12 - 69) / 12) if fmax is None else fmax
    est = np.array([estimate_note_pitch(y, sr, fmin, fmax) for y in x])
    ok = np.abs(100 * (est - p)) <= cents  # NaN compares False
    return float(ok.mean()), est


# ---- objective music metrics (notebook 11)
# Features of one piece after Yang & Lerch (2018), "On the evaluation of generative models in music" (the mgeval
# toolbox), per-set statistics, and the intra-/inter-set distance distributions with their KDE, overlap area and
# KL divergence. See: notebooks/11_evaluating_generated_music.ipynb §1–§2.
#
# A piece is a list of :class:`mgtutor.symbolic.Note` (times in quarter notes): a melody from
# ``symbolic.grid_to_melody(tokens)``, a piano roll from ``symbolic.piano_roll_to_notes(roll, steps_per_quarter)``.
# Counts and histograms use every note. The sequential features (pitch-class transitions, the average pitch interval,
# note-length transitions) follow one line: the piece's skyline (:func:`mgtutor.symbolic.skyline`), which for a melody
# is the melody itself. A piece with no notes has zero counts, zero histograms and zero averages.

from dataclasses import dataclass  # noqa: E402

from scipy.integrate import trapezoid  # noqa: E402

__all__ += [
    "NOTE_LENGTH_CLASSES", "MGEVAL_FEATURES", "MUSIC_FEATURES", "pitch_count", "pitch_class_histogram",
    "pitch_class_transition_matrix",
    "pitch_range", "average_pitch_interval", "note_count", "average_ioi", "note_length_class",
    "note_length_histogram", "note_length_transition_matrix", "polyphony", "scale_consistency", "empty_beat_rate",
    "piece_features", "set_features", "set_statistics", "feature_distance", "intra_set_distances",
    "inter_set_distances", "GaussianKDE", "overlap_area", "kl_divergence", "SetComparison", "compare_sets",
    "format_comparison", "comparison_pivot",
]

NOTE_LENGTH_CLASSES: tuple[tuple[str, float], ...] = (
    ("whole", 4.0), ("half", 2.0), ("quarter", 1.0), ("eighth", 0.5), ("sixteenth", 0.25),
    ("dotted half", 3.0), ("dotted quarter", 1.5), ("dotted eighth", 0.75), ("dotted sixteenth", 0.375),
    ("half triplet", 4 / 3), ("quarter triplet", 2 / 3), ("eighth triplet", 1 / 3),
)
"""mgeval's twelve note-length classes, in quarter notes (a whole note = 4 beats); the order of the histogram bins."""
_LENGTHS = np.array([beats for _, beats in NOTE_LENGTH_CLASSES])


def _note_list(notes) -> list:
    from mgtutor.symbolic import Note, sort_notes

    notes = list(notes)
    bad = next((n for n in notes if not isinstance(n, Note)), None)
    if bad is not None:
        raise MetricError(f"expected a list of mgtutor.symbolic.Note, got an item of type {type(bad).__name__}; "
                          "decode tokens with symbolic.grid_to_melody or rolls with symbolic.piano_roll_to_notes")
    return sort_notes(notes)


def _line(notes) -> list:
    from mgtutor.symbolic import skyline

    return skyline(_note_list(notes))


def pitch_count(notes) -> int:
    """PC: the number of distinct MIDI pitches used.

    See: notebooks/11_evaluating_generated_music.ipynb §1.
    """
    return len({n.pitch for n in _note_list(notes)})


def pitch_class_histogram(notes) -> np.ndarray:
    """PCH: h[c] = (number of notes with pitch mod 12 = c) / (number of notes), c = 0 (C) … 11 (B); zeros if empty.

    Each note counts once, whatever its length (mgeval's convention; compare
    :func:`mgtutor.symbolic.pitch_class_histogram`, weighted by duration).
    See: notebooks/11_evaluating_generated_music.ipynb §1.
    """
    h = np.zeros(12)
    for n in _note_list(notes):
        h[n.pitch % 12] += 1
    return h / max(h.sum(), 1)


def pitch_class_transition_matrix(notes) -> np.ndarray:
    """PCTM: M[a, b] = share of consecutive note pairs of the line whose pitch classes go a → b (12×12, sums to 1).

    The line is the skyline (the melody itself for a monophonic piece); zeros for fewer than two notes.
    See: notebooks/11_evaluating_generated_music.ipynb §1.
    """
    m = np.zeros((12, 12))
    line = _line(notes)
    for a, b in zip(line, line[1:], strict=False):
        m[a.pitch % 12, b.pitch % 12] += 1
    return m / max(m.sum(), 1)


def pitch_range(notes) -> int:
    """PR: highest minus lowest MIDI pitch, in semitones (0 for no notes).

    See: notebooks/11_evaluating_generated_music.ipynb §1.
    """
    pitches = [n.pitch for n in _note_list(notes)]
    return max(pitches) - min(pitches) if pitches else 0


def average_pitch_interval(notes) -> float:
    """PI: mean |p_{k+1} − p_k| over consecutive notes of the line (semitones; 0 for fewer than two notes).

    See: notebooks/11_evaluating_generated_music.ipynb §1.
    """
    pitches = [n.pitch for n in _line(notes)]
    return float(np.abs(np.diff(pitches)).mean()) if len(pitches) > 1 else 0.0


def note_count(notes) -> int:
    """NC: the number of notes.

    See: notebooks/11_evaluating_generated_music.ipynb §1.
    """
    return len(_note_list(notes))


def average_ioi(notes) -> float:
    """IOI: mean distance between consecutive distinct onsets, in quarter notes (0 for fewer than two onsets).

    A chord is one onset, so (t_last − t_first) / (number of distinct onsets − 1).
    See: notebooks/11_evaluating_generated_music.ipynb §1.
    """
    onsets = np.unique([n.start for n in _note_list(notes)])
    return float(np.diff(onsets).mean()) if len(onsets) > 1 else 0.0


def note_length_class(duration: float) -> int:
    """The index in :data:`NOTE_LENGTH_CLASSES` of the class nearest to ``duration`` (quarter notes).

    Rule: argmin_k |duration − L_k|, the first class on a tie; longer notes than a whole note are whole notes.
    Raises:
        MetricError: a duration ≤ 0.
    See: notebooks/11_evaluating_generated_music.ipynb §1.
    """
    if not duration > 0:
        raise MetricError(f"a note length must be > 0 quarter notes, got {duration!r}")
    return int(np.argmin(np.abs(_LENGTHS - duration)))


def note_length_histogram(notes) -> np.ndarray:
    """NLH: share of notes in each of the twelve :data:`NOTE_LENGTH_CLASSES` (12 floats summing to 1; zeros if empty).

    See: notebooks/11_evaluating_generated_music.ipynb §1.
    """
    h = np.zeros(len(_LENGTHS))
    for n in _note_list(notes):
        h[note_length_class(n.duration)] += 1
    return h / max(h.sum(), 1)


def note_length_transition_matrix(notes) -> np.ndarray:
    """NLTM: M[a, b] = share of consecutive note pairs of the line whose length classes go a → b (12×12).

    See: notebooks/11_evaluating_generated_music.ipynb §1.
    """
    m = np.zeros((len(_LENGTHS), len(_LENGTHS)))
    line = _line(notes)
    for a, b in zip(line, line[1:], strict=False):
        m[note_length_class(a.duration), note_length_class(b.duration)] += 1
    return m / max(m.sum(), 1)


def polyphony(notes) -> float:
    """The mean number of distinct pitches sounding, over the time when at least one sounds.

    Rule: cut time at every onset and release; over the segments where something sounds,
    Σ_seg length · (distinct pitches sounding) / Σ_seg length. 1 for a melody; NaN for no notes (as muspy).
    See: notebooks/11_evaluating_generated_music.ipynb §1.
    """
    notes = _note_list(notes)
    if not notes:
        return float("nan")
    start = np.array([n.start for n in notes])
    end = np.array([n.end for n in notes])
    pitch = np.array([n.pitch for n in notes])
    cuts = np.unique(np.concatenate([start, end]))
    mid, length = (cuts[:-1] + cuts[1:]) / 2, np.diff(cuts)
    sounding = (start[None, :] <= mid[:, None]) & (end[None, :] > mid[:, None])
    onehot = pitch[:, None] == np.arange(128)[None, :]
    count = ((sounding.astype(np.int64) @ onehot.astype(np.int64)) > 0).sum(axis=1)
    busy = count > 0
    return float((length[busy] * count[busy]).sum() / length[busy].sum())


_MAJOR_SCALE = np.array([1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1], bool)
_MINOR_SCALE = np.array([1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0], bool)


def scale_consistency(notes) -> float:
    """The largest share of notes inside one major or natural-minor scale, over the 24 scales (NaN for no notes).

    See: notebooks/11_evaluating_generated_music.ipynb §1.
    """
    pcs = np.array([n.pitch % 12 for n in _note_list(notes)], dtype=int)
    if not len(pcs):
        return float("nan")
    return float(max(np.roll(scale, root)[pcs].mean() for scale in (_MAJOR_SCALE, _MINOR_SCALE)
                     for root in range(12)))


def empty_beat_rate(notes) -> float:
    """The share of beats [k, k + 1) (quarter notes), k = 0 … ⌈end⌉ − 1, in which no note sounds (NaN for no notes).

    A note [s, e) sounds in beat k when s < k + 1 and e > k. (muspy also counts the beat in which a note's
    release falls when the release is exactly on the beat, so the two agree on pieces whose notes end off the beat.)
    See: notebooks/11_evaluating_generated_music.ipynb §1.
    """
    notes = _note_list(notes)
    if not notes:
        return float("nan")
    beats = int(np.ceil(max(n.end for n in notes) - 1e-9))
    busy = np.zeros(beats, bool)
    for n in notes:
        busy[int(np.floor(n.start)):int(np.ceil(n.end - 1e-9))] = True
    return float(1 - busy.mean())


MGEVAL_FEATURES = {
    "pitch_count": pitch_count, "pitch_class_histogram": pitch_class_histogram,
    "pitch_class_transition_matrix": pitch_class_transition_matrix, "pitch_range": pitch_range,
    "average_pitch_interval": average_pitch_interval, "note_count": note_count, "average_ioi": average_ioi,
    "note_length_histogram": note_length_histogram, "note_length_transition_matrix": note_length_transition_matrix,
}
"""The nine features of Yang & Lerch (2018) by name (their abbreviations: PC, PCH, PCTM, PR, PI, NC, IOI, NLH, NLTM)."""


MUSIC_FEATURES = {**MGEVAL_FEATURES, "polyphony": polyphony, "scale_consistency": scale_consistency,
                  "empty_beat_rate": empty_beat_rate}
"""Every per-piece feature by name: the nine of :data:`MGEVAL_FEATURES`, then polyphony, scale consistency and the
empty-beat rate (NaN for a piece with no notes)."""


def _feature_names(names) -> list[str]:
    names = list(MGEVAL_FEATURES) if names is None else list(names)
    unknown = [n for n in names if n not in MUSIC_FEATURES]
    if unknown or not names:
        raise MetricError(f"unknown feature(s) {unknown or names}; choose from {', '.join(MUSIC_FEATURES)}")
    return names


def piece_features(notes, names=None) -> dict[str, np.ndarray]:
    """``{feature: value}`` for one piece (scalars as 0-d arrays, histograms and matrices as arrays); ``names`` from
    :data:`MUSIC_FEATURES`, default the nine of :data:`MGEVAL_FEATURES`.

    Raises:
        MetricError: an unknown feature name or an item that is not a Note.
    See: notebooks/11_evaluating_generated_music.ipynb §1.
    """
    notes = _note_list(notes)
    return {name: np.asarray(MUSIC_FEATURES[name](notes), np.float64) for name in _feature_names(names)}


def set_features(pieces, names=None) -> dict[str, np.ndarray]:
    """The features of every piece of a set, stacked: ``{feature: array (n_pieces, *feature shape)}``.

    Raises:
        MetricError: an empty set (or see :func:`piece_features`).
    See: notebooks/11_evaluating_generated_music.ipynb §1.
    """
    pieces = list(pieces)
    if not pieces:
        raise MetricError("an empty set of pieces has no features")
    names = _feature_names(names)
    rows = [piece_features(p, names) for p in pieces]
    return {name: np.stack([r[name] for r in rows]) for name in names}


def set_statistics(features: dict[str, np.ndarray]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{feature: (mean, std)}`` over the pieces of a set (element-wise for histograms; std with ddof = 0).

    See: notebooks/11_evaluating_generated_music.ipynb §1.
    """
    return {name: (values.mean(axis=0), values.std(axis=0)) for name, values in features.items()}


def feature_distance(a, b) -> float:
    """Euclidean distance between two values of one feature: |a − b| for scalars, ‖a − b‖₂ of the flattened arrays.

    See: notebooks/11_evaluating_generated_music.ipynb §2.
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape:
        raise MetricError(f"feature values of shapes {a.shape} and {b.shape} cannot be compared")
    return float(np.sqrt(((a - b) ** 2).sum()))


def _flat(values, what: str) -> np.ndarray:
    v = np.asarray(values, np.float64)
    if v.ndim == 0 or len(v) == 0:
        raise MetricError(f"{what}: expected the feature values of one or more pieces (an array with a first axis)")
    return v.reshape(len(v), -1)


def intra_set_distances(values) -> np.ndarray:
    """The distances between every pair of pieces of one set, i < j: n(n − 1)/2 values.

    ``values`` is one feature over a set, shape (n, …) (an entry of :func:`set_features`).
    Raises:
        MetricError: fewer than two pieces.
    See: notebooks/11_evaluating_generated_music.ipynb §2.
    """
    v = _flat(values, "intra_set_distances")
    if len(v) < 2:
        raise MetricError("intra-set distances need at least two pieces")
    d = np.sqrt(((v[:, None, :] - v[None, :, :]) ** 2).sum(-1))
    return d[np.triu_indices(len(v), k=1)]


def inter_set_distances(values_a, values_b) -> np.ndarray:
    """The distances between every piece of set A and every piece of set B: n_A · n_B values.

    See: notebooks/11_evaluating_generated_music.ipynb §2.
    """
    a, b = _flat(values_a, "inter_set_distances (A)"), _flat(values_b, "inter_set_distances (B)")
    if a.shape[1] != b.shape[1]:
        raise MetricError(f"sets A and B hold features of different sizes ({a.shape[1]} and {b.shape[1]} values)")
    return np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)).ravel()


class GaussianKDE:
    """A one-dimensional Gaussian kernel density estimate with Scott's bandwidth.

    p̂(x) = 1/(n h) Σ_i φ((x − x_i)/h), φ the standard normal density, h = σ̂ n^(−1/5) (σ̂ with ddof = 1; the same as
    ``scipy.stats.gaussian_kde``), raised to ``min_bandwidth`` when smaller — so a set of equal values (σ̂ = 0, where
    scipy fails) still has a density, a narrow bump.
    Raises:
        MetricError: no samples, or a value that is not finite.
    See: notebooks/11_evaluating_generated_music.ipynb §2.
    """

    def __init__(self, samples, min_bandwidth: float = 1e-3) -> None:
        x = np.asarray(samples, np.float64).ravel()
        if len(x) == 0 or not np.isfinite(x).all():
            raise MetricError(f"a KDE needs one or more finite samples, got {len(x)} (finite: {np.isfinite(x).all()})")
        sigma = x.std(ddof=1) if len(x) > 1 else 0.0
        self.samples = x
        self.bandwidth = max(float(sigma) * len(x) ** (-1 / 5), float(min_bandwidth))

    def log_density(self, points) -> np.ndarray:
        """log p̂ at ``points`` (computed with log-sum-exp, so far tails do not underflow to log 0)."""
        x = np.asarray(points, np.float64)
        total = np.full(x.shape, -np.inf)
        for a in range(0, len(self.samples), 4096):  # in chunks: 2001 points × 50 000 samples at once would be 800 MB
            z = (x[..., None] - self.samples[a:a + 4096]) / self.bandwidth
            total = np.logaddexp(total, logsumexp(-0.5 * z**2, axis=-1))
        return total - np.log(len(self.samples) * self.bandwidth * np.sqrt(2 * np.pi))

    def __call__(self, points) -> np.ndarray:
        return np.exp(self.log_density(points))

    def on_grid(self, grid) -> np.ndarray:
        """p̂ on an evenly spaced ``grid``, fast: each sample's weight is split linearly between its two neighbouring
        grid points, then convolved with the kernel sampled on the grid. Differs from exact :meth:`__call__` by
        O((grid step / bandwidth)²); samples outside the grid count at its ends."""
        grid = np.asarray(grid, np.float64)
        step = grid[1] - grid[0]
        pos = np.clip((self.samples - grid[0]) / step, 0, len(grid) - 1)
        left = np.minimum(np.floor(pos).astype(np.int64), len(grid) - 2)
        frac = pos - left
        weights = np.bincount(left, 1 - frac, len(grid)) + np.bincount(left + 1, frac, len(grid))
        offsets = np.arange(-(len(grid) - 1), len(grid)) * step / self.bandwidth
        kernel = np.exp(-0.5 * offsets**2) / (self.bandwidth * np.sqrt(2 * np.pi))
        return np.convolve(weights, kernel, mode="valid") / len(self.samples)


def _kde_pair(a, b, points: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Both KDEs (bandwidth ≥ 1 % of the pooled range) on one grid spanning the samples ± 6 bandwidths."""
    a, b = np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel()
    if len(a) == 0 or len(b) == 0:
        raise MetricError(f"two non-empty samples are needed, got {len(a)} and {len(b)} values")
    if points < 3:
        raise MetricError(f"points must be ≥ 3, got {points}")
    pooled = np.concatenate([a, b])
    spread = float(np.ptp(pooled))
    p, q = GaussianKDE(a, 0.01 * spread or 0.01), GaussianKDE(b, 0.01 * spread or 0.01)
    reach = 6 * max(p.bandwidth, q.bandwidth)
    x = np.linspace(pooled.min() - reach, pooled.max() + reach, points)
    return p.on_grid(x), q.on_grid(x), x


def overlap_area(a, b, points: int = 2001) -> float:
    """OA = ∫ min(p̂_A(x), p̂_B(x)) dx of the KDEs of two samples (1 for one distribution, 0 for disjoint ones).

    Both KDEs get a bandwidth of at least 1 % of the pooled samples' range (so equal values still have a density);
    the integral is the trapezoid rule on ``points`` evenly spaced points spanning the samples ± 6 bandwidths.
    Raises:
        MetricError: an empty sample, a value that is not finite, or fewer than 3 points.
    See: notebooks/11_evaluating_generated_music.ipynb §2.
    """
    p, q, x = _kde_pair(a, b, points)
    return float(trapezoid(np.minimum(p, q), x))


def kl_divergence(a, b, points: int = 2001) -> float:
    """KL(p̂_A ‖ p̂_B) = ∫ p̂_A(x) [log p̂_A(x) − log p̂_B(x)] dx in nats, on the grid of :func:`overlap_area`.

    p̂_B is floored at 1e-300 where it underflows, so disjoint samples give a large finite number. Not symmetric:
    mgeval reports KL(intra-set distances of the reference ‖ inter-set distances), large when the other set's pieces
    sit where the reference's own pieces do not. Like every KDE estimate it trusts the tails of p̂_B: it is reliable
    when B spreads at least as wide as A.
    Raises:
        MetricError: as :func:`overlap_area`.
    See: notebooks/11_evaluating_generated_music.ipynb §2.
    """
    p, q, x = _kde_pair(a, b, points)
    tiny = 1e-300
    integrand = np.where(p > tiny, p * (np.log(np.maximum(p, tiny)) - np.log(np.maximum(q, tiny))), 0.0)
    return float(max(trapezoid(integrand, x), 0.0))


@dataclass(frozen=True)
class SetComparison:
    """One row of :func:`compare_sets`: a feature of one set beside the reference set.

    ``mean``/``std``: of a scalar feature over the set (NaN for histograms and matrices, whose spread the intra-set
    distances show: ``intra_mean``, ``intra_std``); ``overlap``/``kl``: OA and KL(intra-set distances of the
    reference ‖ inter-set distances between the reference and this set); NaN on the reference's own row.
    """

    feature: str
    set_name: str
    pieces: int
    mean: float
    std: float
    intra_mean: float
    intra_std: float
    overlap: float
    kl: float


def compare_sets(sets: dict, reference: str, names=None) -> list[SetComparison]:
    """Compare sets of pieces feature by feature against one reference set (mgeval's absolute and relative measures).

    ``sets`` maps a name to a list of pieces (note lists) — e.g. ``{"training": …, "held-out": …, "generated": …}``;
    all must come from one dataset at one resolution. For each feature and set: the mean and std of the feature
    (scalars; NaN for histograms and matrices), the mean and std of the set's intra-set distances, and, for every
    set but the reference, the overlap area and KL divergence between the reference's intra-set distance
    distribution and the inter-set distances between the reference and that set. A real held-out set gives the
    floor a generated set should reach.
    Raises:
        MetricError: ``reference`` not among the sets, a set with fewer than two pieces, an unknown feature.
    See: notebooks/11_evaluating_generated_music.ipynb §2.
    """
    if reference not in sets:
        raise MetricError(f"reference {reference!r} is not one of the sets {list(sets)}")
    names = _feature_names(names)
    features = {}
    for set_name, pieces in sets.items():
        pieces = list(pieces)
        if len(pieces) < 2:
            raise MetricError(f"set {set_name!r} has {len(pieces)} piece(s); intra-set distances need at least two")
        features[set_name] = set_features(pieces, names)
    rows = []
    for name in names:
        ref_intra = intra_set_distances(features[reference][name])
        for set_name, feats in features.items():
            values = feats[name]
            intra = ref_intra if set_name == reference else intra_set_distances(values)
            scalar = values.ndim == 1
            if set_name == reference:
                oa = kl = float("nan")
            else:
                inter = inter_set_distances(features[reference][name], values)
                oa, kl = overlap_area(ref_intra, inter), kl_divergence(ref_intra, inter)
            rows.append(SetComparison(name, set_name, len(values), float(values.mean()) if scalar else float("nan"),
                                      float(values.std()) if scalar else float("nan"), float(intra.mean()),
                                      float(intra.std()), oa, kl))
    return rows


def bootstrap_set_metric(reference: dict, sample: dict, metric: str = "overlap", n_boot: int = 200,
                         seed: int = 0) -> tuple[float, np.ndarray]:
    """A set's mean OA (or KL) over features against a reference, and its bootstrap replicates.

    ``reference`` and ``sample`` are :func:`set_features` of two sets (the same features). The statistic is the mean
    over features of OA (``metric="overlap"``) or KL (``"kl"``) between the reference's intra-set distances and the
    inter-set distances to the sample, as :func:`compare_sets` computes it. Each replicate draws the sample's pieces
    with replacement (``numpy.random.default_rng(seed)``), the reference held fixed: the spread says how much the
    figure owes to which pieces were generated. :func:`percentile_interval` (with ``center``, as repeated pieces
    bias the replicates) turns replicates into an interval, and the replicates of two sets subtract into the
    interval of their difference.
    Returns:
        ``(statistic on the sample itself, replicates (n_boot,))``.
    Raises:
        MetricError: an unknown metric, features that differ, fewer than two pieces, or ``n_boot`` < 1.
    See: notebooks/11_evaluating_generated_music.ipynb §2.
    """
    if metric not in ("overlap", "kl"):
        raise MetricError(f"metric must be 'overlap' or 'kl', got {metric!r}")
    if set(reference) != set(sample) or not reference:
        raise MetricError(f"reference and sample need the same features; got {sorted(reference)} and "
                          f"{sorted(sample)}")
    n = len(next(iter(sample.values())))
    if n < 2 or isinstance(n_boot, bool) or int(n_boot) != n_boot or n_boot < 1:
        raise MetricError(f"need a sample of at least two pieces and n_boot ≥ 1; got {n} pieces, n_boot {n_boot!r}")
    score = overlap_area if metric == "overlap" else kl_divergence
    intra = {name: intra_set_distances(values) for name, values in reference.items()}

    def statistic(index) -> float:
        return float(np.mean([score(intra[name], inter_set_distances(reference[name], sample[name][index]))
                              for name in reference]))

    rng = np.random.default_rng(seed)
    replicates = np.array([statistic(rng.integers(0, n, n)) for _ in range(int(n_boot))])
    return statistic(np.arange(n)), replicates


def percentile_interval(replicates, confidence: float = 0.95, center: float | None = None) -> tuple[float, float]:
    """The percentile bootstrap interval: the (1 − confidence)/2 and (1 + confidence)/2 quantiles of the replicates.

    With ``center`` (the statistic on the data itself), the replicates are first shifted so that their mean is
    ``center``: the bias-corrected interval. :func:`bootstrap_set_metric` needs it, because a resample repeats some
    pieces, and repeated pieces by themselves lower OA and raise KL.
    Raises:
        MetricError: no replicates, a value that is not finite, or a confidence outside (0, 1).
    See: notebooks/11_evaluating_generated_music.ipynb §2.
    """
    r = np.asarray(replicates, np.float64).ravel()
    if r.size == 0 or not np.isfinite(r).all() or not 0 < confidence < 1:
        raise MetricError(f"need finite replicates and a confidence in (0, 1); got {r.size} replicates, {confidence}")
    if center is not None:
        r = r + (float(center) - r.mean())
    low, high = np.quantile(r, [(1 - confidence) / 2, (1 + confidence) / 2])
    return float(low), float(high)


def format_comparison(rows: list[SetComparison], digits: int = 2) -> str:
    """A plain-text table of :func:`compare_sets` rows, numbers rounded to ``digits`` decimals (NaN shown as "—").

    See: notebooks/11_evaluating_generated_music.ipynb §2.
    """
    def num(x: float) -> str:
        return "—" if np.isnan(x) else f"{x:.{digits}f}"

    header = ("feature", "set", "n", "mean", "std", "intra mean", "intra std", "OA", "KL")
    body = [(r.feature, r.set_name, str(r.pieces), num(r.mean), num(r.std), num(r.intra_mean), num(r.intra_std),
             num(r.overlap), num(r.kl)) for r in rows]
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
             for row in [header, *body]]
    return "\n".join(lines)


def comparison_pivot(rows: list[SetComparison], field: str = "overlap", digits: int = 2) -> str:
    """A feature × set table of one field of :func:`compare_sets` rows (``"overlap"``, ``"kl"``, ``"mean"``, …;
    ``"mean±std"`` for both), with a last row ``mean`` over the features for ``overlap`` and ``kl``.

    Reference columns, all NaN for ``overlap``/``kl``, are left out.
    Raises:
        MetricError: an unknown field.
    See: notebooks/11_evaluating_generated_music.ipynb §2.
    """
    fields = ("mean", "std", "intra_mean", "intra_std", "overlap", "kl", "mean±std")
    if field not in fields:
        raise MetricError(f"field must be one of {fields}, got {field!r}")
    features = list(dict.fromkeys(r.feature for r in rows))
    sets = list(dict.fromkeys(r.set_name for r in rows))
    cell = {(r.feature, r.set_name): r for r in rows}

    def value(r: SetComparison) -> str:
        if field == "mean±std":
            return "—" if np.isnan(r.mean) else f"{r.mean:.{digits}f} ± {r.std:.{digits}f}"
        x = getattr(r, field)
        return "—" if np.isnan(x) else f"{x:.{digits}f}"

    if field in ("overlap", "kl"):
        sets = [s for s in sets if not all(np.isnan(getattr(cell[f, s], field)) for f in features)]
    table = [["feature", *sets]] + [[f, *(value(cell[f, s]) for s in sets)] for f in features]
    if field in ("overlap", "kl"):
        table.append(["mean", *(f"{np.mean([getattr(cell[f, s], field) for f in features]):.{digits}f}"
                                for s in sets)])
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    return "\n".join("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in
                               enumerate(zip(row, widths, strict=True))) for row in table)


def __getattr__(name: str):
    """``TokenNLL`` and ``FrameNLL``, the Keras metrics, from the module that imports Keras, on first use."""
    if name in ("TokenNLL", "FrameNLL"):
        from mgtutor.metrics import keras_metrics

        return getattr(keras_metrics, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
