"""Baselines: the Witten–Bell n-gram (hand-computed case) and the independent-Bernoulli frame model."""

import math

import numpy as np
import pytest

from mgtutor.models import ModelConfigError, NGram


def test_witten_bell_hand_computed():
    # one sequence 1 2 1 2 3 over V = 4: targets 2, 1, 2, 3 (the first token is never predicted)
    model = NGram(2, 4).fit([[1, 2, 1, 2, 3]])
    # unigram: c(2)=2, c(1)=1, c(3)=1, N=4, T=3 distinct: P1(w) = (c(w) + 3/4) / 7
    np.testing.assert_allclose(model.probs([]), [0.75 / 7, 1.75 / 7, 2.75 / 7, 1.75 / 7])
    # after 1: seen twice, always followed by 2 (T=1): P2(2|1) = (2 + P1(2)) / 3
    assert model.probs([1])[2] == pytest.approx((2 + 2.75 / 7) / 3)
    # after 2: followed by 1 and 3 (c=2, T=2): P2(3|2) = (1 + 2·P1(3)) / 4
    assert model.probs([2])[3] == pytest.approx((1 + 2 * 1.75 / 7) / 4)
    # an unseen history backs off to the unigram
    np.testing.assert_allclose(model.probs([0]), model.probs([]))
    expected = -(math.log((2 + 2.75 / 7) / 3) + math.log((1 + 2 * 1.75 / 7) / 4)) / 2
    assert model.nll([[1, 2, 3]]) == pytest.approx(expected)


def test_probabilities_sum_to_one_and_order_helps_on_a_repetitive_corpus():
    rng = np.random.default_rng(0)
    motif = [3, 5, 7, 5, 3, 9]
    train = [[1] + motif * 6 + [2] for _ in range(5)]
    for order in (1, 2, 3, 5):
        model = NGram(order, 12).fit(train)
        for history in ([], [1], [3, 5], [7, 5, 3, 9], rng.integers(0, 12, 6).tolist()):
            assert model.probs(history).sum() == pytest.approx(1.0) and (model.probs(history) > 0).all()
    test = [[1] + motif * 3 + [2]]
    nlls = [NGram(order, 12).fit(train).nll(test) for order in (1, 2, 3)]
    assert nlls[0] > nlls[1] > nlls[2]  # the motif is predictable from two tokens of history
    assert NGram(1, 12).fit(train).nll(test) < math.log(12)  # the unigram knows the token frequencies


def test_bad_ngram_input():
    with pytest.raises(ModelConfigError, match="order must be an integer"):
        NGram(0, 5)
    with pytest.raises(ModelConfigError, match="token ids must be in 0…4"):
        NGram(2, 5).fit([[1, 7]])
    with pytest.raises(ModelConfigError, match="no targets"):
        NGram(2, 5).fit([[1, 2]]).nll([[1]])
