"""Speed of the RNN-NADE's training step: the exclusive cumulative sum as a matrix product vs ``ops.cumsum``.

    python benchmarks/bench_nade.py [--batch 8] [--window 64] [--hidden 150] [--repeat 10]

Both forms compute the NADE's hidden pre-activations of every key of every frame,
a_j = c + Σ_{i<j} y_i W_i, for a batch of teacher-forced frames (B, L, K = 88):

* **matmul** (what ``mgtutor.models.rnn_nade`` uses): A = (M ⊙ y) W with the strictly lower-triangular M;
* **cumsum**: ``ops.cumsum(y[..., None] * W, axis=-2)`` shifted by one key (its gradient is another cumulative
  sum over the (B, L, K, H) tensor).

It times a forward and backward pass of the frame NLL (TensorFlow, one thread each, best of ``--repeat``) and
prints both and their ratio, after checking that the two forms give the same probabilities.
See: notebook 07 (piano rolls) §5.
"""

from __future__ import annotations

import argparse
import os
import time


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--window", type=int, default=64)
    parser.add_argument("--hidden", type=int, default=150)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    import numpy as np
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    keys = 88
    rng = np.random.default_rng(0)
    y = tf.constant((rng.random((args.batch, args.window, keys)) < 0.05).astype("float32"))
    c = tf.Variable(rng.normal(size=(args.batch, args.window, args.hidden)).astype("float32"))
    b = tf.Variable(rng.normal(size=(args.batch, args.window, keys)).astype("float32"))
    w = tf.Variable(0.1 * rng.normal(size=(keys, args.hidden)).astype("float32"))
    v = tf.Variable(0.1 * rng.normal(size=(keys, args.hidden)).astype("float32"))
    below = tf.constant(np.tril(np.ones((keys, keys), np.float32), -1))

    def by_matmul():
        return tf.matmul(y[..., None, :] * below, w)

    def by_cumsum():
        inclusive = tf.cumsum(y[..., None] * w, axis=-2)
        return tf.concat([tf.zeros_like(inclusive[..., :1, :]), inclusive[..., :-1, :]], axis=-2)

    def probs(exclusive):
        h = tf.sigmoid(c[..., None, :] + exclusive())
        return tf.sigmoid(b + tf.reduce_sum(h * v, axis=-1))

    np.testing.assert_allclose(probs(by_matmul).numpy(), probs(by_cumsum).numpy(), rtol=1e-5, atol=1e-6)
    best = {}
    for name, exclusive in (("matmul", by_matmul), ("cumsum", by_cumsum)):
        @tf.function
        def step(exclusive=exclusive):
            with tf.GradientTape() as tape:
                p = probs(exclusive)
                loss = -tf.reduce_sum(y * tf.math.log(p) + (1 - y) * tf.math.log(1 - p))
            return tape.gradient(loss, [c, b, w, v])

        step()
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            step()
            times.append(time.perf_counter() - start)
        best[name] = min(times)
        print(f"{name:7s} {1000 * best[name]:8.1f} ms per step (B={args.batch}, L={args.window}, H={args.hidden})")
    print(f"matmul is {best['cumsum'] / best['matmul']:.1f}x faster than cumsum (same probabilities)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
