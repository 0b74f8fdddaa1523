"""Training speed, measured side by side in one run: the input pipeline, XLA, the Keras backend, mixed precision.

Part of mgtutor's benchmarks (speed lives here, not in the tests). See notebooks/10_full_training.ipynb.

(1) Input pipeline: windows of the 350 chorale soprano lines (64 tokens, stride 16), each transposed by a
    shift in −5…+6 picked per example and epoch, batches of 64 — :func:`mgtutor.data.pipeline.naive_batches`
    (plain Python) against :func:`mgtutor.data.pipeline.tf_pipeline` (cache, shuffle, batch, parallel map,
    prefetch), both warm (second pass), alone and with a simulated 5 ms training step after every batch.
(2) Training steps/s of the melody model (Embedding 32 → LSTM 128 → Dense 93, batches of 64 × 64 tokens) with
    ``jit_compile`` off and on, TensorFlow backend, CPU.
(3) The same model and steps under the TensorFlow and the JAX backend, each in its own process (Keras' defaults:
    TensorFlow runs graphs without XLA on a CPU, JAX compiles every step with XLA).
(4) Only when a GPU is present: steps/s in float32, mixed_float16 and mixed_bfloat16 (``--gpu-only`` runs just
    this part, on the backend ``KERAS_BACKEND`` names).

Each line prints the rate and the ratio of the pair. Usage::

    python benchmarks/bench_training.py [--steps 30] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def step_rate(steps: int, repeats: int, jit_compile, policy: str = "float32") -> float:
    """Median training steps per second of the melody model over ``repeats`` timings of ``steps`` steps."""
    import keras
    import numpy as np

    from mgtutor import config, models

    config.seed_everything(0)
    keras.config.set_dtype_policy(policy)
    try:
        model = models.build("melody_lstm", vocab_size=93, embed_dim=32, units=128, layers=1, dropout=0.0)
        model.compile(optimizer=keras.optimizers.Adam(1e-3), jit_compile=jit_compile,
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    finally:
        keras.config.set_dtype_policy("float32")
    rng = np.random.default_rng(0)
    x, y = rng.integers(1, 93, (64, 64)).astype("int32"), rng.integers(1, 93, (64, 64)).astype("int32")
    for _ in range(3):  # trace and compile
        model.train_on_batch(x, y)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            model.train_on_batch(x, y)
        times.append(time.perf_counter() - start)
    return steps / statistics.median(times)


def worker(backend: str, steps: int, repeats: int) -> None:
    """The backend comparison's half: print one JSON line (run in a process of its own)."""
    import keras

    assert keras.backend.backend() == backend
    print(json.dumps({"backend": backend, "steps_per_s": step_rate(steps, repeats, "auto")}), flush=True)


def pipeline_rates(repeats: int) -> dict[str, float]:
    import numpy as np

    from mgtutor import data
    from mgtutor.data import pipeline
    from mgtutor.symbolic import melody_vocabulary

    vocab = melody_vocabulary()
    pieces = [np.asarray(vocab.encode(m, add_start_end=True), np.int32) for m in data.chorale_soprano_lines().values()]
    windows = data.token_windows(pieces, 64, 16)
    table = data.transposition_table(vocab, list(range(-5, 7)))
    makers = {"naive": lambda e: pipeline.naive_batches(windows, table, 64, epoch=e),
              "tf.data": lambda e: pipeline.tf_pipeline(windows, table, 64, epoch=e)}
    out = {"windows": len(windows)}
    for step in (0.0, 0.005):
        for name, make in makers.items():
            pipeline.samples_per_second(make(0), step)  # warm: trace the map, fill the cache
            rates = [pipeline.samples_per_second(make(e + 1), step)[0] for e in range(repeats)]
            out[f"{name}{'+step' if step else ''}"] = statistics.median(rates)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=30, help="training steps per timing (default 30)")
    parser.add_argument("--repeats", type=int, default=3, help="timings to take the median of (default 3)")
    parser.add_argument("--gpu-only", action="store_true",
                        help="only (4), on the backend KERAS_BACKEND names (e.g. a JAX-only GPU machine)")
    parser.add_argument("--worker", choices=["tensorflow", "jax"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.steps, args.repeats)
        return 0
    if args.gpu_only:
        gpu_section(args.steps, args.repeats)
        return 0

    from mgtutor import config, distribute

    print(f"versions: {', '.join(f'{k} {v}' for k, v in distribute.versions().items())}; {os.cpu_count()} CPUs; "
          f"{config.mode()} mode")
    p = pipeline_rates(args.repeats)
    print(f"(1) input pipeline, {p['windows']} windows of 64 tokens, batches of 64 (samples/s, warm):")
    print(f"    naive Python generator {p['naive']:10.0f}   tf.data {p['tf.data']:10.0f}   "
          f"ratio tf.data/naive {p['tf.data'] / p['naive']:.2f}×")
    print(f"    with a 5 ms step/batch {p['naive+step']:10.0f}   tf.data {p['tf.data+step']:10.0f}   "
          f"ratio tf.data/naive {p['tf.data+step'] / p['naive+step']:.2f}×  (ceiling {64 / 0.005:.0f})")

    off = step_rate(args.steps, args.repeats, False)
    on = step_rate(args.steps, args.repeats, True)
    print(f"(2) melody model, TensorFlow, CPU (steps/s): jit_compile off {off:7.1f}   on {on:7.1f}   "
          f"ratio XLA/plain {on / off:.2f}×")
    print(f"    the model consumes {64 * max(on, off):.0f} samples/s: the slower pipeline is "
          f"{min(p['naive'], p['tf.data']) / (64 * max(on, off)):.0f}× faster than it needs to be")

    rates = {}
    for backend in ("tensorflow", "jax"):
        env = {**os.environ, "KERAS_BACKEND": backend, "PYTHONPATH": str(ROOT)}
        proc = subprocess.run([sys.executable, __file__, "--worker", backend, "--steps", str(args.steps),
                               "--repeats", str(args.repeats)], env=env, capture_output=True, text=True, timeout=900)
        if proc.returncode != 0:
            print(proc.stderr[-2000:], file=sys.stderr)
            return 1
        rates[backend] = json.loads(proc.stdout.strip().splitlines()[-1])["steps_per_s"]
    print(f"(3) same model, Keras defaults (steps/s): tensorflow {rates['tensorflow']:7.1f}   "
          f"jax {rates['jax']:7.1f}   ratio jax/tensorflow {rates['jax'] / rates['tensorflow']:.2f}×")

    gpu_section(args.steps, args.repeats)
    return 0


def gpu_section(steps: int, repeats: int) -> None:
    """(4): float32 against mixed_float16 (and mixed_bfloat16) on this process's backend, when it sees a GPU."""
    from mgtutor import config, distribute

    backend = config.backend()
    gpus = [d for d in distribute.local_devices(backend) if d.kind == "GPU"]
    if not gpus:
        print(f"(4) GPU: none here ({backend}), mixed precision not measured")
        return
    rates = {}
    for policy in ("float32", "mixed_float16", "mixed_bfloat16"):
        try:
            rates[policy] = step_rate(steps, repeats, True, policy=policy)
        except Exception as e:  # a policy this backend's GPU kernels refuse is a result, not a crash
            print(f"(4) {policy} fails on {backend}: {type(e).__name__}: {str(e).splitlines()[0][:120]}")
    stack = ", ".join(f"{k} {v}" for k, v in distribute.versions().items() if k in ("keras", backend, "python"))
    print(f"(4) GPU, {backend}, {gpus[0].name}, {stack} (steps/s, XLA): "
          + "   ".join(f"{p} {r:7.1f}" for p, r in rates.items())
          + "".join(f"   ratio {p}/float32 {rates[p] / rates['float32']:.2f}×" for p in rates if p != "float32"))


if __name__ == "__main__":
    sys.exit(main())
