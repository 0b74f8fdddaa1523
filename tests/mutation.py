"""Mutation score per module: ``make mutation`` (not part of CI; about 25 minutes on 2 cores).

mutmut copies the package to ``mutants/``, makes small changes to the modules named in ``[tool.mutmut]`` of
``pyproject.toml`` (``<`` for ``<=``, ``+ 1`` for ``+ 2``, a string or a constant replaced, an argument dropped...)
and runs, for each change, the fast unit tests that reach the changed function. A change no test notices
*survives*: the tests would let that bug through. This script runs mutmut, then prints for each module the share of
mutants killed (a failing test or a timeout), not counting the equivalent mutants listed with their reasons in
``tests/mutation_equivalent.txt`` (changes that cannot alter behaviour, e.g. a default that every caller
overrides). It exits 1 when a module scores below the target or when the list names a mutant that no longer
exists or no longer survives.

    python tests/mutation.py            # run mutmut, then report
    python tests/mutation.py --report   # report the last run again
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENT = Path(__file__).with_name("mutation_equivalent.txt")
TARGET = 0.85
KILLED = {"killed", "timeout", "segfault", "caught by type check"}


def read_equivalent(path: Path = EQUIVALENT) -> dict[str, str]:
    """``{mutant name: reason}`` from lines ``name  # reason``; a line without a reason is an error."""
    out = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, reason = line.partition("#")
        if not sep or not reason.strip():
            raise SystemExit(f"{path.name}:{number}: give a one-line reason after '#': {line}")
        out[name.strip()] = reason.strip()
    return out


def module_of(mutant: str) -> str:
    """``mgtutor.copying.xǁCorpusIndexǁ_extend__mutmut_4`` → ``mgtutor.copying``."""
    return mutant.rsplit(".", 1)[0]


def read_results(mutants_dir: Path) -> dict[str, str]:
    """``{mutant name: status}`` from the ``.meta`` files mutmut writes beside each mutated module."""
    from mutmut.stats import status_by_exit_code

    out = {}
    for meta in sorted(mutants_dir.rglob("*.py.meta")):
        for name, code in json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"].items():
            out[name] = status_by_exit_code[code]
    return out


def report(results: dict[str, str], equivalent: dict[str, str], target: float = TARGET) -> int:
    """Print the score per module and the survivors; return the number of problems found."""
    by_module: dict[str, Counter] = defaultdict(Counter)
    survivors = defaultdict(list)
    for name, status in results.items():
        module = module_of(name)
        if name in equivalent:
            by_module[module]["equivalent"] += 1
            if status in KILLED:
                print(f"listed as equivalent but killed: {name}")
                by_module[module]["stale"] += 1
        elif status in KILLED:
            by_module[module]["killed"] += 1
        else:
            by_module[module]["survived"] += 1
            survivors[module].append(f"{name} ({status})")
    problems = sum(c["stale"] for c in by_module.values())
    for name in sorted(set(equivalent) - set(results)):
        print(f"listed as equivalent but not a mutant of this run: {name}")
        problems += 1
    print(f"{'module':<32} {'mutants':>8} {'killed':>7} {'equivalent':>11} {'survived':>9} {'score':>7}")
    for module in sorted(by_module):
        c = by_module[module]
        checked = c["killed"] + c["survived"]
        score = c["killed"] / checked if checked else 1.0
        low = score < target
        problems += low
        print(f"{module:<32} {checked + c['equivalent']:>8} {c['killed']:>7} {c['equivalent']:>11} "
              f"{c['survived']:>9} {score:>6.1%}{'  below target' if low else ''}")
    for module in sorted(survivors):
        print(f"\nsurvivors in {module} (see one with: mutmut show NAME):")
        print("\n".join(f"  {s}" for s in sorted(survivors[module])))
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", action="store_true", help="report the last run without running mutmut")
    parser.add_argument("--target", type=float, default=TARGET)
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    if not args.report:
        log = ROOT / "mutants.log"
        start = time.monotonic()
        env = {**os.environ, "MGTUTOR_MODE": "smoke", "TQDM_DISABLE": "1"}
        with log.open("w", encoding="utf-8") as out:
            code = subprocess.call([sys.executable, "-m", "mutmut", "run", "--max-children", str(os.cpu_count() or 1)],
                                   stdout=out, stderr=subprocess.STDOUT, env=env)
        print(f"mutmut ran for {(time.monotonic() - start) / 60:.1f} min (log: {log.name})")
        if code:
            print(log.read_text(encoding="utf-8")[-3000:])
            return code
    problems = report(read_results(ROOT / "mutants"), read_equivalent(), args.target)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
