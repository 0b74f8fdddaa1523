"""Likelihood metrics (mgtutor.metrics.likelihood): token and frame NLL by hand and against Keras' cross-entropy,
the Keras metrics that accumulate them over an epoch, and the frame NLL over the pieces of a split."""

import math

import keras
import numpy as np
import pytest

from mgtutor import metrics


def test_sequence_nll_equals_keras_cross_entropy_and_uniform_is_log_v():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((None,), dtype="int32"), keras.layers.Embedding(7, 3),
                              keras.layers.LSTM(5, return_sequences=True), keras.layers.Dense(7)])
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 7, (5, 6)).astype("int32"), rng.integers(0, 7, (5, 6)).astype("int32")
    ref = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(y, model(x))
    ones = np.ones((5, 6), "float32")
    assert metrics.sequence_nll(model, x, y, ones, batch_size=2) == pytest.approx(float(ref), 1e-5)
    w = np.zeros((5, 6), "float32")
    w[:, :2] = 1
    ref2 = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(y[:, :2], model(x)[:, :2])
    assert metrics.sequence_nll(model, x, y, w) == pytest.approx(float(ref2), 1e-5)
    uniform = keras.Sequential([keras.Input((None,), dtype="int32"), keras.layers.Embedding(7, 2),
                                keras.layers.Dense(7, kernel_initializer="zeros")])
    assert metrics.sequence_nll(uniform, x, y, np.ones((5, 6))) == pytest.approx(math.log(7), 1e-6)


def test_frame_nll_hand_computed_and_keras_metrics_agree():
    p = np.array([[0.9, 0.2], [0.5, 0.5]])
    y = np.array([[1, 0], [0, 1]])
    hand = -(math.log(0.9) + math.log(0.8) + 2 * math.log(0.5)) / 2  # summed over keys, mean over frames
    assert metrics.frame_nll(p, y) == pytest.approx(hand)
    assert metrics.frame_nll(p, y, [1, 0]) == pytest.approx(-(math.log(0.9) + math.log(0.8)))
    m = metrics.keras_metric("frame")
    m.update_state(y[None], p[None], np.array([[1.0, 0.0]]))
    assert float(m.result()) == pytest.approx(-(math.log(0.9) + math.log(0.8)), 1e-6)
    rng = np.random.default_rng(1)
    logits, targets = rng.normal(size=(3, 4, 5)), rng.integers(0, 5, (3, 4))
    w = (rng.random((3, 4)) > 0.3).astype("float32")
    t = metrics.keras_metric("token")
    t.update_state(targets[:2], logits[:2], w[:2])  # two batches accumulate Σ w·NLL and Σ w
    t.update_state(targets[2:], logits[2:], w[2:])
    assert float(t.result()) == pytest.approx(metrics.token_nll(logits, targets, w), 1e-5)
    with pytest.raises(metrics.MetricError, match="all weights are zero"):
        metrics.token_nll(logits, targets, np.zeros((3, 4)))
    with pytest.raises(metrics.MetricError, match="kind"):
        metrics.keras_metric("tokens")


def test_frame_nll_pieces_hand_computed_with_and_without_the_first_frame():
    # two keys; piece a has two frames, piece b one
    p_a, y_a = np.array([[0.9, 0.2], [0.5, 0.5]]), np.array([[1, 0], [0, 1]])
    p_b, y_b = np.array([[0.1, 0.7]]), np.array([[0, 1]])
    nll_a0 = -(math.log(0.9) + math.log(0.8))
    nll_a1 = -(math.log(0.5) + math.log(0.5))
    nll_b0 = -(math.log(0.9) + math.log(0.7))
    mean, count = metrics.frame_nll_pieces([p_a, p_b], [y_a, y_b])
    assert count == 3 and mean == pytest.approx((nll_a0 + nll_a1 + nll_b0) / 3)
    # a mean over frames, not a mean of the pieces' means
    assert mean != pytest.approx(((nll_a0 + nll_a1) / 2 + nll_b0) / 2)
    mean, count = metrics.frame_nll_pieces([p_a, p_b], [y_a, y_b], skip_first=True)
    assert count == 1 and mean == pytest.approx(nll_a1)  # b's only frame is its first


def test_frame_nll_pieces_bad_input():
    y = np.zeros((3, 88), np.uint8)
    with pytest.raises(metrics.MetricError, match="1 arrays of probabilities for 2 piano rolls"):
        metrics.frame_nll_pieces([np.full((3, 88), 0.5)], [y, y])
    with pytest.raises(metrics.MetricError, match=r"piece 1: probabilities \(2, 88\) and roll \(3, 88\)"):
        metrics.frame_nll_pieces([np.full((3, 88), 0.5), np.full((2, 88), 0.5)], [y, y])
    with pytest.raises(metrics.MetricError, match="must both be"):
        metrics.frame_nll_pieces([np.full(88, 0.5)], [np.zeros(88)])
    with pytest.raises(metrics.MetricError, match="no frame to score"):
        metrics.frame_nll_pieces([], [])
    with pytest.raises(metrics.MetricError, match="skip_first"):
        metrics.frame_nll_pieces([np.full((1, 88), 0.5)], [y[:1]], skip_first=True)
