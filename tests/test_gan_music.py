"""mgtutor.models.gan_music: the bar GAN, the spectrogram GAN, the note classifier and latent interpolation.

References: shapes and value ranges by construction; the projection critic's dependence on the label, checked by
changing only the label; the features layer against a Keras sub-model built by hand; slerp's norm worked out by
hand for orthogonal vectors.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from mgtutor import models
from mgtutor.models import ModelConfigError
from mgtutor.models.gan_music import interpolate_noise, note_features


def test_bar_gan_shapes_and_ranges():
    keras.utils.set_random_seed(0)
    gan = models.build("bar_gan", noise_dim=8, width=8)
    assert not gan.conditional and gan.loss_name == "wgan-gp" and gan.n_critic == 3
    bars = gan.sample(5, seed=1)
    assert bars.shape == (5, 16, 56, 1) and ((bars > 0) & (bars < 1)).all()
    np.testing.assert_array_equal(bars, gan.sample(5, seed=1))  # a fixed seed gives the same bars
    assert not np.array_equal(bars, gan.sample(5, seed=2))
    assert np.asarray(gan.discriminator(bars)).shape == (5, 1)
    assert models.build("bar_gan", steps=8, keys=24, width=4).sample(2).shape == (2, 8, 24, 1)
    binary = models.build("bar_gan", noise_dim=8, width=4, binary=True, octave=False)
    assert set(np.unique(binary.sample(4))) <= {0.0, 1.0}  # straight-through: notes, not probabilities
    assert "d_octave" not in [layer.name for layer in binary.discriminator.layers]


@pytest.mark.parametrize("kwargs, phrase", [({"width": 0}, "width"), ({"keys": 50}, "divisible by 4"),
                                            ({"loss": "hinge"}, "unknown GAN loss")])
def test_bar_gan_bad_settings(kwargs, phrase):
    with pytest.raises(ModelConfigError, match=phrase):
        models.build("bar_gan", **kwargs)


def test_spec_gan_is_conditioned_on_pitch():
    keras.utils.set_random_seed(0)
    gan = models.build("spec_gan", noise_dim=8, channels=8, n_pitches=6)
    assert gan.conditional
    labels = np.array([0, 1, 5], "int32")
    spec = gan.sample(3, labels=labels, seed=0)
    assert spec.shape == (3, 64, 128) and (np.abs(spec) <= 1).all()
    # the same noise with other pitches gives other spectrograms
    assert not np.allclose(spec, gan.sample(3, labels=labels[::-1], seed=0))
    score = np.asarray(gan.discriminator([spec, labels]))
    assert score.shape == (3, 1)
    # the projection critic scores the same spectrogram differently under another label
    assert not np.allclose(score, np.asarray(gan.discriminator([spec, (labels + 1) % 6])))
    with pytest.raises(ModelConfigError, match="conditional GAN needs labels"):
        gan.sample(3)
    with pytest.raises(ModelConfigError, match="power of 2"):
        models.build("spec_gan", frames=60)
    assert models.build("spec_gan", frames=32, start=4, bins=16, channels=4).sample(
        2, labels=np.zeros(2, "int32")).shape == (2, 32, 16)


def test_bar_gan_trains_one_epoch_and_moves_its_weights():
    keras.utils.set_random_seed(0)
    gan = models.build("bar_gan", noise_dim=8, width=4, n_critic=1)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3))
    before = [w.copy() for w in gan.generator.get_weights()]
    x = (np.random.default_rng(0).random((16, 16, 56, 1)) < 0.1).astype("float32")
    history = gan.fit(x, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["d_loss"][-1]) and np.isfinite(history.history["g_loss"][-1])
    assert any(not np.allclose(a, b) for a, b in zip(before, gan.generator.get_weights(), strict=True))


def test_note_classifier_and_its_features():
    keras.utils.set_random_seed(0)
    clf = models.build("note_classifier", n_pitches=6, n_timbres=3, features=5)
    x = np.random.default_rng(0).uniform(-1, 1, (4, 64, 128)).astype("float32")
    out = clf(x[..., None])
    assert out["pitch"].shape == (4, 6) and out["timbre"].shape == (4, 3)
    feats = note_features(clf, x, batch_size=3)
    by_hand = keras.Model(clf.input, clf.get_layer("features").output)(x[..., None])
    np.testing.assert_allclose(feats, np.asarray(by_hand), atol=1e-6)
    assert feats.shape == (4, 5) and (np.abs(feats) <= 1).all()  # tanh


def test_interpolation_ends_and_norms():
    z0, z1 = np.array([3.0, 0, 0, 0]), np.array([0, 3.0, 0, 0])
    path = interpolate_noise(z0, z1, 5)
    np.testing.assert_allclose(path[0], z0, atol=1e-6)
    np.testing.assert_allclose(path[-1], z1, atol=1e-6)
    # slerp between orthogonal vectors of norm 3 stays on the sphere of radius 3; the linear midpoint has 3/√2
    np.testing.assert_allclose(np.linalg.norm(path, axis=1), 3.0, rtol=1e-6)
    linear = interpolate_noise(z0, z1, 3, spherical=False)
    assert np.linalg.norm(linear[1]) == pytest.approx(3 / np.sqrt(2))
    np.testing.assert_allclose(interpolate_noise(z0, z0, 3), np.stack([z0] * 3))  # no angle: a constant path
    with pytest.raises(ModelConfigError, match="steps"):
        interpolate_noise(z0, z1, 1)
    with pytest.raises(ModelConfigError, match="differ in shape"):
        interpolate_noise(z0, z1[:2], 3)
