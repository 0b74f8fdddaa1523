"""The global batch of data-parallel training and the learning-rate rule that goes with it.

Part of mgtutor. Serves notebooks/10_full_training.ipynb §7 (several devices, several machines): B = b · R examples
per synchronous step over R replicas, and η(B) = η₀ · B / B₀.
"""

from __future__ import annotations

import math

import numpy as np

from mgtutor.errors import DistributeError

__all__ = ["DistributeError", "global_batch_size", "per_replica_batch_size", "scaled_learning_rate"]


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise DistributeError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def global_batch_size(per_replica: int, replicas: int) -> int:
    """B = b · R: the examples one synchronous step sees across all replicas.

    Args:
        per_replica: b, the batch each device (or worker) processes.
        replicas: R, the number of devices across all machines (workers × devices per worker).
    Raises:
        DistributeError: a size that is not a positive integer.
    See: notebooks/10_full_training.ipynb §6.
    """
    return _positive_int("per_replica", per_replica) * _positive_int("replicas", replicas)


def per_replica_batch_size(global_batch: int, replicas: int) -> int:
    """b = B / R, which must be a whole number (every replica gets the same share).

    Raises:
        DistributeError: B is not a positive multiple of R (the message names the nearest ones).
    See: notebooks/10_full_training.ipynb §6.
    """
    global_batch, replicas = _positive_int("global_batch", global_batch), _positive_int("replicas", replicas)
    if global_batch % replicas:
        lower = max(replicas, global_batch // replicas * replicas)
        raise DistributeError(f"a global batch of {global_batch} does not split over {replicas} replicas; use a "
                              f"multiple of {replicas} such as {lower} or {lower + replicas}")
    return global_batch // replicas


def scaled_learning_rate(base_lr: float, base_batch: int, global_batch: int, rule: str = "linear") -> float:
    """The learning rate for ``global_batch``, given ``base_lr`` tuned at ``base_batch``.

    ``rule="linear"``: η = η₀ · B / B₀ (SGD; Goyal et al. 2017). ``rule="sqrt"``: η = η₀ · √(B / B₀)
    (gentler, often used with Adam). ``rule="none"``: η₀.
    Raises:
        DistributeError: a non-positive rate or batch, or an unknown rule.
    See: notebooks/10_full_training.ipynb §6.
    """
    if isinstance(base_lr, bool) or not isinstance(base_lr, (int, float)) or not base_lr > 0:
        raise DistributeError(f"base_lr must be a positive number, got {base_lr!r}")
    ratio = _positive_int("global_batch", global_batch) / _positive_int("base_batch", base_batch)
    rules = {"linear": ratio, "sqrt": math.sqrt(ratio), "none": 1.0}
    if rule not in rules:
        raise DistributeError(f"unknown learning-rate rule {rule!r}; use one of {', '.join(rules)}")
    return float(base_lr) * rules[rule]
