"""The GAN losses, written once in ``keras.ops``, and the options a GAN checks: what notebooks 08–09 build on.

Part of mgtutor. See notebook 08 (GANs from first principles) §1 and §3, and notebook 09 (GANs for music and audio).

The course's GAN is :class:`~mgtutor.models.gan_keras.GAN` (a ``keras.Model`` with two optimizers, in
:mod:`~mgtutor.models.gan_keras`, which imports Keras); its builders are :func:`~mgtutor.models.gan_toy.toy_gan`
(notebook 08) and those of :mod:`~mgtutor.models.gan_music` (notebook 09). The losses, with D giving logits l:

* ``"nonsaturating"`` (Goodfellow et al. 2014, §3): L_D = E[softplus(−l(x))] + E[softplus(l(G(z)))]
  (= −E[log D(x)] − E[log(1 − D(G(z)))]), and L_G = E[softplus(−l(G(z)))] = −E[log D(G(z))];
* ``"minimax"``: the same L_D and the saturating L_G = E[log(1 − D(G(z)))] = −E[softplus(l(G(z)))];
* ``"wgan-gp"`` (Gulrajani et al. 2017): L_D = E[c(G(z))] − E[c(x)] + λ·E[(‖∇ₓ̂ c(x̂)‖₂ − 1)²] with
  x̂ = εx + (1−ε)G(z), ε ~ U(0, 1) per example; L_G = −E[c(G(z))]. The critic steps reuse the batch's real
  examples with fresh noise.

Importing this module does not import Keras (``mgtutor.models`` imports it with every builder); computing a loss
does.
"""

from __future__ import annotations

from mgtutor.models.numpy_rnn import ModelConfigError

LOSSES = ("nonsaturating", "minimax", "wgan-gp")
"""The GAN losses :class:`~mgtutor.models.gan_keras.GAN` knows (see the module docstring)."""

__all__ = ["LOSSES", "check_gan_options", "discriminator_loss", "generator_loss"]


def check_gan_options(noise_dim, loss, n_critic, gp_weight, pack) -> int:
    """Check a GAN's options; return ``n_critic`` with its default filled in (1, or 5 for WGAN-GP).

    Raises:
        ModelConfigError: an unknown loss, a size that is not a positive integer, or a negative λ.
    """
    if loss not in LOSSES:
        raise ModelConfigError(f"unknown GAN loss {loss!r}; use one of {', '.join(LOSSES)}")
    if n_critic is None:
        n_critic = 5 if loss == "wgan-gp" else 1
    for name, value in (("noise_dim", noise_dim), ("n_critic", n_critic), ("pack", pack)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ModelConfigError(f"{name} must be a positive integer, got {value!r}")
    if isinstance(gp_weight, bool) or not isinstance(gp_weight, (int, float)) or not gp_weight >= 0:
        raise ModelConfigError(f"gp_weight (λ) must be a number ≥ 0, got {gp_weight!r}")
    if gp_weight and loss != "wgan-gp":
        raise ModelConfigError(f"gp_weight applies to the 'wgan-gp' loss only, not {loss!r}; leave it at 0")
    return n_critic


def discriminator_loss(loss: str, real_logits, fake_logits):
    """D's loss (without the gradient penalty) from its logits (scores) on a real and a generated batch.

    ``"nonsaturating"``/``"minimax"``: E[softplus(−l_real)] + E[softplus(l_fake)] = −E[log σ(l_real)] −
    E[log(1 − σ(l_fake))] (binary cross-entropy from logits); ``"wgan-gp"``: E[l_fake] − E[l_real].
    Written in ``keras.ops``, so it runs under every backend.
    Raises:
        ModelConfigError: an unknown loss.
    See: notebook 08 §1 and §3.
    """
    from keras import ops

    if loss not in LOSSES:
        raise ModelConfigError(f"unknown GAN loss {loss!r}; use one of {', '.join(LOSSES)}")
    if loss == "wgan-gp":
        return ops.mean(fake_logits) - ops.mean(real_logits)
    return ops.mean(ops.softplus(-real_logits)) + ops.mean(ops.softplus(fake_logits))


def generator_loss(loss: str, fake_logits):
    """G's loss from D's logits on a generated batch.

    ``"nonsaturating"``: −E[log σ(l)] = E[softplus(−l)]; ``"minimax"`` (saturating): E[log(1 − σ(l))] =
    −E[softplus(l)], whose gradient vanishes when D confidently rejects the fakes (l ≪ 0); ``"wgan-gp"``: −E[l].
    Raises:
        ModelConfigError: an unknown loss.
    See: notebook 08 §1 (saturation) and §3.
    """
    from keras import ops

    if loss not in LOSSES:
        raise ModelConfigError(f"unknown GAN loss {loss!r}; use one of {', '.join(LOSSES)}")
    if loss == "wgan-gp":
        return -ops.mean(fake_logits)
    if loss == "minimax":
        return -ops.mean(ops.softplus(fake_logits))
    return ops.mean(ops.softplus(-fake_logits))
