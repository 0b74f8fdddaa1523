"""The 2-D mode-collapse benchmarks: a ring of 8 Gaussians and a grid of 25, seeded.

Part of mgtutor. See notebook 08 (GANs from first principles) §4.

The benchmarks of the GAN literature's mode-collapse tables (VEEGAN, PacGAN; the unrolled-GAN paper shows the
ring as figures), as the course fixes them:

* **ring** — 8 equally likely Gaussians with means (cos 2πk/8, sin 2πk/8), k = 0…7, σ = 0.02 (PacGAN's code uses
  σ = 0.01, so ring rates are not comparable with its table);
* **grid** — 25 equally likely Gaussians with means (−4 + 2i, −4 + 2j), i, j ∈ 0…4, σ = 0.05 (as PacGAN's code).

:func:`toy_sample` draws from them; :class:`ToyData` serves a fresh draw every epoch, epoch e from the seed
(seed, e), so a resumed run sees the data an uninterrupted one would. The scores (modes covered, high-quality
rate) are :func:`mgtutor.metrics.toy_gan_scores`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mgtutor.data.windows import EpochData
from mgtutor.errors import DatasetError

__all__ = ["TOY_SETS", "ToySet", "toy_set", "toy_sample", "ToyData"]


@dataclass(frozen=True)
class ToySet:
    """A mixture of equally likely isotropic Gaussians: ``means`` (K, 2) and one ``sigma``."""

    name: str
    means: np.ndarray
    sigma: float


def _ring() -> ToySet:
    angles = 2 * np.pi * np.arange(8) / 8
    return ToySet("ring", np.stack([np.cos(angles), np.sin(angles)], axis=1), 0.02)


def _grid() -> ToySet:
    i, j = np.meshgrid(np.arange(5), np.arange(5), indexing="ij")
    return ToySet("grid", np.stack([-4.0 + 2 * i.ravel(), -4.0 + 2 * j.ravel()], axis=1), 0.05)


TOY_SETS = {"ring": _ring(), "grid": _grid()}
"""The benchmarks by name."""


def toy_set(name: str) -> ToySet:
    """The benchmark ``name`` (``"ring"`` or ``"grid"``).

    Raises:
        DatasetError: an unknown name (the message lists the known ones).
    """
    try:
        return TOY_SETS[name]
    except (KeyError, TypeError):
        raise DatasetError(f"unknown 2-D benchmark {name!r}; use one of {', '.join(TOY_SETS)}") from None


def toy_sample(name: str, n: int, seed=0) -> np.ndarray:
    """``n`` points from the benchmark ``name``: a mode drawn uniformly, then mean + σ·N(0, I). float32 (n, 2).

    ``seed`` is anything ``numpy.random.default_rng`` takes (an int, or a list such as [seed, epoch]).
    Raises:
        DatasetError: an unknown name or n < 1.
    See: notebook 08 §4.
    """
    spec = toy_set(name)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise DatasetError(f"n must be a positive integer, got {n!r}")
    rng = np.random.default_rng(seed)
    modes = rng.integers(len(spec.means), size=int(n))
    return (spec.means[modes] + spec.sigma * rng.standard_normal((int(n), 2))).astype("float32")


class ToyData(EpochData):
    """A fresh draw of ``examples_per_epoch`` points of benchmark ``name`` each epoch (epoch e from (seed, e)),
    served in batches of ``batch_size`` (:func:`mgtutor.train.fit_run` reads it like any split).

    Raises:
        DatasetError: an unknown benchmark, or sizes that are not positive integers.
    See: notebook 08 §4.
    """

    def __init__(self, name: str, examples_per_epoch: int, batch_size: int, seed: int = 0) -> None:
        toy_set(name)
        for label, value in (("examples_per_epoch", examples_per_epoch), ("batch_size", batch_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise DatasetError(f"{label} must be a positive integer, got {value!r}")
        self.name, self.examples_per_epoch, self.batch_size, self.seed = name, examples_per_epoch, batch_size, seed

    def epoch(self, epoch: int = 0) -> tuple[np.ndarray]:
        return (toy_sample(self.name, self.examples_per_epoch, [self.seed, int(epoch)]),)
