"""Polyphonic benchmarks: train each piano-roll model under a time budget and score the test split once.

Part of mgtutor's benchmarks (training lengths and scores live here, not in the tests). See notebook 07.

For each model it trains on the benchmark's own train split with ``mgtutor.tasks.pianoroll.train`` (the
recurrent models keep their best epoch on valid), then reads the test split **once** and prints one JSON line:
the frame NLL in both conventions (every frame; each piece's first frame left out, as the TCN evaluation does),
frames, pieces, epochs and wall time, and the command that reproduces it. The lines are also written to
``OUT/results.jsonl`` for the notebook's table; the lines notebook 07 shows, each with its command, are in
``mgtutor/shipped/benchmarks.jsonl``. Usage::

    python -m mgtutor data get boulanger_tcn_mat
    MGTUTOR_MODE=full python benchmarks/bench_poly.py --data boulanger_tcn_mat:JSB_Chorales \\
        --models bernoulli markov lstm nade --lstm-budget 20 --nade-budget 30 --out runs/bench-poly-jsb
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def main(argv=None) -> int:
    from mgtutor.tasks.pianoroll import SCHEDULES

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="a registry name (NAME or NAME:member) or a .pickle/.mat file")
    parser.add_argument("--models", nargs="+", default=["bernoulli", "markov", "lstm", "nade"])
    parser.add_argument("--lstm-budget", type=float, default=20.0, metavar="MIN", help="training minutes (LSTM)")
    parser.add_argument("--nade-budget", type=float, default=30.0, metavar="MIN", help="training minutes (NADE)")
    parser.add_argument("--transpose", type=int, default=3, help="random training shifts in ±N semitones")
    parser.add_argument("--batch-size", type=int, default=None, help="examples per step (default: the task's)")
    parser.add_argument("--learning-rate", type=float, default=None, help="Adam's step size (default: the task's)")
    parser.add_argument("--units", type=int, default=None, help="LSTM units (default: the task's)")
    parser.add_argument("--dropout", type=float, default=None, help="dropout after the LSTM (default: the task's)")
    parser.add_argument("--epochs", type=int, default=None, help="maximum epochs (default: the task's)")
    parser.add_argument("--patience", type=int, default=None, help="early-stopping patience (default: the task's)")
    parser.add_argument("--schedule", choices=SCHEDULES, default=None,
                        help="learning-rate schedule over --epochs (default: the task's)")
    parser.add_argument("--threads", type=int, default=None, metavar="N",
                        help="TensorFlow's intra- and inter-op threads (default: TensorFlow's choice). A small-batch "
                             "LSTM step is too small to split: on two cores, 1 thread ran a JSB epoch at batch 8 "
                             "more than twice as fast as the default")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/bench-poly", help="folder of the run directories and results")
    args = parser.parse_args(argv)
    if args.threads is not None:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)

    from mgtutor import config, data
    from mgtutor.files import sha256_file
    from mgtutor.tasks import pianoroll

    split = pianoroll.load_data(args.data, args.seed)
    data_sha256 = None if args.data == "chorales" else sha256_file(data.benchmark_file(args.data))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for model in args.models:
        budget = {"lstm": args.lstm_budget, "nade": args.nade_budget}.get(model)
        recurrent = {"transpose": args.transpose, "batch_size": args.batch_size, "learning_rate": args.learning_rate,
                     "units": args.units, "dropout": args.dropout, "epochs": args.epochs, "patience": args.patience,
                     "schedule": args.schedule} if budget else {}
        settings = pianoroll.settings(model=model, time_budget_min=budget, seed=args.seed, **recurrent)
        start = time.monotonic()
        run = pianoroll.train(split, out / model, settings, force=True)
        test = pianoroll.score(run.model, split["test"])
        line = {"data": args.data, "model": model, "split": "test", **test,
                "valid_frame_nll": run.results["valid"]["frame_nll"], "epochs": run.results["epochs_run"],
                "wall_seconds": round(time.monotonic() - start, 1), "data_sha256": data_sha256,
                "command": " ".join([f"MGTUTOR_MODE={config.mode()}", "python", "benchmarks/bench_poly.py",
                                     *(argv or sys.argv[1:])])}
        print(json.dumps(line), flush=True)
        with open(out / "results.jsonl", "a", encoding="utf-8") as f:
            f.write(json.dumps(line) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
