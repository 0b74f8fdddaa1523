"""Splits: whole pieces to train/valid/test, so no window can leak between splits.

Part of mgtutor. See notebooks/04_symbolic_music.ipynb §6 and notebook 07 (the chorales split by tune).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import numpy as np

from mgtutor import config
from mgtutor.data.corpora import SMOKE_CHORALES, chorale_names
from mgtutor.data.tunes import chorale_tunes, split_by_group
from mgtutor.errors import DatasetError

T = TypeVar("T")


def split_by_piece(items: Sequence[T], fractions: Sequence[float] = (0.8, 0.1, 0.1),
                   seed: int = 0) -> tuple[list[T], ...]:
    """Shuffle whole pieces with a fixed seed and cut them into splits (train, valid, test by default).

    Rule: a permutation from ``numpy.random.default_rng(seed)``; split k takes the pieces from
    ``round(n·F_{k-1})`` to ``round(n·F_k)`` where F is the cumulative sum of ``fractions``. A piece
    is in exactly one split, so windows cut later can never leak between splits.

    Args:
        items: one item per piece (token lists, rolls, Pieces, names ...).
        fractions: non-negative, summing to 1.
        seed: the shuffle seed.
    Returns:
        One list per fraction, each in shuffled order.
    Raises:
        DatasetError: fractions negative or not summing to 1.
    See: notebooks/04_symbolic_music.ipynb §6.
    """
    f = np.asarray(fractions, dtype=float)
    if f.ndim != 1 or len(f) == 0 or (f < 0).any() or not np.isclose(f.sum(), 1.0):
        raise DatasetError(f"fractions must be non-negative and sum to 1, e.g. (0.8, 0.1, 0.1); got {tuple(fractions)}")
    n = len(items)
    order = np.random.default_rng(seed).permutation(n)
    cuts = np.round(np.concatenate([[0.0], np.cumsum(f)]) * n).astype(int)
    cuts[-1] = n
    return tuple([items[i] for i in order[a:b]] for a, b in zip(cuts[:-1], cuts[1:], strict=True))


def chorale_split(seed: int = 0, limit: int | None = None) -> dict[str, list[str]]:
    """The chorale names of each split: 80/10/10 of the tunes (:func:`mgtutor.data.chorale_tunes`), shuffled by
    ``seed``, over the first ``limit`` chorales (default: all 350; :data:`mgtutor.data.SMOKE_CHORALES` in smoke
    mode). Known without parsing a score, so a run's held-out pieces can be named in any mode.

    See: notebook 07 (piano rolls).
    """
    names = chorale_names()
    names = names[: limit if limit is not None else config.pick(len(names), SMOKE_CHORALES)]
    tunes = chorale_tunes()
    parts = split_by_group(names, [tunes[n] for n in names], (0.8, 0.1, 0.1), seed=seed, fill_empty=True)
    return dict(zip(("train", "valid", "test"), parts, strict=True))
