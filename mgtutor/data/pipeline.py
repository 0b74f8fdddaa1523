"""Input pipelines, measured: ``tf.data`` (cache, shuffle, batch, parallel map, prefetch) against a Python generator.

Part of mgtutor. See notebooks/10_full_training.ipynb §2 (the input pipeline).

Both pipelines serve the same epoch: the rows of a ``(N, L + 1)`` array of token windows (inputs ``[:, :-1]``,
targets ``[:, 1:]``), in an order shuffled per epoch, each row transposed by a shift picked for (example,
epoch) through a transposition table (:func:`mgtutor.data.transposition_table`; a row that would leave the
vocabulary stays as it is). The shift index is a hash, the same in NumPy and TensorFlow,

    k(i, e) = ((i · 2654435761 + (seed · 1000003 + e) · 40503) mod 2³²) mod K

so the two pipelines yield the same multiset of examples and differ only in the machinery:

* :func:`naive_batches`: plain Python over lists, one example and one token at a time;
* :func:`tf_pipeline`: ``from_tensor_slices → cache → shuffle → batch → map(augment, parallel) → prefetch``,
  where the map transposes a whole batch in one vectorised gather, runs on several threads
  (``num_parallel_calls=AUTOTUNE``), and ``prefetch`` prepares the next batch while the model trains on this one.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator

import numpy as np

from mgtutor.errors import DatasetError

__all__ = ["shift_index", "transpose_rows", "naive_batches", "tf_pipeline", "samples_per_second"]

_A, _B, _C = 2654435761, 1000003, 40503


def shift_index(example: np.ndarray, seed: int, epoch: int, shifts: int) -> np.ndarray:
    """k(i, e) of the module docstring for example indices ``example``: which of ``shifts`` table rows to use."""
    example = np.asarray(example, np.int64)
    return ((example * _A + (seed * _B + epoch) * _C) % 2**32) % shifts


def transpose_rows(rows: np.ndarray, table: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Row r through ``table[k[r]]``; a row with a token the shift takes out of the vocabulary (−1) is kept."""
    out = table[k[:, None], rows]
    return np.where((out < 0).any(axis=1, keepdims=True), rows, out)


def _check(windows: np.ndarray, table: np.ndarray, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    windows, table = np.asarray(windows), np.asarray(table)
    if windows.ndim != 2 or windows.shape[1] < 2 or len(windows) == 0:
        raise DatasetError(f"windows must be a non-empty (N, L + 1) array with L ≥ 1, got shape {windows.shape}")
    if table.ndim != 2 or len(table) == 0 or windows.max() >= table.shape[1]:
        raise DatasetError(f"table must be (shifts, vocabulary) and cover every id; got {table.shape} for ids up to "
                           f"{windows.max()}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise DatasetError(f"batch_size must be an integer ≥ 1, got {batch_size!r}")
    return windows.astype(np.int32), table.astype(np.int32)


def naive_batches(windows: np.ndarray, table: np.ndarray, batch_size: int, seed: int = 0, epoch: int = 0
                  ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """One epoch as ``(x, y)`` batches, built the way a first version is often written: plain Python, one example
    and one token at a time — the baseline of :func:`tf_pipeline`, with the same examples in another order.

    Raises:
        DatasetError: malformed windows, table or batch size.
    See: notebooks/10_full_training.ipynb §2.
    """
    windows, table = _check(windows, table, batch_size)
    rows_list, table_list = windows.tolist(), table.tolist()
    order = np.random.default_rng([seed, epoch]).permutation(len(windows)).tolist()
    for start in range(0, len(order), batch_size):
        batch = []
        for i in order[start:start + batch_size]:
            k = ((i * _A + (seed * _B + epoch) * _C) % 2**32) % len(table_list)
            row = [table_list[k][t] for t in rows_list[i]]
            batch.append(rows_list[i] if min(row) < 0 else row)
        batch = np.array(batch, np.int32)
        yield batch[:, :-1], batch[:, 1:]


def tf_pipeline(windows: np.ndarray, table: np.ndarray, batch_size: int, seed: int = 0, epoch: int = 0,
                cache: bool = True, shuffle: bool = True, parallel: bool = True, prefetch: bool = True):
    """One epoch as a ``tf.data.Dataset`` of ``(x, y)`` int32 batches (see the module docstring).

    Args:
        windows: (N, L + 1) token ids. table: (K, V) transposition table. batch_size, seed, epoch: as named.
        cache: keep the examples after the first pass (matters when reading or decoding them is slow).
        shuffle: shuffle with a buffer of the whole epoch (``seed`` and ``epoch`` fix the order).
        parallel: run the augmenting map on ``AUTOTUNE`` threads (else one).
        prefetch: prepare ``AUTOTUNE`` batches ahead of the consumer.
    Raises:
        DatasetError: malformed windows, table or batch size.
    See: notebooks/10_full_training.ipynb §2.
    """
    import tensorflow as tf

    windows, table = _check(windows, table, batch_size)
    lookup = tf.constant(table)
    shifts = len(table)

    def augment(rows, index):
        k = tf.math.floormod(tf.math.floormod(index * _A + (seed * _B + epoch) * _C, 2**32), shifts)
        where = tf.stack([tf.broadcast_to(k[:, None], tf.shape(rows, out_type=tf.int64)), tf.cast(rows, tf.int64)],
                         axis=-1)
        out = tf.gather_nd(lookup, where)  # out[b, t] = table[k[b], rows[b, t]]: the whole batch at once
        keep = tf.reduce_any(out < 0, axis=1, keepdims=True)
        out = tf.where(keep, rows, out)
        return out[:, :-1], out[:, 1:]

    ds = tf.data.Dataset.from_tensor_slices((windows, np.arange(len(windows), dtype=np.int64)))
    if cache:
        ds = ds.cache()
    if shuffle:
        ds = ds.shuffle(len(windows), seed=seed * _B + epoch, reshuffle_each_iteration=False)
    ds = ds.batch(batch_size)
    ds = ds.map(augment, num_parallel_calls=tf.data.AUTOTUNE) if parallel else ds.map(augment)
    return ds.prefetch(tf.data.AUTOTUNE) if prefetch else ds


def samples_per_second(batches: Iterable, seconds_per_batch: float = 0.0) -> tuple[float, int]:
    """Examples per second drawn from ``batches`` (an iterable of tuples whose first item is the batch), with
    ``seconds_per_batch`` of simulated training between draws (what ``prefetch`` can hide).

    Returns:
        (examples per second, examples).
    See: notebooks/10_full_training.ipynb §2.
    """
    start, count = time.perf_counter(), 0
    for batch in batches:
        count += len(batch[0])
        if seconds_per_batch:
            time.sleep(seconds_per_batch)
    return count / max(time.perf_counter() - start, 1e-9), count
