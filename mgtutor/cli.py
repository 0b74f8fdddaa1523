"""The command line: ``python -m mgtutor <command> ...`` (also installed as ``mgtutor``).

Part of mgtutor. A thin argparse layer over the functions the notebooks call. Each command
is a pair (``add_<name>_parser``, ``run_<name>``) registered in :data:`COMMANDS`. Errors a
user can fix (bad arguments, a missing run directory) print one line, ``mgtutor: error: …``,
and exit with status 2; success exits 0.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from mgtutor import demo, generate, train
from mgtutor.errors import MgtutorError


def add_execute_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("execute", help="re-execute notebooks in place (smoke mode, reference numerics)")
    p.add_argument("notebooks", nargs="+", help="paths of .ipynb files")
    return p


def run_execute(args) -> int:
    from mgtutor.notebooks import execute_notebook

    for path in args.notebooks:
        seconds = execute_notebook(path)
        print(f"{path}: executed in {seconds:.1f} s and saved")
    return 0


COMMANDS: dict[str, tuple[Callable, Callable]] = {
    "execute": (add_execute_parser, run_execute),
    "train": (train.add_train_parser, train.run_train),
    "generate": (generate.add_generate_parser, generate.run_generate),
    "demo": (demo.add_demo_parser, demo.run_demo_command),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mgtutor", description="mgtutor course tools")
    sub = parser.add_subparsers(dest="command", required=True)
    for add_parser, run in COMMANDS.values():
        add_parser(sub).set_defaults(run=run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (MgtutorError, FileNotFoundError, RuntimeError) as exc:
        print(f"mgtutor: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
