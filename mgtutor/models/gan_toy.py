"""The toy GAN of notebook 08: a small fully connected G and D for 1-D and 2-D points.

Part of mgtutor. See notebook 08 (GANs from first principles) §3–4.

:func:`toy_gan` builds the course's :class:`~mgtutor.models.gan_keras.GAN` (two optimizers, one ``train_step`` per
backend, the losses of :mod:`mgtutor.models.gan`) around two MLPs. It is registered by name, so a run directory
rebuilds it; importing this module does not import Keras, building a GAN does.
"""

from __future__ import annotations

from mgtutor.models.gan import check_gan_options
from mgtutor.models.numpy_rnn import ModelConfigError
from mgtutor.models.registry import register

__all__ = ["toy_gan"]


def _toy_mlp(inputs, units: int, layers: int, out: int, name: str, activation: str, n_labels: int = 0,
             in_scale: float = 1.0, out_scale: float = 1.0):
    """An MLP over ``inputs`` (points, or ``[points, integer labels]`` when ``n_labels`` > 0: the labels are
    embedded and concatenated to the points); a packed input (B, m, d) is flattened after that. The first input
    is multiplied by ``in_scale``, the output by ``out_scale``."""
    import keras

    x = inputs[0] if in_scale == 1 else keras.layers.Rescaling(in_scale, name=f"{name}_in_scale")(inputs[0])
    if n_labels:
        embedded = keras.layers.Embedding(n_labels, 4, name=f"{name}_label_embedding")(inputs[1])
        x = keras.layers.Concatenate(name=f"{name}_with_labels")([x, embedded])
    x = keras.layers.Flatten()(x) if len(x.shape) > 2 else x
    for k in range(layers):
        x = keras.layers.Dense(units, activation=activation, name=f"{name}_hidden{k}")(x)
    y = keras.layers.Dense(out, dtype="float32", name=f"{name}_out")(x)
    y = y if out_scale == 1 else keras.layers.Rescaling(out_scale, dtype="float32", name=f"{name}_out_scale")(y)
    return keras.Model(inputs if n_labels else inputs[0], y, name=name)


@register("toy_gan")
def toy_gan(data_dim: int = 2, noise_dim: int = 2, units: int = 16, layers: int = 1, loss: str = "nonsaturating",
            n_critic: int | None = None, gp_weight: float = 0.0, pack: int = 1, n_labels: int = 0,
            activation: str = "relu", scale: float = 1.0, d_units: int | None = None, seed: int = 0):
    """A small fully connected :class:`~mgtutor.models.gan_keras.GAN` for toy data (1-D/2-D points): G and D with
    ``layers`` hidden layers of ``units`` each; D sees ``pack`` points at once (flattened). ``n_labels`` > 0 makes it
    conditional on an integer label in 0…n_labels−1 (embedded, then concatenated to G's noise and to D's points).
    ``scale`` is the data's scale: G's output is multiplied by it and D's input divided by it, so both networks work
    in units of order 1 (the grid spans ±4). The loss options are the GAN's.

    Raises:
        ModelConfigError: a size that is not a positive integer, or a bad loss option.
    See: notebook 08 §3–4.
    """
    d_units = units if d_units is None else d_units
    for name, value in (("data_dim", data_dim), ("noise_dim", noise_dim), ("units", units), ("layers", layers),
                        ("pack", pack), ("d_units", d_units)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ModelConfigError(f"{name} must be a positive integer, got {value!r}")
    if isinstance(n_labels, bool) or not isinstance(n_labels, int) or n_labels < 0:
        raise ModelConfigError(f"n_labels must be an integer ≥ 0, got {n_labels!r}")
    if activation not in ("relu", "leaky_relu", "tanh", "elu"):
        raise ModelConfigError(f"activation {activation!r}: use relu, leaky_relu, tanh or elu")
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not scale > 0:
        raise ModelConfigError(f"scale must be a number > 0, got {scale!r}")
    n_critic = check_gan_options(noise_dim, loss, n_critic, gp_weight, pack)
    import keras

    from mgtutor.models.gan_keras import GAN

    label_shape = (pack,) if pack > 1 else ()
    g_inputs = [keras.Input((noise_dim,)), keras.Input((), dtype="int32")][: 2 if n_labels else 1]
    d_inputs = [keras.Input((pack, data_dim) if pack > 1 else (data_dim,)), keras.Input(label_shape, dtype="int32")]
    generator = _toy_mlp(g_inputs, units, layers, data_dim, "generator", activation, n_labels,
                         out_scale=float(scale))
    discriminator = _toy_mlp(d_inputs[: 2 if n_labels else 1], d_units, layers, 1, "discriminator", activation,
                             n_labels, in_scale=1.0 / float(scale))
    return GAN(generator, discriminator, noise_dim, loss=loss, n_critic=n_critic, gp_weight=gp_weight, pack=pack,
               conditional=bool(n_labels), seed=seed, name="toy_gan")
