"""A GAN as one Keras model with two optimizers: the shape notebooks 08–09 build on.

Part of mgtutor. See notebook 08 (GANs from first principles).

:class:`GAN` holds a generator G and a discriminator D and trains them in ``fit`` with its own
``train_step``: one step of D on real and generated data, then one step of G, with the
non-saturating losses

    L_D = −E[log D(x)] − E[log(1 − D(G(z)))],    L_G = −E[log D(G(z))]

(binary cross-entropy from logits). Each network has its own optimizer (``d_optimizer``,
``g_optimizer``); both are Keras attributes, so ``save_weights`` stores their state and a run
directory resumes a GAN exactly as it resumes any model (:func:`mgtutor.train.fit_run`). The noise
of training step k is drawn from the stateless seed (seed, k), k counted by ``d_optimizer.iterations``
(saved with the optimizer), so a resumed GAN draws the noise an uninterrupted one would.
The step uses ``tf.GradientTape``: this GAN trains on the TensorFlow backend.
"""

from __future__ import annotations

from mgtutor.models.numpy_rnn import ModelConfigError
from mgtutor.models.registry import register


def _gan_class():
    import keras
    from keras import ops

    class GAN(keras.Model):
        """G: noise (B, noise_dim) → samples (B, data_dim); D: samples → one logit each."""

        def __init__(self, generator, discriminator, noise_dim: int, seed: int = 0, **kwargs):
            super().__init__(**kwargs)
            self.generator, self.discriminator, self.noise_dim = generator, discriminator, int(noise_dim)
            self.seed = int(seed)
            self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
            self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
            self.built = True

        def compile(self, d_optimizer, g_optimizer, **kwargs):
            super().compile(**kwargs)
            self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer

        def build_optimizers(self):
            """Create both optimizers' variables (before a checkpoint is loaded into them)."""
            if not self.d_optimizer.built:
                self.d_optimizer.build(self.discriminator.trainable_variables)
            if not self.g_optimizer.built:
                self.g_optimizer.build(self.generator.trainable_variables)

        @property
        def metrics(self):
            return [self.d_loss_tracker, self.g_loss_tracker]

        def call(self, noise, training=False):
            return self.generator(noise, training=training)

        def train_step(self, data):
            if keras.backend.backend() != "tensorflow":
                raise ModelConfigError("this GAN's train_step uses tf.GradientTape: train it with KERAS_BACKEND="
                                       "tensorflow")
            import tensorflow as tf

            real = data[0] if isinstance(data, (tuple, list)) else data
            batch = ops.shape(real)[0]
            bce = keras.losses.BinaryCrossentropy(from_logits=True)
            # the noise of step k is a function of (seed, k): a resumed run draws what an uninterrupted one would
            step = ops.cast(self.d_optimizer.iterations, "int64")
            seeds = [ops.stack([ops.cast(self.seed, "int64"), 2 * step + i]) for i in (0, 1)]
            noise = tf.random.stateless_normal((batch, self.noise_dim), seed=seeds[0])
            with tf.GradientTape() as tape:
                fake = self.generator(noise, training=True)
                real_logits = self.discriminator(real, training=True)
                fake_logits = self.discriminator(fake, training=True)
                d_loss = bce(ops.ones_like(real_logits), real_logits) + bce(ops.zeros_like(fake_logits), fake_logits)
            grads = tape.gradient(d_loss, self.discriminator.trainable_variables)
            self.d_optimizer.apply(grads, self.discriminator.trainable_variables)
            noise = tf.random.stateless_normal((batch, self.noise_dim), seed=seeds[1])
            with tf.GradientTape() as tape:
                fake_logits = self.discriminator(self.generator(noise, training=True), training=True)
                g_loss = bce(ops.ones_like(fake_logits), fake_logits)  # non-saturating: maximise log D(G(z))
            grads = tape.gradient(g_loss, self.generator.trainable_variables)
            self.g_optimizer.apply(grads, self.generator.trainable_variables)
            self.d_loss_tracker.update_state(d_loss)
            self.g_loss_tracker.update_state(g_loss)
            return {m.name: m.result() for m in self.metrics}

    return GAN


@register("toy_gan")
def toy_gan(data_dim: int = 2, noise_dim: int = 2, units: int = 16, seed: int = 0):
    """A small fully connected :class:`GAN` for toy data (1-D/2-D points): G and D with one hidden layer.

    Raises:
        ModelConfigError: a size that is not a positive integer.
    """
    for name, value in (("data_dim", data_dim), ("noise_dim", noise_dim), ("units", units)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ModelConfigError(f"{name} must be a positive integer, got {value!r}")
    import keras

    generator = keras.Sequential([keras.Input((noise_dim,)), keras.layers.Dense(units, activation="relu"),
                                  keras.layers.Dense(data_dim, dtype="float32")], name="generator")
    discriminator = keras.Sequential([keras.Input((data_dim,)), keras.layers.Dense(units, activation="relu"),
                                      keras.layers.Dense(1, dtype="float32")], name="discriminator")
    return _gan_class()(generator, discriminator, noise_dim, seed=seed, name="toy_gan")
