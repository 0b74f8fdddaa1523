"""The GAN metrics of mgtutor.metrics.gan, each on hand-built inputs with known answers: the toy benchmarks' scores
(notebook 08) and the music and audio GAN metrics (notebook 09).

References: hand-built 2-D samples around known means; hand counts on small piano rolls; the closed form of the
Fréchet distance for isotropic and diagonal Gaussians worked out by hand; scipy.linalg.sqrtm for the general case;
synthesized notes of known pitch for librosa.pyin's pitch accuracy.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

from mgtutor import audio, metrics
from mgtutor.metrics import MetricError


# ------------------------------------------------------------------ the toy benchmarks
def test_modes_covered_and_high_quality_on_hand_built_samples():
    means, sigma = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]), 0.1
    inside, outside = [0.0, 0.29], [0.0, 0.31]  # 3σ = 0.3 from the first mean
    samples = [inside] * 20 + [[1.0, 0.0]] * 19 + [[0.5, 0.5]] * 11 + [outside]
    np.testing.assert_array_equal(metrics.mode_counts(samples, means, sigma), [20, 19, 0])
    assert metrics.modes_covered(samples, means, sigma) == 1  # 19 < 20
    assert metrics.modes_covered(samples, means, sigma, min_count=19) == 2
    assert metrics.high_quality_rate(samples, means, sigma) == pytest.approx(39 / 51)
    collapsed = np.repeat(means[:1], 2500, axis=0)
    assert metrics.toy_gan_scores(collapsed, means, sigma) == {"modes": 1, "of": 3, "high_quality": 1.0,
                                                               "samples": 2500}


def test_modes_captured_needs_one_high_quality_sample_nearest_to_the_mode():
    means, sigma = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [5.0, 5.0]]), 0.1
    # one sample near mode 1, twenty near mode 0, one 0.31 from mode 2 (not high-quality), none near mode 3
    samples = [[0.0, 0.29]] * 20 + [[1.0, 0.05]] + [[0.0, 1.31]]
    assert metrics.modes_captured(samples, means, sigma) == 2
    assert metrics.modes_covered(samples, means, sigma) == 1
    # a sample within 3σ of two overlapping modes counts for the nearer one only
    close = np.array([[0.0, 0.0], [0.2, 0.0]])
    assert metrics.modes_captured([[0.05, 0.0]] * 3, close, sigma) == 1
    assert metrics.modes_captured([[0.15, 0.0]], close, sigma) == 1


@pytest.mark.parametrize(("samples", "means", "sigma", "phrase"), [
    (np.zeros((4, 3)), np.zeros((2, 2)), 0.1, "of one d"),
    (np.zeros((0, 2)), np.zeros((2, 2)), 0.1, "no samples"),
    (np.zeros((2, 2)), np.zeros((2, 2)), -1.0, "sigma must be > 0"),
])
def test_bad_inputs_to_modes_captured(samples, means, sigma, phrase):
    with pytest.raises(MetricError, match=phrase):
        metrics.modes_captured(samples, means, sigma)


@pytest.mark.parametrize(("samples", "means", "sigma", "phrase"), [
    (np.zeros((4, 3)), np.zeros((2, 2)), 0.1, "of one d"),
    (np.zeros((0, 2)), np.zeros((2, 2)), 0.1, "no samples"),
    (np.full((2, 2), np.nan), np.zeros((2, 2)), 0.1, "not finite"),
    (np.zeros((2, 2)), np.zeros((2, 2)), 0.0, "sigma must be > 0"),
])
def test_bad_inputs_to_the_toy_scores(samples, means, sigma, phrase):
    with pytest.raises(MetricError, match=phrase):
        metrics.toy_gan_scores(samples, means, sigma)


# ------------------------------------------------------------------ bars, Fréchet distance, pitch accuracy
T, K = 16, 12  # one bar of sixteenths, one octave of keys: column j is MIDI pitch 60 + j


def bar(*notes, lowest=60):
    """A (T, K) bar from (pitch, first step, length) triples."""
    x = np.zeros((T, K), np.uint8)
    for pitch, start, length in notes:
        x[start:start + length, pitch - lowest] = 1
    return x


C_MAJOR_CHORD = bar((60, 0, 16), (64, 0, 16), (67, 0, 16))            # a whole-bar C major triad
MELODY = bar((60, 0, 4), (62, 4, 4), (64, 8, 2), (65, 10, 1), (67, 11, 5))  # one line, five notes
EMPTY = bar()


def test_roll_notes_are_runs_per_key():
    assert metrics.roll_notes(MELODY) == [(0, 0, 4), (2, 4, 4), (4, 8, 2), (5, 10, 1), (7, 11, 5)]
    # a key on, off, on again: two notes; a run to the last step is cut at the bar line
    assert metrics.roll_notes(bar((61, 0, 2), (61, 3, 13))) == [(1, 0, 2), (1, 3, 13)]
    assert metrics.roll_notes(EMPTY) == []


def test_empty_bar_rate_counts_silent_bars():
    rolls = np.stack([C_MAJOR_CHORD, EMPTY, MELODY, EMPTY])
    assert metrics.empty_bar_rate(rolls) == 0.5
    assert metrics.empty_bar_rate(MELODY) == 0.0  # one (T, K) bar is a batch of one


def test_used_pitch_classes_folds_octaves():
    assert metrics.used_pitch_classes(C_MAJOR_CHORD, lowest=60) == 3.0
    assert metrics.used_pitch_classes(MELODY, lowest=60) == 5.0
    # C4 and C5 are one pitch class: 60 and 72 in a 24-key roll from 60
    two_octaves = np.zeros((T, 24), np.uint8)
    two_octaves[:, [0, 12]] = 1
    assert metrics.used_pitch_classes(two_octaves, lowest=60) == 1.0
    # the same roll read from lowest=61 holds C#: still one class; from 21 (A0) the columns are other pitches
    assert metrics.used_pitch_classes(np.stack([C_MAJOR_CHORD, EMPTY]), lowest=60) == 1.5  # empty bars count 0


def test_qualified_note_ratio_by_length():
    # MELODY's lengths 4, 4, 2, 1, 5: three of five are ≥ 3 steps, four of five ≥ 2
    assert metrics.qualified_note_ratio(MELODY) == pytest.approx(3 / 5)
    assert metrics.qualified_note_ratio(MELODY, min_steps=2) == pytest.approx(4 / 5)
    assert metrics.qualified_note_ratio(np.stack([MELODY, C_MAJOR_CHORD])) == pytest.approx(6 / 8)
    with pytest.raises(MetricError, match="no note"):
        metrics.qualified_note_ratio(EMPTY)
    with pytest.raises(MetricError, match="min_steps"):
        metrics.qualified_note_ratio(MELODY, min_steps=0)


def test_polyphony_is_mean_keys_over_sounding_steps():
    assert metrics.bar_polyphony(C_MAJOR_CHORD) == 3.0
    assert metrics.bar_polyphony(MELODY) == 1.0
    # two keys for 4 steps, one key for 4 more, silence for 8: (2·4 + 1·4) / 8 = 1.5
    assert metrics.bar_polyphony(bar((60, 0, 8), (64, 0, 4))) == 1.5
    assert metrics.bar_polyphony(np.stack([C_MAJOR_CHORD, MELODY, EMPTY])) == pytest.approx((3 * 16 + 16) / 32)
    with pytest.raises(MetricError, match="silent"):
        metrics.bar_polyphony(EMPTY)


def test_in_scale_ratio_picks_the_best_scale_per_bar():
    assert metrics.in_scale_ratio(MELODY, lowest=60) == 1.0  # C D E F G: in C major
    # C, C# (16 steps each) and D (8 steps): no major or harmonic minor scale holds three semitones in a row; the
    # best ones (F harmonic minor, C# major) hold C and C# → 32 / 40
    chromatic = bar((60, 0, 16), (61, 0, 16), (62, 0, 8))
    assert metrics.in_scale_ratio(chromatic, lowest=60) == pytest.approx(32 / 40)
    # A harmonic minor: A B C D E F G# — all in (the raised leading tone needs the harmonic minor)
    a_minor = bar((69, 0, 4), (71, 4, 4), (60, 8, 2), (68, 10, 6))
    assert metrics.in_scale_ratio(a_minor, lowest=60) == 1.0
    assert metrics.in_scale_ratio(a_minor, lowest=60, scale="C major") == pytest.approx(10 / 16)
    # per bar: a C major bar and an F# major bar are both fully in their own scale
    f_sharp = bar((66, 0, 16), (70, 0, 16), (61, 0, 16))
    assert metrics.in_scale_ratio(np.stack([C_MAJOR_CHORD, f_sharp]), lowest=60) == 1.0
    assert metrics.in_scale_ratio(np.stack([C_MAJOR_CHORD, f_sharp]), lowest=60, scale="C major") == 0.5
    with pytest.raises(MetricError, match="unknown scale"):
        metrics.in_scale_ratio(MELODY, scale="H major")
    with pytest.raises(MetricError, match="no on-step"):
        metrics.in_scale_ratio(EMPTY)


def test_scales_are_seven_note_sets():
    assert len(metrics.SCALES) == 24 and all(len(s) == 7 for s in metrics.SCALES.values())
    assert metrics.SCALES["C major"] == {0, 2, 4, 5, 7, 9, 11}
    assert metrics.SCALES["A harmonic minor"] == {9, 11, 0, 2, 4, 5, 8}


def test_nearest_bar_distance_is_hamming_to_the_closest():
    training = np.stack([C_MAJOR_CHORD, MELODY])
    moved = MELODY.copy()
    moved[0, 0] = 0  # one cell off
    generated = np.stack([MELODY, moved, EMPTY, C_MAJOR_CHORD])
    d = metrics.nearest_bar_distance(generated, training)
    brute = [min(int(np.abs(g.astype(int) - r).sum()) for r in training) for g in generated]
    assert d.tolist() == brute == [0, 1, int(MELODY.sum()), 0]
    rng = np.random.default_rng(0)
    a, b = rng.random((7, T, K)) < 0.3, rng.random((11, T, K)) < 0.3
    brute = [min(int((x != y).sum()) for y in b) for x in a]
    assert metrics.nearest_bar_distance(a, b, chunk=3).tolist() == brute
    with pytest.raises(MetricError, match="differ in shape"):
        metrics.nearest_bar_distance(a, b[:, :8])


def test_bar_metrics_collects_everything():
    out = metrics.bar_metrics(np.stack([MELODY, EMPTY]), lowest=60, training=np.stack([MELODY]))
    assert out["bars"] == 2 and out["empty_bar_rate"] == 0.5 and out["used_pitch_classes"] == 2.5
    assert out["copies"] == 1 and out["nearest_distance_min"] == 0
    assert out["nearest_distance_mean"] == MELODY.sum() / 2
    assert metrics.bar_metrics(EMPTY)["polyphony"] is None  # undefined, not an error


@pytest.mark.parametrize("bad, phrase", [
    (np.zeros((2, 3, 4, 5)), "expected one bar"),
    (np.zeros((0, 16, 12)), "expected one bar"),
    (np.full((16, 12), 0.7), "only 0/1"),
])
def test_bad_rolls(bad, phrase):
    with pytest.raises(MetricError, match=phrase):
        metrics.empty_bar_rate(bad)


# --------------------------------------------------------------------------- Fréchet distance


def test_frechet_isotropic_by_hand():
    # N(μ1, a²I) vs N(μ2, b²I) in d dims: ‖μ1 − μ2‖² + d (a − b)²
    d, a, b = 5, 2.0, 0.5
    mu1, mu2 = np.zeros(d), np.full(d, 1.0)
    fd = metrics.frechet_distance_gaussians(mu1, a * a * np.eye(d), mu2, b * b * np.eye(d))
    assert fd == pytest.approx(5.0 + 5 * 1.5**2)


def test_frechet_diagonal_by_hand():
    # diagonal: Σ_i (σ1_i − σ2_i)² with σ the standard deviations; here (3−1)² + (2−2)² + (1−4)² = 13, plus ‖Δμ‖² = 1
    fd = metrics.frechet_distance_gaussians([1, 0, 0], np.diag([9.0, 4.0, 1.0]), [0, 0, 0], np.diag([1.0, 4.0, 16.0]))
    assert fd == pytest.approx(14.0)
    assert metrics.frechet_distance_gaussians([2.0], [[4.0]], [2.0], [[4.0]]) == pytest.approx(0.0, abs=1e-12)


def test_frechet_general_against_scipy_sqrtm():
    rng = np.random.default_rng(3)
    for d in (2, 6, 16):
        a, b = rng.normal(size=(d, d)), rng.normal(size=(d, d))
        s1, s2 = a @ a.T + 0.1 * np.eye(d), b @ b.T
        mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
        ref = ((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * scipy.linalg.sqrtm(s1 @ s2).real)
        assert metrics.frechet_distance_gaussians(mu1, s1, mu2, s2) == pytest.approx(ref, rel=1e-8)
    # a singular covariance (rank 1) is fine too
    v = rng.normal(size=(4, 1))
    s1, s2 = v @ v.T, np.eye(4)
    ref = np.trace(s1 + s2 - 2 * scipy.linalg.sqrtm(s1 @ s2).real)
    assert metrics.frechet_distance_gaussians(np.zeros(4), s1, np.zeros(4), s2) == pytest.approx(ref, rel=1e-7)


def test_frechet_of_feature_sets_uses_the_unbiased_covariance():
    # the four points μ ± e_i (d = 2) have mean μ and sample covariance (ddof 1) 2/3 · I; scaled by s: s² · 2/3 · I
    cross = np.array([[1, 0], [-1, 0], [0, 1], [0, -1]], float)
    x, y = cross + [3, 0], 2 * cross
    # ‖(3, 0)‖² + 2 · (√(2/3) − 2√(2/3))² = 9 + 2 · 2/3
    assert metrics.frechet_distance(x, y) == pytest.approx(9 + 4 / 3)
    assert metrics.frechet_distance(x, x) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(MetricError, match="same d"):
        metrics.frechet_distance(x, y[:, :1])
    with pytest.raises(MetricError, match="n ≥ 2"):
        metrics.frechet_distance(x[:1], y)


def test_frechet_bad_covariances():
    with pytest.raises(MetricError, match="do not fit"):
        metrics.frechet_distance_gaussians([0, 0], np.eye(3), [0, 0], np.eye(2))
    with pytest.raises(MetricError, match="not symmetric"):
        metrics.frechet_distance_gaussians([0, 0], [[1, 1], [0, 1]], [0, 0], np.eye(2))


# --------------------------------------------------------------------------- pitch accuracy


def test_pitch_of_synthesized_notes():
    sr = 16000
    for pitch, timbre in ((45, "clarinet"), (60, "soft-piano"), (76, "strings")):
        y = audio.synth_note(pitch, 100, 0.5, sr, timbre)
        assert metrics.estimate_note_pitch(y, sr, 80.0, 1000.0) == pytest.approx(pitch, abs=0.1)
    assert np.isnan(metrics.estimate_note_pitch(np.zeros(8000), sr))
    with pytest.raises(MetricError, match="1-D signal"):
        metrics.estimate_note_pitch(np.zeros((2, 8000)), sr)
    with pytest.raises(MetricError, match="fmin"):
        metrics.estimate_note_pitch(np.ones(8000), sr, fmin=500, fmax=100)


def test_pitch_accuracy_counts_notes_within_50_cents():
    sr = 16000
    notes = np.stack([audio.synth_note(57, 100, 0.5, sr, "organ"),       # right
                      audio.synth_note(60.3, 100, 0.5, sr, "organ"),     # 30 cents sharp: right
                      audio.synth_note(64.7, 100, 0.5, sr, "organ"),     # 70 cents flat of 65.4…: asked 64 → wrong
                      np.zeros(8000, np.float32)])                       # silence: wrong
    acc, est = metrics.pitch_accuracy(notes, [57, 60, 64, 62], sr)
    assert acc == 0.5
    assert est[:3] == pytest.approx([57.0, 60.3, 64.7], abs=0.1) and np.isnan(est[3])
    # asked an octave lower or higher, the right notes are wrong (pyin searches an octave beyond the asked pitches)
    assert metrics.pitch_accuracy(notes[:2], [45, 48], sr)[0] == 0.0
    assert metrics.pitch_accuracy(notes[:2], [69, 72], sr)[0] == 0.0
    with pytest.raises(MetricError, match="need"):
        metrics.pitch_accuracy(notes, [57, 60], sr)


# ------------------------------------------------------------------ the yardsticks of a generative metric
def test_subsample_interval_equals_the_draws_written_out():
    pool = np.arange(20, dtype=float) ** 2
    got = metrics.subsample_interval(np.mean, pool, 5, draws=50, seed=3)
    rng = np.random.default_rng(3)
    by_hand = np.array([pool[rng.choice(20, 5, replace=False)].mean() for _ in range(50)])
    np.testing.assert_allclose(got["values"], by_hand)
    assert got["low"] == pytest.approx(np.percentile(by_hand, 2.5))
    assert got["high"] == pytest.approx(np.percentile(by_hand, 97.5))
    assert got["std"] == pytest.approx(by_hand.std(ddof=1)) and got["median"] == pytest.approx(np.median(by_hand))
    # the whole pool without replacement has no spread; with replacement it has
    whole = metrics.subsample_interval(np.mean, pool, 20, draws=10)
    assert whole["std"] == pytest.approx(0.0, abs=1e-12) and whole["low"] == pytest.approx(pool.mean())
    assert metrics.subsample_interval(np.mean, pool, 20, draws=10, replace=True)["std"] > 0
    # the spread of a mean of n draws without replacement: s²/n · (N − n)/(N − 1) (finite population)
    big = np.random.default_rng(0).normal(size=400)
    iv = metrics.subsample_interval(np.mean, big, 100, draws=4000, seed=1)
    expected = big.std(ddof=0) / np.sqrt(100) * np.sqrt((400 - 100) / (400 - 1))
    assert iv["std"] == pytest.approx(expected, rel=0.05)


@pytest.mark.parametrize(("kwargs", "phrase"), [
    ({"n": 1}, "need 2 ≤ n"), ({"n": 21}, "need 2 ≤ n"), ({"draws": 1}, "draws ≥ 2"),
    ({"percentiles": (50, 50)}, "percentiles"), ({"percentiles": (-1, 90)}, "percentiles")])
def test_subsample_interval_refuses_bad_input(kwargs, phrase):
    with pytest.raises(MetricError, match=phrase):
        metrics.subsample_interval(np.mean, np.arange(20.0), **{"n": 5, **kwargs})


def test_memoriser_replays_training_examples_of_the_asked_label():
    idx = metrics.memoriser_indices(10, 200, seed=0)
    assert idx.shape == (200,) and idx.min() >= 0 and idx.max() <= 9 and len(set(idx.tolist())) == 10
    labels = np.array([0, 1, 1, 2, 2, 2])
    asked = np.array([2, 0, 1, 2, 1, 0, 2])
    got = metrics.memoriser_indices(6, len(asked), seed=1, asked=asked, train_labels=labels)
    np.testing.assert_array_equal(labels[got], asked)
    with pytest.raises(MetricError, match="no training example has the asked label 3"):
        metrics.memoriser_indices(6, 1, asked=np.array([3]), train_labels=labels)
    with pytest.raises(MetricError, match="one label per training example"):
        metrics.memoriser_indices(6, 1, asked=np.array([0]), train_labels=labels[:5])
    with pytest.raises(MetricError, match="≥ 1 training example"):
        metrics.memoriser_indices(0, 3)


def test_nearest_neighbour_rms_equals_brute_force():
    rng = np.random.default_rng(0)
    train, gen = rng.normal(size=(30, 4, 5)), rng.normal(size=(17, 4, 5))
    brute = np.array([min(np.sqrt(np.mean((g - t) ** 2)) for t in train) for g in gen])
    np.testing.assert_allclose(metrics.nearest_neighbour_rms(gen, train, chunk=4), brute, rtol=1e-9)
    np.testing.assert_allclose(metrics.nearest_neighbour_rms(train[[3, 7]], train), 0.0, atol=1e-6)  # copies
    with pytest.raises(MetricError, match="one shape"):
        metrics.nearest_neighbour_rms(gen[:, :3], train)
    with pytest.raises(MetricError, match="non-empty"):
        metrics.nearest_neighbour_rms(gen[:0], train)


def test_bar_metric_parts_give_bar_metrics_on_any_subset():
    rng = np.random.default_rng(0)
    bars = (rng.random((40, 16, 24)) < 0.08).astype(np.uint8)
    bars[3] = 0  # an empty bar
    bars[5, 2:9, 4] = 1  # a long note
    parts = metrics.bar_metric_parts(bars, lowest=48, min_steps=3)
    assert tuple(parts) == metrics.BAR_METRICS and all(p.shape == (40, 2) for p in parts.values())
    for idx in (np.arange(40), rng.choice(40, 11, replace=False), np.array([5, 5, 3])):
        whole = metrics.bar_metrics(bars[idx], lowest=48, min_steps=3)
        for name in metrics.BAR_METRICS:
            assert metrics.ratio_of_sums(parts[name][idx]) == pytest.approx(whole[name], rel=1e-12), name
    # by hand on one bar: C E G held 8 steps, one sixteenth D
    bar = np.zeros((16, 24), np.uint8)
    bar[0:8, [12, 16, 19]] = 1
    bar[9, 14] = 1
    one = {k: tuple(v[0]) for k, v in metrics.bar_metric_parts(bar, lowest=48).items()}
    assert one == {"empty_bar_rate": (0, 1), "used_pitch_classes": (4, 1), "qualified_note_ratio": (3, 4),
                   "polyphony": (25, 9), "in_scale_ratio": (25, 25)}
    assert np.isnan(metrics.ratio_of_sums(metrics.bar_metric_parts(np.zeros((2, 16, 24)))["polyphony"]))
    with pytest.raises(MetricError, match="min_steps"):
        metrics.bar_metric_parts(bars, min_steps=0)


# ------------------------------------------------------------------ edges: boundaries, dtypes, messages
def test_high_quality_rate_counts_a_sample_at_exactly_three_sigma():
    means = np.array([[0.0, 0.0], [10.0, 0.0]])
    samples = [[3.0, 0.0], [0.0, -3.0], [6.5, 0.0], [10.0, 4.0]]  # 3σ, 3σ, 3.5σ, 4σ from the nearest mean
    assert metrics.high_quality_rate(samples, means, 1.0) == 0.5
    for sigma in (0.0, -1.0):
        with pytest.raises(MetricError, match=r"sigma must be > 0, got "):
            metrics.high_quality_rate(samples, means, sigma)


def test_frechet_distance_of_float32_features_is_computed_in_float64():
    # 2^24 and 2^24 + 2 are float32 numbers, but their float32 sum rounds down: a float32 mean would be 2^24, not
    # 2^24 + 1, and the two sets below would be 1 apart instead of identical
    x32 = np.array([[2.0**24, 0.0], [2.0**24 + 2, 1.0], [2.0**24, 2.0]], np.float32)
    x64 = x32.astype(np.float64)
    assert metrics.frechet_distance(x32, x64) == pytest.approx(0.0, abs=1e-6)
    assert metrics.frechet_distance(x64, x32) == pytest.approx(0.0, abs=1e-6)


def test_nearest_bar_distance_names_the_bad_set_and_returns_int64():
    d = metrics.nearest_bar_distance(np.stack([MELODY, EMPTY]), np.stack([C_MAJOR_CHORD]))
    assert d.dtype == np.int64 and d.tolist() == [int((MELODY != C_MAJOR_CHORD).sum()), int(C_MAJOR_CHORD.sum())]
    with pytest.raises(MetricError, match=r"^generated: .*only 0/1"):
        metrics.nearest_bar_distance(np.full((16, 12), 0.5), MELODY)
    with pytest.raises(MetricError, match=r"^training: .*only 0/1"):
        metrics.nearest_bar_distance(MELODY, np.full((16, 12), 0.5))
    with pytest.raises(MetricError, match=r"^generated bars \(16, 12\) and training bars \(8, 12\) differ in shape$"):
        metrics.nearest_bar_distance(MELODY, MELODY[:8])


def test_memoriser_draws_uniformly_from_a_seeded_generator():
    np.testing.assert_array_equal(metrics.memoriser_indices(10, 50), np.random.default_rng(0).integers(0, 10, 50))
    np.testing.assert_array_equal(metrics.memoriser_indices(10, 50, seed=7),
                                  np.random.default_rng(7).integers(0, 10, 50))
    assert metrics.memoriser_indices(10, 5).dtype == np.int64
    # the smallest sizes are allowed: one training example, one draw
    np.testing.assert_array_equal(metrics.memoriser_indices(1, 3), [0, 0, 0])
    assert metrics.memoriser_indices(5, 1).shape == (1,)
    with pytest.raises(MetricError, match="n ≥ 1"):
        metrics.memoriser_indices(5, 0)
    # each ask of a label is its own draw: thirty asks of label 2 reach all three of its examples
    labels = np.array([0, 1, 1, 2, 2, 2])
    got = metrics.memoriser_indices(6, 30, seed=0, asked=np.full(30, 2), train_labels=labels)
    assert got.dtype == np.int64 and set(got.tolist()) == {3, 4, 5}


def test_nearest_neighbour_rms_of_vectors_and_of_float32_examples():
    # (N, d) vectors are examples too; float32 inputs are compared in float64: ‖g‖² + ‖r‖² − 2 g·r cancels
    # 5000² terms, which float32 (about 7 digits) rounds by more than the distance itself
    g = np.array([[5000.0, 1.0]], np.float32)
    r = np.array([[5000.5, 0.0], [4990.0, 0.0]], np.float32)
    by_hand = np.sqrt((0.5**2 + 1.0**2) / 2)
    for gen, train in ((g, r), (g, r.astype(np.float64)), (g.astype(np.float64), r)):
        np.testing.assert_allclose(metrics.nearest_neighbour_rms(gen, train), [by_hand], rtol=1e-9)


def test_toy_scores_count_samples_at_exactly_three_sigma_and_refuse_zero_sigma():
    means = np.array([[0.0, 0.0], [10.0, 0.0]])
    samples = [[3.0, 0.0], [10.0, -3.0], [0.0, 3.5]]  # two at exactly 3σ, one beyond
    np.testing.assert_array_equal(metrics.mode_counts(samples, means, 1.0), [1, 1])
    assert metrics.modes_captured(samples, means, 1.0) == 2
    assert metrics.modes_captured(samples[2:], means, 1.0) == 0
    for fn in (metrics.mode_counts, metrics.modes_captured):
        with pytest.raises(MetricError, match=r"^sigma must be > 0, got 0\.0$"):
            fn(samples, means, 0.0)
    # a single mode is a benchmark too
    np.testing.assert_array_equal(metrics.mode_counts(samples, means[:1], 1.0), [1])
    with pytest.raises(MetricError, match="of one d"):
        metrics.mode_counts(np.zeros((4, 2, 2)), means, 1.0)  # 3-D samples
    with pytest.raises(MetricError, match="of one d"):
        metrics.mode_counts(np.zeros((4, 2)), np.zeros((2, 2, 2)), 1.0)  # 3-D means
    with pytest.raises(MetricError, match="of one d"):
        metrics.mode_counts(np.zeros((4, 2)), np.zeros((0, 2)), 1.0)  # no mean
    with pytest.raises(MetricError, match=r"^no samples to score, or samples that are not finite$"):
        metrics.mode_counts([[np.inf, 0.0]], means, 1.0)


def test_scale_and_pitch_defaults_read_an_88_key_roll_from_a0():
    # an 88-key roll's column j is MIDI pitch 21 + j: columns 39, 43, 46 are C4, E4, G4 (C major)
    c_major = np.zeros((16, 88), np.uint8)
    c_major[:, [39, 43, 46]] = 1
    assert metrics.in_scale_ratio(c_major, scale="C major") == 1.0
    # read one semitone higher (C#, F, G#) only F would be in C major
    assert metrics.in_scale_ratio(c_major, lowest=22, scale="C major") == pytest.approx(1 / 3)


def test_bar_metric_parts_default_and_smallest_min_steps():
    three = bar((60, 0, 3), (62, 4, 2), (64, 8, 1))  # notes of 3, 2 and 1 steps
    assert tuple(metrics.bar_metric_parts(three)["qualified_note_ratio"][0]) == (1, 3)  # a 3-step note qualifies
    assert tuple(metrics.bar_metric_parts(three, min_steps=1)["qualified_note_ratio"][0]) == (3, 3)
    assert metrics.bar_metrics(three)["qualified_note_ratio"] == pytest.approx(1 / 3)
    assert metrics.bar_metrics(three, min_steps=2)["qualified_note_ratio"] == pytest.approx(2 / 3)
    assert metrics.qualified_note_ratio(three) == pytest.approx(1 / 3)
    assert metrics.qualified_note_ratio(three, min_steps=1) == 1.0
    for bad in (0, True, 2.0):
        with pytest.raises(MetricError, match="min_steps must be an integer"):
            metrics.bar_metric_parts(three, min_steps=bad)
        with pytest.raises(MetricError, match="min_steps must be an integer"):
            metrics.qualified_note_ratio(three, min_steps=bad)


def test_bar_metrics_counts_every_copy():
    out = metrics.bar_metrics(np.stack([MELODY, C_MAJOR_CHORD, EMPTY]), training=np.stack([MELODY, C_MAJOR_CHORD]))
    assert out["copies"] == 2 and out["nearest_distance_min"] == 0
    assert out["nearest_distance_mean"] == pytest.approx(min(MELODY.sum(), C_MAJOR_CHORD.sum()) / 3)


def test_undefined_bar_metrics_say_why():
    with pytest.raises(MetricError, match=r"^every time step is silent: polyphony is undefined$"):
        metrics.bar_polyphony(EMPTY)
    with pytest.raises(MetricError, match=r"^no on-step in any bar: the in-scale ratio is undefined$"):
        metrics.in_scale_ratio(EMPTY)
    with pytest.raises(MetricError, match=r"^unknown scale 'H major'; use one of C major, C# major, D major, "):
        metrics.in_scale_ratio(MELODY, scale="H major")


def test_ratio_of_sums_by_hand():
    assert metrics.ratio_of_sums([[0.25, 0.5]]) == 0.5  # a denominator below 1 is still a denominator
    assert metrics.ratio_of_sums([[1, 2], [2, 4]]) == 0.5
    assert np.isnan(metrics.ratio_of_sums([[1.0, 0.0], [2.0, 0.0]]))  # undefined, not infinite


def test_roll_notes_and_qualified_note_ratio_messages():
    with pytest.raises(MetricError, match=r"^bar: .*only 0/1"):
        metrics.roll_notes(np.full((16, 12), 0.5))
    with pytest.raises(MetricError, match=r"^roll_notes takes one bar \(T, K\), got 2 bars$"):
        metrics.roll_notes(np.stack([MELODY, MELODY]))
    with pytest.raises(MetricError, match=r"^rolls: .*only 0/1"):
        metrics.qualified_note_ratio(np.full((16, 12), 0.5))
    with pytest.raises(MetricError, match=r"^no note in any bar: the qualified-note ratio is undefined$"):
        metrics.qualified_note_ratio(np.stack([EMPTY, EMPTY]))


def test_pitch_accuracy_tolerance_and_search_range(monkeypatch):
    # the estimator replaced by one that reads the estimated pitch off the first sample: the counting rule alone
    calls = []

    def estimate(y, sr, fmin, fmax):
        calls.append((fmin, fmax))
        return float(y[0])

    monkeypatch.setattr(metrics.gan, "estimate_note_pitch", estimate)
    est = [60.49, 60.505, 59.5, np.nan, 72.0]  # 49 cents, 50.5 cents, exactly 50 cents, unvoiced, an octave
    notes = np.repeat(np.array(est)[:, None], 4, axis=1)
    acc, got = metrics.pitch_accuracy(notes, np.array([60, 60, 60, 60, 60], np.uint8), 16000)
    assert acc == pytest.approx(2 / 5)
    np.testing.assert_array_equal(got, est)
    # default search range: an octave below the lowest and above the highest asked pitch (uint8 pitches too)
    assert calls[0] == pytest.approx((440.0 * 2 ** ((48 - 69) / 12), 440.0 * 2 ** ((72 - 69) / 12)))
    calls.clear()
    assert metrics.pitch_accuracy(notes[:1], [60], 16000, fmin=80.0, fmax=900.0)[0] == 1.0  # one note is enough
    assert calls == [(80.0, 900.0)]
    assert metrics.pitch_accuracy(notes[1:2], [60], 16000, cents=51.0)[0] == 1.0


def test_subsample_interval_defaults_and_smallest_sizes():
    pool = np.arange(20, dtype=float) ** 2
    got = metrics.subsample_interval(np.mean, pool, 5)  # 200 draws from seed 0
    rng = np.random.default_rng(0)
    by_hand = np.array([pool[rng.choice(20, 5, replace=False)].mean() for _ in range(200)])
    np.testing.assert_allclose(got["values"], by_hand)
    assert got["mean"] == pytest.approx(by_hand.mean())
    # the smallest allowed sizes: n = 2, a pool of 2, 2 draws; percentiles 0 and 100 are the extremes
    tiny = metrics.subsample_interval(np.mean, np.array([1.0, 3.0]), 2, draws=2)
    assert tiny["values"].tolist() == [2.0, 2.0]
    ends = metrics.subsample_interval(np.mean, pool, 2, draws=30, percentiles=(0, 100))
    assert ends["low"] == ends["values"].min() and ends["high"] == ends["values"].max()
    # with replacement a sub-sample may be larger than the pool
    assert metrics.subsample_interval(np.mean, pool, 30, draws=5, replace=True)["values"].shape == (5,)
    with pytest.raises(MetricError, match=r"^sub-samples of n=2 from a pool of 0, 5 draws: need 2 ≤ n ≤ the pool's "
                                          r"size and draws ≥ 2$"):
        metrics.subsample_interval(np.mean, np.float64(3.0), 2, draws=5)
    with pytest.raises(MetricError, match="from a pool of 1"):
        metrics.subsample_interval(np.mean, np.array([1.0]), 2, draws=5, replace=True)
    with pytest.raises(MetricError, match="percentiles"):
        metrics.subsample_interval(np.mean, pool, 5, percentiles=(50, 100.5))


def test_frechet_gaussians_of_float32_covariances_are_computed_in_float64():
    # one covariance of size 1e3, given once as float32 and once as the same numbers in float64: the Gaussians
    # differ only by the shift of the mean, so FD = ‖Δμ‖² = 6; float32 traces and eigenvalues would miss it by ~1e-3
    a = np.random.default_rng(1).normal(size=(6, 6))
    s32 = ((a @ a.T + np.eye(6)) * 1e3).astype(np.float32)
    s64 = s32.astype(np.float64)
    assert metrics.frechet_distance_gaussians(np.zeros(6), s32, np.ones(6), s64) == pytest.approx(6.0, abs=1e-6)
    assert metrics.frechet_distance_gaussians(np.zeros(6), s64, np.ones(6), s32) == pytest.approx(6.0, abs=1e-6)
    # identical Gaussians: 0 (never a negative round-off)
    assert metrics.frechet_distance_gaussians(np.ones(6), s64, np.ones(6), s64) == pytest.approx(0.0, abs=1e-6)


def test_frechet_symmetry_check_is_relative_to_the_covariance_size():
    # round-off of 5e-4 off the diagonal of a covariance of size 1e6 is symmetric enough (tolerance 1e-9 · 1e6)
    s = np.diag([1e6, 1e6])
    s_round = s + [[0.0, 5e-4], [0.0, 0.0]]
    assert metrics.frechet_distance_gaussians([0, 0], s_round, [0, 0], s) == pytest.approx(0.0, abs=1e-6)
    # a relative asymmetry of 5e-6 between entries of size 1e3 is not (relative tolerance 1e-6)
    with pytest.raises(MetricError, match="not symmetric"):
        metrics.frechet_distance_gaussians([0, 0], [[2e3, 1e3 + 5e-3], [1e3, 2e3]], [0, 0], np.eye(2))
    with pytest.raises(MetricError, match=r"do not fit one dimension d: want \(d,\) and \(d, d\)$"):
        metrics.frechet_distance_gaussians([0, 0], np.eye(2), [0, 0, 0], np.eye(2))


def test_estimate_note_pitch_is_the_median_of_pyin_over_voiced_frames():
    import librosa

    sr = 16000
    # default search range 50–2000 Hz, frames of 1024 samples; the reference is librosa.pyin called directly
    # (1975 Hz, MIDI 95, lies at the top of the range, where pyin's answer depends on the exact fmax)
    for pitch in (69, 95):
        y = audio.synth_note(pitch, 100, 0.3, sr, "organ")
        f0, voiced, _ = librosa.pyin(y.astype(np.float64), fmin=50.0, fmax=2000.0, sr=sr, frame_length=1024)
        ref = 69 + 12 * np.log2(np.median(f0[voiced]) / 440.0)
        assert metrics.estimate_note_pitch(y, sr) == pytest.approx(ref, abs=1e-9)
    # 16-bit PCM (integers) is read as a signal too
    pcm = np.round(y / np.abs(y).max() * 20000).astype(np.int16)
    assert metrics.estimate_note_pitch(pcm, sr, 1000.0, 4000.0) == pytest.approx(95, abs=0.3)  # 10-cent bins


def test_estimate_note_pitch_checks_its_range_before_listening():
    sr = 16000
    assert np.isnan(metrics.estimate_note_pitch(np.zeros(1024), sr))  # exactly one frame is enough
    assert np.isnan(metrics.estimate_note_pitch(np.eye(1, 4096)[0], sr))  # a click: sound, but no voiced frame
    assert np.isnan(metrics.estimate_note_pitch(np.zeros(2048), sr, fmin=0.5, fmax=100.0))
    assert np.isnan(metrics.estimate_note_pitch(np.zeros(2048), sr, fmin=100.0, fmax=6000.0))  # above sr/3
    with pytest.raises(MetricError, match="1-D signal"):
        metrics.estimate_note_pitch(np.zeros(1023), sr)
    for fmin, fmax in ((0.0, 100.0), (100.0, 100.0), (100.0, 8000.0), (100.0, 9000.0)):
        with pytest.raises(MetricError, match=r"need 0 < fmin < fmax < sr/2"):
            metrics.estimate_note_pitch(np.zeros(2048), sr, fmin=fmin, fmax=fmax)


def test_frechet_distance_edges():
    # two samples per set are enough: 1-D sets {0, 2} (mean 1, variance 2) and {1, 1} (mean 1, variance 0): (√2)² = 2
    assert metrics.frechet_distance([[0.0], [2.0]], [[1.0], [1.0]]) == pytest.approx(2.0)
    with pytest.raises(MetricError, match=r"need two 2-D arrays \(n, d\) with the same d and n ≥ 2$"):
        metrics.frechet_distance([0.0, 1.0, 2.0], [[0.0], [1.0]])  # a 1-D set
    with pytest.raises(MetricError, match=r"need two 2-D arrays"):
        metrics.frechet_distance([[0.0], [1.0]], [0.0, 1.0, 2.0])
    # the symmetry tolerance is never below 1e-9, and the message says what is wrong
    with pytest.raises(MetricError, match=r"^a covariance matrix is not symmetric$"):
        metrics.frechet_distance_gaussians([0, 0], [[0.5, 1.5e-9], [0.0, 0.5]], [0, 0], np.eye(2))
