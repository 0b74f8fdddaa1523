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


def test_frame_nll_pieces_skips_empty_pieces_and_weighs_pieces_by_length():
    # one key; an empty piece counts for nothing, a long piece weighs by its frames
    p_long, y_long = np.array([[0.5]] * 3), np.array([[1]] * 3)
    p_short, y_short = np.array([[0.2]]), np.array([[0]])
    empty = np.zeros((0, 1))
    mean, count = metrics.frame_nll_pieces([empty, p_long, empty, p_short], [empty, y_long, empty, y_short])
    assert count == 4 and mean == pytest.approx((3 * math.log(2) - math.log(0.8)) / 4)
    assert isinstance(count, int) and isinstance(mean, float)
    mean, count = metrics.frame_nll_pieces([p_long, p_short], [y_long, y_short], skip_first=True)
    assert count == 2 and mean == pytest.approx(math.log(2))
    # lists and integer probabilities are arrays too; 0 and 1 are clipped to [1e-7, 1 − 1e-7] as in frame_nll
    mean, count = metrics.frame_nll_pieces([[[1, 0]]], [[[0, 0]]])
    assert count == 1 and mean == pytest.approx(-math.log(1e-7) - math.log1p(-1e-7))
    assert mean == pytest.approx(metrics.frame_nll([[1, 0]], [[0, 0]]))


def test_frame_nll_pieces_error_messages():
    y = np.zeros((3, 88), np.uint8)
    with pytest.raises(metrics.MetricError) as err:
        metrics.frame_nll_pieces([np.full((3, 88), 0.5)], [y, y])
    assert str(err.value) == "1 arrays of probabilities for 2 piano rolls; give one per piece"
    with pytest.raises(metrics.MetricError) as err:
        metrics.frame_nll_pieces([np.full((3, 88), 0.5), np.full(88, 0.5)], [y, np.zeros(88)])
    assert str(err.value) == "piece 1: probabilities (88,) and roll (88,) must both be (T, K)"
    with pytest.raises(metrics.MetricError) as err:
        metrics.frame_nll_pieces([np.zeros((0, 88))], [np.zeros((0, 88))])
    assert str(err.value) == "no frame to score: no pieces, or only empty pieces"
    with pytest.raises(metrics.MetricError) as err:
        metrics.frame_nll_pieces([np.full((1, 88), 0.5)], [y[:1]], skip_first=True)
    assert str(err.value) == ("no frame to score: no pieces, or only empty pieces"
                              " (or one-frame pieces with skip_first=True)")


def test_the_keras_metric_classes_are_provided_lazily_and_unknown_names_fail():
    from mgtutor.metrics import keras_metrics

    assert metrics.TokenNLL is keras_metrics.TokenNLL and metrics.FrameNLL is keras_metrics.FrameNLL
    assert metrics.frame_nll_ops is keras_metrics.frame_nll_ops
    from mgtutor.metrics import FrameNLL, TokenNLL, frame_nll_ops  # `from … import` goes through the same hook

    assert (TokenNLL, FrameNLL, frame_nll_ops) == (keras_metrics.TokenNLL, keras_metrics.FrameNLL,
                                                   keras_metrics.frame_nll_ops)
    with pytest.raises(AttributeError) as err:
        metrics.TokenNll  # noqa: B018 — names are case-sensitive
    assert str(err.value) == "module 'mgtutor.metrics' has no attribute 'TokenNll'"
    assert not hasattr(metrics, "keras_metric_classes") and getattr(metrics, "frame_nll_op", None) is None


class TableModel:
    """A stand-in for a Keras model: logits looked up per input id, and a check that it runs in inference mode."""

    def __init__(self, table):
        self.table, self.calls = np.asarray(table, np.float64), []

    def __call__(self, x, training):
        assert training is False
        self.calls.append(len(x))
        return self.table[np.asarray(x)]


def test_sequence_nll_skips_batches_without_real_tokens_and_is_exact_for_any_batch_size():
    rng = np.random.default_rng(2)
    model = TableModel(rng.normal(size=(4, 4)))
    x, y = rng.integers(0, 4, (5, 3)), rng.integers(0, 4, (5, 3))
    w = np.zeros((5, 3))
    w[0, 1] = 1  # batch of rows 0–1 (batch_size 2): one real token
    w[4] = [1, 1, 0]  # rows 2–3 have none: skipped, the batch after them still counts
    ref = metrics.token_nll(model.table[x], y, w)
    nll_t = np.log(np.exp(model.table[x]).sum(-1)) - np.take_along_axis(model.table[x], y[..., None], -1)[..., 0]
    assert ref == pytest.approx((nll_t[0, 1] + nll_t[4, 0] + nll_t[4, 1]) / 3)
    for batch_size in (1, 2, 3, 256):
        model.calls = []
        assert metrics.sequence_nll(model, x, y, w, batch_size=batch_size) == pytest.approx(ref, 1e-12)
    assert model.calls == [5]  # the default batch takes every window at once
    metrics.sequence_nll(model, x, y, w, batch_size=2)
    assert model.calls == [5, 2, 1]  # rows 2–3 carry no weight: the model is not run on them
    with pytest.raises(metrics.MetricError) as err:
        metrics.sequence_nll(model, x, y, np.zeros((5, 3)), batch_size=2)
    assert str(err.value) == "no real tokens to score (all weights are zero)"


def test_frame_nll_clips_at_1e_minus_7():
    # a certain wrong prediction costs −log(1e-7) per key, not infinity
    assert metrics.frame_nll([[0.0]], [[1]]) == pytest.approx(-math.log(1e-7), rel=1e-12)
    assert metrics.frame_nll([[0.0, 1.0]], [[1, 0]]) == pytest.approx(-2 * math.log(1e-7), rel=1e-9)
    assert metrics.frame_nll([[1.0]], [[1]]) == pytest.approx(-math.log1p(-1e-7), rel=1e-9)
    assert metrics.frame_nll([[1e-3]], [[1]], eps=1e-2) == pytest.approx(-math.log(1e-2), rel=1e-12)


def test_likelihood_error_messages_and_the_metric_name():
    with pytest.raises(metrics.MetricError) as err:
        metrics.token_nll(np.zeros((2, 3, 5)), np.zeros((2, 4)))
    assert str(err.value) == "logits (2, 3, 5) do not fit targets (2, 4): expected logits of shape (2, 4) + (V,)"
    with pytest.raises(metrics.MetricError) as err:
        metrics.token_nll(np.zeros((2, 3, 5)), np.zeros((2, 3)), np.ones(3))
    assert str(err.value) == "weights have shape (3,), the targets (2, 3)"
    with pytest.raises(metrics.MetricError) as err:
        metrics.frame_nll(np.zeros((2, 3)), np.zeros((2, 3)), np.zeros(2))
    assert str(err.value) == "no real targets to score (all weights are zero)"
    with pytest.raises(metrics.MetricError) as err:
        metrics.frame_nll(np.zeros((2, 3)), np.zeros((3, 2)))
    assert str(err.value) == "probabilities (2, 3) and frames (3, 2) differ in shape"
    # one real target is enough; a weight may be fractional
    assert metrics.token_nll(np.zeros((2, 5)), [0, 1], [0.0, 1.0]) == pytest.approx(math.log(5))
    assert metrics.frame_nll([[0.5], [0.25]], [[1], [1]], [0.25, 0.25]) == pytest.approx(1.5 * math.log(2))
    with pytest.raises(metrics.MetricError) as err:
        metrics.keras_metric("tokens")
    assert str(err.value) == "kind must be 'token' or 'frame', got 'tokens'"
    assert metrics.keras_metric("token").name == "nll" and metrics.keras_metric("frame", name="val").name == "val"
    assert isinstance(metrics.keras_metric("frame"), metrics.FrameNLL)
    assert isinstance(metrics.keras_metric("token"), metrics.TokenNLL)


def test_frame_nll_is_computed_in_float64_over_any_leading_axes():
    rng = np.random.default_rng(3)
    p, y = rng.random((2, 3, 5)), (rng.random((2, 3, 5)) > 0.5).astype(np.uint8)
    flat = metrics.frame_nll(p.reshape(6, 5), y.reshape(6, 5))
    assert metrics.frame_nll(p, y) == pytest.approx(flat, rel=1e-12)  # (B, T, K): a frame is the last axis
    w = rng.random((2, 3))
    assert metrics.frame_nll(p, y, w) == pytest.approx(metrics.frame_nll(p.reshape(6, 5), y.reshape(6, 5),
                                                                           w.reshape(6)), rel=1e-12)
    # float32 probabilities are scored in float64: the same number as their exact float64 values give
    p32 = p.astype(np.float32)
    assert metrics.frame_nll(p32, y) == pytest.approx(metrics.frame_nll(p32.astype(np.float64), y), rel=1e-12)


def test_sequence_nll_default_batch_and_float32_weights():
    rng = np.random.default_rng(4)
    model = TableModel(rng.normal(size=(3, 3)) * 5)
    x, y = rng.integers(0, 3, (257, 2)), rng.integers(0, 3, (257, 2))
    w = rng.random((257, 2)).astype(np.float32)
    ref = metrics.token_nll(model.table[x], y, w.astype(np.float64))
    assert metrics.sequence_nll(model, x, y, w) == pytest.approx(ref, rel=1e-12)
    assert model.calls == [256, 1]  # batches of 256 windows by default
    # per-batch weight sums in float64 too: a float32 sum would tilt the batches' shares
    assert metrics.sequence_nll(model, x, y, w, batch_size=1) == pytest.approx(ref, rel=1e-12)


def test_token_nll_is_computed_in_float64_for_float32_input():
    rng = np.random.default_rng(5)
    logits, targets = rng.normal(size=(4, 6, 7)).astype(np.float32) * 4, rng.integers(0, 7, (4, 6))
    w = rng.random((4, 6)).astype(np.float32)
    exact = metrics.token_nll(logits.astype(np.float64), targets, w.astype(np.float64))
    assert metrics.token_nll(logits, targets, w) == pytest.approx(exact, rel=1e-12)
    p = rng.random((4, 6, 3))
    y = (rng.random((4, 6, 3)) > 0.5).astype(np.float32)
    assert metrics.frame_nll(p, y, w) == pytest.approx(metrics.frame_nll(p, y, w.astype(np.float64)), rel=1e-12)
