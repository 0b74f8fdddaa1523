"""The measured input pipelines: tf.data and the plain-Python generator serve the same examples."""

import types

import numpy as np
import pytest

from mgtutor.data import DatasetError, pipeline


def _toy():
    rng = np.random.default_rng(0)
    windows = rng.integers(0, 6, (37, 5)).astype(np.int32)
    table = np.array([[0, 1, 2, 3, 4, 5], [1, 2, 3, 4, 5, -1], [-1, 0, 1, 2, 3, 4]], np.int32)  # shifts 0, +1, −1
    return windows, table


def _rows(batches):
    rows = np.concatenate([np.concatenate([np.asarray(x), np.asarray(y)[:, -1:]], axis=1) for x, y in batches])
    return rows[np.lexsort(rows.T[::-1])]


def test_shift_index_and_transpose_rows_by_hand():
    k = pipeline.shift_index(np.array([0, 1, 2]), seed=0, epoch=0, shifts=3)
    expected = [((i * 2654435761) % 2**32) % 3 for i in range(3)]
    assert k.tolist() == expected
    table = _toy()[1]
    rows = np.array([[0, 1, 2], [4, 5, 5], [1, 2, 3]])
    out = pipeline.transpose_rows(rows, table, np.array([1, 1, 2]))
    assert out.tolist() == [[1, 2, 3], [4, 5, 5], [0, 1, 2]]  # row 2 would leave the vocabulary: kept as it is


def test_tf_data_and_the_naive_generator_serve_the_same_epoch():
    windows, table = _toy()
    for epoch in (0, 1):
        naive = list(pipeline.naive_batches(windows, table, 8, seed=3, epoch=epoch))
        fast = list(pipeline.tf_pipeline(windows, table, 8, seed=3, epoch=epoch))
        assert [len(x) for x, _ in naive] == [len(x) for x, _ in fast] == [8, 8, 8, 8, 5]
        np.testing.assert_array_equal(_rows(naive), _rows(fast))
        k = pipeline.shift_index(np.arange(len(windows)), 3, epoch, len(table))
        np.testing.assert_array_equal(_rows(naive), _rows([(r[:, :-1], r[:, 1:]) for r in
                                                          [pipeline.transpose_rows(windows, table, k)]]))
    serial = list(pipeline.tf_pipeline(windows, table, 8, seed=3, cache=False, shuffle=False, parallel=False,
                                       prefetch=False))
    np.testing.assert_array_equal(np.concatenate([np.asarray(x) for x, _ in serial])[:, 0],
                                  pipeline.transpose_rows(windows, table, pipeline.shift_index(
                                      np.arange(37), 3, 0, 3))[:, 0])  # no shuffle: the original order


def test_samples_per_second_on_a_fake_clock(monkeypatch):
    """Drawing each batch takes 0.1 s and each simulated training step 0.5 s: 37 examples in 5 × 0.6 s."""
    clock = types.SimpleNamespace(now=100.0, slept=[])

    def sleep(seconds):
        clock.slept.append(seconds)
        clock.now += seconds

    monkeypatch.setattr(pipeline, "time", types.SimpleNamespace(perf_counter=lambda: clock.now, sleep=sleep))

    def batches():
        windows, table = _toy()
        for batch in pipeline.naive_batches(windows, table, 8):
            clock.now += 0.1
            yield batch

    rate, count = pipeline.samples_per_second(batches(), seconds_per_batch=0.5)
    assert count == 37 and clock.slept == [0.5] * 5
    assert rate == pytest.approx(37 / (5 * 0.6))
    clock.slept.clear()
    rate, count = pipeline.samples_per_second(batches())  # no training step: only the draws take time
    assert count == 37 and clock.slept == [] and rate == pytest.approx(37 / 0.5)


@pytest.mark.parametrize(("windows", "table", "batch", "phrase"), [
    (np.zeros((0, 5), int), np.zeros((1, 6), int), 8, "non-empty"),
    (np.zeros((4, 1), int), np.zeros((1, 6), int), 8, "L ≥ 1"),
    (np.full((4, 5), 7), np.zeros((1, 6), int), 8, "cover every id"),
    (np.zeros((4, 5), int), np.zeros((1, 6), int), 0, "batch_size"),
])
def test_bad_pipeline_inputs(windows, table, batch, phrase):
    with pytest.raises(DatasetError, match=phrase):
        next(pipeline.naive_batches(windows, table, batch))
