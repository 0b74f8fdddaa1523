"""Generation speed: re-feeding a window through ``model.predict`` versus the stateful generator.

Part of mgtutor's benchmarks (speed lives here, not in the tests). See
notebooks/06_melody_generation.ipynb §4.

One run, one model: Embedding(93, 64) → LSTM(256) → LSTM(256) → Dense(93), the course's
melody model at full size (weights as initialised; speed does not depend on training).

(a) re-feed, as the TensorFlow tutorials generate: every token runs ``model.predict`` on the
    last 64 tokens and keeps the last position's logits;
(b) stateful: :class:`mgtutor.models.StatefulLSTM` reads the same weights and advances
    (h, c) one token at a time in NumPy;
(c) the stateful generator on a batch of 64 sequences at once.

It first checks that (b) gives the same next-token distributions as the Keras model, then
prints tokens/s for each and the ratio (b)/(a). Usage::

    python benchmarks/bench_generation.py [--tokens 512] [--refeed-tokens 512] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tokens", type=int, default=512, help="tokens generated per sequence (default 512)")
    parser.add_argument("--refeed-tokens", type=int, default=512, help="tokens for the slow re-feed (default 512)")
    parser.add_argument("--window", type=int, default=64, help="re-feed window (default 64)")
    parser.add_argument("--batch", type=int, default=64, help="batch size for (c) (default 64)")
    parser.add_argument("--repeats", type=int, default=3, help="stateful timings to take the median of")
    args = parser.parse_args(argv)

    from mgtutor import config, models, sampling

    config.seed_everything(0)
    vocab_size = 93
    model = models.melody_lstm(vocab_size, embed_dim=64, units=256, layers=2, dropout=0.2)
    model.build((None, None))
    stepper = models.StatefulLSTM.from_keras(model)

    probe = np.random.default_rng(0).integers(3, vocab_size, size=(1, 64))
    ref = sampling.softmax(np.asarray(model(probe.astype("int32"), training=False)))
    ours = sampling.softmax(stepper.logits_over(probe))
    np.testing.assert_allclose(ours, ref, atol=1e-5)
    print(f"check: stateful next-token distributions = Keras over 64 steps "
          f"(max |Δp| = {np.abs(ours - ref).max():.1e})")

    primer = [1]

    def rate(batch: int) -> float:
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            sampling.generate_stateful(stepper, primer, args.tokens, seed=0, batch=batch)
            times.append(time.perf_counter() - t0)
        return batch * args.tokens / statistics.median(times)

    # The stateful runs go first: once model.predict has run, TensorFlow's worker threads stay
    # awake for a while and take CPU from whatever runs next in the same process.
    stateful = rate(1)
    batched = rate(args.batch)
    model.predict(np.ones((1, args.window), "int32"), verbose=0)  # build the predict function once
    start = time.perf_counter()
    sampling.generate_refeed(model, primer, args.refeed_tokens, window=args.window, seed=0)
    refeed = args.refeed_tokens / (time.perf_counter() - start)
    print(f"(a) re-feed {args.window}-token window via model.predict: {refeed:10.1f} tokens/s "
          f"({args.refeed_tokens} tokens, batch 1)")
    print(f"(b) stateful NumPy LSTM step:                  {stateful:10.1f} tokens/s "
          f"({args.tokens} tokens, batch 1, median of {args.repeats})")
    print(f"(c) stateful, batch {args.batch}:                        {batched:10.1f} tokens/s "
          f"({args.batch} × {args.tokens} tokens)")
    print(f"ratio (b)/(a): {stateful / refeed:.0f}×")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
