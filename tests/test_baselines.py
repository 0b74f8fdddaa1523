"""Baselines: the Witten–Bell n-gram, the independent-Bernoulli and per-key Markov frame models (hand-computed
cases), scored by the frame NLL over the pieces of a split."""

import math

import numpy as np
import pytest

from mgtutor import metrics
from mgtutor.models import BernoulliFrames, MarkovFrames, ModelConfigError, NGram, build


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


# ------------------------------------------------------------------ frame baselines
def test_markov_frames_closed_form_on_a_hand_made_roll():
    a = np.array([[1, 0], [1, 0], [0, 1], [0, 1]], np.uint8)
    b = np.array([[1, 1]], np.uint8)
    model = MarkovFrames(keys=2, alpha=1.0).fit([a, b])
    # key 0: from off (before a[0], a[3], b[0]): 3 frames, 2 on; from on (a[1], a[2]): 2 frames, 1 on
    # key 1: from off (a[0], a[1], a[2], b[0]): 4 frames, 2 on; from on (a[3]): 1 frame, 1 on.
    # b[0] follows the all-zero frame, not a's last frame: transitions stay inside a piece.
    expected = np.array([[(2 + 1) / (3 + 2), (2 + 1) / (4 + 2)],
                         [(1 + 1) / (2 + 2), (1 + 1) / (1 + 2)]])
    np.testing.assert_allclose(model.p, expected, rtol=1e-15)
    off, on = expected
    np.testing.assert_allclose(model.probs_over(a), [[off[0], off[1]], [on[0], off[1]], [on[0], off[1]],
                                                [off[0], on[1]]], rtol=1e-15)
    assert model.probs_over(np.zeros((0, 2))).shape == (0, 2)
    np.testing.assert_array_equal(MarkovFrames(keys=2).fit([a, np.zeros((0, 2)), b]).p, expected)


def _sticky_rolls(rng, pieces, steps, keys=88, stay=0.9, rate=0.05):
    """Each key a two-state chain that keeps its state with probability ``stay``: notes held for frames."""
    on_to_off, off_to_on = 1 - stay, (1 - stay) * rate / (1 - rate)
    rolls = []
    for _ in range(pieces):
        roll = np.zeros((steps, keys), np.uint8)
        state = rng.random(keys) < rate
        for t in range(steps):
            flip = rng.random(keys) < np.where(state, on_to_off, off_to_on)
            state = state ^ flip
            roll[t] = state
        rolls.append(roll)
    return rolls


def test_markov_frames_beat_bernoulli_on_held_notes_and_not_on_independent_frames():
    rng = np.random.default_rng(0)
    sticky = _sticky_rolls(rng, 12, 200)
    iid = [(rng.random((200, 88)) < 0.05).astype(np.uint8) for _ in range(12)]

    def nlls(rolls):
        train, test = rolls[:10], rolls[10:]
        return [metrics.frame_nll_pieces([m.fit(train).probs_over(r) for r in test], test)[0]
                for m in (BernoulliFrames(), MarkovFrames())]

    bernoulli, markov = nlls(sticky)
    assert markov < bernoulli - 5.0  # the previous frame tells most of the next one
    bernoulli, markov = nlls(iid)
    assert abs(markov - bernoulli) < 0.2  # nothing to learn from the past: the two agree


def test_markov_frames_sampling_matches_its_probabilities():
    p = np.array([[0.1, 0.3, 0.05, 0.5], [0.9, 0.6, 0.8, 0.5]])
    model = MarkovFrames(keys=4)
    model.set_params({"p": p})
    sample = model.sample(40_000, np.random.default_rng(1))
    assert sample.shape == (40_000, 4) and sample.dtype == np.uint8
    prev, now = sample[:-1].astype(bool), sample[1:].astype(bool)
    for s, mask in enumerate((~prev, prev)):
        np.testing.assert_allclose((now & mask).sum(0) / mask.sum(0), p[s], atol=0.02)
    # the stationary probability of a two-state chain: π_on = p(on|off) / (p(on|off) + 1 − p(on|on))
    np.testing.assert_allclose(sample.mean(0), p[0] / (p[0] + 1 - p[1]), atol=0.02)
    assert model.sample(0, np.random.default_rng(0)).shape == (0, 4)


def test_markov_frames_params_round_trip_and_run_directory(tmp_path):
    from mgtutor.runs import RunDir

    rolls = _sticky_rolls(np.random.default_rng(2), 3, 30)
    model = build("markov_frames", alpha=0.5).fit(rolls)
    copy = MarkovFrames(alpha=0.5)
    copy.set_params(model.get_params())
    np.testing.assert_array_equal(copy.probs_over(rolls[0]), model.probs_over(rolls[0]))
    run = RunDir.prepare(tmp_path / "m", {"task": "pianoroll", "builder": "markov_frames",
                                          "builder_kwargs": {"alpha": 0.5}, "seed": 0})
    run.save_model(model)
    run.finish({"valid_frame_nll": 1.0})
    loaded = RunDir.open(run.path).load_model()
    assert isinstance(loaded, MarkovFrames)
    np.testing.assert_array_equal(loaded.p, model.p)


@pytest.mark.parametrize("cls", [BernoulliFrames, MarkovFrames])
def test_frame_baselines_are_used_the_same_way(cls):
    rng = np.random.default_rng(3)
    rolls = [(rng.random((t, 88)) < 0.1).astype(np.uint8) for t in (5, 9)]
    model = cls().fit(rolls)
    probs = model.probs_over(rolls[1])
    assert probs.shape == (9, 88) and ((probs > 0) & (probs < 1)).all()
    sample = model.sample(7, rng)
    assert sample.shape == (7, 88) and sample.dtype == np.uint8
    mean, count = metrics.frame_nll_pieces([model.probs_over(r) for r in rolls], rolls)
    assert count == 14 and 0 < mean < 88 * math.log(2)


@pytest.mark.parametrize("cls", [BernoulliFrames, MarkovFrames])
def test_frame_baselines_bad_input(cls):
    for kwargs, phrase in (({"alpha": 0}, "alpha must be a number > 0"), ({"alpha": -1.0}, "alpha must be"),
                           ({"keys": 0}, "keys must be a positive integer"), ({"keys": 2.0}, "keys must be")):
        with pytest.raises(ModelConfigError, match=phrase):
            cls(**kwargs)
    model = cls()
    with pytest.raises(ModelConfigError, match=r"rolls\[1\] has shape \(4, 87\); expected \(T, 88\)"):
        model.fit([np.zeros((4, 88)), np.zeros((4, 87))])
    with pytest.raises(ModelConfigError, match="a list of rolls"):
        model.fit(np.zeros((4, 88)))
    with pytest.raises(ModelConfigError, match="no frames to fit"):
        model.fit([])
    with pytest.raises(ModelConfigError, match=r"has shape \(88,\); expected \(T, 88\)"):
        model.probs_over(np.zeros(88))
    with pytest.raises(ModelConfigError, match="values outside"):
        model.set_params({"p": np.ones_like(model.p)})
    with pytest.raises(ModelConfigError, match="values outside"):
        model.set_params({"p": np.full(5, 0.5)})


def test_ngram_sampling_follows_its_probabilities_and_stops():
    rng = np.random.default_rng(0)
    model = NGram(2, 4).fit([[1, 2, 1, 2, 3]])
    draws = [model.sample(1, rng, history=[1])[0] for _ in range(4000)]
    np.testing.assert_allclose(np.bincount(draws, minlength=4) / 4000, model.probs([1]), atol=0.02)
    for _ in range(50):
        out = model.sample(8, rng, history=[1], stop=3)
        assert 3 not in out[:-1] and (len(out) == 8 or out[-1] == 3)
    # an order-6 model continues a history it saw once with the token that followed it, more often than not
    motif = rng.integers(3, 12, 60).tolist()
    overfit = NGram(6, 12).fit([[1, *motif, 2]])
    follows = [overfit.sample(1, rng, history=motif[10:15])[0] for _ in range(400)]
    assert np.mean(np.array(follows) == motif[15]) > 0.5
    with pytest.raises(ModelConfigError, match="positive number of tokens"):
        model.sample(0, rng)


def test_one_ngram_fit_scores_every_lower_order_as_its_own_fit():
    rng = np.random.default_rng(4)
    train = [list(rng.integers(0, 6, rng.integers(5, 30))) for _ in range(12)]
    test = [list(rng.integers(0, 6, 20)) for _ in range(3)]
    big = NGram(5, 6).fit(train)
    for order in range(1, 6):
        assert big.nll(test, order=order) == pytest.approx(NGram(order, 6).fit(train).nll(test), rel=1e-12)
    with pytest.raises(ModelConfigError, match="order must be an integer from 1 to the fitted 5"):
        big.nll(test, order=6)
