"""Music and audio GAN benchmarks: train (or load) the bar GAN and the spectrogram GAN, print one JSON line each.

Part of mgtutor's benchmarks (training lengths and scores live here, not in the tests). See notebook 09.

Each line holds the full-mode figures notebook 09 reports: for ``bar-gan`` each bar statistic of the training,
held-out, GAN, Bernoulli and memoriser bars (1,000 each but the real ones) with its real-vs-real interval and
tolerance, the GAN's z, whether the statistic discriminates and whether the GAN lies within tolerance, the
summary counts and the copy checks (``bar_gan.evaluate``); for ``gan-spec`` the pitch accuracy beside its ceiling
and the Fréchet distance beside its real-vs-real floor and the untrained baseline; for both the epochs, the CPU
and wall minutes of training, and the command that reproduces the line. Usage::

    MGTUTOR_MODE=full python benchmarks/bench_gan_music.py --out runs/bench-gan-music        # train both, seed 0
    python benchmarks/bench_gan_music.py --runs mgtutor/shipped/gan-pianoroll mgtutor/shipped/gan-spec
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def bar_line(run, evaluation: dict) -> dict:
    ev = evaluation
    r4 = lambda x: None if x is None else round(x, 4)  # noqa: E731
    statistics = {m: {**{name: r4(values[m]) for name, values in ev["sets"].items()},
                      "low": r4(iv["low"]), "high": r4(iv["high"]), "std": r4(iv["std"]),
                      "tolerance": r4(ev["tolerance"][m]), "z_gan": None if ev["z"]["GAN"][m] is None
                      else round(ev["z"]["GAN"][m], 1), "discriminating": ev["discriminating"][m],
                      "gan_within": ev["within"]["GAN"][m]}
                  for m, iv in ev["intervals"].items()}
    return {"task": "bar-gan", "bars_train": ev["bars"]["training"], "bars_held_out": ev["bars"]["held-out"],
            "n": ev["n"], "draws": ev["draws"], **statistics, "summary": ev["summary"],
            **{f"copies_{name}": c["copies"] for name, c in ev["copies"].items()},
            **{f"nearest_distance_mean_{name}": round(c["nearest_distance_mean"], 2)
               for name, c in ev["copies"].items()}}


def spec_line(run, evaluation: dict) -> dict:
    keys = ("pitch_accuracy", "pitch_accuracy_ceiling", "pitch_notes", "fd", "fd_floor", "fd_ratio", "fd_untrained",
            "fd_n", "features", "classifier_accuracy")
    return {"task": "gan-spec", **{k: evaluation[k] for k in keys if k in evaluation}}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=["bar-gan", "gan-spec"], choices=["bar-gan", "gan-spec"])
    parser.add_argument("--runs", nargs="+", default=None, metavar="RUN_DIR",
                        help="evaluate these finished runs instead of training (their task is read from them)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/bench-gan-music", help="folder of the run directories and results")
    args = parser.parse_args(argv)

    from mgtutor.runs import RunDir, task_name
    from mgtutor.tasks import bar_gan, gan_spec

    modules = {"bar-gan": (bar_gan, bar_line), "gan-spec": (gan_spec, spec_line)}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.runs:
        jobs = [(task_name(RunDir.open(path).config["task"]), Path(path)) for path in args.runs]
    else:
        jobs = [(task, out / f"{task}-{args.seed}") for task in args.tasks]
    for task, path in jobs:
        module, line_of = modules[task]
        start = time.monotonic()
        if args.runs:
            run = module.load(path)
            evaluation = (module.evaluate(run.model, run.bars, run.settings) if task == "bar-gan"
                          else module.evaluate(run.model, run.classifier, run.settings))
        else:
            s = module.settings(seed=args.seed)
            run = module.train(module.training_data(s, {}), path, s, force=True)
            evaluation = run.results["evaluation"]
        r = run.results
        line = {**line_of(run, evaluation), "seed": run.config["seed"], "epochs": r["epochs_run"],
                "train_cpu_minutes": round(r["train_cpu_seconds"] / 60, 2),
                "train_wall_minutes": round(r["train_seconds"] / 60, 2),
                "seconds_this_command": round(time.monotonic() - start, 1),
                "command": " ".join(["python", "benchmarks/bench_gan_music.py", *(argv or sys.argv[1:])])}
        print(json.dumps(line), flush=True)
        with open(out / "results.jsonl", "a", encoding="utf-8") as f:
            f.write(json.dumps(line) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
