"""Wall time and peak memory of the whole nbval run (every notebook, smoke mode).

    python benchmarks/bench_suite.py [--notebooks notebooks/] [--json OUT.json]

Runs `pytest --nbval` over the notebooks in a subprocess, samples the resident memory of the
whole process tree (pytest plus every kernel it starts) every 0.2 s, and prints the wall time,
the peak RSS of the tree and of its largest process, and each notebook's share of the time.
Goal for the finished course on 2 CPU cores: ≤ 8 min and ≤ 4 GiB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent


def tree_rss(proc: psutil.Process) -> tuple[int, int]:
    """(sum, max) resident set size in bytes of ``proc`` and all its descendants."""
    sizes = []
    for p in [proc, *proc.children(recursive=True)]:
        try:
            sizes.append(p.memory_info().rss)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return sum(sizes), max(sizes, default=0)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", default=str(ROOT / "notebooks"))
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        junit = Path(tmp) / "junit.xml"
        cmd = [sys.executable, "-m", "pytest", "-q", "--nbval", "-p", "no:cacheprovider",
               f"--junitxml={junit}", args.notebooks]
        peak = {"tree": 0, "largest": 0}
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        watched = psutil.Process(proc.pid)
        done = threading.Event()

        def sample():
            while not done.is_set():
                total, largest = tree_rss(watched)
                peak["tree"] = max(peak["tree"], total)
                peak["largest"] = max(peak["largest"], largest)
                time.sleep(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        output, _ = proc.communicate()
        wall = time.perf_counter() - start
        done.set()
        sampler.join()
        per_notebook: dict[str, float] = defaultdict(float)
        if junit.exists():
            for case in ET.parse(junit).iter("testcase"):
                per_notebook[Path(case.get("file") or case.get("classname", "?")).name] += float(case.get("time", 0))

    print(output.strip().splitlines()[-1] if output.strip() else "(no pytest output)")
    print(f"nbval suite: exit {proc.returncode}, wall {wall:.1f} s ({wall / 60:.2f} min), "
          f"peak RSS {peak['tree'] / 2**30:.2f} GiB for the process tree, "
          f"{peak['largest'] / 2**30:.2f} GiB for its largest process")
    print(f"goal: wall ≤ 480 s → ratio {wall / 480:.2f}; peak ≤ 4 GiB → ratio {peak['tree'] / 2**32:.2f}")
    for name, seconds in sorted(per_notebook.items()):
        print(f"  {name:40s} {seconds:6.1f} s")
    if args.json:
        Path(args.json).write_text(json.dumps({"wall_s": wall, "peak_tree_bytes": peak["tree"],
                                               "peak_process_bytes": peak["largest"],
                                               "per_notebook_s": per_notebook, "exit": proc.returncode}, indent=2))
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
