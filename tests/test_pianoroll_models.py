"""mgtutor.models.pianoroll: the frame LSTM and the RNN-NADE against Keras, NumPy and exact enumeration.

References: mgtutor.metrics.frame_nll and keras BCE for the loss; the Keras models themselves for the NumPy
sampler; the 2^k table of all frames (enumerated) for the NADE's normalisation and its sampler; a NumPy NADE
with an inclusive cumulative sum (a key that sees itself) as the wrong model the checks must reject.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest

from mgtutor import models
from mgtutor.errors import GenerationError
from mgtutor.metrics import frame_nll, keras_metric
from mgtutor.models import ModelConfigError, PianoRollSampler, frame_loss, frame_lstm, rnn_nade, sigmoid

ROOT = Path(__file__).resolve().parents[1]


def _build(kind: str, seed: int = 0, **sizes):
    keras.utils.set_random_seed(seed)
    return models.build(kind, **sizes)


def _randomise(model, seed: int = 1, scale: float = 0.5) -> None:
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(scale=scale, size=w.shape).astype("float32") for w in model.get_weights()])


def _roll(steps: int, keys: int, seed: int = 0, density: float = 0.3) -> np.ndarray:
    return (np.random.default_rng(seed).random((steps, keys)) < density).astype("float32")


def _inputs(kind: str, roll: np.ndarray) -> np.ndarray:
    """The model input for rolls (B, T, K): previous frames (frame −1 = zeros), plus the targets for the NADE."""
    roll = np.asarray(roll, "float32")
    prev = np.concatenate([np.zeros_like(roll[:, :1]), roll[:, :-1]], axis=1)
    return prev if kind == "frame_lstm" else np.concatenate([prev, roll], axis=-1)


def _compile(model, lr: float = 1e-2):
    model.compile(optimizer=keras.optimizers.Adam(lr), loss=frame_loss(), weighted_metrics=[keras_metric("frame")])
    return model


SMALL = {"frame_lstm": {"units": 16, "keys": 12}, "rnn_nade": {"units": 16, "hidden": 8, "keys": 12}}


# --------------------------------------------------------------------------- builders, shapes, loss


@pytest.mark.parametrize("kind", ["frame_lstm", "rnn_nade"])
def test_builders_by_name_shapes_and_float32_output(kind):
    model = _build(kind, units=8, layers=2)
    assert models.builder(kind) is (frame_lstm if kind == "frame_lstm" else rnn_nade)
    width = 88 if kind == "frame_lstm" else 176
    assert tuple(model.input_shape) == (None, None, width)
    out = np.asarray(model(_inputs(kind, _roll(5, 88)[None].repeat(2, 0))))
    assert out.shape == (2, 5, 88) and out.dtype == np.float32
    assert ((out > 0) & (out < 1)).all()


@pytest.mark.parametrize("kind", ["frame_lstm", "rnn_nade"])
def test_output_is_float32_under_mixed_precision(kind):
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = _build(kind, **SMALL[kind])
        out = model(_inputs(kind, _roll(3, 12)[None]))
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert keras.backend.standardize_dtype(out.dtype) == "float32"


@pytest.mark.parametrize("kwargs, phrase", [({"units": 0}, "units"), ({"layers": 1.5}, "layers"),
                                            ({"keys": True}, "keys"), ({"dropout": 1.0}, "dropout")])
def test_bad_sizes_are_rejected(kwargs, phrase):
    for fn in (frame_lstm, rnn_nade):
        with pytest.raises(ModelConfigError, match=phrase):
            fn(**kwargs)
    with pytest.raises(ModelConfigError, match="hidden"):
        rnn_nade(hidden=0)


def test_frame_loss_is_the_frame_nll_and_k_times_keras_bce():
    rng = np.random.default_rng(0)
    p = rng.uniform(0.01, 0.99, size=(3, 4, 88)).astype("float32")
    y = (rng.random((3, 4, 88)) < 0.2).astype("float32")
    w = rng.integers(0, 2, size=(3, 4)).astype("float32")
    w[0, 0] = 1
    ours = float(frame_loss()(y, p, sample_weight=w))
    np.testing.assert_allclose(ours, frame_nll(p, y, w), rtol=1e-5)
    bce = keras.losses.BinaryCrossentropy(reduction="mean_with_sample_weight")
    np.testing.assert_allclose(ours, 88 * float(bce(y, p, sample_weight=w)), rtol=1e-5)


# --------------------------------------------------------------------------- training and weights


@pytest.mark.parametrize("kind", ["frame_lstm", "rnn_nade"])
def test_training_reduces_the_frame_nll_on_a_repeating_roll(kind):
    chords = np.zeros((4, 12), "float32")
    for t, keys in enumerate([(0, 4, 7), (5, 9), (7, 11, 2), (0,)]):
        chords[t, list(keys)] = 1
    roll = np.tile(chords, (6, 1))[None].repeat(4, 0)  # (4, 24, 12)
    x, w = _inputs(kind, roll), np.ones(roll.shape[:2], "float32")
    model = _compile(_build(kind, **SMALL[kind], dropout=0.0))
    sampler = lambda: PianoRollSampler.from_keras(model)  # noqa: E731 - re-read the weights after training
    before = frame_nll(sampler().probs_over(roll), roll)
    model.train_on_batch(x, roll, sample_weight=w)
    after_one = frame_nll(sampler().probs_over(roll), roll)
    for _ in range(40):
        logs = model.train_on_batch(x, roll, sample_weight=w, return_dict=True)
    after = frame_nll(sampler().probs_over(roll), roll)
    assert after_one < before
    assert after < 0.5 * before, (before, after)
    np.testing.assert_allclose(logs["nll"], logs["loss"], rtol=1e-5)  # the logged loss is the frame NLL


@pytest.mark.parametrize("kind", ["frame_lstm", "rnn_nade"])
def test_weights_round_trip(kind, tmp_path):
    model = _build(kind, **SMALL[kind], layers=2)
    _randomise(model)
    path = tmp_path / "m.weights.h5"
    model.save_weights(str(path))
    fresh = _build(kind, seed=5, **SMALL[kind], layers=2)
    x = _inputs(kind, _roll(6, 12)[None])
    assert not np.allclose(fresh(x), model(x))
    fresh.load_weights(str(path))
    np.testing.assert_array_equal(np.asarray(fresh(x)), np.asarray(model(x)))


# --------------------------------------------------------------------------- the NumPy sampler


@pytest.mark.parametrize("kind", ["frame_lstm", "rnn_nade"])
def test_probs_over_equals_keras(kind):
    model = _build(kind, **SMALL[kind], layers=2)
    _randomise(model)
    rolls = np.stack([_roll(15, 12, seed=s) for s in range(3)])
    ref = np.asarray(model(_inputs(kind, rolls), training=False))
    sampler = PianoRollSampler.from_keras(model)
    assert sampler.kind == kind
    np.testing.assert_allclose(sampler.probs_over(rolls), ref, atol=1e-5)
    np.testing.assert_allclose(sampler.probs_over(rolls[1]), ref[1], atol=1e-5)
    nll = frame_nll(sampler.probs_over(rolls[1]), rolls[1])
    np.testing.assert_allclose(nll, float(frame_loss()(rolls[1:2], ref[1:2])), rtol=1e-5)


@pytest.mark.parametrize("kind", ["frame_lstm", "rnn_nade"])
def test_sample_shapes_and_bad_settings(kind):
    sampler = PianoRollSampler.from_keras(_build(kind, **SMALL[kind]))
    one = sampler.sample(7, np.random.default_rng(0))
    many = sampler.sample(3, np.random.default_rng(0), temperature=0.5, batch=4)
    assert one.shape == (7, 12) and one.dtype == np.uint8 and set(np.unique(one)) <= {0, 1}
    assert many.shape == (4, 3, 12) and many.dtype == np.uint8
    np.testing.assert_array_equal(sampler.sample(7, np.random.default_rng(0)), one)  # seeded
    with pytest.raises(GenerationError, match="temperature"):
        sampler.sample(3, np.random.default_rng(0), temperature=0)
    with pytest.raises(GenerationError, match="steps"):
        sampler.sample(0, np.random.default_rng(0))
    with pytest.raises(GenerationError, match="expected"):
        sampler.probs_over(np.zeros((3, 11)))


def test_from_keras_rejects_another_model():
    with pytest.raises(GenerationError, match="does not fit"):
        PianoRollSampler.from_keras(models.melody_lstm(vocab_size=5, embed_dim=3, units=4, layers=1))


def test_frame_lstm_samples_match_its_probabilities():
    model = _build("frame_lstm", units=3, keys=4)
    _randomise(model, scale=1.0)
    p0 = np.asarray(model(np.zeros((1, 1, 4), "float32")))[0, 0]  # frame 0's keys, from an all-zero past
    draws = PianoRollSampler.from_keras(model).sample(1, np.random.default_rng(0), batch=20000)[:, 0]
    np.testing.assert_allclose(draws.mean(axis=0), p0, atol=0.015)  # σ ≤ 0.0036 per key: ≥ 4σ


# --------------------------------------------------------------------------- the NADE is a distribution

FRAMES4 = np.array(list(itertools.product([0, 1], repeat=4)), "float32")  # all 2^4 frames, (16, 4)


def _toy_nade():
    model = _build("rnn_nade", units=3, hidden=5, keys=4, dropout=0.0)
    _randomise(model, seed=3, scale=1.5)
    return model


def _joint(cond: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """Π_j p_j^y_j (1 − p_j)^(1 − y_j) for every row: the probability the factorisation gives each frame."""
    cond = cond.astype(np.float64)
    return np.prod(np.where(frames > 0, cond, 1 - cond), axis=-1)


def _leaky_conditionals(sampler: PianoRollSampler, s: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """A wrong NADE: an inclusive cumulative sum, so y_j reaches its own conditional."""
    hd = sampler.head
    a = (s @ hd["c_kernel"] + hd["c_bias"])[..., None, :] + np.cumsum(frames[..., :, None] * hd["W"], axis=-2)
    return sigmoid(s @ hd["b_kernel"] + hd["b_bias"] + (sigmoid(a) * hd["V"]).sum(axis=-1))


def test_nade_probabilities_of_all_frames_sum_to_one():
    model = _toy_nade()
    context = _roll(3, 4, seed=7)
    for t in range(3):  # the context of frame t: frames 0..t−1 of `context` (frame 0: the all-zero past)
        rolls = np.repeat(context[None, :t + 1], 16, axis=0)
        rolls[:, t] = FRAMES4
        cond = np.asarray(model(_inputs("rnn_nade", rolls)))[:, t]
        joint = _joint(cond, FRAMES4)
        assert abs(joint.sum() - 1) <= 1e-6, joint.sum()
        assert joint.max() < 0.9 and (joint > 1e-5).all()  # spread over all frames, not a point mass


def test_nade_conditional_ignores_its_own_key_and_later_ones():
    model = _toy_nade()
    base = _roll(2, 4, seed=2)[None]
    cond = np.asarray(model(_inputs("rnn_nade", base)))[0, 1]
    for k in range(4):
        flipped = base.copy()
        flipped[0, 1, k] = 1 - flipped[0, 1, k]
        new = np.asarray(model(_inputs("rnn_nade", flipped)))[0, 1]
        np.testing.assert_array_equal(new[:k + 1], cond[:k + 1])  # keys ≤ k do not see key k
        if k < 3:
            assert np.abs(new[k + 1:] - cond[k + 1:]).max() > 1e-3  # keys above do


def test_a_nade_that_sees_its_own_key_is_not_a_distribution():
    model = _toy_nade()
    sampler = PianoRollSampler.from_keras(model, dtype="float64")
    s, _ = sampler.step(np.zeros((16, 4)), sampler.initial_state(16))  # the state before frame 0
    good = _joint(sampler.nade_conditionals(s, FRAMES4), FRAMES4)
    leaky = _joint(_leaky_conditionals(sampler, s, FRAMES4), FRAMES4)
    keras_cond = np.asarray(model(_inputs("rnn_nade", FRAMES4[:, None])))[:, 0]
    np.testing.assert_allclose(sampler.nade_conditionals(s, FRAMES4), keras_cond, atol=1e-5)
    assert abs(good.sum() - 1) <= 1e-6
    assert abs(leaky.sum() - 1) > 1e-2, leaky.sum()  # the same check (≤ 1e-6) rejects the leak by far


def test_nade_samples_match_the_exact_table():
    model = _toy_nade()
    table = _joint(np.asarray(model(_inputs("rnn_nade", FRAMES4[:, None])))[:, 0], FRAMES4)  # frame 0, p(y)
    marginals = table @ FRAMES4  # p(y_j = 1) = Σ_y p(y) y_j
    draws = PianoRollSampler.from_keras(model).sample(1, np.random.default_rng(0), batch=20000)[:, 0]
    tol = 0.015  # 20000 draws: σ ≤ 0.0036 for a frequency, so ≥ 4σ
    np.testing.assert_allclose(draws.mean(axis=0), marginals, atol=tol)
    codes = draws @ (2 ** np.arange(3, -1, -1))  # row index into FRAMES4
    np.testing.assert_allclose(np.bincount(codes, minlength=16) / len(codes), table, atol=tol)
    # the check has power: drawing the keys independently from p(y_j | y_<j = 0) misses the marginals
    independent = np.asarray(model(_inputs("rnn_nade", np.zeros((1, 1, 4), "float32"))))[0, 0]
    assert np.abs(independent - marginals).max() > 4 * tol


# --------------------------------------------------------------------------- JAX


@pytest.mark.slow
def test_both_models_train_save_and_reload_on_jax(tmp_path):
    script = textwrap.dedent(f"""
        import numpy as np, keras
        assert keras.backend.backend() == "jax"
        from mgtutor.metrics import keras_metric
        from mgtutor.models import PianoRollSampler, build, frame_loss
        roll = (np.random.default_rng(0).random((2, 6, 12)) < 0.3).astype("float32")
        prev = np.concatenate([np.zeros_like(roll[:, :1]), roll[:, :-1]], axis=1)
        for kind, sizes in {SMALL!r}.items():
            x = prev if kind == "frame_lstm" else np.concatenate([prev, roll], axis=-1)
            keras.utils.set_random_seed(0)
            model = build(kind, **sizes)
            model.compile(optimizer="adam", loss=frame_loss(), weighted_metrics=[keras_metric("frame")])
            loss = model.train_on_batch(x, roll, sample_weight=np.ones((2, 6), "float32"), return_dict=True)
            assert np.isfinite(loss["loss"]) and abs(loss["loss"] - loss["nll"]) < 1e-4, loss
            out = np.asarray(model(x))
            assert out.dtype == np.float32 and out.shape == (2, 6, 12)
            path = r"{tmp_path}" + f"/{{kind}}.weights.h5"
            model.save_weights(path)
            keras.utils.set_random_seed(1)
            fresh = build(kind, **sizes)
            fresh.load_weights(path)
            np.testing.assert_array_equal(np.asarray(fresh(x)), out)
            np.testing.assert_allclose(PianoRollSampler.from_keras(fresh).probs_over(roll), out, atol=1e-5)
            print(kind, "ok")
    """)
    env = {**os.environ, "KERAS_BACKEND": "jax", "PYTHONPATH": str(ROOT), "JAX_PLATFORMS": "cpu"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["frame_lstm", "ok", "rnn_nade", "ok"]
