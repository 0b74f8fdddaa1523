"""mgtutor.models: NumPy RNN/LSTM/GRU against Keras, BPTT against finite differences, builders."""

import keras
import numpy as np
import pytest

from mgtutor import models
from mgtutor.models import ModelConfigError


def _x(b=3, t=7, d=5, seed=0):
    return np.random.default_rng(seed).normal(size=(b, t, d)).astype("float32")


def _randomise(layer, seed=1):
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.normal(scale=0.5, size=w.shape).astype("float32") for w in layer.get_weights()])


def test_rnn_forward_equals_keras_simple_rnn():
    x = _x()
    layer = keras.layers.SimpleRNN(4, return_sequences=True)
    ref = np.asarray(layer(x))
    _randomise(layer)
    ref = np.asarray(layer(x))
    hs = models.rnn_forward(x, *layer.get_weights())
    np.testing.assert_allclose(hs[:, 1:], ref, atol=1e-5)


@pytest.mark.parametrize("units", [1, 6])
def test_lstm_forward_equals_keras(units):
    x = _x()
    layer = keras.layers.LSTM(units, return_sequences=True, return_state=True)
    layer(x)
    _randomise(layer)
    ref_seq, ref_h, ref_c = (np.asarray(a) for a in layer(x))
    hs, h, c = models.lstm_forward(x, layer.get_weights())
    np.testing.assert_allclose(hs, ref_seq, atol=1e-5)
    np.testing.assert_allclose(h, ref_h, atol=1e-5)
    np.testing.assert_allclose(c, ref_c, atol=1e-5)


def test_lstm_forward_with_initial_state_equals_keras():
    x = _x(seed=3)
    layer = keras.layers.LSTM(4, return_sequences=True)
    h0 = np.random.default_rng(5).normal(size=(3, 4)).astype("float32")
    c0 = np.random.default_rng(6).normal(size=(3, 4)).astype("float32")
    layer(x, initial_state=[h0, c0])
    _randomise(layer, seed=2)
    ref = np.asarray(layer(x, initial_state=[h0, c0]))
    hs, _, _ = models.lstm_forward(x, layer.get_weights(), h0, c0)
    np.testing.assert_allclose(hs, ref, atol=1e-5)


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_forward_equals_keras(reset_after):
    x = _x(seed=4)
    layer = keras.layers.GRU(5, return_sequences=True, reset_after=reset_after)
    layer(x)
    _randomise(layer, seed=7)
    ref = np.asarray(layer(x))
    hs, h = models.gru_forward(x, layer.get_weights(), reset_after=reset_after)
    np.testing.assert_allclose(hs, ref, atol=1e-5)
    np.testing.assert_allclose(h, ref[:, -1], atol=1e-5)


def test_gru_wrong_reset_after_is_rejected():
    layer = keras.layers.GRU(3, reset_after=True)
    layer(_x(d=2))
    with pytest.raises(ModelConfigError, match="reset_after"):
        models.gru_forward(_x(d=2), layer.get_weights(), reset_after=False)


def test_rnn_backward_matches_finite_differences():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 6, 3))
    w_xh, w_hh, b = rng.normal(scale=0.5, size=(3, 4)), rng.normal(scale=0.5, size=(4, 4)), rng.normal(size=4)
    target = rng.normal(size=(2, 6, 4))

    def loss(w_xh, w_hh, b, x):
        hs = models.rnn_forward(x, w_xh, w_hh, b)
        return 0.5 * np.sum((hs[:, 1:] - target) ** 2)

    hs = models.rnn_forward(x, w_xh, w_hh, b)
    grads = models.rnn_backward(x, hs, w_xh, w_hh, hs[:, 1:] - target)
    params = {"w_xh": w_xh, "w_hh": w_hh, "b": b, "x": x}
    eps = 1e-6
    for name, arr in params.items():
        numeric = np.zeros_like(arr)
        for idx in np.ndindex(arr.shape):
            old = arr[idx]
            arr[idx] = old + eps
            up = loss(**params)
            arr[idx] = old - eps
            down = loss(**params)
            arr[idx] = old
            numeric[idx] = (up - down) / (2 * eps)
        np.testing.assert_allclose(getattr(grads, name), numeric, rtol=1e-5, atol=1e-7, err_msg=name)


def test_rnn_backward_rejects_mismatched_shapes():
    x = _x()
    hs = models.rnn_forward(x, np.zeros((5, 2)), np.zeros((2, 2)), np.zeros(2))
    with pytest.raises(ModelConfigError, match="T \\+ 1"):
        models.rnn_backward(x, hs[:, 1:], np.zeros((5, 2)), np.zeros((2, 2)), np.zeros((3, 7, 2)))


def test_bad_weight_shapes_are_named():
    with pytest.raises(ModelConfigError, match="w_hh has shape"):
        models.rnn_forward(_x(), np.zeros((5, 2)), np.zeros((3, 3)), np.zeros(2))
    with pytest.raises(ModelConfigError, match="3 weight arrays"):
        models.lstm_forward(_x(), [np.zeros((5, 8))])
    with pytest.raises(ModelConfigError, match="expected \\(batch, time, 2\\)"):
        models.lstm_forward(_x(), [np.zeros((2, 8)), np.zeros((2, 8)), np.zeros(8)])


def test_sigmoid_matches_definition_and_does_not_overflow():
    x = np.array([-1000.0, -3.0, 0.0, 2.5, 1000.0])
    with np.errstate(over="raise"):
        got = models.sigmoid(x)
    np.testing.assert_allclose(got[1:4], 1 / (1 + np.exp(-x[1:4])), rtol=1e-12)
    assert got[0] == 0.0 and got[-1] == 1.0


def test_melody_lstm_shapes_and_safe_reload(tmp_path):
    model = models.melody_lstm(vocab_size=11, embed_dim=4, units=6, layers=2, dropout=0.1)
    tokens = np.array([[1, 2, 3, 4, 5]], dtype="int32")
    logits = np.asarray(model(tokens))
    assert logits.shape == (1, 5, 11)
    path = tmp_path / "m.keras"
    model.save(path)
    again = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(np.asarray(again(tokens)), logits, atol=1e-6)
    clone = keras.Sequential.from_config(model.get_config())
    assert [w.shape for w in clone.weights] == [w.shape for w in model.weights]


@pytest.mark.parametrize(
    ("kwargs", "phrase"),
    [({"vocab_size": 1}, "vocab_size must be"), ({"vocab_size": 5, "units": 0}, "units must be"),
     ({"vocab_size": 5, "layers": 1.5}, "layers must be"), ({"vocab_size": 5, "dropout": 1.0}, "dropout")],
)
def test_melody_lstm_bad_sizes(kwargs, phrase):
    with pytest.raises(ModelConfigError, match=phrase):
        models.melody_lstm(**kwargs)


# ---------------------------------------------------------------- notebook 05 exercise checkers


def test_numeric_gradient_checker_accepts_central_and_flags_forward():
    from mgtutor import checks

    def central(f, x, eps=1e-5):
        g = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            e = np.zeros_like(x)
            e[idx] = eps
            g[idx] = (f(x + e) - f(x - e)) / (2 * eps)
        return g

    def forward(f, x, eps=1e-5):
        g = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            e = np.zeros_like(x)
            e[idx] = eps
            g[idx] = (f(x + e) - f(x)) / eps
        return g

    assert checks.numeric_gradient_exercise(central)
    verdict = checks.numeric_gradient_exercise(forward)
    assert not verdict and "forward difference" in verdict.message


def test_gru_checker_accepts_keras_form_and_names_mistakes():
    from mgtutor import checks

    def keras_form(x, h, k, r, b):
        return models.gru_step(x, h, k, r, b, reset_after=True)

    def swapped(x, h, k, r, b):
        xz, xr, xh = np.split(x @ k + b[0], 3, axis=-1)
        hz, hr, hh = np.split(h @ r + b[1], 3, axis=-1)
        z, rr = models.sigmoid(xz + hz), models.sigmoid(xr + hr)
        return (1 - z) * h + z * np.tanh(xh + rr * hh)

    assert checks.gru_step_exercise(keras_form)
    verdict = checks.gru_step_exercise(swapped)
    assert not verdict and "keep" in verdict.message
    assert "raised ValueError" in checks.gru_step_exercise(lambda *a: int("x")).message


def test_numeric_gradient_checker_catches_an_answer_that_changes_x():
    from mgtutor import checks

    def unrestored(f, x, eps=1e-5):
        """Right numbers (f is separable), but x is left perturbed."""
        g = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            old = x[idx]
            x[idx] = old + eps
            up = f(x)
            x[idx] = old - eps
            g[idx] = (up - f(x)) / (2 * eps)
        return g

    def restored(f, x, eps=1e-5):
        g = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            old = x[idx]
            x[idx] = old + eps
            up = f(x)
            x[idx] = old - eps
            g[idx] = (up - f(x)) / (2 * eps)
            x[idx] = old
        return g

    verdict = checks.numeric_gradient_exercise(unrestored)
    assert not verdict and "changed x" in verdict.message
    assert checks.numeric_gradient_exercise(restored)


def _lstm_variant(mistake):
    """An LSTM step with one typical mistake (or none), as a learner might write it."""
    def step(x, h, c, kernel, recurrent_kernel, bias):
        z = x @ kernel + h @ recurrent_kernel + bias
        if mistake == "order ifog":
            i, f, o, g = np.split(z, 4, axis=-1)
        else:
            i, f, g, o = np.split(z, 4, axis=-1)
        i, f, o = models.sigmoid(i), models.sigmoid(f), models.sigmoid(o)
        g = models.sigmoid(g) if mistake == "sigmoid g" else np.tanh(g)
        if mistake == "no cell state":
            h_new = o * g
            return h_new, h_new
        c_new = f * c + g if mistake == "no input gate" else f * c + i * g
        h_new = o * c_new if mistake == "no tanh(c)" else o * np.tanh(c_new)
        if mistake == "swapped return":
            return c_new, h_new
        if mistake == "h only":
            return o * g
        return h_new, c_new
    return step


def test_lstm_checker_accepts_the_keras_step():
    from mgtutor import checks

    assert checks.lstm_step_exercise(_lstm_variant(None))
    assert checks.lstm_step_exercise(models.lstm_step)


@pytest.mark.parametrize("mistake, phrase", [
    ("no cell state", "dropped the cell state"),
    ("h only", "dropped the cell state"),
    ("order ifog", "i, f, g, o"),
    ("no tanh(c)", "o ⊙ tanh(c_t), not o ⊙ c_t"),
    ("no input gate", "input gate is missing"),
    ("sigmoid g", "candidate g uses tanh"),
    ("swapped return", "h and c are swapped"),
])
def test_lstm_checker_names_each_mistake(mistake, phrase):
    from mgtutor import checks

    verdict = checks.lstm_step_exercise(_lstm_variant(mistake))
    assert not verdict and phrase in verdict.message, verdict.message


def test_lstm_checker_gives_the_formula_on_a_repeated_failure():
    from mgtutor import checks

    checks.FAILURES.clear()
    first = checks.lstm_step_exercise(_lstm_variant("no cell state"))
    second = checks.lstm_step_exercise(_lstm_variant("no cell state"))
    assert "Next hint" not in first.message
    assert "Next hint" in second.message and "h_t = o ⊙ tanh(c_t)" in second.message
    checks.FAILURES.clear()
    assert "raised ValueError" in checks.lstm_step_exercise(lambda *a: int("x")).message
    assert "not attempted yet" in checks.lstm_step_exercise(_stub_lstm).message


def _stub_lstm(x, h, c, kernel, recurrent_kernel, bias):
    """Return (h_t, c_t)."""
    ...  # your code


def test_gru_checker_names_the_paper_form():
    from mgtutor import checks

    def paper_form(x, h, k, r, b):
        xz, xr, xh = np.split(x @ k + b[0], 3, axis=-1)
        hz, hr, _ = np.split(h @ r + b[1], 3, axis=-1)
        z, rr = models.sigmoid(xz + hz), models.sigmoid(xr + hr)
        cand = np.tanh(xh + (rr * h) @ np.split(r, 3, axis=-1)[2] + np.split(b[1], 3)[2])
        return z * h + (1 - z) * cand

    verdict = checks.gru_step_exercise(paper_form)
    assert not verdict and "paper's form" in verdict.message


def test_importing_mgtutor_models_registers_every_builder_without_keras():
    """The registry never imports the builder modules: importing the package does (models/__init__.py); the modules
    of Keras classes are loaded on first use (PEP 562), and register nothing."""
    import json
    import subprocess
    import sys

    code = """
import importlib, json, pkgutil, sys
import mgtutor.metrics, mgtutor.models as m
before = sorted(m.BUILDERS)
state = {"keras": "keras" in sys.modules,
         "not loaded": sorted(i.name for i in pkgutil.iter_modules(m.__path__) if f"mgtutor.models.{i.name}" not in
                              sys.modules)}
for i in pkgutil.iter_modules(m.__path__):
    importlib.import_module(f"mgtutor.models.{i.name}")
state.update(added=sorted(set(m.BUILDERS) - set(before)), builders=before, nade=m.NADEFrames.__module__,
             gan=m.GAN.__module__,
             token=mgtutor.metrics.TokenNLL.__module__)
print(json.dumps(state))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    state = json.loads(proc.stdout)
    assert state["keras"] is False and state["not loaded"] == ["gan_keras", "pianoroll_layers"] and state["added"] == []
    assert {"bar_gan", "melody_lstm", "rnn_nade", "toy_gan"} <= set(state["builders"])
    assert state["gan"] == "mgtutor.models.gan_keras"
    assert state["nade"] == "mgtutor.models.pianoroll_layers" and state["token"] == "mgtutor.metrics.keras_metrics"


def test_an_lstm_stack_steps_like_keras_and_checks_its_layers():
    from mgtutor.errors import GenerationError

    lstm = [keras.layers.LSTM(6, return_sequences=True), keras.layers.LSTM(4, return_sequences=True)]
    x = _x(d=5)
    lstm[1](lstm[0](x))
    for seed, layer in enumerate(lstm):
        _randomise(layer, seed)
    ref = np.asarray(lstm[1](lstm[0](x)))
    stack = models.LSTMStack.from_keras_layers(lstm)
    assert stack.inputs == 5 and stack.units == [6, 4]
    state, tops = stack.initial_state(3), []
    for t in range(x.shape[1]):
        top, state = stack.step(x[:, t], state)
        tops.append(top)
    np.testing.assert_allclose(np.stack(tops, axis=1), ref, atol=1e-5)
    with pytest.raises(GenerationError, match="no LSTM layer"):
        models.LSTMStack([])
    with pytest.raises(GenerationError, match="LSTM 1 expects 4 inputs, the layer below gives 6"):
        models.LSTMStack([lstm[0].get_weights(), [np.zeros((4, 16)), np.zeros((4, 16)), np.zeros(16)]])
    with pytest.raises(GenerationError, match="only the default LSTM"):
        models.LSTMStack.from_keras_layers([keras.layers.LSTM(3, activation="relu")])
