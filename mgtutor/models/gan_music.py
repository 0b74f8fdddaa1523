"""GANs for music and audio: a convolutional bar GAN, a pitch-conditioned spectrogram GAN, and the note classifier
whose features the Fréchet distance compares.

Part of mgtutor. See notebook 09 (GANs for music and audio).

* :func:`bar_gan` — MuseGAN-like (Dong et al. 2018), small: G maps noise to one bar of piano roll (16 sixteenth
  steps × 56 keys, values in (0, 1), thresholded at 0.5 to notes), growing a 4 × 14 grid by two ×2 upsamplings;
  D is a convolutional critic (optionally with a first layer that looks at a whole octave, a 1 × 12 kernel);
* :func:`spec_gan` — SpecGAN/GANSynth-like (Donahue et al. 2019; Engel et al. 2019), small: G maps
  ``[noise, pitch]`` to a log-magnitude spectrogram (64 frames × 128 bins, in [−1, 1]) with the frequency bins
  as channels and 1-D convolutions along time; D is a 1-D convolutional critic with a *projection* of the pitch
  (Miyato & Koyama 2018): score = w·h(x) + e(pitch)·h(x), with h(x) the critic's features and e a learned
  embedding;
* :func:`note_classifier` — a small CNN trained on real notes to tell their pitch and timbre, whose penultimate
  layer (``features``, a fixed size) is the embedding the Fréchet distance compares (:func:`note_features`).

Both GANs are the course's :class:`~mgtutor.models.gan_keras.GAN` (two optimizers, one ``train_step`` per backend),
trained with WGAN-GP by default. Every builder is registered by name, so a run directory rebuilds it.
"""

from __future__ import annotations

import numpy as np

from mgtutor.models.numpy_rnn import ModelConfigError
from mgtutor.models.registry import register

__all__ = ["bar_gan", "spec_gan", "note_classifier", "note_features", "interpolate_noise"]


def _positive(**values) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ModelConfigError(f"{name} must be a positive integer, got {value!r}")


def _upsample_block(x, channels: int, name: str):
    """×2 nearest-neighbour upsampling, a 3 × 3 convolution, batch norm, ReLU (no checkerboard of strided
    transposed convolutions)."""
    import keras

    x = keras.layers.UpSampling2D(2, name=f"{name}_up")(x)
    x = keras.layers.Conv2D(channels, 3, padding="same", name=f"{name}_conv")(x)
    x = keras.layers.BatchNormalization(name=f"{name}_bn")(x)
    return keras.layers.ReLU(name=f"{name}_relu")(x)


def _gan(generator, discriminator, noise_dim, loss, n_critic, gp_weight, conditional, seed, name):
    from mgtutor.models.gan import check_gan_options
    from mgtutor.models.gan_keras import GAN

    n_critic = check_gan_options(noise_dim, loss, n_critic, gp_weight, 1)
    return GAN(generator, discriminator, noise_dim, loss=loss, n_critic=n_critic, gp_weight=gp_weight,
               conditional=conditional, seed=seed, name=name)


def _straight_through(p):
    """round(p) in the forward pass, the gradient of p in the backward pass (a deterministic binary neuron with the
    straight-through estimator, Bengio et al. 2013; BinaryMuseGAN, Dong & Yang 2018)."""
    from keras import ops

    return p + ops.stop_gradient(ops.round(p) - p)


@register("bar_gan")
def bar_gan(noise_dim: int = 64, width: int = 32, steps: int = 16, keys: int = 56, loss: str = "wgan-gp",
            n_critic: int | None = 3, gp_weight: float = 10.0, octave: bool = True, binary: bool = False,
            seed: int = 0):
    """A convolutional GAN of one-bar piano rolls (steps × keys; both divisible by 4).

    G: noise (noise_dim) → Dense → (steps/4, keys/4, width) → two ×2 upsampling blocks (width, width/2
    channels) → a 3 × 3 convolution with a sigmoid: p(key on) per cell, (steps, keys, 1).
    With ``binary``, G's output is rounded to 0/1 in the forward pass and passes gradients straight through (the
    critic then sees notes, as in BinaryMuseGAN).
    D: (steps, keys, 1) → (with ``octave``) a 1 × 12 convolution along pitch (an octave: chords and scales) → two
    strided 4 × 4 convolutions (width, 2·width) with leaky ReLU → one score.
    Raises:
        ModelConfigError: a size that is not a positive integer (steps, keys divisible by 4), or bad loss options.
    See: notebook 09 §2.
    """
    _positive(noise_dim=noise_dim, width=width, steps=steps, keys=keys)
    if steps % 4 or keys % 4:
        raise ModelConfigError(f"steps and keys must be divisible by 4 (two ×2 upsamplings), got {steps}, {keys}")
    import keras

    z = keras.Input((noise_dim,), name="noise")
    x = keras.layers.Dense(steps // 4 * keys // 4 * width, name="g_dense")(z)
    x = keras.layers.ReLU()(keras.layers.BatchNormalization(name="g_dense_bn")(x))
    x = keras.layers.Reshape((steps // 4, keys // 4, width))(x)
    x = _upsample_block(x, width, "g_block1")
    x = _upsample_block(x, max(width // 2, 1), "g_block2")
    out = keras.layers.Conv2D(1, 3, padding="same", activation="sigmoid", dtype="float32", name="g_out")(x)
    if binary:
        out = keras.layers.Lambda(_straight_through, name="g_binary")(out)
    generator = keras.Model(z, out, name="bar_generator")

    bars = keras.Input((steps, keys, 1), name="bars")
    h = bars
    if octave:
        h = keras.layers.LeakyReLU(0.2)(keras.layers.Conv2D(16, (1, 12), padding="same", name="d_octave")(h))
    h = keras.layers.LeakyReLU(0.2)(keras.layers.Conv2D(width, 4, strides=2, padding="same", name="d_conv1")(h))
    h = keras.layers.LeakyReLU(0.2)(keras.layers.Conv2D(2 * width, 4, strides=2, padding="same", name="d_conv2")(h))
    score = keras.layers.Dense(1, dtype="float32", name="d_score")(keras.layers.Flatten()(h))
    discriminator = keras.Model(bars, score, name="bar_critic")
    return _gan(generator, discriminator, noise_dim, loss, n_critic, gp_weight, False, seed, "bar_gan")


@register("spec_gan")
def spec_gan(noise_dim: int = 64, n_pitches: int = 24, frames: int = 64, bins: int = 128, channels: int = 64,
             start: int = 8, loss: str = "wgan-gp", n_critic: int | None = 3, gp_weight: float = 10.0, seed: int = 0):
    """A pitch-conditioned GAN of log-magnitude spectrograms (frames, bins), conditioned on a pitch index
    0 … n_pitches − 1. The frequency bins are *channels* and the convolutions run along time: a harmonic series is
    a pattern across channels, which no convolution has to translate when the pitch changes.

    G: [noise, pitch] → noise ⊕ e(pitch) (a 16-number embedding) → Dense → (start, channels) → ×2 upsampling +
    1-D convolution (kernel 5) + batch norm + ReLU blocks, each fed e(pitch) again, until ``frames`` → a 1-D
    convolution to ``bins`` channels with tanh: (frames, bins) in [−1, 1]. D: three strided 1-D convolutions
    (kernel 4, ``channels``) with leaky ReLU → features h (64) → score w·h + e'(pitch)·h (a projection
    discriminator, Miyato & Koyama 2018).
    Raises:
        ModelConfigError: a size that is not a positive integer, ``frames`` not ``start`` · 2^k, or bad loss
            options.
    See: notebook 09 §3.
    """
    _positive(noise_dim=noise_dim, n_pitches=n_pitches, frames=frames, bins=bins, channels=channels, start=start)
    blocks = 0
    while start * 2**blocks < frames:
        blocks += 1
    if start * 2**blocks != frames:
        raise ModelConfigError(f"frames ({frames}) must be start ({start}) times a power of 2")
    import keras

    z = keras.Input((noise_dim,), name="noise")
    pitch = keras.Input((), dtype="int32", name="pitch")
    e = keras.layers.Flatten()(keras.layers.Embedding(n_pitches, 16, name="g_pitch_embedding")(pitch))
    x = keras.layers.Dense(start * channels, name="g_dense")(keras.layers.Concatenate()([z, e]))
    x = keras.layers.ReLU()(keras.layers.BatchNormalization(name="g_dense_bn")(x))
    x = keras.layers.Reshape((start, channels))(x)
    for i in range(1, blocks + 1):
        x = keras.layers.UpSampling1D(2, name=f"g_block{i}_up")(x)
        x = keras.layers.Concatenate()([x, keras.layers.RepeatVector(x.shape[1])(e)])
        x = keras.layers.Conv1D(channels, 5, padding="same", name=f"g_block{i}_conv")(x)
        x = keras.layers.ReLU()(keras.layers.BatchNormalization(name=f"g_block{i}_bn")(x))
    out = keras.layers.Conv1D(bins, 3, padding="same", activation="tanh", dtype="float32", name="g_out")(x)
    generator = keras.Model([z, pitch], out, name="spec_generator")

    spec = keras.Input((frames, bins), name="spectrogram")
    label = keras.Input((), dtype="int32", name="pitch")
    h = spec
    for i in range(1, 4):
        h = keras.layers.LeakyReLU(0.2)(keras.layers.Conv1D(channels, 4, strides=2, padding="same",
                                                            name=f"d_conv{i}")(h))
    h = keras.layers.LeakyReLU(0.2)(keras.layers.Dense(64, name="d_features")(keras.layers.Flatten()(h)))
    projection = keras.layers.Flatten()(keras.layers.Embedding(n_pitches, 64, name="d_pitch_embedding")(label))
    score = keras.layers.Add(dtype="float32", name="d_score")([
        keras.layers.Dense(1, name="d_linear")(h),
        keras.layers.Dot(axes=1, name="d_projection")([h, projection])])
    discriminator = keras.Model([spec, label], score, name="spec_critic")
    return _gan(generator, discriminator, noise_dim, loss, n_critic, gp_weight, True, seed, "spec_gan")


@register("note_classifier")
def note_classifier(frames: int = 64, bins: int = 128, n_pitches: int = 24, n_timbres: int = 5, features: int = 16):
    """A small CNN from a spectrogram (frames, bins, 1) to pitch and timbre logits: four strided 3 × 3 convolutions
    (8, 16, 32, 32 channels, ReLU), then a ``features`` layer of fixed size (its output, after a tanh, is the
    embedding :func:`note_features` returns), then one linear head per label.

    Outputs ``{"pitch": (B, n_pitches), "timbre": (B, n_timbres)}`` logits (float32).
    Raises:
        ModelConfigError: a size that is not a positive integer.
    See: notebook 09 §4 (Fréchet distance).
    """
    _positive(frames=frames, bins=bins, n_pitches=n_pitches, n_timbres=n_timbres, features=features)
    import keras

    spec = keras.Input((frames, bins, 1), name="spectrogram")
    h = spec
    for i, c in enumerate((8, 16, 32, 32), start=1):
        h = keras.layers.Conv2D(c, 3, strides=2, padding="same", activation="relu", name=f"c_conv{i}")(h)
    h = keras.layers.Flatten()(h)
    f = keras.layers.Dense(features, activation="tanh", name="features")(h)
    pitch = keras.layers.Dense(n_pitches, dtype="float32", name="pitch")(f)
    timbre = keras.layers.Dense(n_timbres, dtype="float32", name="timbre")(f)
    return keras.Model(spec, {"pitch": pitch, "timbre": timbre}, name="note_classifier")


def note_features(classifier, spectrograms, batch_size: int = 256) -> np.ndarray:
    """The ``features`` layer of a :func:`note_classifier` for spectrograms (N, frames, bins[, 1]): (N, features).

    See: notebook 09 §4 (Fréchet distance).
    """
    import keras

    x = np.asarray(spectrograms, np.float32)
    x = x[..., None] if x.ndim == 3 else x
    extractor = keras.Model(classifier.input, classifier.get_layer("features").output)
    return np.concatenate([np.asarray(extractor(x[a:a + batch_size], training=False))
                           for a in range(0, len(x), batch_size)])


def interpolate_noise(z0, z1, steps: int, spherical: bool = True) -> np.ndarray:
    """``steps`` noise vectors from z0 to z1 (both ends included).

    Spherical (slerp, White 2016): z(t) = sin((1−t)θ)/sin θ · z0 + sin(tθ)/sin θ · z1, θ the angle between them —
    it keeps the norm a Gaussian sample typically has (linear midpoints are shorter: ‖(z0+z1)/2‖ ≈ ‖z‖/√2);
    ``spherical=False``: z(t) = (1−t) z0 + t z1.
    Raises:
        ModelConfigError: vectors of different shapes, or steps < 2.
    See: notebook 09 §6 (latent interpolation).
    """
    a, b = np.asarray(z0, np.float64).ravel(), np.asarray(z1, np.float64).ravel()
    if a.shape != b.shape:
        raise ModelConfigError(f"z0 {a.shape} and z1 {b.shape} differ in shape")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 2:
        raise ModelConfigError(f"steps must be an integer ≥ 2, got {steps!r}")
    t = np.linspace(0.0, 1.0, int(steps))[:, None]
    cos = np.dot(a, b) / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-12)
    theta = np.arccos(np.clip(cos, -1.0, 1.0))
    if not spherical or theta < 1e-6:
        return ((1 - t) * a + t * b).astype(np.float32)
    return ((np.sin((1 - t) * theta) * a + np.sin(t * theta) * b) / np.sin(theta)).astype(np.float32)
