"""Objective music metrics (after Yang & Lerch 2018): each feature on hand-built pieces with answers worked out by
hand, the distance distributions, and the KDE, overlap area and KL divergence against scipy and closed forms."""

import math

import numpy as np
import pytest
from scipy import integrate, stats

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
    with pytest.raises(MetricError, match="empty set"):
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
