"""Mode-collapse benchmarks: the plain GAN and its remedies on the 2-D ring and grid, three seeds each.

Part of mgtutor's benchmarks (training lengths and scores live here, not in the tests). See notebook 08 §4.

For every (benchmark, model, seed) it trains a run with ``mgtutor.tasks.gan_toy.train`` (the task's full-mode
settings), scores 2,500 samples (modes covered, high-quality rate) and prints one JSON line with the training
seconds; then one line per (benchmark, model) with the **mean over all the seeds** (none left out) and the
command that reproduces it. Runs go one at a time. The lines are also written to ``OUT/results.jsonl``; notebook
08 shows the means shipped as ``mgtutor/shipped/gan-toy-benchmarks.jsonl``. Usage::

    MGTUTOR_MODE=full python benchmarks/bench_gan_toy.py --out runs/bench-gan-toy
    MGTUTOR_MODE=full python benchmarks/bench_gan_toy.py --data ring --units 96 --batch-size 256
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", default=["ring", "grid"], help="benchmarks (ring, grid)")
    parser.add_argument("--models", nargs="+", default=["gan", "pacgan"], help="gan, pacgan, wgan-gp")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--units", type=int, default=None, help="hidden units (default: the benchmark's)")
    parser.add_argument("--batch-size", type=int, default=None, help="batch size (default: the benchmark's)")
    parser.add_argument("--out", default="runs/bench-gan-toy", help="folder of the run directories and results")
    args = parser.parse_args(argv)

    import numpy as np

    from mgtutor.tasks import gan_toy

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    command = " ".join(["python", "benchmarks/bench_gan_toy.py", *(argv if argv is not None else sys.argv[1:])])

    def emit(line):
        print(json.dumps(line), flush=True)
        with open(out / "results.jsonl", "a", encoding="utf-8") as f:
            f.write(json.dumps(line) + "\n")

    for data in args.data:
        for model in args.models:
            lines = []
            for seed in args.seeds:
                s = gan_toy.settings(data=data, model=model, seed=seed, units=args.units, batch_size=args.batch_size)
                name = f"gan-toy-{data}-{model}-{s.units}x{s.batch_size}-{seed}"
                r = gan_toy.train(gan_toy.toy_data(s), out / name, s, force=True).results
                line = {"data": data, "model": model, "seed": seed, "modes": r["modes"], "of": r["of"],
                        "high_quality": round(r["high_quality"], 4), "train_seconds": round(r["train_seconds"], 1),
                        "steps": s.epochs * s.steps_per_epoch, "units": s.units, "batch_size": s.batch_size}
                emit(line)
                lines.append(line)
            emit({"data": data, "model": model, "seeds": list(args.seeds), "of": lines[0]["of"],
                  "units": lines[0]["units"], "batch_size": lines[0]["batch_size"],
                  "modes": round(float(np.mean([x["modes"] for x in lines])), 2),
                  "high_quality": round(float(np.mean([x["high_quality"] for x in lines])), 4),
                  "train_seconds": round(float(np.mean([x["train_seconds"] for x in lines])), 1),
                  "per_seed": [[x["modes"], x["high_quality"]] for x in lines], "command": command})
    return 0


if __name__ == "__main__":
    sys.exit(main())
