"""Training on several machines: each worker's share of every global batch, and the epoch loop that runs Keras'
own ``train_step`` under ``MultiWorkerMirroredStrategy``.

Part of mgtutor. Serves notebooks/10_full_training.ipynb §7 (several machines). :class:`WorkerShard` feeds both
multi-worker engines (``tf-mwms-loop`` and ``jax-multiprocess``); :func:`fit_loop` stands in for Keras' ``fit``,
which fails under ``MultiWorkerMirroredStrategy`` (keras-team/keras#20585, tensorflow#72388; the probe's record,
``distribute.PROBED``, says with which versions), and is needed only while it does.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mgtutor.data.windows import EpochData
from mgtutor.distribute.batch import _positive_int, per_replica_batch_size
from mgtutor.errors import DistributeError

__all__ = ["WorkerShard", "fit_loop"]


class WorkerShard(EpochData):
    """This worker's share of every global batch of ``base``: rows ``[k·B + i·b·L, k·B + (i+1)·b·L)`` of global
    batch k for worker i with L replicas of b examples each (B = b·L·workers).

    Every worker computes the whole epoch (epoch e is a function of (seed, e) only) and keeps its rows, so the
    workers' shares are disjoint and together the global batch, with no data sent between machines. A last
    global batch smaller than B is dropped (every replica gets b examples every step) — or, with ``pad`` (for
    validation), filled with copies of the first example given weight 0, so a weighted metric still counts
    every example exactly once (the last array is the weights).
    Raises:
        DistributeError: B does not split over the replicas, or (without ``pad``) an epoch has less than one
            global batch.
    See: notebooks/10_full_training.ipynb §6.
    """

    def __init__(self, base: EpochData, index: int, workers: int, replicas_per_worker: int = 1,
                 pad: bool = False) -> None:
        self.base, self.index, self.workers = base, int(index), _positive_int("workers", workers)
        self.local, self.pad = _positive_int("replicas_per_worker", replicas_per_worker), pad
        self.batch_size = per_replica_batch_size(base.batch_size, self.workers * self.local)
        whole, rest = divmod(base.examples_per_epoch, base.batch_size)
        self.global_steps = whole + (1 if pad and rest else 0)
        if self.global_steps < 1:
            raise DistributeError(f"an epoch of {base.examples_per_epoch} examples holds no global batch of "
                                  f"{base.batch_size}; use a smaller batch")
        self.examples_per_epoch = self.global_steps * self.batch_size * self.local

    def epoch(self, epoch: int = 0) -> tuple[np.ndarray, ...]:
        arrays = self.base.epoch(epoch)
        short = self.global_steps * self.base.batch_size - len(arrays[0])
        if short > 0:  # pad: copies of example 0, weight 0
            arrays = tuple(np.concatenate([a, np.repeat(a[:1] * (0 if k == len(arrays) - 1 else 1), short, axis=0)])
                           for k, a in enumerate(arrays))
        share = self.batch_size * self.local
        rows = (np.arange(self.global_steps)[:, None] * self.base.batch_size + self.index * share
                + np.arange(share)[None, :]).ravel()
        return tuple(a[rows] for a in arrays)


def fit_loop(model, strategy, train: WorkerShard, epochs: int, initial_epoch: int = 0,
             valid: WorkerShard | None = None, callbacks: Sequence = ()) -> dict[str, list[float]]:
    """``fit`` for ``MultiWorkerMirroredStrategy``: each step runs the model's own ``train_step`` on every
    replica through ``strategy.run`` (so loss, metrics and the all-reduce of gradients are Keras' own), and
    Keras callbacks see the usual events.

    Every worker must call it with the same arguments (its own :class:`WorkerShard`). A callback that stops
    training (a time budget, early stopping) stops every worker at the same step: the workers agree on the
    flag through an all-reduce after each batch. Validation runs ``test_step`` the same way on ``valid``.
    Returns:
        The history: ``{"loss": [...], "val_loss": [...], ...}`` of the epochs run.
    See: notebooks/10_full_training.ipynb §6.
    """
    import keras
    import tensorflow as tf

    steps = train.global_steps
    cbs = keras.callbacks.CallbackList(list(callbacks), add_history=True, model=model, epochs=epochs, steps=steps,
                                       verbose=0)
    stream = iter(strategy.distribute_datasets_from_function(lambda _: train.dataset(initial_epoch, epochs)))

    @tf.function
    def train_step(iterator):
        strategy.run(model.train_step, args=(next(iterator),))

    @tf.function
    def test_step(iterator):
        strategy.run(model.test_step, args=(next(iterator),))

    @tf.function
    def agree(flag):
        return strategy.reduce("SUM", strategy.run(lambda f: tf.identity(f), args=(flag,)), axis=None)

    def agreed_stop() -> bool:
        model.stop_training = float(agree(tf.constant(float(model.stop_training)))) > 0
        return model.stop_training

    model.stop_training = False
    cbs.on_train_begin()
    logs: dict = {}
    for epoch in range(initial_epoch, epochs):
        model.reset_metrics()
        cbs.on_epoch_begin(epoch)
        for step in range(steps):
            cbs.on_train_batch_begin(step)
            train_step(stream)
            cbs.on_train_batch_end(step)
            if agreed_stop():
                break  # as in Keras' fit: the epoch so far is still logged and saved
        logs = {k: float(v) for k, v in model.get_metrics_result().items()}
        if valid is not None:
            model.reset_metrics()
            checks = iter(strategy.distribute_datasets_from_function(lambda _: valid.dataset(0, 1)))
            for _ in range(valid.global_steps):
                test_step(checks)
            logs.update({f"val_{k}": float(v) for k, v in model.get_metrics_result().items()})
        cbs.on_epoch_end(epoch, logs)
        if agreed_stop():
            break
    cbs.on_train_end(logs)
    return model.history.history if model.history is not None else {}
