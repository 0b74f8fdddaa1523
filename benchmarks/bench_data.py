"""Speed of the symbolic-data layer: chorale loading + encoding (cold and warm) and MIDI-folder throughput.

    python benchmarks/bench_data.py [--limit N] [--midi-files 350] [--repeat 3]

1. Chorales: loads music21's Bach chorales (all 371 Riemenschneider entries, or the first
   ``--limit``) and encodes every soprano line as melody-grid tokens and every chorale as a
   (T, 88) piano roll — first with an empty cache in a temporary folder (**cold**: music21
   parses every file), then again in the same process and in a fresh process (**warm**: the
   JSON cache is read). Target: warm ≤ 10 s for all 371.
2. MIDI folder: writes the chorales as MIDI files into a temporary folder, adds the broken
   files of tests/fixtures_midi.py, and loads the folder with ``mgtutor.symbolic.load_midi_folder``
   and with a plain ``pretty_midi.PrettyMIDI`` loop (exceptions caught), reporting files/s for
   both (best of ``--repeat``) and what each did with the broken files.
See: notebooks/04_symbolic_music.ipynb §5.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_and_encode(limit: int | None) -> tuple[int, int, int]:
    """Chorales → melody-grid tokens and piano rolls; returns (pieces, tokens, roll frames)."""
    from mgtutor import data
    from mgtutor.symbolic import sample_piano_roll

    pieces = data.chorales(limit=limit, unique=False)
    melodies = [data.melody_tokens(p) for p in pieces]
    rolls = [sample_piano_roll(p.notes, 1) for p in pieces]
    return len(pieces), sum(map(len, melodies)), sum(len(r) for r in rolls)


def fresh_process_seconds(limit: int | None, cache: str) -> float:
    here = str(Path(__file__).parent)
    code = (f"import time; t = time.perf_counter(); import sys; sys.path.insert(0, {here!r}); "
            f"from bench_data import load_and_encode; load_and_encode({limit!r}); print(time.perf_counter() - t)")
    env = {**os.environ, "MGTUTOR_CACHE": cache, "MGTUTOR_MODE": "full"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def bench_chorales(limit: int | None) -> None:
    with tempfile.TemporaryDirectory() as cache:
        os.environ["MGTUTOR_CACHE"] = cache
        t0 = time.perf_counter()
        n, tokens, frames = load_and_encode(limit)
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        load_and_encode(limit)
        warm = time.perf_counter() - t0
        warm_fresh = fresh_process_seconds(limit, cache)
    print(f"Chorales: {n} pieces → {tokens} melody tokens (sixteenths) and {frames} piano-roll frames (quarters)")
    print(f"  cold (music21 parses, cache written)      {cold:8.1f} s")
    print(f"  warm, same process (cache read)           {warm:8.2f} s")
    print(f"  warm, fresh process (imports + cache)     {warm_fresh:8.2f} s   "
          f"(target ≤ 10 s for 371: {'met' if warm_fresh <= 10 or n < 371 else 'NOT met'})")


def bench_midi_folder(n_files: int, repeat: int) -> None:
    import pretty_midi

    from mgtutor import data, render
    from mgtutor.symbolic import load_midi_folder

    sys.path.insert(0, str(ROOT / "tests"))
    from fixtures_midi import write_midi_fixtures

    pieces = data.chorales(limit=n_files)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for p in pieces:
            render.write_midi(p.notes, folder / f"{p.name.replace('/', '_')}.mid", tempo=p.qpm)
        expected = write_midi_fixtures(folder / "broken")
        files = sorted(folder.rglob("*.mid"))

        def ours():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return load_midi_folder(folder)

        def plain():
            loaded, failed = 0, {}
            for f in files:
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        pretty_midi.PrettyMIDI(str(f))
                    loaded += 1
                except Exception as exc:  # noqa: BLE001  what a plain loop has to do
                    failed[f.name] = type(exc).__name__
            return loaded, failed

        t_ours, t_plain = [], []
        for _ in range(repeat):
            t0 = time.perf_counter()
            got, report = ours()
            t_ours.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            plain_loaded, plain_failed = plain()
            t_plain.append(time.perf_counter() - t0)
    n = len(files)
    print(f"MIDI folder: {n} files ({len(pieces)} chorales + {len(expected)} fixtures, "
          f"{sum(1 for e in expected.values() if e[0] == 'error')} of them broken), best of {repeat}:")
    print(f"  mgtutor load_midi_folder   {n / min(t_ours):8.0f} files/s   "
          f"({len(report.loaded)} loaded, {len(report.skipped)} skipped with a reason)")
    print(f"  plain pretty_midi loop     {n / min(t_plain):8.0f} files/s   "
          f"({plain_loaded} loaded, {len(plain_failed)} raised)")
    print(f"  ratio ours / pretty_midi = {min(t_plain) / min(t_ours):.2f}")
    print("  broken files: mgtutor reason | pretty_midi outcome")
    reasons = {p.name: why for p, why in report.skipped}
    for name in sorted(expected):
        ours_says = reasons.get(name, "loaded")
        print(f"    {name:24s} {ours_says[:70]:70s} | {plain_failed.get(name, 'loaded')}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="first N chorales (default: all 371)")
    parser.add_argument("--midi-files", type=int, default=350, help="chorales written as MIDI files")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-chorales", action="store_true", help="only the MIDI-folder benchmark")
    args = parser.parse_args(argv)
    os.environ["MGTUTOR_MODE"] = "full"
    if not args.skip_chorales:
        bench_chorales(args.limit)
    bench_midi_folder(args.midi_files, args.repeat)


if __name__ == "__main__":
    main()
