"""The GAN core (mgtutor.models.gan, gan_keras): losses against hand-computed values, one train step per backend
(TensorFlow here, JAX in a subprocess: the backend is fixed at Keras' first import), the gradient penalty, seeds,
options."""

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from mgtutor import data, train
from mgtutor.models import GAN, ModelConfigError, build, discriminator_loss, generator_loss
from mgtutor.runs import RunDir


def _compiled(seed=0, **kwargs):
    keras.utils.set_random_seed(seed)
    gan = build("toy_gan", **{"data_dim": 2, "noise_dim": 2, "units": 8, "seed": seed, **kwargs})
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-2), g_optimizer=keras.optimizers.Adam(1e-2))
    return gan


def _points(n=64, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(n, 2)) * 0.1 + [2.0, -1.0]).astype("float32")


def _changed(before, model):
    return [not np.array_equal(a, np.asarray(b)) for a, b in zip(before, model.get_weights(), strict=True)]


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_the_losses_equal_their_textbook_forms():
    real, fake = np.array([2.0, -0.5, 0.3], "float32"), np.array([-1.0, 0.7], "float32")
    bce = -np.mean(np.log(_sigmoid(real))) - np.mean(np.log(1 - _sigmoid(fake)))
    np.testing.assert_allclose(float(discriminator_loss("nonsaturating", real, fake)), bce, rtol=1e-6)
    np.testing.assert_allclose(float(discriminator_loss("minimax", real, fake)), bce, rtol=1e-6)
    np.testing.assert_allclose(float(generator_loss("nonsaturating", fake)), -np.mean(np.log(_sigmoid(fake))),
                               rtol=1e-6)
    np.testing.assert_allclose(float(generator_loss("minimax", fake)), np.mean(np.log(1 - _sigmoid(fake))),
                               rtol=1e-6)
    np.testing.assert_allclose(float(discriminator_loss("wgan-gp", real, fake)), fake.mean() - real.mean(),
                               rtol=1e-6)
    np.testing.assert_allclose(float(generator_loss("wgan-gp", fake)), -fake.mean(), rtol=1e-6)
    with pytest.raises(ModelConfigError, match="unknown GAN loss 'hinge'"):
        generator_loss("hinge", fake)


@pytest.mark.parametrize("options", [{}, {"loss": "minimax"}, {"loss": "wgan-gp", "gp_weight": 10.0, "n_critic": 3},
                                     {"pack": 4}, {"n_labels": 3, "pack": 2}])
def test_a_train_step_changes_both_networks_under_tensorflow(options):
    gan = _compiled(**options)
    d_before = [np.asarray(w) for w in gan.discriminator.get_weights()]
    g_before = [np.asarray(w) for w in gan.generator.get_weights()]
    x = _points(16)
    batch = (x, np.arange(16) % 3) if options.get("n_labels") else x
    logs = gan.train_on_batch(*batch) if isinstance(batch, tuple) else gan.train_on_batch(batch)
    assert np.all(np.isfinite(logs))
    d_changed, g_changed = _changed(d_before, gan.discriminator), _changed(g_before, gan.generator)
    # every weight moves, except the critic's output bias under WGAN-GP: E[c(fake)] − E[c(real)] and the penalty
    # do not depend on it
    assert all(g_changed) and all(d_changed[:-1]) and d_changed[-1] == (options.get("loss") != "wgan-gp")
    assert int(gan.g_optimizer.iterations) == 1 and int(gan.d_optimizer.iterations) == options.get("n_critic", 1)


class _GStepAlsoMovesD(GAN):
    """A broken GAN whose generator step also applies its gradient to D's weights, with G's optimizer (what a
    combined model compiled with a trainable D does): the isolation check below must catch it."""

    def _train_step_tf(self, data):
        import tensorflow as tf

        real, _ = self._split(data)
        d_vars, g_vars = self.discriminator.trainable_variables, self.generator.trainable_variables
        with tf.GradientTape() as tape:
            fake = self.generator(self._noise(self.g_optimizer.iterations, 0, real.shape[0]), training=True)
            d_loss = self._d_loss(self.discriminator(real, training=True), self.discriminator(fake, training=True))
        self.d_optimizer.apply(tape.gradient(d_loss, d_vars), d_vars)
        with tf.GradientTape() as tape:
            fake = self.generator(self._noise(self.g_optimizer.iterations, 2, real.shape[0]), training=True)
            g_loss = self._g_loss(self.discriminator(fake, training=True))
        self.g_optimizer.apply(tape.gradient(g_loss, g_vars + d_vars), g_vars + d_vars)
        return {"d_loss": d_loss, "g_loss": g_loss}


def _moved_with_learning_rates(d_lr, g_lr, leaky=False):
    """Which networks one step changes when each optimizer has the given learning rate (notebook 08 §3)."""
    keras.utils.set_random_seed(0)
    gan = build("toy_gan", data_dim=2, noise_dim=2, units=8, seed=0)
    if leaky:
        gan = _GStepAlsoMovesD(gan.generator, gan.discriminator, noise_dim=2)
    gan.compile(d_optimizer=keras.optimizers.Adam(d_lr), g_optimizer=keras.optimizers.Adam(g_lr), run_eagerly=True)
    before = {"D": gan.discriminator.get_weights(), "G": gan.generator.get_weights()}
    gan.train_on_batch(_points())
    return {"D": any(_changed(before["D"], gan.discriminator)), "G": any(_changed(before["G"], gan.generator))}


def test_each_optimizer_changes_only_its_own_network_and_the_check_catches_one_that_does_not():
    assert _moved_with_learning_rates(1e-2, 0.0) == {"D": True, "G": False}
    assert _moved_with_learning_rates(0.0, 1e-2) == {"D": False, "G": True}
    # a generator step that also updates D moves D even with D's own optimizer silenced
    assert _moved_with_learning_rates(0.0, 1e-2, leaky=True) == {"D": True, "G": True}


def test_the_gradient_penalty_matches_hand_computed_cases():
    gen = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    squares = keras.Sequential([keras.Input((2,)),
                                keras.layers.Lambda(lambda x: keras.ops.sum(x ** 2, axis=-1, keepdims=True))])
    gan = GAN(gen, squares, 2, loss="wgan-gp", gp_weight=10.0)
    # ∇ Σx² = 2x: ‖(0.6, 0.8)‖ = 1 → 0; ‖(2, 0)‖ = 2 → 1; mean 0.5
    assert float(gan.gradient_penalty(np.array([[0.3, 0.4], [1.0, 0.0]], "float32"))) == pytest.approx(0.5, abs=1e-6)
    linear = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    linear.set_weights([np.array([[3.0], [4.0]], "float32"), np.array([0.5], "float32")])
    gan = GAN(gen, linear, 2, loss="wgan-gp", gp_weight=10.0)
    assert float(gan.gradient_penalty(np.zeros((3, 2), "float32"))) == pytest.approx(16.0, rel=1e-6)  # (5 − 1)²


def test_a_wgan_gp_critic_step_follows_the_hand_computed_gradient():
    """One SGD step of a linear critic c(x) = w·x + b: ∂L/∂w = E[fake] − E[real] + λ·2(‖w‖ − 1)·w/‖w‖."""
    gan = build("toy_gan", data_dim=2, noise_dim=2, units=4, loss="wgan-gp", gp_weight=10.0, n_critic=1)
    linear = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    w = np.array([[3.0], [4.0]], "float32")
    linear.set_weights([w, np.zeros(1, "float32")])
    gan = GAN(gan.generator, linear, 2, loss="wgan-gp", gp_weight=10.0, n_critic=1)
    gan.compile(d_optimizer=keras.optimizers.SGD(0.01), g_optimizer=keras.optimizers.SGD(0.0))
    real = _points(8)
    fake = gan._g_inputs(gan._noise(0, 0, 8), None)
    fake = np.asarray(gan.generator(fake))  # the fakes of step 0's critic step (same seed, same draw)
    gan.train_on_batch(real)
    grad = fake.mean(0) - real.mean(0) + 10.0 * 2 * (5.0 - 1.0) * w[:, 0] / 5.0
    np.testing.assert_allclose(np.asarray(linear.get_weights()[0])[:, 0], w[:, 0] - 0.01 * grad, rtol=1e-5)


def test_the_same_seed_gives_the_same_samples_and_the_noise_is_a_function_of_seed_and_step():
    a, b = _compiled(seed=3), _compiled(seed=3)
    np.testing.assert_array_equal(a.sample(50, seed=7), b.sample(50, seed=7))
    assert not np.array_equal(a.sample(50, seed=7), a.sample(50, seed=8))
    assert a.sample(50, seed=7).shape == (50, 2)
    np.testing.assert_array_equal(a._noise(5, 1, 4), b._noise(5, 1, 4))
    assert not np.array_equal(a._noise(5, 1, 4), a._noise(6, 1, 4))
    assert not np.array_equal(a._noise(5, 1, 4), _compiled(seed=4)._noise(5, 1, 4))
    cond = _compiled(n_labels=3)
    s0, s1 = cond.sample(20, labels=np.zeros(20, "int32"), seed=1), cond.sample(20, labels=np.ones(20, "int32"),
                                                                                seed=1)
    assert s0.shape == (20, 2) and not np.array_equal(s0, s1)


def test_a_wgan_gp_gan_resumes_exactly(tmp_path):
    cfg = {"task": "gan-toy", "builder": "toy_gan", "builder_kwargs": {"data_dim": 2, "noise_dim": 2, "units": 8,
                                                                    "loss": "wgan-gp", "gp_weight": 1.0,
                                                                    "n_critic": 2, "pack": 2}}

    def make():
        return _compiled(**cfg["builder_kwargs"])

    points = data.ArrayData([_points()], 16)
    straight = train.fit_run(RunDir.prepare(tmp_path / "a", cfg), make, points, epochs=3)
    train.fit_run(RunDir.prepare(tmp_path / "b", cfg), make, points, epochs=2)
    resumed = train.fit_run(RunDir.prepare(tmp_path / "b", cfg), make, points, epochs=3)
    assert resumed.resumed_at == 2 and int(resumed.model.d_optimizer.iterations) == 2 * 12
    for x, y in zip(straight.model.get_weights(), resumed.model.get_weights(), strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize(("kwargs", "phrase"), [
    ({"loss": "hinge"}, "unknown GAN loss 'hinge'"),
    ({"n_critic": 0}, "n_critic must be a positive integer"),
    ({"pack": 0}, "pack must be a positive integer"),
    ({"loss": "wgan-gp", "gp_weight": -1.0}, "must be a number ≥ 0"),
    ({"gp_weight": 10.0}, "applies to the 'wgan-gp' loss only"),
    ({"noise_dim": 0}, "noise_dim must be a positive integer"),
    ({"n_labels": -1}, "n_labels must be an integer ≥ 0"),
    ({"activation": "sigmoid"}, "activation 'sigmoid'"),
    ({"d_units": 0}, "d_units must be a positive integer"),
    ({"scale": 0.0}, "scale must be a number > 0"),
])
def test_bad_gan_options_raise_model_config_error(kwargs, phrase):
    with pytest.raises(ModelConfigError, match=phrase):
        build("toy_gan", **kwargs)


def test_bad_compile_and_sampling_calls_raise_model_config_error():
    gan = build("toy_gan")
    adam = keras.optimizers.Adam()
    with pytest.raises(ModelConfigError, match="needs two optimizers"):
        gan.compile(d_optimizer=adam)
    with pytest.raises(ModelConfigError, match="the same object"):
        gan.compile(d_optimizer=adam, g_optimizer=adam)
    with pytest.raises(ModelConfigError, match="takes no optimizer="):
        gan.compile(d_optimizer=adam, g_optimizer=keras.optimizers.Adam(), optimizer="adam")
    with pytest.raises(ModelConfigError, match="not conditional"):
        gan.sample(3, labels=np.zeros(3, "int32"))
    with pytest.raises(ModelConfigError, match="needs labels"):
        build("toy_gan", n_labels=2).sample(3)
    with pytest.raises(ModelConfigError, match="seed must be a non-negative integer"):
        GAN(gan.generator, gan.discriminator, 2, seed=-1)
    packed = _compiled(pack=4)
    with pytest.raises(ModelConfigError, match="not a multiple of pack=4"):
        packed.train_on_batch(_points(6))
    cond = _compiled(n_labels=2)
    with pytest.raises(ModelConfigError, match=r"trains on \(x, labels\) batches"):
        cond.train_on_batch(_points(4))


JAX_SCRIPT = textwrap.dedent("""
    import json, sys
    import keras
    import numpy as np
    from mgtutor import data, train
    from mgtutor.models import GAN, build
    from mgtutor.runs import RunDir

    assert keras.backend.backend() == "jax"
    out = sys.argv[1]
    rng = np.random.default_rng(0)
    points = (rng.normal(size=(64, 2)) * 0.1 + [2.0, -1.0]).astype("float32")
    labels = (np.arange(64) % 3).astype("int32")
    report = {}
    for name, kwargs, arrays in [
            ("plain", {}, [points]),
            ("wgan", {"loss": "wgan-gp", "gp_weight": 1.0, "n_critic": 2, "pack": 2, "n_labels": 3}, [points, labels])]:
        kwargs = {"data_dim": 2, "noise_dim": 2, "units": 8, **kwargs}
        cfg = {"task": "gan-toy", "builder": "toy_gan", "builder_kwargs": kwargs}

        def make():
            keras.utils.set_random_seed(0)
            gan = build("toy_gan", **kwargs)
            gan.compile(d_optimizer=keras.optimizers.Adam(1e-2), g_optimizer=keras.optimizers.Adam(1e-2))
            return gan

        initial = [np.asarray(w) for w in make().get_weights()]
        stream = data.ArrayData(arrays, 16)
        straight = train.fit_run(RunDir.prepare(f"{out}/{name}-straight", cfg), make, stream, epochs=3)
        run = RunDir.prepare(f"{out}/{name}", cfg)
        train.fit_run(run, make, stream, epochs=2)
        resumed = train.fit_run(RunDir.prepare(f"{out}/{name}", cfg), make, stream, epochs=3)
        run.finish({})
        loaded = RunDir.open(run.path).load_model()
        noise = np.linspace(-1, 1, 12, dtype="float32").reshape(6, 2)
        g_in = [noise, labels[:6]] if kwargs.get("n_labels") else noise
        report[name] = {
            "changed": [not np.array_equal(a, np.asarray(b)) for a, b in zip(initial, resumed.model.get_weights())],
            "resumed_equal": all(np.array_equal(np.asarray(a), np.asarray(b))
                                 for a, b in zip(straight.model.get_weights(), resumed.model.get_weights())),
            "iterations": [int(resumed.model.d_optimizer.iterations), int(resumed.model.g_optimizer.iterations)],
            "log": sorted(train.read_log(run.log_path)),
            "samples": np.asarray(loaded(g_in)).tolist(),
            "trained": np.asarray(resumed.model(g_in)).tolist(),
            "same_seed": np.array_equal(loaded.sample(5, seed=1, **({"labels": labels[:5]} if kwargs.get("n_labels")
                                                                     else {})),
                                        loaded.sample(5, seed=1, **({"labels": labels[:5]} if kwargs.get("n_labels")
                                                                     else {}))),
        }
    squares = keras.Sequential([keras.Input((2,)),
                                keras.layers.Lambda(lambda x: keras.ops.sum(x ** 2, axis=-1, keepdims=True))])
    gan = GAN(keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)]), squares, 2, loss="wgan-gp", gp_weight=1.0)
    report["penalty"] = float(gan.gradient_penalty(np.array([[0.3, 0.4], [1.0, 0.0]], "float32")))
    print(json.dumps(report))
""")


@pytest.mark.slow
def test_the_gan_trains_resumes_saves_and_reloads_under_jax(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "KERAS_BACKEND")}
    env["KERAS_BACKEND"] = "jax"
    proc = subprocess.run([sys.executable, "-c", JAX_SCRIPT, str(tmp_path)], capture_output=True, text=True,
                          timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["penalty"] == pytest.approx(0.5, abs=1e-6)
    for name, n_critic in (("plain", 1), ("wgan", 2)):
        r = report[name]
        assert r["resumed_equal"] and r["same_seed"] and r["iterations"] == [n_critic * 12, 12]
        assert sum(r["changed"]) >= len(r["changed"]) - 1  # (a critic's output bias has no gradient)
        assert {"epoch", "d_loss", "g_loss"} <= set(r["log"])
        np.testing.assert_allclose(r["samples"], r["trained"], atol=1e-6)
        # the weights JAX saved load under TensorFlow (this process) and give the same samples
        loaded = RunDir.open(tmp_path / name).load_model()
        noise = np.linspace(-1, 1, 12, dtype="float32").reshape(6, 2)
        g_in = [noise, (np.arange(6) % 3).astype("int32")] if name == "wgan" else noise
        np.testing.assert_allclose(np.asarray(loaded(g_in)), r["samples"], atol=1e-5)
