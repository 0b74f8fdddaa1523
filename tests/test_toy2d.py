"""The 2-D mode-collapse benchmarks (mgtutor.data.toy2d), and the scores of a real sample (modes, high quality)."""

import numpy as np
import pytest
from scipy import stats

from mgtutor import data, metrics
from mgtutor.errors import DatasetError


def test_the_benchmarks_have_the_published_means_and_sigmas():
    ring, grid = data.toy_set("ring"), data.toy_set("grid")
    assert ring.means.shape == (8, 2) and ring.sigma == 0.02 and grid.means.shape == (25, 2) and grid.sigma == 0.05
    np.testing.assert_allclose(ring.means[1], [np.sqrt(0.5), np.sqrt(0.5)])
    np.testing.assert_allclose(ring.means[6], [0.0, -1.0], atol=1e-12)
    assert {tuple(m) for m in grid.means} == {(x, y) for x in (-4, -2, 0, 2, 4) for y in (-4, -2, 0, 2, 4)}


@pytest.mark.parametrize("name", ["ring", "grid"])
def test_samples_are_seeded_and_spread_evenly_with_the_right_sigma(name):
    spec = data.toy_set(name)
    x = data.toy_sample(name, 20000, seed=1)
    assert x.shape == (20000, 2) and x.dtype == np.float32
    np.testing.assert_array_equal(x, data.toy_sample(name, 20000, seed=1))
    assert not np.array_equal(x, data.toy_sample(name, 20000, seed=2))
    nearest = np.argmin(np.linalg.norm(x[:, None] - spec.means[None], axis=-1), axis=1)
    counts = np.bincount(nearest, minlength=len(spec.means))
    assert stats.chisquare(counts).pvalue > 1e-3  # equally likely modes
    offsets = x - spec.means[nearest]
    np.testing.assert_allclose(offsets.std(axis=0), spec.sigma, rtol=0.03)


@pytest.mark.parametrize("name", ["ring", "grid"])
def test_real_data_covers_every_mode_at_the_chi_square_rate(name):
    """A real sample is within 3σ of its mean with probability P(χ²₂ ≤ 9) = 1 − e^(−4.5) ≈ 0.989."""
    spec = data.toy_set(name)
    x = data.toy_sample(name, metrics.TOY_SAMPLES, seed=0)
    scores = metrics.toy_gan_scores(x, spec.means, spec.sigma)
    assert scores["modes"] == scores["of"] == len(spec.means) and scores["samples"] == 2500
    assert scores["high_quality"] == pytest.approx(stats.chi2.cdf(9, df=2), abs=0.01)


def test_bad_benchmark_requests():
    with pytest.raises(DatasetError, match="unknown 2-D benchmark 'spiral'"):
        data.toy_sample("spiral", 10)
    with pytest.raises(DatasetError, match="n must be a positive integer"):
        data.toy_sample("ring", 0)
    with pytest.raises(DatasetError, match="batch_size must be a positive integer"):
        data.ToyData("ring", 100, 0)


def test_toy_data_draws_a_fresh_seeded_epoch():
    stream = data.ToyData("grid", 100, 32, seed=4)
    assert stream.steps_per_epoch == 4
    np.testing.assert_array_equal(stream.epoch(3)[0], data.toy_sample("grid", 100, [4, 3]))
    assert not np.array_equal(stream.epoch(3)[0], stream.epoch(4)[0])
    batches = list(stream.batches(0, 2))
    assert len(batches) == 8 and batches[3][0].shape == (4, 2)
