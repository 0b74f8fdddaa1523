"""Objective metrics of generated music: per-piece features, per-set statistics, and the comparison of sets.

Part of mgtutor. Serves notebooks/11_evaluating_generated_music.ipynb §1 (features of one piece), §2–§3 (comparing
sets: intra- and inter-set distances, their KDEs, overlap area and KL divergence, bootstrap intervals, tables) and
§4 (a blurred roll's notes against the target's).

Features of one piece after Yang & Lerch (2018), "On the evaluation of generative models in music" (the mgeval
toolbox), per-set statistics, and the intra-/inter-set distance distributions with their KDE, overlap area and
KL divergence.

A piece is a list of :class:`mgtutor.symbolic.Note` (times in quarter notes): a melody from
``symbolic.grid_to_melody(tokens)``, a piano roll from ``symbolic.piano_roll_to_notes(roll, steps_per_quarter)``.
Counts and histograms use every note. The sequential features (pitch-class transitions, the average pitch interval,
note-length transitions) follow one line: the piece's skyline (:func:`mgtutor.symbolic.skyline`), which for a melody
is the melody itself. A piece with no notes has zero counts, zero histograms and zero averages.

:func:`format_comparison` and :func:`comparison_pivot` print :func:`compare_sets` rows as text tables; they stay
here, beside :class:`SetComparison` whose fields they lay out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import trapezoid
from scipy.special import logsumexp

from mgtutor.errors import MetricError
from mgtutor.symbolic import Note, skyline, sort_notes
from mgtutor.symbolic import pitch_class_histogram as _pitch_class_histogram

__all__ = [
    "NOTE_LENGTH_CLASSES", "MGEVAL_FEATURES", "MUSIC_FEATURES", "pitch_count", "pitch_class_histogram",
    "pitch_class_transition_matrix",
    "pitch_range", "average_pitch_interval", "note_count", "average_ioi", "note_length_class",
    "note_length_histogram", "note_length_transition_matrix", "polyphony", "scale_consistency", "empty_beat_rate",
    "piece_features", "set_features", "set_statistics", "feature_distance", "intra_set_distances",
    "inter_set_distances", "GaussianKDE", "overlap_area", "kl_divergence", "SetComparison", "compare_sets",
    "bootstrap_set_metric", "percentile_interval", "format_comparison", "comparison_pivot",
]


NOTE_LENGTH_CLASSES: tuple[tuple[str, float], ...] = (
    ("whole", 4.0), ("half", 2.0), ("quarter", 1.0), ("eighth", 0.5), ("sixteenth", 0.25),
    ("dotted half", 3.0), ("dotted quarter", 1.5), ("dotted eighth", 0.75), ("dotted sixteenth", 0.375),
    ("half triplet", 4 / 3), ("quarter triplet", 2 / 3), ("eighth triplet", 1 / 3),
)
"""mgeval's twelve note-length classes, in quarter notes (a whole note = 4 beats); the order of the histogram bins."""
_LENGTHS = np.array([beats for _, beats in NOTE_LENGTH_CLASSES])


def _note_list(notes) -> list:
    notes = list(notes)
    bad = next((n for n in notes if not isinstance(n, Note)), None)
    if bad is not None:
        raise MetricError(f"expected a list of mgtutor.symbolic.Note, got an item of type {type(bad).__name__}; "
                          "decode tokens with symbolic.grid_to_melody or rolls with symbolic.piano_roll_to_notes")
    return sort_notes(notes)


def _line(notes) -> list:
    return skyline(_note_list(notes))


def pitch_count(notes) -> int:
    """PC: the number of distinct MIDI pitches used.

    See: notebooks/11_evaluating_generated_music.ipynb §1.
    """
    return len({n.pitch for n in _note_list(notes)})


def pitch_class_histogram(notes) -> np.ndarray:
    """PCH: h[c] = (number of notes with pitch mod 12 = c) / (number of notes), c = 0 (C) … 11 (B); zeros if empty.

    Each note counts once, whatever its length (mgeval's convention):
    :func:`mgtutor.symbolic.pitch_class_histogram` with ``weight="count"``, normalised.
    See: notebooks/11_evaluating_generated_music.ipynb §1.
    """
    h = _pitch_class_histogram(_note_list(notes), weight="count")
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


# The major and natural-minor scales of mgeval's scale consistency. (metrics.gan.SCALES, for bars of chorales, has
# the harmonic minor instead: its raised leading tone.)
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
