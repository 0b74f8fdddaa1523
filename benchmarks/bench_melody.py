"""Melody configurations: train one melody run on the chorales and print it beside the best n-gram on its test tunes.

Part of mgtutor's benchmarks (training lengths and scores live here, not in the tests). See notebook 06 §2.

Each call trains ``mgtutor.tasks.melody.train`` on music21's 350 chorale soprano lines, split by tune into
train/valid/test (80/10/10 %), keeps the epoch with the best validation NLL, and prints one JSON line: the settings,
the validation and test perplexity, the n-gram baselines' best (order and variant chosen on validation, reported on
test: :func:`mgtutor.tasks.melody.ngram_baselines`), the ratio of the two test perplexities, the epochs, the training
time, the parameter count and the weights' size, and the command that reproduces it. The line is also appended to
``OUT/results.jsonl``; the configurations tried for the shipped run are in ``mgtutor/shipped/melody-benchmarks.jsonl``.
Usage::

    MGTUTOR_MODE=full python benchmarks/bench_melody.py --units 256 --layers 1 --embed-dim 64 --dropout 0.3 \\
        --transpose 6 --epochs 120 --patience 20 --time-budget 20 --out runs/bench-melody
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

SETTINGS = ("units", "layers", "embed_dim", "dropout", "transpose", "epochs", "patience", "learning_rate",
            "batch_size", "window", "stride")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in SETTINGS:
        kind = float if name in ("dropout", "learning_rate") else int
        parser.add_argument(f"--{name.replace('_', '-')}", dest=name, type=kind, default=None,
                            help="the melody setting of that name (default: the task's)")
    parser.add_argument("--time-budget", dest="time_budget_min", type=float, default=20.0, metavar="MIN",
                        help="training minutes, the target's limit (default 20)")
    parser.add_argument("--threads", type=int, default=None, metavar="N",
                        help="TensorFlow's intra- and inter-op threads (default: TensorFlow's choice)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/bench-melody", help="folder of the run directories and results")
    args = parser.parse_args(argv)
    from mgtutor.tasks import melody  # first: it quiets TensorFlow's start-up

    if args.threads is not None:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)

    import math

    given = {name: getattr(args, name) for name in SETTINGS if getattr(args, name) is not None}
    s = melody.settings(**given, time_budget_min=args.time_budget_min, seed=args.seed)
    name = "-".join(f"{k}{v}" for k, v in given.items()) or "defaults"
    run = melody.train(melody.load_corpus("chorales"), Path(args.out) / name, s, force=True, verbose=0)
    best = run.baselines["best"]
    ngram = math.exp(best["test_nll"])
    line = {"model": "lstm", "settings": {k: getattr(s, k) for k in (*SETTINGS, "time_budget_min")},
            "val_perplexity": run.val_perplexity, "test_perplexity": run.test_perplexity,
            "ngram": {**best, "test_perplexity": ngram}, "ratio": run.test_perplexity / ngram,
            "epochs_run": run.epochs_run, "best_epoch": run.best_epoch, "train_seconds": run.train_seconds,
            "stopped_by_budget": run.stopped_by_budget, "parameters": int(run.model.count_params()),
            "weights_bytes": (run.run_dir / "model.weights.h5").stat().st_size,
            "command": "MGTUTOR_MODE=full python benchmarks/bench_melody.py " + shlex.join(argv or sys.argv[1:])}
    print(json.dumps(line), flush=True)
    with open(Path(args.out) / "results.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps(line) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
