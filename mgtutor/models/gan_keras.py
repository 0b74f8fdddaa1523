"""A GAN as one Keras model with two optimizers, trained under TensorFlow and JAX: what notebooks 08–09 build on.

Part of mgtutor. See notebook 08 (GANs from first principles) §3 and notebook 09 (GANs for music and audio).

:class:`GAN` holds a generator G and a discriminator D (a *critic* under WGAN-GP) and trains them in ``fit`` with
its own ``train_step``: ``n_critic`` steps of D, then one step of G, each network with its own optimizer
(``compile(d_optimizer=…, g_optimizer=…)``). Its losses are :mod:`mgtutor.models.gan`'s (``"nonsaturating"``,
``"minimax"``, ``"wgan-gp"``; the formulas are in that module's docstring).

Options instead of copies: ``conditional=True`` makes the data ``(x, labels)`` and calls G on ``[noise, labels]``
and D on ``[x, labels]`` (the fakes of a batch get the batch's labels); ``pack=m`` (PacGAN, Lin et al. 2018)
shows D m examples at once, reshaped (B, …) → (B/m, m, …), so a generator that repeats itself is visible to D.

One ``train_step`` per backend, chosen by ``keras.backend.backend()``: TensorFlow with ``tf.GradientTape``; JAX
with the stateless ``train_step(state, data) -> (logs, state)`` contract (``stateless_call`` of G and D,
``stateless_apply`` of each optimizer, as Keras' guide *Customizing what happens in fit() with JAX* shows).
Losses are written once in ``keras.ops``; noise comes from ``keras.random`` with the seed (seed, k·s + i) for
draw i of training step k (s draws per step), k counted by ``g_optimizer.iterations`` — saved with the
optimizer, so a resumed GAN draws exactly the noise an uninterrupted one would. Both optimizers are Keras
attributes: ``save_weights`` stores their state and :func:`mgtutor.train.fit_run` resumes a GAN like any model.

This module imports Keras, so :mod:`mgtutor.models` loads it on first use (``models.GAN``), and the builders
(:func:`~mgtutor.models.gan_toy.toy_gan`, :mod:`~mgtutor.models.gan_music`) import it when they build a GAN.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from mgtutor.models.gan import check_gan_options, discriminator_loss, generator_loss
from mgtutor.models.numpy_rnn import ModelConfigError

__all__ = ["GAN"]


class _TwoOptimizers:
    """What Keras' trainers see as ``model.optimizer``: both optimizers' variables, D's then G's.

    The JAX trainer threads ``optimizer.variables`` through its stateless ``train_step`` and writes them back
    after ``fit``; ``build`` gives each optimizer only its own network's variables. Not saved itself: the two
    optimizers are attributes of the GAN and ``save_weights`` stores them.
    """

    def __init__(self, gan):
        self._gan = gan

    @property
    def variables(self):
        return [*self._gan.d_optimizer.variables, *self._gan.g_optimizer.variables]

    @property
    def built(self):
        return self._gan.d_optimizer.built and self._gan.g_optimizer.built

    def build(self, variables=None):
        self._gan.build_optimizers()

    @property
    def iterations(self):
        """Training steps done (one G update per step)."""
        return self._gan.g_optimizer.iterations


def _index(items, chosen) -> list[int]:
    """Positions in ``items`` of the objects in ``chosen`` (by identity: Keras variables overload ``==``)."""
    ids = {id(v) for v in chosen}
    return [i for i, v in enumerate(items) if id(v) in ids]


@keras.saving.register_keras_serializable(package="mgtutor")
class GAN(keras.Model):
    """G: noise (B, noise_dim) [+ labels] → samples; D: samples [+ labels] → one logit (score) each.

    ``GAN(generator, discriminator, noise_dim, loss="nonsaturating", n_critic=None, gp_weight=0.0, pack=1,
    conditional=False, seed=0)``; then ``compile(d_optimizer=…, g_optimizer=…)`` and ``fit``. ``sample(n, labels=
    None, seed=0)`` draws n examples (a fixed seed gives the same samples); ``gradient_penalty(x, labels=None)``
    is E[(‖∇ₓ D(x)‖₂ − 1)²] at given points. The losses are :mod:`mgtutor.models.gan`'s; the module docstring
    describes the options.
    See: notebook 08 §3.
    """

    def __init__(self, generator, discriminator, noise_dim: int, loss: str = "nonsaturating",
                 n_critic: int | None = None, gp_weight: float = 0.0, pack: int = 1, conditional: bool = False,
                 seed: int = 0, **kwargs):
        n_critic = check_gan_options(noise_dim, loss, n_critic, gp_weight, pack)
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise ModelConfigError(f"seed must be a non-negative integer, got {seed!r}")
        super().__init__(**kwargs)
        self.generator, self.discriminator = generator, discriminator
        self.noise_dim, self.loss_name, self.n_critic = int(noise_dim), loss, n_critic
        self.gp_weight, self.pack, self.conditional, self.seed = float(gp_weight), pack, bool(conditional), seed
        self.d_optimizer = self.g_optimizer = None
        self.noise_seed = keras.random.SeedGenerator(seed, name="noise_seed")
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.built = True

    # ------------------------------------------------------------------ set-up
    def compile(self, d_optimizer=None, g_optimizer=None, **kwargs):
        """Two optimizers, one per network (never one shared: each keeps its own moments)."""
        if d_optimizer is None or g_optimizer is None:
            raise ModelConfigError("a GAN needs two optimizers: compile(d_optimizer=..., g_optimizer=...)")
        if d_optimizer is g_optimizer:
            raise ModelConfigError("d_optimizer and g_optimizer are the same object; give each network its own")
        for name in ("optimizer", "loss"):
            if kwargs.pop(name, None) is not None:
                raise ModelConfigError(f"a GAN takes no {name}=: its losses are set by GAN(loss=...)")
        super().compile(optimizer=None, **kwargs)
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer
        self.optimizer = _TwoOptimizers(self)

    def build_optimizers(self):
        """Create both optimizers' variables (before a checkpoint is loaded into them)."""
        if not self.d_optimizer.built:
            self.d_optimizer.build(self.discriminator.trainable_variables)
        if not self.g_optimizer.built:
            self.g_optimizer.build(self.generator.trainable_variables)

    def get_config(self):
        return {**super().get_config(), "generator": keras.saving.serialize_keras_object(self.generator),
                "discriminator": keras.saving.serialize_keras_object(self.discriminator),
                "noise_dim": self.noise_dim, "loss": self.loss_name, "n_critic": self.n_critic,
                "gp_weight": self.gp_weight, "pack": self.pack, "conditional": self.conditional,
                "seed": self.seed}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("generator", "discriminator"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def call(self, inputs, training=False):
        """G's output for noise (or ``[noise, labels]`` when conditional)."""
        return self.generator(inputs, training=training)

    # ------------------------------------------------------------------ sampling
    def sample(self, n: int, labels=None, seed: int = 0):
        """``n`` samples from G as a NumPy array; the same ``seed`` gives the same samples.

        Raises:
            ModelConfigError: labels missing for a conditional GAN (or given to an unconditional one).
        """
        noise = keras.random.normal((int(n), self.noise_dim), seed=int(seed))
        labels = None if labels is None else ops.convert_to_tensor(np.asarray(labels))
        return np.asarray(ops.convert_to_numpy(self.generator(self._g_inputs(noise, labels), training=False)))

    def _g_inputs(self, noise, labels):
        if self.conditional != (labels is not None):
            raise ModelConfigError("a conditional GAN needs labels, an unconditional one takes none"
                                   if self.conditional else "this GAN is not conditional: pass no labels")
        return [noise, labels] if self.conditional else noise

    def _split(self, data):
        """(real, labels) of a batch: ``x``, ``(x,)`` or, when conditional, ``(x, labels)``."""
        parts = [p for p in data if p is not None] if isinstance(data, (tuple, list)) else [data]
        if self.conditional and len(parts) < 2:
            raise ModelConfigError("a conditional GAN trains on (x, labels) batches")
        return parts[0], parts[1] if self.conditional else None

    def _noise(self, step, i, batch, kind="normal"):
        """Draw i of training step k: keras.random seeded by (seed, k·s + i) — a function of (seed, k)."""
        draws = 2 * self.n_critic + 1
        state = self.noise_seed.state
        value = ops.cast(ops.stack([ops.cast(self.seed, "int32"),
                                    ops.cast(step, "int32") * draws + i]), state.dtype)
        with keras.StatelessScope(state_mapping=[(state, value)]):
            if kind == "normal":
                return keras.random.normal((batch, self.noise_dim), seed=self.noise_seed)
            return keras.random.uniform((batch,), seed=self.noise_seed)

    def _packed(self, x):
        """(B, …) → (B/pack, pack, …): D sees ``pack`` examples at once (PacGAN)."""
        if self.pack == 1:
            return x
        shape = ops.shape(x)
        if isinstance(shape[0], int) and shape[0] % self.pack:
            raise ModelConfigError(f"batch of {shape[0]} is not a multiple of pack={self.pack}: choose a batch "
                                   "size divisible by pack")
        return ops.reshape(x, (-1, self.pack, *shape[1:]))

    def _packed_labels(self, labels):
        return self._packed(labels) if self.conditional else None

    def _d_inputs(self, x, labels):
        x = self._packed(x)
        return [x, self._packed(labels)] if self.conditional else x

    # ------------------------------------------------------------------ losses (keras.ops, every backend)
    def _d_loss(self, real_logits, fake_logits):
        return discriminator_loss(self.loss_name, real_logits, fake_logits)

    def _g_loss(self, fake_logits):
        return generator_loss(self.loss_name, fake_logits)

    @staticmethod
    def _penalty_from_gradients(grads):
        """E[(‖g‖₂ − 1)²] over the batch, the norm over every non-batch axis."""
        axes = tuple(range(1, len(grads.shape)))
        norms = ops.sqrt(ops.sum(ops.square(grads), axis=axes) + 1e-12)
        return ops.mean(ops.square(norms - 1.0))

    def _interpolate(self, real, fake, step, i):
        eps = self._noise(step, i, ops.shape(real)[0], kind="uniform")
        eps = ops.reshape(eps, (-1,) + (1,) * (len(real.shape) - 1))
        return eps * real + (1.0 - eps) * fake

    def gradient_penalty(self, x, labels=None):
        """E[(‖∇ₓ D(x)‖₂ − 1)²] at the points ``x`` (packed like D's input when ``pack`` > 1), with D's
        current weights: the term WGAN-GP adds to the critic's loss (there at random interpolates)."""
        x = ops.convert_to_tensor(x, dtype="float32")
        labels = None if labels is None else ops.convert_to_tensor(labels)
        if keras.backend.backend() == "jax":
            d = self.discriminator
            return self._penalty_jax([v.value for v in d.trainable_variables],
                                     [v.value for v in d.non_trainable_variables], x, labels)
        if keras.backend.backend() == "tensorflow":
            return self._penalty_tf(x, labels)
        raise ModelConfigError(f"GAN trains under TensorFlow or JAX, not {keras.backend.backend()!r}")

    # ------------------------------------------------------------------ one step per backend
    def train_step(self, *args):
        if keras.backend.backend() == "jax":
            return self._train_step_jax(*args)
        if keras.backend.backend() == "tensorflow":
            return self._train_step_tf(*args)
        raise ModelConfigError(f"GAN trains under TensorFlow or JAX, not {keras.backend.backend()!r}; set "
                               "KERAS_BACKEND")

    # TensorFlow: GradientTape, optimizers applied in place
    def _penalty_tf(self, points, labels):
        """E[(‖∇ D‖ − 1)²] at ``points`` laid out as D's input (packed), by a (nested) GradientTape."""
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(points)
            total = ops.sum(self.discriminator([points, labels] if self.conditional else points, training=True))
        return self._penalty_from_gradients(tape.gradient(total, points))

    def _train_step_tf(self, data):
        import tensorflow as tf

        real, labels = self._split(data)
        batch = ops.shape(real)[0]
        step = self.g_optimizer.iterations
        d_vars, g_vars = self.discriminator.trainable_variables, self.generator.trainable_variables
        for j in range(self.n_critic):
            noise = self._noise(step, 2 * j, batch)
            with tf.GradientTape() as tape:
                fake = self.generator(self._g_inputs(noise, labels), training=True)
                real_logits = self.discriminator(self._d_inputs(real, labels), training=True)
                fake_logits = self.discriminator(self._d_inputs(fake, labels), training=True)
                d_loss = self._d_loss(real_logits, fake_logits)
                if self.loss_name == "wgan-gp":
                    mixed = self._packed(self._interpolate(real, fake, step, 2 * j + 1))
                    d_loss = d_loss + self.gp_weight * self._penalty_tf(mixed, self._packed_labels(labels))
            self.d_optimizer.apply(tape.gradient(d_loss, d_vars), d_vars)
        noise = self._noise(step, 2 * self.n_critic, batch)
        with tf.GradientTape() as tape:
            fake = self.generator(self._g_inputs(noise, labels), training=True)
            g_loss = self._g_loss(self.discriminator(self._d_inputs(fake, labels), training=True))
        self.g_optimizer.apply(tape.gradient(g_loss, g_vars), g_vars)
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {m.name: m.result() for m in self.metrics}

    # JAX: stateless — (logs, state) out of (state, data)
    def _penalty_jax(self, d_tv, d_ntv, x, labels):
        import jax

        def total_score(points):
            scores, _ = self.discriminator.stateless_call(d_tv, d_ntv, [points, labels] if self.conditional
                                                          else points, training=True)
            return ops.sum(scores)

        return self._penalty_from_gradients(jax.grad(total_score)(x))

    def _jax_layout(self):
        """Positions of G's and D's variables in the trainer's state lists (computed once)."""
        if getattr(self, "_layout", None) is None:
            tv, ntv = self.trainable_variables, self.non_trainable_variables
            g, d = self.generator, self.discriminator
            n_d = len(self.d_optimizer.variables)
            self._layout = {"g_tv": _index(tv, g.trainable_variables), "d_tv": _index(tv, d.trainable_variables),
                            "g_ntv": _index(ntv, g.non_trainable_variables),
                            "d_ntv": _index(ntv, d.non_trainable_variables), "n_d_opt": n_d,
                            "g_iter": n_d + _index(self.g_optimizer.variables, [self.g_optimizer.iterations])[0]}
        return self._layout

    def _train_step_jax(self, state, data):
        import jax

        trainable, non_trainable, opt_vars, metric_vars = state
        lay = self._jax_layout()
        real, labels = self._split(data)
        batch = real.shape[0]

        def take(values, idx):
            return [values[i] for i in idx]

        g_tv, d_tv = take(trainable, lay["g_tv"]), take(trainable, lay["d_tv"])
        g_ntv, d_ntv = take(non_trainable, lay["g_ntv"]), take(non_trainable, lay["d_ntv"])
        d_opt, g_opt = list(opt_vars[: lay["n_d_opt"]]), list(opt_vars[lay["n_d_opt"]:])
        step = opt_vars[lay["g_iter"]]
        generator, discriminator = self.generator, self.discriminator

        def d_loss_fn(d_tv, d_ntv, g_ntv, noise, j):
            fake, g_ntv = generator.stateless_call(g_tv, g_ntv, self._g_inputs(noise, labels), training=True)
            real_logits, d_ntv = discriminator.stateless_call(d_tv, d_ntv, self._d_inputs(real, labels),
                                                              training=True)
            fake_logits, d_ntv = discriminator.stateless_call(d_tv, d_ntv, self._d_inputs(fake, labels),
                                                              training=True)
            loss = self._d_loss(real_logits, fake_logits)
            if self.loss_name == "wgan-gp":
                mixed = self._packed(self._interpolate(real, fake, step, 2 * j + 1))
                loss = loss + self.gp_weight * self._penalty_jax(d_tv, d_ntv, mixed, self._packed_labels(labels))
            return loss, (d_ntv, g_ntv)

        for j in range(self.n_critic):
            noise = self._noise(step, 2 * j, batch)
            (d_loss, (d_ntv, g_ntv)), grads = jax.value_and_grad(d_loss_fn, has_aux=True)(
                d_tv, d_ntv, g_ntv, noise, j)
            d_tv, d_opt = self.d_optimizer.stateless_apply(d_opt, grads, d_tv)

        def g_loss_fn(g_tv, g_ntv, d_ntv, noise):
            fake, g_ntv = generator.stateless_call(g_tv, g_ntv, self._g_inputs(noise, labels), training=True)
            fake_logits, d_ntv = discriminator.stateless_call(d_tv, d_ntv, self._d_inputs(fake, labels),
                                                              training=True)
            return self._g_loss(fake_logits), (g_ntv, d_ntv)

        noise = self._noise(step, 2 * self.n_critic, batch)
        (g_loss, (g_ntv, d_ntv)), grads = jax.value_and_grad(g_loss_fn, has_aux=True)(g_tv, g_ntv, d_ntv, noise)
        g_tv, g_opt = self.g_optimizer.stateless_apply(g_opt, grads, g_tv)

        trainable, non_trainable = list(trainable), list(non_trainable)
        for idx, values, target in ((lay["g_tv"], g_tv, trainable), (lay["d_tv"], d_tv, trainable),
                                    (lay["g_ntv"], g_ntv, non_trainable), (lay["d_ntv"], d_ntv, non_trainable)):
            for i, v in zip(idx, values, strict=True):
                target[i] = v
        logs, new_metric_vars, start = {}, [], 0
        for metric, value in ((self.d_loss_tracker, d_loss), (self.g_loss_tracker, g_loss)):
            n = len(metric.variables)
            mv = metric.stateless_update_state(metric_vars[start:start + n], value)
            logs[metric.name] = metric.stateless_result(mv)
            new_metric_vars += list(mv)
            start += n
        return logs, (trainable, non_trainable, [*d_opt, *g_opt], new_metric_vars)

