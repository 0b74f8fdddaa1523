"""Scores of generative adversarial networks: mode coverage on the 2-D toy benchmarks, statistics of one-bar
piano rolls, the Fréchet distance between feature sets, and the pitch accuracy of generated notes.

Part of mgtutor. Serves notebooks/08_gans_first_principles.ipynb §4 (mode coverage and sample quality) and
notebooks/09_gans_music_audio.ipynb §2 (bar metrics), §3 (pitch accuracy) and §4 (Fréchet distance).
"""

from __future__ import annotations

import numpy as np

from mgtutor.errors import MetricError

__all__ = ["TOY_SAMPLES", "TOY_MIN_COUNT", "mode_counts", "modes_covered", "modes_captured", "high_quality_rate",
           "toy_gan_scores",
           "roll_notes", "empty_bar_rate", "used_pitch_classes", "qualified_note_ratio", "bar_polyphony",
           "in_scale_ratio", "nearest_bar_distance", "bar_metrics", "frechet_distance_gaussians",
           "frechet_distance", "estimate_note_pitch", "pitch_accuracy", "SCALES", "subsample_interval",
           "memoriser_indices", "nearest_neighbour_rms", "BAR_METRICS", "bar_metric_parts", "ratio_of_sums"]


# --------------------------------------------------------------------------- GAN toy benchmarks (notebook 08)
# Mode collapse on the 2-D ring and grid (mgtutor.data.toy2d). VEEGAN (Srivastava et al. 2017) defined the two
# measures, on 2,500 samples: a sample is high-quality when it lies within 3σ of its nearest mean, and a mode is
# *captured* when at least one high-quality sample is nearest to it (PacGAN, Lin et al. 2018, counts the same way).
# The course's *covered* rule is stricter and its own: ≥ 20 samples within 3σ of the mode's mean.

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


def modes_captured(samples, means, sigma: float) -> int:
    """VEEGAN's *modes captured*: the number of modes that are the nearest mean of at least one high-quality sample
    (a sample within 3σ of its nearest mean; Srivastava et al. 2017, as PacGAN counts too).

    Never below :func:`modes_covered` where the 3σ discs do not overlap (as on the ring and the grid): one sample
    near a mode is enough here, twenty are needed there.
    Raises:
        MetricError: shapes that do not match, no samples, or σ ≤ 0.
    See: notebook 08 §4.
    """
    x, m = _toy_points(samples, means)
    if not sigma > 0:
        raise MetricError(f"sigma must be > 0, got {sigma!r}")
    distances = np.linalg.norm(x[:, None, :] - m[None, :, :], axis=-1)
    nearest, high_quality = np.argmin(distances, axis=1), np.min(distances, axis=1) <= 3 * sigma
    return int(np.unique(nearest[high_quality]).size)


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


# --------------------------------------------------------------------------- music and audio GAN metrics (notebook 09)
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


# Major and harmonic-minor scales, for bars of chorales. (metrics.music.scale_consistency follows mgeval: major and
# natural minor.)
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


BAR_METRICS = ("empty_bar_rate", "used_pitch_classes", "qualified_note_ratio", "polyphony", "in_scale_ratio")
"""The five bar statistics of :func:`bar_metrics`, in the order notebook 09 prints them."""


def bar_metric_parts(rolls, lowest: int = 21, min_steps: int = 3) -> dict[str, np.ndarray]:
    """Each bar statistic of :func:`bar_metrics` as a ratio of sums over bars, one numerator and denominator per
    bar: ``{name: (N, 2) array of (num_n, den_n)}`` with metric = Σ_n num_n / Σ_n den_n over any set of bars.

    empty_bar_rate: ([bar n empty], 1); used_pitch_classes: (pitch classes of bar n, 1); qualified_note_ratio:
    (notes of ≥ ``min_steps`` steps, notes); polyphony: (on-cells, sounding steps); in_scale_ratio: (on-steps in
    bar n's best scale, on-steps). A sub-sample's statistic is then two sums, so thousands of sub-samples of a
    set cost about as much as one call of :func:`bar_metrics` (:func:`subsample_interval`).

    Raises:
        MetricError: not 0/1 bars, or ``min_steps`` < 1.
    See: notebook 09 §2 (bar metrics against real-vs-real variation).
    """
    x = _bars(rolls)
    if isinstance(min_steps, bool) or not isinstance(min_steps, (int, np.integer)) or min_steps < 1:
        raise MetricError(f"min_steps must be an integer ≥ 1, got {min_steps!r}")
    n, steps, keys = x.shape
    padded = np.concatenate([np.zeros((n, 1, keys), bool), x, np.zeros((n, min_steps, keys), bool)], axis=1)
    starts = padded[:, 1:steps + 1] & ~padded[:, :steps]  # (N, T, K): a note begins at step t
    long_enough = np.ones_like(starts)
    for j in range(min_steps):
        long_enough &= padded[:, 1 + j:steps + 1 + j]
    pcs = _pitch_class_steps(x, lowest)
    masks = np.array([[c in SCALES[name] for c in range(12)] for name in SCALES], np.int64)
    counts = x.sum(axis=2)
    ones = np.ones(n)
    parts = {"empty_bar_rate": (~x.any(axis=(1, 2))).astype(float), "used_pitch_classes": (pcs > 0).sum(axis=1),
             "qualified_note_ratio": (starts & long_enough).sum(axis=(1, 2)), "polyphony": counts.sum(axis=1),
             "in_scale_ratio": (pcs @ masks.T).max(axis=1)}
    dens = {"empty_bar_rate": ones, "used_pitch_classes": ones, "qualified_note_ratio": starts.sum(axis=(1, 2)),
            "polyphony": (counts > 0).sum(axis=1), "in_scale_ratio": pcs.sum(axis=1)}
    return {k: np.stack([np.asarray(parts[k], float), np.asarray(dens[k], float)], axis=1) for k in BAR_METRICS}


def ratio_of_sums(parts) -> float:
    """Σ num / Σ den of (N, 2) rows (num, den) (:func:`bar_metric_parts`); NaN when Σ den = 0 (undefined)."""
    p = np.asarray(parts, float)
    den = p[:, 1].sum()
    return float(p[:, 0].sum() / den) if den > 0 else float("nan")


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



# --------------------------------------------------------------------------- yardsticks of a generative metric
def subsample_interval(metric, pool, n: int, draws: int = 200, seed: int = 0,
                       percentiles: tuple[float, float] = (2.5, 97.5), replace: bool = False) -> dict:
    """Real-vs-real variation of a set metric: ``metric(pool[idx])`` over ``draws`` random sub-samples ``idx`` of
    ``n`` rows of ``pool``, each drawn without replacement (NumPy's PCG64 from ``seed``), or with replacement
    (``replace=True``, a bootstrap: use it when ``n`` is close to the pool's size, where sub-samples without
    replacement would share most rows and understate the spread between independent sets of ``n``).

    With ``n`` the size of the generated set, the spread of these values is how much the metric moves between two
    real sets of that size: a generated set whose value lies inside the interval cannot be told from real data by
    this metric; (x − centre) / s counts how many real-vs-real spreads a value lies away.

    Args:
        metric: a function of one set (an array whose first axis indexes the examples) returning a number.
        pool: the real examples to draw from (first axis ≥ n).
        n: the sub-sample size (≥ 2).
        draws: the number of sub-samples (≥ 2).
        seed: seed of the draws.
        percentiles: the interval's lower and upper percentiles.
        replace: draw each sub-sample with replacement (then n may exceed the pool).
    Returns:
        dict with ``values`` (draws,), ``low`` and ``high`` (the percentiles), ``median``, ``mean`` and ``std``
        (s, ddof = 1).
    Raises:
        MetricError: n or draws < 2, n larger than the pool, or percentiles outside 0 ≤ low < high ≤ 100.
    See: notebook 09 §2 (bar metrics) and §4 (Fréchet distance).
    """
    pool = np.asarray(pool)
    if pool.ndim < 1 or isinstance(n, bool) or not 2 <= int(n) <= (np.inf if replace else len(pool)) \
            or len(pool) < 2 or isinstance(draws, bool) or int(draws) < 2:
        raise MetricError(f"sub-samples of n={n} from a pool of {len(pool) if pool.ndim else 0}, {draws} draws: "
                          "need 2 ≤ n ≤ the pool's size and draws ≥ 2")
    low_q, high_q = percentiles
    if not 0 <= low_q < high_q <= 100:
        raise MetricError(f"percentiles {percentiles}: need 0 ≤ low < high ≤ 100")
    rng = np.random.default_rng(seed)
    values = np.array([float(metric(pool[rng.choice(len(pool), int(n), replace=replace)]))
                       for _ in range(int(draws))])
    return {"values": values, "low": float(np.percentile(values, low_q)), "high": float(np.percentile(values, high_q)),
            "median": float(np.median(values)), "mean": float(values.mean()), "std": float(values.std(ddof=1))}


def memoriser_indices(n_train: int, n: int, seed: int = 0, asked=None, train_labels=None) -> np.ndarray:
    """The **memoriser** baseline: which training examples a model that only replays its training set returns.

    Without labels: ``n`` training indices drawn uniformly with replacement. With ``asked`` labels (n,) and
    ``train_labels`` (n_train,): for each asked label, a random training example of that label (a memoriser of a
    conditional model, e.g. a training note of the asked pitch).

    Any metric that compares set statistics scores a memoriser like training data, so a model is shown to
    generalise only by a copy check beside it (:func:`nearest_neighbour_rms`, :func:`nearest_bar_distance`).
    Returns:
        int64 indices into the training set.
    Raises:
        MetricError: an empty training set, n < 1, labels of the wrong length, or an asked label that no
        training example has.
    See: notebook 09 §2 and §4.
    """
    if int(n_train) < 1 or (asked is None and int(n) < 1):
        raise MetricError(f"a memoriser needs ≥ 1 training example and n ≥ 1, got {n_train} and {n}")
    rng = np.random.default_rng(seed)
    if asked is None:
        return rng.integers(0, int(n_train), int(n)).astype(np.int64)
    asked, labels = np.asarray(asked), np.asarray(train_labels)
    if labels.shape != (int(n_train),) or asked.ndim != 1:
        raise MetricError(f"train_labels {labels.shape} must have one label per training example ({n_train}), and "
                          f"asked {asked.shape} must be 1-D")
    out = np.empty(len(asked), np.int64)
    for label in np.unique(asked):
        where = np.flatnonzero(labels == label)
        if not where.size:
            raise MetricError(f"no training example has the asked label {label.item()!r}")
        mask = asked == label
        out[mask] = rng.choice(where, int(mask.sum()))
    return out


def nearest_neighbour_rms(generated, training, chunk: int = 256) -> np.ndarray:
    """Each generated example's root-mean-square distance to its nearest training example:
    d_n = min_m sqrt(mean_j (g_nj − r_mj)²) over the flattened examples (e.g. spectrograms).

    0 means a copy of a training example; a real held-out example gives the distance to expect from a model that
    generalises. Computed as ‖g‖² + ‖r‖² − 2 g·r, one matrix product per chunk of generated examples.

    Args:
        generated: (N, ...) examples.
        training: (M, ...) examples of the same shape.
        chunk: generated examples per matrix product (memory only).
    Returns:
        float64 array (N,).
    Raises:
        MetricError: examples of different shapes, or an empty set.
    See: notebook 09 §4 (the copy check of the spectrogram GAN).
    """
    g = np.asarray(generated, np.float64)
    r = np.asarray(training, np.float64)
    if g.ndim < 2 or g.shape[1:] != r.shape[1:] or not len(g) or not len(r):
        raise MetricError(f"generated {g.shape} and training {r.shape}: need non-empty sets of examples of one shape")
    gf, rf = g.reshape(len(g), -1), r.reshape(len(r), -1)
    r_norm = (rf**2).sum(axis=1)
    out = np.empty(len(gf))
    for a in range(0, len(gf), chunk):
        block = gf[a:a + chunk]
        d = (block**2).sum(axis=1)[:, None] + r_norm[None, :] - 2.0 * (block @ rf.T)
        out[a:a + chunk] = np.sqrt(np.maximum(d.min(axis=1), 0.0) / gf.shape[1])
    return out
