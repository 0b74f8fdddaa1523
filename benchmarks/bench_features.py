"""Speed of the course's MFCC against librosa's, measured in one run on the same signal.

    python benchmarks/bench_features.py [--seconds 60] [--repeat 7] [--dtype float32]

Times ``mgtutor.features.mfcc`` and ``librosa.feature.mfcc`` (same keywords: sr 22050, n_fft 2048,
hop 512, 128 mels, 20 coefficients) on 60 s of 22.05 kHz audio, takes the best of ``--repeat``
interleaved runs of each (after one warm-up call), checks that both give the same coefficients, and prints
the ratio t_librosa / t_mgtutor (≥ 1 means the reference implementation is at least as fast).
Target: ≥ 1.0. See notebooks/03_mel_mfcc.ipynb §5.
"""

from __future__ import annotations

import argparse
import timeit

import numpy as np


def test_signal(seconds: float, sr: int, dtype: str) -> np.ndarray:
    """A reproducible music-like test signal: rendered notes plus a little noise."""
    from mgtutor.audio import render_notes

    rng = np.random.default_rng(0)
    step = 0.25
    notes = [(int(p), i * step, i * step + 0.5, 90) for i, p in
             enumerate(rng.integers(48, 84, size=int(seconds / step) - 1))]
    y = render_notes(notes, sr=sr).astype(np.float64)
    y = np.pad(y, (0, int(seconds * sr) - y.size)) + 1e-3 * rng.standard_normal(int(seconds * sr))
    return y.astype(dtype)


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32",
                        help="sample dtype (librosa keeps float32 audio in float32 throughout)")
    args = parser.parse_args(argv)

    import librosa

    from mgtutor import features

    sr = 22050
    y = test_signal(args.seconds, sr, args.dtype)
    kwargs = {"sr": sr, "n_mfcc": 20, "n_fft": 2048, "hop_length": 512, "n_mels": 128}
    ours = features.mfcc(y=y, **kwargs)
    ref = librosa.feature.mfcc(y=y, **kwargs)
    rtol = 1e-3 if args.dtype == "float32" else 1e-6
    np.testing.assert_allclose(ours, ref, rtol=rtol, atol=rtol * np.abs(ref).max())

    # Interleave the two so that a change in machine load affects both alike; keep the best of each.
    t_ours, t_ref = float("inf"), float("inf")
    for _ in range(args.repeat):
        t_ours = min(t_ours, timeit.timeit(lambda: features.mfcc(y=y, **kwargs), number=1))
        t_ref = min(t_ref, timeit.timeit(lambda: librosa.feature.mfcc(y=y, **kwargs), number=1))
    ratio = t_ref / t_ours
    print(f"MFCC of {args.seconds:g} s at {sr} Hz ({args.dtype}), shape {ours.shape}, best of {args.repeat}:")
    print(f"  mgtutor.features.mfcc   {1e3 * t_ours:8.1f} ms")
    print(f"  librosa.feature.mfcc    {1e3 * t_ref:8.1f} ms")
    print(f"  speed ratio librosa/mgtutor = {ratio:.2f} (target ≥ 1.0: {'met' if ratio >= 1 else 'NOT met'})")
    return ratio


if __name__ == "__main__":
    main()
