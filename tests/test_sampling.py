"""mgtutor.sampling: sampling filters against hand-computed/scipy values, the stateful NumPy LSTM
against the Keras model it copies, and bad settings."""

import keras
import numpy as np
import pytest
from scipy.special import softmax as scipy_softmax

from mgtutor import checks, models, sampling
from mgtutor.errors import GenerationError
from mgtutor.tasks import melody

LOGITS = np.array([2.0, -1.0, 0.5, 3.0, 0.0, 1.0])


def test_softmax_and_temperature_match_scipy():
    for t in (0.5, 1.0, 2.0):
        np.testing.assert_allclose(sampling.sampling_distribution(LOGITS, temperature=t),
                                   scipy_softmax(LOGITS / t), rtol=1e-12)
    batch = np.stack([LOGITS, -LOGITS])
    np.testing.assert_allclose(sampling.softmax(batch), scipy_softmax(batch, axis=-1), rtol=1e-12)


def test_top_k_hand_computed():
    p = sampling.sampling_distribution(LOGITS, top_k=2)
    e = np.exp([2.0, 3.0])
    np.testing.assert_allclose(p, [e[0] / e.sum(), 0, 0, e[1] / e.sum(), 0, 0], rtol=1e-12)
    assert np.count_nonzero(sampling.sampling_distribution(LOGITS, top_k=100)) == 6


def test_top_p_hand_computed():
    probs = np.array([0.05, 0.4, 0.1, 0.25, 0.2])
    logits = np.log(probs)
    for p, keep in [(0.35, [1]), (0.6, [1, 3]), (0.7, [1, 3, 4]), (0.9, [1, 3, 4, 2]), (1.0, [0, 1, 2, 3, 4])]:
        want = np.zeros(5)
        want[keep] = probs[keep] / probs[keep].sum()
        np.testing.assert_allclose(sampling.sampling_distribution(logits, top_p=p), want, atol=1e-12, err_msg=str(p))


def test_temperature_then_top_k_then_top_p():
    # T = 0.5 sharpens to ~[0.12, 0, 0.01, 0.87, 0, 0.02]; top_k=3 keeps ids 3, 0, 5; top_p=0.9 drops id 5
    p = sampling.sampling_distribution(LOGITS, temperature=0.5, top_k=3, top_p=0.9)
    z = np.exp(LOGITS[[0, 3]] / 0.5)
    np.testing.assert_allclose(p[[0, 3]], z / z.sum(), rtol=1e-12)
    assert np.count_nonzero(p) == 2


def test_sample_tokens_frequencies_follow_the_distribution():
    rng = np.random.default_rng(0)
    n = 40_000
    draws = sampling.sample_tokens(np.tile(LOGITS, (n, 1)), rng, temperature=1.3, top_k=4)
    freq = np.bincount(draws, minlength=6) / n
    np.testing.assert_allclose(freq, sampling.sampling_distribution(LOGITS, 1.3, 4), atol=0.01)
    assert sampling.sample_tokens(LOGITS, rng, greedy=True) == 3


@pytest.mark.parametrize(
    ("kwargs", "phrase"),
    [({"temperature": 0}, "temperature must be > 0"), ({"temperature": -1}, "temperature must be > 0"),
     ({"temperature": float("nan")}, "temperature"), ({"top_k": 0}, "top_k must be a positive integer"),
     ({"top_p": 0.0}, r"top_p must be in \(0, 1\]"), ({"top_p": 1.5}, r"top_p must be in \(0, 1\]")],
)
def test_bad_sampling_settings(kwargs, phrase):
    with pytest.raises(GenerationError, match=phrase):
        sampling.sampling_distribution(LOGITS, **kwargs)
    with pytest.raises(GenerationError, match=phrase):
        sampling.sample_tokens(LOGITS, np.random.default_rng(0), **kwargs)


@pytest.fixture(scope="module")
def melody_model():
    keras.utils.set_random_seed(0)
    model = models.melody_lstm(vocab_size=17, embed_dim=8, units=12, layers=2, dropout=0.3)
    model.build((None, None))
    rng = np.random.default_rng(1)
    model.set_weights([rng.normal(scale=0.7, size=w.shape).astype("float32") for w in model.get_weights()])
    return model


def test_stateful_next_token_distributions_equal_keras(melody_model):
    tokens = np.random.default_rng(2).integers(0, 17, size=(3, 40))
    ref = sampling.softmax(np.asarray(melody_model(tokens.astype("int32"), training=False)))
    ours = sampling.softmax(models.StatefulLSTM.from_keras(melody_model).logits_over(tokens))
    assert ref.std() > 0.01  # a non-trivial distribution
    np.testing.assert_allclose(ours, ref, atol=1e-5)


def test_stateful_draws_the_same_tokens_as_refeeding_the_history(melody_model):
    stepper = models.StatefulLSTM.from_keras(melody_model)
    primer = [1, 5, 9]
    for settings in ({}, {"temperature": 0.7, "top_k": 5}, {"top_p": 0.8}):
        fast = sampling.generate_stateful(stepper, primer, 10, seed=7, **settings)
        slow = sampling.generate_refeed(melody_model, primer, 10, window=None, seed=7, **settings)
        np.testing.assert_array_equal(fast, slow, err_msg=str(settings))


def test_batch_generation_rows_are_independent_draws(melody_model):
    stepper = models.StatefulLSTM.from_keras(melody_model)
    out = sampling.generate_stateful(stepper, [1, 4], 30, seed=3, batch=5)
    assert out.shape == (5, 30) and out.dtype == np.int64
    assert len({tuple(row) for row in out}) > 1
    greedy = sampling.generate_stateful(stepper, [1, 4], 30, batch=3, greedy=True)
    assert (greedy == greedy[0]).all()
    ref = np.argmax(stepper.logits_over(np.array([[1, 4]]))[0, -1])
    assert greedy[0, 0] == ref
    again = sampling.generate_stateful(stepper, [1, 4], 30, seed=3, batch=5)
    np.testing.assert_array_equal(out, again)


def test_stateful_rejects_other_architectures_and_bad_inputs(melody_model):
    gru = keras.Sequential([keras.Input((None,), dtype="int32"), keras.layers.Embedding(5, 3),
                            keras.layers.GRU(4, return_sequences=True), keras.layers.Dense(5)])
    with pytest.raises(GenerationError, match="GRU"):
        models.StatefulLSTM.from_keras(gru)
    stepper = models.StatefulLSTM.from_keras(melody_model)
    with pytest.raises(GenerationError, match="length must be a positive"):
        sampling.generate_stateful(stepper, [1], 0)
    with pytest.raises(GenerationError, match=r"primer ids must be in 0…16"):
        sampling.generate_stateful(stepper, [1, 17], 3)
    with pytest.raises(GenerationError, match="non-empty"):
        sampling.generate_stateful(stepper, [], 3)


def test_parse_primer():
    from mgtutor.symbolic import melody_vocabulary

    vocab = melody_vocabulary()
    ids = melody.parse_primer("60 _ 62 r", vocab)
    assert vocab.decode(ids, strip_special=False) == ["<start>", "60", "_", "62", "r"]
    assert vocab.decode(melody.parse_primer("", vocab), strip_special=False) == ["<start>"]
    with pytest.raises(GenerationError, match=r"\['C4'\] not in this run's vocabulary"):
        melody.parse_primer("60 C4", vocab)


def test_top_k_and_top_p_checkers():
    from mgtutor import checks

    def top_k(logits, k):
        return sampling.sampling_distribution(logits, top_k=k)

    def top_p(probs, p):
        return sampling.sampling_distribution(np.log(probs), top_p=p)

    def smallest_k(logits, k):
        return sampling.sampling_distribution(-logits, top_k=k)

    assert checks.top_k_exercise(top_k)
    assert checks.top_p_exercise(top_p)
    assert "smallest" in checks.top_k_exercise(smallest_k).message
    assert not checks.top_p_exercise(lambda probs, p: probs)


def test_write_melody_refuses_a_melody_without_notes(tmp_path):
    with pytest.raises(GenerationError, match="no notes"):
        melody.write_melody(["r", "_", "r"], tmp_path / "x.mid")
    assert not (tmp_path / "x.mid").exists()
    notes = melody.write_melody(["60", "_", "r", "62"], tmp_path / "y.mid", qpm=120)
    assert [(n.pitch, n.start, n.end) for n in notes] == [(60, 0.0, 0.5), (62, 0.75, 1.0)]


def test_sampling_checkers_recognise_wrong_answers_and_give_tiered_hints():
    from mgtutor.checks import FAILURES

    def keep_all(logits, k):
        e = np.exp(logits - logits.max())
        return e / e.sum()

    def unnormalised(logits, k):
        keep = np.argsort(-logits)[:k]
        out = np.zeros_like(logits)
        out[keep] = np.exp(logits[keep])
        return out

    def one_too_few(probs, p):
        order = np.argsort(-probs, kind="stable")
        keep = order[np.cumsum(probs[order]) < p]
        out = np.zeros_like(probs)
        out[keep] = probs[keep] / max(probs[keep].sum(), 1e-12)
        return out

    FAILURES.clear()
    first = checks.top_k_exercise(keep_all)
    assert "only 1 token(s) may keep" in first.message and "Next hint" not in first.message
    assert "np.argsort(-logits)[:k]" in checks.top_k_exercise(keep_all).message  # second failure: the recipe
    assert "Renormalise" in checks.top_k_exercise(unnormalised).message
    assert "one token too few" in checks.top_p_exercise(one_too_few).message
