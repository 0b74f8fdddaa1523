"""Objective music metrics (after Yang & Lerch 2018): each feature on hand-built pieces with answers worked out by
hand, the distance distributions, and the KDE, overlap area and KL divergence against scipy and closed forms."""

import math
from fractions import Fraction

import numpy as np
import pytest
from scipy import integrate, stats
from scipy.special import logsumexp

from mgtutor import metrics
from mgtutor.metrics import MetricError
from mgtutor.symbolic import Note


def melody():
    # C4 quarter, E4 eighth, G4 eighth, C5 half, a quarter rest, E4 dotted quarter (times in quarter notes)
    return [Note(60, 0, 1), Note(64, 1, 1.5), Note(67, 1.5, 2), Note(72, 2, 4), Note(64, 5, 6.5)]


def chords():
    # a C major triad for a beat, then C5 alone for a beat
    return [Note(60, 0, 1), Note(64, 0, 1), Note(67, 0, 1), Note(72, 1, 2)]


def test_pitch_features_of_a_melody():
    m = melody()
    assert metrics.pitch_count(m) == 4
    expected = np.zeros(12)
    expected[[0, 4, 7]] = [2 / 5, 2 / 5, 1 / 5]
    np.testing.assert_allclose(metrics.pitch_class_histogram(m), expected)
    pctm = np.zeros((12, 12))
    pctm[0, 4], pctm[4, 7], pctm[7, 0] = 2 / 4, 1 / 4, 1 / 4  # C→E twice, E→G, G→C
    np.testing.assert_allclose(metrics.pitch_class_transition_matrix(m), pctm)
    assert metrics.pitch_range(m) == 12
    assert metrics.average_pitch_interval(m) == pytest.approx((4 + 3 + 5 + 8) / 4)


def test_rhythm_features_of_a_melody():
    m = melody()
    assert metrics.note_count(m) == 5
    assert metrics.average_ioi(m) == pytest.approx((1 + 0.5 + 0.5 + 3) / 4)
    names = [name for name, _ in metrics.NOTE_LENGTH_CLASSES]
    q, e, h, dq = (names.index(n) for n in ("quarter", "eighth", "half", "dotted quarter"))
    nlh = np.zeros(12)
    nlh[[q, e, h, dq]] = [1 / 5, 2 / 5, 1 / 5, 1 / 5]
    np.testing.assert_allclose(metrics.note_length_histogram(m), nlh)
    nltm = np.zeros((12, 12))
    for a, b in ((q, e), (e, e), (e, h), (h, dq)):
        nltm[a, b] = 1 / 4
    np.testing.assert_allclose(metrics.note_length_transition_matrix(m), nltm)


def test_melody_scale_polyphony_and_empty_beats():
    m = melody()
    assert metrics.polyphony(m) == 1.0
    assert metrics.scale_consistency(m) == 1.0  # C, E, G only: inside C major
    # 7 beats (end 6.5): beat 4 ([4, 5)) is the rest, every other beat has a note
    assert metrics.empty_beat_rate(m) == pytest.approx(1 / 7)
    # C, E, G, C and a C#: no major or natural-minor scale holds both C and C#, so at most 4/5
    assert metrics.scale_consistency([*m[:4], Note(61, 5, 6)]) == pytest.approx(0.8)


def test_chords_use_distinct_onsets_and_the_top_line():
    c = chords()
    assert metrics.polyphony(c) == pytest.approx((3 + 1) / 2)
    assert metrics.average_ioi(c) == 1.0  # the triad is one onset
    assert metrics.average_pitch_interval(c) == 5.0  # top line G4 → C5
    pctm = np.zeros((12, 12))
    pctm[7, 0] = 1.0
    np.testing.assert_allclose(metrics.pitch_class_transition_matrix(c), pctm)
    # one pitch sounding twice at once is one pitch
    assert metrics.polyphony([Note(60, 0, 2), Note(60, 1, 3)]) == 1.0
    # a half-beat rest in the middle of a beat leaves the beat busy
    assert metrics.empty_beat_rate([Note(60, 0, 0.5), Note(62, 1.75, 2)]) == 0.0


def test_note_length_classes():
    names = [name for name, _ in metrics.NOTE_LENGTH_CLASSES]
    assert metrics.note_length_class(1.0) == names.index("quarter")
    assert metrics.note_length_class(0.3) == names.index("eighth triplet")  # 1/3 is nearer than 1/4 or 3/8
    assert metrics.note_length_class(10.0) == names.index("whole")
    assert metrics.note_length_class(1.45) == names.index("dotted quarter")
    assert metrics.note_length_class(1.4) == names.index("half triplet")  # 4/3 is nearer than 3/2
    with pytest.raises(MetricError, match="must be > 0"):
        metrics.note_length_class(0.0)


def test_empty_and_single_note_pieces():
    assert metrics.pitch_count([]) == metrics.pitch_range([]) == metrics.note_count([]) == 0
    assert metrics.average_pitch_interval([Note(60, 0, 1)]) == 0.0 and metrics.average_ioi([Note(60, 0, 1)]) == 0.0
    assert not metrics.pitch_class_histogram([]).any() and not metrics.note_length_transition_matrix([]).any()
    for fn in (metrics.polyphony, metrics.scale_consistency, metrics.empty_beat_rate):
        assert math.isnan(fn([]))


def test_piece_and_set_features():
    feats = metrics.piece_features(melody())
    assert list(feats) == list(metrics.MGEVAL_FEATURES)
    assert feats["pitch_range"].shape == () and feats["pitch_class_transition_matrix"].shape == (12, 12)
    stacked = metrics.set_features([melody(), chords()], ["pitch_range", "pitch_class_histogram"])
    np.testing.assert_array_equal(stacked["pitch_range"], [12, 12])
    assert stacked["pitch_class_histogram"].shape == (2, 12)
    mean, std = metrics.set_statistics(metrics.set_features([melody(), chords()], ["note_count"]))["note_count"]
    assert mean == 4.5 and std == 0.5


def test_bad_feature_inputs():
    with pytest.raises(MetricError, match="list of mgtutor.symbolic.Note"):
        metrics.pitch_range(["60", "_"])
    with pytest.raises(MetricError, match="unknown feature"):
        metrics.piece_features(melody(), ["loudness"])
    with pytest.raises(MetricError, match="^an empty set of pieces has no features$"):
        metrics.set_features([])


def test_intra_and_inter_set_distances():
    np.testing.assert_allclose(metrics.intra_set_distances([0.0, 1.0, 3.0]), [1, 3, 2])  # pairs (0,1) (0,2) (1,2)
    np.testing.assert_allclose(metrics.intra_set_distances([[0.0, 0.0], [3.0, 4.0]]), [5.0])
    np.testing.assert_allclose(metrics.inter_set_distances([0.0, 1.0], [3.0]), [3.0, 2.0])
    assert metrics.feature_distance(np.eye(2), np.zeros((2, 2))) == pytest.approx(math.sqrt(2))
    with pytest.raises(MetricError, match="at least two pieces"):
        metrics.intra_set_distances([1.0])
    with pytest.raises(MetricError, match="different sizes"):
        metrics.inter_set_distances(np.zeros((2, 12)), np.zeros((2, 144)))
    with pytest.raises(MetricError, match="cannot be compared"):
        metrics.feature_distance(np.zeros(12), np.zeros(3))


def test_kde_equals_scipy_and_survives_equal_samples():
    x = np.random.default_rng(0).normal(2.0, 0.7, 300)
    grid = np.linspace(-1, 5, 50)
    np.testing.assert_allclose(metrics.GaussianKDE(x)(grid), stats.gaussian_kde(x)(grid), rtol=1e-9)
    fine = np.linspace(-1, 5, 2001)  # the binned evaluation on a fine grid: within 0.1 % of the exact density
    np.testing.assert_allclose(metrics.GaussianKDE(x).on_grid(fine), stats.gaussian_kde(x)(fine), rtol=1e-3,
                               atol=1e-6)
    flat = metrics.GaussianKDE([3.0, 3.0, 3.0], min_bandwidth=0.1)
    assert flat.bandwidth == 0.1
    assert integrate.quad(flat, -10, 10, points=[3.0])[0] == pytest.approx(1.0)
    with pytest.raises(MetricError, match="finite samples"):
        metrics.GaussianKDE([])
    with pytest.raises(MetricError, match="finite samples"):
        metrics.GaussianKDE([1.0, np.nan])


def test_overlap_and_kl_against_scipy_kdes_on_a_finer_grid():
    rng = np.random.default_rng(1)
    a, b = rng.normal(0, 1, 200), rng.normal(1, 1.5, 300)
    x = np.linspace(-12, 14, 40001)  # scipy's exact KDEs, Simpson's rule on 20× more points over a wider span
    p, q = stats.gaussian_kde(a)(x), stats.gaussian_kde(b)(x)
    oa = integrate.simpson(np.minimum(p, q), x=x)
    kl = integrate.simpson(np.where(p > 1e-300, p * (np.log(p) - np.log(q)), 0.0), x=x)
    assert metrics.overlap_area(a, b) == pytest.approx(oa, abs=1e-3)
    assert metrics.kl_divergence(a, b) == pytest.approx(kl, abs=1e-3)


def test_overlap_and_kl_closed_forms_for_large_normal_samples():
    rng = np.random.default_rng(2)
    a, b = rng.normal(0, 1, 4000), rng.normal(1, 1, 4000)
    # two unit normals one apart: OA = 2Φ(−1/2) = 0.617, KL = 1/2 (the KDE's bandwidth widens both by ~2 %; over
    # seeds the estimates scatter by about ±0.03 (OA) and ±0.05 (KL))
    assert metrics.overlap_area(a, b) == pytest.approx(2 * stats.norm.cdf(-0.5), abs=0.04)
    assert metrics.kl_divergence(a, b) == pytest.approx(0.5, abs=0.08)
    # KL(N(0,1) ‖ N(0,4)) = ln 2 + 1/8 − 1/2 = 0.318 (the other direction, 0.807, needs the narrow KDE's far tails,
    # which a sample does not have: it comes out far too large)
    wide = rng.normal(0, 2, 4000)
    assert metrics.kl_divergence(a, wide) == pytest.approx(math.log(2) - 3 / 8, abs=0.08)
    assert metrics.overlap_area(a, a) == pytest.approx(1.0, abs=1e-6)
    assert metrics.kl_divergence(a, a) == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(MetricError, match="non-empty samples"):
        metrics.overlap_area([], [1.0])
    with pytest.raises(MetricError, match="points must be"):
        metrics.kl_divergence([1.0], [2.0], points=2)
    far = metrics.overlap_area([0.0, 0.5, 1.0], [100.0, 100.5, 101.0])
    assert far < 1e-6 and metrics.kl_divergence([0.0, 0.5, 1.0], [100.0, 100.5, 101.0]) > 100


def _random_melody(rng, low, high, n=24):
    t, notes = 0.0, []
    for _ in range(n):
        d = float(rng.choice([0.5, 1.0, 2.0]))
        notes.append(Note(int(rng.integers(low, high + 1)), t, t + d))
        t += d
    return notes


def test_compare_sets_ranks_a_far_set_below_a_close_one():
    rng = np.random.default_rng(3)
    sets = {"training": [_random_melody(rng, 60, 72) for _ in range(12)],
            "held-out": [_random_melody(rng, 60, 72) for _ in range(8)],
            "wide": [_random_melody(rng, 40, 90) for _ in range(8)]}
    rows = metrics.compare_sets(sets, "training", ["pitch_range", "pitch_class_histogram"])
    assert [(r.feature, r.set_name) for r in rows] == [(f, s) for f in ("pitch_range", "pitch_class_histogram")
                                                      for s in sets]
    by = {(r.feature, r.set_name): r for r in rows}
    ref = by["pitch_range", "training"]
    assert math.isnan(ref.overlap) and math.isnan(ref.kl) and ref.pieces == 12
    assert by["pitch_range", "held-out"].overlap > 0.5 > by["pitch_range", "wide"].overlap
    assert by["pitch_range", "held-out"].kl < by["pitch_range", "wide"].kl
    assert by["pitch_range", "wide"].mean > 30 > by["pitch_range", "held-out"].mean
    assert math.isnan(by["pitch_class_histogram", "wide"].mean)
    table = metrics.format_comparison(rows).splitlines()
    assert len(table) == 1 + len(rows) and table[0].split()[:3] == ["feature", "set", "n"] and "—" in table[1]


def test_comparison_pivot_and_extra_features():
    rng = np.random.default_rng(4)
    sets = {"real": [_random_melody(rng, 60, 72) for _ in range(6)], "other": [_random_melody(rng, 50, 80) for _ in
                                                                              range(5)]}
    rows = metrics.compare_sets(sets, "real", ["pitch_range", "polyphony", "empty_beat_rate"])
    table = metrics.comparison_pivot(rows, "overlap").splitlines()
    assert table[0].split() == ["feature", "other"] and table[-1].split()[0] == "mean"
    by = {r.feature: r for r in rows if r.set_name == "other"}
    mean_oa = np.mean([r.overlap for r in by.values()])
    assert table[-1].split()[1] == f"{mean_oa:.2f}" and table[1].split()[1] == f"{by['pitch_range'].overlap:.2f}"
    assert by["polyphony"].mean == 1.0 and by["empty_beat_rate"].mean == 0.0  # melodies without rests
    wide = metrics.comparison_pivot(rows, "mean±std", digits=1).splitlines()
    assert wide[0].split() == ["feature", "real", "other"] and " ± " in wide[1]
    with pytest.raises(MetricError, match="field must be one of"):
        metrics.comparison_pivot(rows, "median")


def test_compare_sets_bad_input():
    with pytest.raises(MetricError, match="reference 'real'"):
        metrics.compare_sets({"a": [melody(), chords()]}, "real")
    with pytest.raises(MetricError, match="has 1 piece"):
        metrics.compare_sets({"a": [melody(), chords()], "b": [melody()]}, "a")


def test_bootstrap_of_a_set_metric_by_hand():
    rng = np.random.default_rng(5)
    names = ["pitch_range", "pitch_class_histogram"]
    sets = {"training": [_random_melody(rng, 60, 72) for _ in range(10)],
            "close": [_random_melody(rng, 60, 72) for _ in range(6)],
            "wide": [_random_melody(rng, 40, 90) for _ in range(6)]}
    feats = {name: metrics.set_features(pieces, names) for name, pieces in sets.items()}
    rows = metrics.compare_sets(sets, "training", names)
    for metric in ("overlap", "kl"):
        value, reps = metrics.bootstrap_set_metric(feats["training"], feats["close"], metric, n_boot=5, seed=1)
        assert value == pytest.approx(np.mean([getattr(r, metric) for r in rows if r.set_name == "close"]))
        # replicate 1 by hand: the same generator draws the same pieces
        index = np.random.default_rng(1).integers(0, 6, 6)
        score = metrics.overlap_area if metric == "overlap" else metrics.kl_divergence
        by_hand = np.mean([score(metrics.intra_set_distances(feats["training"][n]),
                                 metrics.inter_set_distances(feats["training"][n], feats["close"][n][index]))
                           for n in names])
        assert reps.shape == (5,) and reps[0] == pytest.approx(by_hand)
    close, close_reps = metrics.bootstrap_set_metric(feats["training"], feats["close"], n_boot=60, seed=2)
    wide, wide_reps = metrics.bootstrap_set_metric(feats["training"], feats["wide"], n_boot=60, seed=3)
    low, high = metrics.percentile_interval(close_reps - wide_reps, center=close - wide)
    assert 0 < low < close - wide < high  # the close set overlaps the training set better, beyond resampling luck


def test_percentile_interval():
    reps = np.arange(1001.0)
    assert metrics.percentile_interval(reps, 0.9) == pytest.approx((50.0, 950.0))
    assert metrics.percentile_interval(reps, 0.9, center=0.0) == pytest.approx((-450.0, 450.0))  # re-centred
    for bad, kwargs in (([], {}), ([1.0, np.nan], {}), ([1.0, 2.0], {"confidence": 95})):
        with pytest.raises(MetricError):
            metrics.percentile_interval(bad, **kwargs)
    feats = metrics.set_features([melody(), chords()], ["pitch_range"])
    with pytest.raises(MetricError, match="overlap' or 'kl'"):
        metrics.bootstrap_set_metric(feats, feats, "mse")
    with pytest.raises(MetricError, match="same features"):
        metrics.bootstrap_set_metric(feats, metrics.set_features([melody(), chords()], ["note_count"]))
    with pytest.raises(MetricError, match="n_boot"):
        metrics.bootstrap_set_metric(feats, feats, n_boot=0)


def _hand_rows():
    nan = float("nan")
    row = metrics.SetComparison
    return [row("pitch_range", "train", 10, 12.346, 1.5, 3.26, 0.126, nan, nan),
            row("pitch_range", "gen", 8, 20.0, 2.0, 4.0, 1.0, 0.4567, 1.2346),
            row("pitch_class_histogram", "train", 10, nan, nan, 0.5, 0.26, nan, nan),
            row("pitch_class_histogram", "gen", 8, nan, nan, 0.76, 0.5, 0.9, 0.1)]


def test_format_comparison_lays_out_the_exact_table():
    rows = _hand_rows()
    assert metrics.format_comparison(rows) == "\n".join([
        "feature                set     n   mean   std  intra mean  intra std    OA    KL",
        "pitch_range            train  10  12.35  1.50        3.26       0.13     —     —",
        "pitch_range            gen     8  20.00  2.00        4.00       1.00  0.46  1.23",
        "pitch_class_histogram  train  10      —     —        0.50       0.26     —     —",
        "pitch_class_histogram  gen     8      —     —        0.76       0.50  0.90  0.10"])
    assert metrics.format_comparison(rows[1:2], digits=1) == "\n".join([
        "feature      set  n  mean  std  intra mean  intra std   OA   KL",
        "pitch_range  gen  8  20.0  2.0         4.0        1.0  0.5  1.2"])


def test_comparison_pivot_lays_out_the_exact_tables():
    rows = _hand_rows()
    # OA and KL: the reference column (all NaN) is left out; the last row is the mean over the features
    assert metrics.comparison_pivot(rows) == "\n".join([
        "feature                 gen",
        "pitch_range            0.46",
        "pitch_class_histogram  0.90",
        "mean                   0.68"])  # (0.4567 + 0.9) / 2
    assert metrics.comparison_pivot(rows, "kl", digits=3) == "\n".join([
        "feature                  gen",
        "pitch_range            1.235",
        "pitch_class_histogram  0.100",
        "mean                   0.667"])  # (1.2346 + 0.1) / 2
    # other fields keep every set and add no mean row; NaN shows as "—"
    assert metrics.comparison_pivot(rows, "mean") == "\n".join([
        "feature                train    gen",
        "pitch_range            12.35  20.00",
        "pitch_class_histogram      —      —"])
    assert metrics.comparison_pivot(rows, "mean±std") == "\n".join([
        "feature                       train           gen",
        "pitch_range            12.35 ± 1.50  20.00 ± 2.00",
        "pitch_class_histogram             —             —"])
    assert metrics.comparison_pivot(rows, "intra_std", digits=1) == "\n".join([
        "feature                train  gen",
        "pitch_range              0.1  1.0",
        "pitch_class_histogram    0.3  0.5"])
    for field, column in (("std", ["1.50", "2.00"]), ("intra_mean", ["3.26", "4.00"])):
        assert metrics.comparison_pivot(rows, field).splitlines()[1].split()[1:] == column
    # a set with OA on only some features keeps its column (only an all-NaN column is a reference's)
    nan = float("nan")
    partial = [*rows, metrics.SetComparison("pitch_range", "odd", 3, 1.0, 0.0, 1.0, 0.0, 0.25, 0.5),
               metrics.SetComparison("pitch_class_histogram", "odd", 3, nan, nan, 1.0, 0.0, nan, nan)]
    assert metrics.comparison_pivot(partial).splitlines()[0].split() == ["feature", "gen", "odd"]


def test_kde_bandwidth_and_log_density_match_scipy_on_small_samples():
    x = np.array([0.0, 1.0, 1.5, 4.0])
    ref = stats.gaussian_kde(x)
    kde = metrics.GaussianKDE(x)
    # scipy's Scott factor n^(-1/5) times the sample std (ddof = 1)
    assert kde.bandwidth == pytest.approx(ref.factor * x.std(ddof=1), rel=1e-12)
    assert kde.bandwidth == pytest.approx(np.std(x, ddof=1) * 4 ** -0.2, rel=1e-12)
    points = np.array([-3.0, 0.0, 0.7, 2.0, 9.0])
    np.testing.assert_allclose(kde.log_density(points), ref.logpdf(points), rtol=1e-12)
    assert kde.log_density(0.7) == pytest.approx(ref.logpdf([0.7])[0], rel=1e-12)  # a single point
    assert np.asarray(kde.log_density(0.7)).shape == ()
    # points of any numeric type, exact fractions too, are evaluated as floats
    np.testing.assert_allclose(kde([Fraction(7, 10), 2]), ref([0.7, 2.0]), rtol=1e-12)
    # far from every sample the density underflows, its logarithm does not: a Gaussian's log
    h = kde.bandwidth
    far = 1e3
    expected = (logsumexp(-0.5 * ((far - x) / h) ** 2) - np.log(len(x) * h * math.sqrt(2 * math.pi)))
    assert kde.log_density([far])[0] == pytest.approx(expected, rel=1e-12) and np.isfinite(expected)
    assert kde(np.array([far]))[0] == 0.0
    # one sample: no spread, the default floor 1e-3 is the bandwidth
    one = metrics.GaussianKDE([2.0])
    assert one.bandwidth == 1e-3
    assert one([2.0])[0] == pytest.approx(1 / (1e-3 * math.sqrt(2 * math.pi)))
    # two samples already have a spread: Scott's bandwidth, as scipy's
    two = np.array([1.0, 3.0])
    assert metrics.GaussianKDE(two).bandwidth == pytest.approx(stats.gaussian_kde(two).factor * math.sqrt(2))
    # samples of any numeric type, exact fractions too, are taken as floats
    exact = metrics.GaussianKDE([Fraction(0), Fraction(1), Fraction(3, 2), Fraction(4)])
    assert exact.bandwidth == pytest.approx(h, rel=1e-12)
    np.testing.assert_allclose(exact(points), kde(points), rtol=1e-12)
    # the floor only raises a bandwidth
    assert metrics.GaussianKDE(x, min_bandwidth=5.0).bandwidth == 5.0
    assert metrics.GaussianKDE(x, min_bandwidth=0.5).bandwidth == pytest.approx(h)


def test_kde_of_many_samples_matches_scipy():
    # more samples than one chunk of the evaluation (4096): every sample is counted once
    x = np.random.default_rng(6).normal(0.0, 1.0, 5000)
    grid = np.linspace(-4, 4, 9)
    np.testing.assert_allclose(metrics.GaussianKDE(x).log_density(grid), stats.gaussian_kde(x).logpdf(grid),
                               rtol=1e-12)


def _weighted_kde(centres, weights, h, x):
    # Σ_i w_i φ((x − c_i)/h) / (h Σ_i w_i): a mixture of Gaussians, the reference for the binned evaluation
    centres, weights = np.asarray(centres, float), np.asarray(weights, float)
    return (weights * stats.norm.pdf(x[:, None], centres, h)).sum(axis=1) / weights.sum()


def test_kde_on_grid_splits_samples_between_grid_points():
    grid = np.arange(0.0, 5.01, 0.5)  # 11 points, step 0.5
    on = metrics.GaussianKDE([1.0, 2.5, 2.5, 4.0], min_bandwidth=0.3)
    h = on.bandwidth
    # samples on grid points: exact
    np.testing.assert_allclose(on.on_grid(grid), on(grid), rtol=1e-12)
    # a sample 1/4 of the way from 2.0 to 2.5 puts 3/4 of its weight on 2.0 and 1/4 on 2.5
    between = metrics.GaussianKDE([1.0, 2.125, 4.0], min_bandwidth=0.3)
    np.testing.assert_allclose(between.on_grid(grid),
                               _weighted_kde([1.0, 2.0, 2.5, 4.0], [1, 0.75, 0.25, 1], between.bandwidth, grid),
                               rtol=1e-12)
    # samples outside the grid count at its ends; one on the last grid point counts there
    ends = metrics.GaussianKDE([-3.0, 5.0, 9.0, 2.0], min_bandwidth=0.3)
    np.testing.assert_allclose(ends.on_grid(grid), _weighted_kde([0.0, 5.0, 5.0, 2.0], [1, 1, 1, 1], ends.bandwidth,
                                                                 grid), rtol=1e-12)
    assert h > 0.3
    # a grid of exact fractions is the same grid
    np.testing.assert_allclose(on.on_grid([Fraction(k, 2) for k in range(11)]), on.on_grid(grid), rtol=1e-12)


def test_kde_pair_grid_and_bandwidth_floor():
    from mgtutor.metrics.music import _kde_pair

    a, b = np.array([0.0, 1.0, 3.0]), np.array([2.0, 2.5, 6.0, 7.0])
    p, q, x = _kde_pair(a, b, 7)
    ha, hb = stats.gaussian_kde(a).factor * a.std(ddof=1), stats.gaussian_kde(b).factor * b.std(ddof=1)
    assert hb > ha > 0.07  # both above the floor, 1 % of the pooled range 0 … 7
    np.testing.assert_allclose(x, np.linspace(0 - 6 * hb, 7 + 6 * hb, 7))  # ± 6 of the wider bandwidth
    np.testing.assert_allclose(p, metrics.GaussianKDE(a).on_grid(x))
    np.testing.assert_allclose(q, metrics.GaussianKDE(b).on_grid(x))
    # equal values: the floor is 1 % of the pooled range
    p, q, x = _kde_pair([0.0, 0.0], [10.0, 10.0, 10.0], 5)
    np.testing.assert_allclose(x, np.linspace(-0.6, 10.6, 5))
    np.testing.assert_allclose(p, metrics.GaussianKDE([0.0, 0.0], 0.1).on_grid(x))
    # ... and 0.01 when every value is the same
    p, q, x = _kde_pair([[3.0, 3.0]], [3.0], 3)
    np.testing.assert_allclose(x, [2.94, 3.0, 3.06])
    np.testing.assert_allclose(p, q)
    assert p[1] == pytest.approx(1 / (0.01 * math.sqrt(2 * math.pi)))
    # the smallest grid allowed is 3 points; one empty side is an error
    assert len(_kde_pair([1.0], [2.0], 3)[2]) == 3
    with pytest.raises(MetricError, match="points must be ≥ 3, got 2"):
        _kde_pair([1.0], [2.0], 2)
    with pytest.raises(MetricError, match="got 2 and 0 values"):
        _kde_pair([1.0, 2.0], [], 5)
    with pytest.raises(MetricError, match="got 0 and 1 values"):
        _kde_pair([], [2.0], 5)


def test_overlap_and_kl_on_a_small_grid_against_exact_kdes():
    # on a fine grid the binned densities approach scipy's exact KDEs: OA and KL by the trapezoid rule agree
    a, b = np.array([0.0, 1.0, 3.0]), np.array([2.0, 2.5, 6.0, 7.0])
    hb = stats.gaussian_kde(b).factor * b.std(ddof=1)
    x = np.linspace(-6 * hb, 7 + 6 * hb, 20001)
    p, q = stats.gaussian_kde(a)(x), stats.gaussian_kde(b)(x)
    assert metrics.overlap_area(a, b) == pytest.approx(integrate.trapezoid(np.minimum(p, q), x), abs=1e-4)
    assert metrics.kl_divergence(a, b) == pytest.approx(integrate.trapezoid(p * np.log(p / q), x), rel=1e-3)
    assert metrics.kl_divergence(b, a) == pytest.approx(integrate.trapezoid(q * np.log(q / p), x), rel=1e-3)
    # where the narrow KDE underflows to 0 (most of the grid of a wide B) it adds nothing to KL
    narrow, wide = np.array([0.0, 2.0, 4.0]), np.array([0.0, 100.0])
    x = np.linspace(-400, 500, 400001)
    p, q = stats.gaussian_kde(narrow)(x), stats.gaussian_kde(wide)(x)
    kl = integrate.trapezoid(np.where(p > 0, p * (np.log(np.maximum(p, 1e-300)) - np.log(q)), 0.0), x)
    assert metrics.kl_divergence(narrow, wide) == pytest.approx(kl, rel=3e-3)
    # the number of points sets the grid: 5 points (step ~2.6) give a visibly different, coarser answer
    coarse = metrics.overlap_area(a, b, points=5)
    assert abs(coarse - metrics.overlap_area(a, b)) > 1e-3
    assert metrics.overlap_area(a, b, points=2001) == metrics.overlap_area(a, b)
    assert metrics.kl_divergence(a, b, points=2001) == metrics.kl_divergence(a, b)


def test_bootstrap_replicates_all_follow_the_seeded_draws():
    rng = np.random.default_rng(7)
    names = ["pitch_range", "average_pitch_interval"]
    ref = metrics.set_features([_random_melody(rng, 60, 72, 8) for _ in range(5)], names)
    sample = metrics.set_features([_random_melody(rng, 55, 80, 8) for _ in range(4)], names)

    def by_hand(index, score):
        return np.mean([score(metrics.intra_set_distances(ref[n]),
                              metrics.inter_set_distances(ref[n], sample[n][index])) for n in names])

    for metric, score, seed, n_boot in (("overlap", metrics.overlap_area, 3, 4), ("kl", metrics.kl_divergence, 0, 3)):
        value, reps = metrics.bootstrap_set_metric(ref, sample, metric, n_boot=n_boot, seed=seed)
        draws = np.random.default_rng(seed)
        expected = [by_hand(draws.integers(0, 4, 4), score) for _ in range(n_boot)]
        np.testing.assert_allclose(reps, expected, rtol=1e-12)
        assert value == pytest.approx(by_hand(np.arange(4), score), rel=1e-12)
    # defaults: overlap area, seed 0, 200 replicates
    value, reps = metrics.bootstrap_set_metric(ref, sample)
    draws = np.random.default_rng(0)
    assert reps.shape == (200,) and value == pytest.approx(by_hand(np.arange(4), metrics.overlap_area))
    assert reps[0] == pytest.approx(by_hand(draws.integers(0, 4, 4), metrics.overlap_area), rel=1e-12)
    assert reps[1] == pytest.approx(by_hand(draws.integers(0, 4, 4), metrics.overlap_area), rel=1e-12)
    # a whole number given as a float is a count
    assert metrics.bootstrap_set_metric(ref, sample, n_boot=2.0)[1].shape == (2,)


def test_bootstrap_bad_input():
    two = metrics.set_features([melody(), chords()], ["pitch_range"])
    one = metrics.set_features([melody()], ["pitch_range"])
    assert metrics.bootstrap_set_metric(two, two, n_boot=1)[1].shape == (1,)  # the smallest case is allowed
    for bad in (True, 2.5, -1):
        with pytest.raises(MetricError, match="n_boot"):
            metrics.bootstrap_set_metric(two, two, n_boot=bad)
    with pytest.raises(MetricError, match="at least two pieces"):
        metrics.bootstrap_set_metric(two, one, n_boot=3)
    with pytest.raises(MetricError, match="same features"):
        metrics.bootstrap_set_metric({}, {})


def test_percentile_interval_matches_numpy_quantiles():
    reps = np.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0])
    # default 95 %: the 2.5th and 97.5th percentiles (numpy's linear interpolation)
    assert metrics.percentile_interval(reps) == pytest.approx(tuple(np.percentile(reps, [2.5, 97.5])), rel=1e-12)
    assert metrics.percentile_interval(reps) == pytest.approx((1.0, 9 - 0.175 * 3), rel=1e-12)  # by hand
    assert metrics.percentile_interval(reps, 0.5) == pytest.approx(tuple(np.percentile(reps, [25, 75])), rel=1e-12)
    # re-centred: the replicates shifted so that their mean (3.875) becomes 10
    assert metrics.percentile_interval(reps, 0.5, center=10.0) == pytest.approx(
        tuple(np.percentile(reps + 6.125, [25, 75])), rel=1e-12)
    assert metrics.percentile_interval(reps.reshape(2, 4), 0.5) == metrics.percentile_interval(reps, 0.5)
    exact = [Fraction(k, 4) for k in (12, 4, 16, 4, 20, 36, 8, 24)]  # the same replicates as exact fractions
    assert metrics.percentile_interval(exact, 0.5) == metrics.percentile_interval(reps, 0.5)
    for confidence in (0.0, 1.0, -0.5):
        with pytest.raises(MetricError, match="confidence in"):
            metrics.percentile_interval(reps, confidence)
    with pytest.raises(MetricError, match="finite replicates"):
        metrics.percentile_interval([1.0, np.inf])


def test_set_distances_against_brute_force():
    rng = np.random.default_rng(8)
    a, b = rng.normal(size=(4, 3, 2)), rng.normal(size=(3, 3, 2))  # matrix features of 4 and 3 pieces
    intra = [np.sqrt(((a[i] - a[j]) ** 2).sum()) for i in range(4) for j in range(i + 1, 4)]
    np.testing.assert_allclose(metrics.intra_set_distances(a), intra, rtol=1e-12)
    inter = [np.sqrt(((a[i] - b[j]) ** 2).sum()) for i in range(4) for j in range(3)]
    np.testing.assert_allclose(metrics.inter_set_distances(a, b), inter, rtol=1e-12)
    np.testing.assert_allclose(metrics.inter_set_distances(b, a), [metrics.feature_distance(b[j], a[i]) for j in
                                                                    range(3) for i in range(4)], rtol=1e-12)
    assert metrics.feature_distance(3.0, 7.5) == 4.5 and metrics.feature_distance([1.0, 2.0], [4.0, 6.0]) == 5.0
    # values of any numeric type are compared as floats: exact fractions, small unsigned integers (no wrap-around)
    shares = [Fraction(1, 4), Fraction(3, 4)]
    assert metrics.feature_distance(shares, [0.25, 0.0]) == metrics.feature_distance([0.25, 0.0], shares) == 0.75
    assert metrics.feature_distance(np.array([1, 5], np.uint8), np.array([4, 1], np.uint8)) == 5.0
    # exact fractions are compared as floats
    np.testing.assert_allclose(metrics.intra_set_distances([Fraction(1, 2), Fraction(5, 2)]), [2.0])
    np.testing.assert_allclose(metrics.inter_set_distances([Fraction(1, 2)], [[Fraction(3, 2)]]), [1.0])
    np.testing.assert_allclose(metrics.inter_set_distances([[1.0]], [Fraction(5, 2)]), [1.5])
    for bad in (1.0, []):
        with pytest.raises(MetricError, match=r"^intra_set_distances: expected the feature values of one or more"):
            metrics.intra_set_distances(bad)
    with pytest.raises(MetricError, match=r"^intra-set distances need at least two pieces$"):
        metrics.intra_set_distances([[1.0, 2.0]])
    with pytest.raises(MetricError, match=r"^inter_set_distances \(B\): expected"):
        metrics.inter_set_distances([1.0], [])
    with pytest.raises(MetricError, match=r"^inter_set_distances \(A\): expected"):
        metrics.inter_set_distances(2.0, [1.0])


def test_features_of_tiny_pieces_by_hand():
    one = [Note(62, 0, 0.5)]
    expected = np.zeros(12)
    expected[2] = 1.0
    np.testing.assert_array_equal(metrics.pitch_class_histogram(one), expected)
    nlh = np.zeros(12)
    nlh[3] = 1.0  # eighth
    np.testing.assert_array_equal(metrics.note_length_histogram(one), nlh)
    assert not metrics.pitch_class_transition_matrix(one).any() and not metrics.note_length_transition_matrix(one).any()
    pair = [Note(62, 0, 0.5), Note(75, 0.5, 2.5)]  # D eighth → D# half: one transition
    pctm, nltm = np.zeros((12, 12)), np.zeros((12, 12))
    pctm[2, 3], nltm[3, 1] = 1.0, 1.0
    np.testing.assert_array_equal(metrics.pitch_class_transition_matrix(pair), pctm)
    np.testing.assert_array_equal(metrics.note_length_transition_matrix(pair), nltm)
    assert metrics.pitch_range(pair) == 13 and metrics.pitch_count(pair) == 2
    assert metrics.average_pitch_interval(pair) == 13.0 and metrics.average_ioi(pair) == 0.5
    # the transitions of a chord progression follow its top line only: C5 → B4 → D5
    line = [Note(48, 0, 1), Note(72, 0, 1), Note(50, 1, 2), Note(71, 1, 2), Note(74, 2, 4)]
    pctm = np.zeros((12, 12))
    pctm[0, 11], pctm[11, 2] = 0.5, 0.5
    np.testing.assert_array_equal(metrics.pitch_class_transition_matrix(line), pctm)
    assert metrics.average_pitch_interval(line) == 2.0
    nltm = np.zeros((12, 12))
    nltm[2, 2], nltm[2, 1] = 0.5, 0.5  # quarter → quarter → half
    np.testing.assert_array_equal(metrics.note_length_transition_matrix(line), nltm)
    # a transition that comes back counts each time: quarter → quarter twice, then quarter → half
    repeated = [Note(60, 0, 1), Note(62, 1, 2), Note(64, 2, 3), Note(65, 3, 5)]
    nltm = np.zeros((12, 12))
    nltm[2, 2], nltm[2, 1] = 2 / 3, 1 / 3
    np.testing.assert_allclose(metrics.note_length_transition_matrix(repeated), nltm)
    with pytest.raises(MetricError, match="must be > 0 quarter notes, got -1.0"):
        metrics.note_length_class(-1.0)


def test_polyphony_scale_and_empty_beats_by_hand():
    # silence between notes does not count in polyphony
    assert metrics.polyphony([Note(60, 0, 1), Note(62, 2, 3)]) == 1.0
    # two pitches for 1 beat, one for 2 beats, (2·1 + 1·2) / 3
    assert metrics.polyphony([Note(60, 0, 3), Note(64, 1, 2)]) == pytest.approx(4 / 3)
    assert metrics.polyphony([Note(60, 0, 1), Note(127, 0, 1)]) == 2.0
    # every pitch class once: the best major or minor scale holds 7 of 12
    chromatic = [Note(60 + k, k, k + 1) for k in range(12)]
    assert metrics.scale_consistency(chromatic) == pytest.approx(7 / 12)
    # A natural minor (the white keys from A) with a G#: 6 of 7 in A minor, C major, ...
    assert metrics.scale_consistency([Note(p, 0, 1) for p in (57, 59, 60, 62, 64, 65, 68)]) == pytest.approx(6 / 7)
    # pitches read from a float array count as their pitch classes
    assert metrics.scale_consistency([Note(float(p), 0, 1) for p in (60.0, 62.0, 61.0)]) == pytest.approx(2 / 3)
    # a note ending exactly on a beat does not reach into the next one
    assert metrics.empty_beat_rate([Note(60, 0, 2)]) == 0.0
    assert metrics.empty_beat_rate([Note(60, 0, 1), Note(60, 2, 3)]) == pytest.approx(1 / 3)
    assert metrics.empty_beat_rate([Note(60, 0, 1), Note(60, 3.5, 4)]) == pytest.approx(2 / 4)
    assert metrics.empty_beat_rate([Note(60, 0.5, 1.5)]) == 0.0  # beats 0 and 1 both sound


def test_feature_name_and_set_errors():
    with pytest.raises(MetricError, match=r"unknown feature\(s\) \[\]; choose from pitch_count, "):
        metrics.piece_features(melody(), [])
    with pytest.raises(MetricError, match=r"unknown feature\(s\) \['loudness'\]"):
        metrics.set_features([melody()], ["pitch_range", "loudness"])
    feats = metrics.piece_features(chords(), ["polyphony", "scale_consistency", "empty_beat_rate", "note_count"])
    assert list(feats) == ["polyphony", "scale_consistency", "empty_beat_rate", "note_count"]
    assert feats["polyphony"] == 2.0 and feats["note_count"].dtype == np.float64
    with pytest.raises(MetricError, match="got an item of type str; decode tokens"):
        metrics.note_count([Note(60, 0, 1), "x"])
    stats_ = metrics.set_statistics({"h": np.array([[0.0, 1.0], [1.0, 1.0], [2.0, 4.0]])})
    np.testing.assert_allclose(stats_["h"][0], [1.0, 2.0])
    np.testing.assert_allclose(stats_["h"][1], [math.sqrt(2 / 3), math.sqrt(2)])


def test_compare_sets_rows_follow_their_definitions():
    rng = np.random.default_rng(9)
    sets = {"other": [_random_melody(rng, 50, 80, 6) for _ in range(3)],
            "ref": [_random_melody(rng, 60, 72, 6) for _ in range(4)]}
    names = ["pitch_range", "note_length_histogram"]
    rows = metrics.compare_sets(sets, "ref", names)
    feats = {s: metrics.set_features(p, names) for s, p in sets.items()}
    assert [(r.feature, r.set_name, r.pieces) for r in rows] == [(f, s, len(sets[s])) for f in names for s in sets]
    for r in rows:
        values = feats[r.set_name][r.feature]
        intra = metrics.intra_set_distances(values)
        assert (r.intra_mean, r.intra_std) == pytest.approx((intra.mean(), intra.std()))
        if r.feature == "pitch_range":
            assert (r.mean, r.std) == pytest.approx((values.mean(), values.std()))
        else:
            assert math.isnan(r.mean) and math.isnan(r.std)
        if r.set_name == "ref":
            assert math.isnan(r.overlap) and math.isnan(r.kl)
        else:
            ref_intra = metrics.intra_set_distances(feats["ref"][r.feature])
            inter = metrics.inter_set_distances(feats["ref"][r.feature], values)
            assert r.overlap == pytest.approx(metrics.overlap_area(ref_intra, inter))
            assert r.kl == pytest.approx(metrics.kl_divergence(ref_intra, inter))
    with pytest.raises(MetricError, match=r"reference 'x' is not one of the sets \['other', 'ref'\]"):
        metrics.compare_sets(sets, "x")
    with pytest.raises(MetricError, match="set 'b' has 1 piece\\(s\\); intra-set distances need at least two"):
        metrics.compare_sets({"a": [melody(), chords()], "b": [melody()]}, "a")
