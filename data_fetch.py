#!/usr/bin/env python3
"""Fetch the course's real datasets: ``python data_fetch.py list | info | get | verify | path | remove``.

Part of mgtutor: a thin command line over :mod:`mgtutor.fetch` (registry, verified resumable
downloads, safe extraction). The course runs offline on its bundled corpus; this fetches the
real datasets when you want them. See notebooks/10_full_training.ipynb §1.

    python data_fetch.py list                     # every dataset, size, licence, fetched or not
    python data_fetch.py info jsb_chorales        # URLs, checksum and its source, citation, how to load
    python data_fetch.py get jsb_chorales maestro_v3_midi
    python data_fetch.py verify                   # re-hash everything fetched
    python data_fetch.py import nsynth_test ~/Downloads/nsynth-test.jsonwav.tar.gz
    python data_fetch.py path jsb_chorales        # print the folder (for scripts)
    python data_fetch.py remove lakh_full

Options (before or after the command): ``--dest DIR`` (default ``$MGTUTOR_DATA`` or
``~/.cache/mgtutor``), ``--force`` (download/extract/import again), ``--quiet`` (no progress bar,
no per-file lines), ``--wait SECONDS`` (how long to wait for another process fetching the same
file; default 3600).

Exit codes
    0  success
    1  ``verify``: a file is missing or does not match; ``path``: the dataset is not fetched
    2  usage error or unknown dataset name
    3  download failed (HTTP error, retries exhausted; a partial file may be kept for resuming)
    4  offline: no mirror could be reached (the course still runs on its bundled corpus)
    5  checksum or size mismatch (the bad file was deleted)
    6  unsafe archive, or one over the size / file-count / compression-ratio caps
    7  another process is fetching the same file (lock timeout)
    130 interrupted (Ctrl-C); a partial download is kept and resumed next time

Errors are one line on stderr: ``data_fetch: error: …``.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from mgtutor import fetch

EXIT_OK, EXIT_VERIFY, EXIT_USAGE, EXIT_DOWNLOAD, EXIT_OFFLINE, EXIT_CHECKSUM, EXIT_ARCHIVE, EXIT_LOCK = range(8)
EXIT_INTERRUPTED = 130


def _human(n: int | None) -> str:
    if n is None:
        return "?"
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"  # pragma: no cover


def cmd_list(args) -> int:
    rows = []
    for ds in fetch.REGISTRY.values():
        size = _human(ds.total_size) if ds.total_size is not None else ds.approx_size.split(" (")[0]
        state = "fetched" if fetch.is_fetched(ds, args.dest) else "-"
        check = "sha256" if ds.verified else "size" if ds.total_size is not None else "none"
        rows.append((ds.name, size, check, state, ds.licence_short or ds.licence))
    widths = [max(len(r[i]) for r in rows + [("name", "size", "checksum", "status", "")]) for i in range(4)]
    header = ("name", "size", "checksum", "status", "licence")
    for row in [header, *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(row[:4], widths, strict=True)) + "  " + row[4])
    print(f"\ndestination: {Path(args.dest) if args.dest else fetch.default_dest()}   "
          "(`info NAME` for URLs, checksums and their source, citation, how to load)")
    return EXIT_OK


def cmd_info(args) -> int:
    ds = fetch.get_dataset(args.name)
    print(f"{ds.name}: {ds.title}")
    for label, value in (("size", ds.approx_size), ("licence", ds.licence), ("homepage", ds.homepage),
                         ("used for", ds.used_for), ("how to load", ds.how_to_load),
                         ("citation", ds.citation), ("notes", ds.notes)):
        if value:
            print(f"  {label + ':':<12} {value}")
    for f in ds.files:
        print(f"  file:        {f.name} ({_human(f.size)})")
        for url in f.urls:
            print(f"    url:       {url}")
        print(f"    sha256:    {f.sha256 or 'none published'}")
        print(f"    source:    {f.checksum_source}")
    print(f"  folder:      {fetch.dataset_dir(ds, args.dest)}"
          f" ({'fetched' if fetch.is_fetched(ds, args.dest) else 'not fetched'})")
    return EXIT_OK


@contextlib.contextmanager
def _warnings_as_lines():
    """Report each unverified-download warning as one ``data_fetch: warning: …`` line on stderr."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", fetch.UnverifiedDownloadWarning)
        yield
    for w in caught:
        print(f"data_fetch: warning: {w.message}", file=sys.stderr)


def cmd_get(args) -> int:
    for name in args.names:
        fetch.get_dataset(name)  # unknown names fail before anything is downloaded
    for name in args.names:
        with _warnings_as_lines():
            root = fetch.get(name, args.dest, force=args.force, quiet=args.quiet, lock_timeout=args.wait)
        if not args.quiet:
            print(f"{fetch.get_dataset(name).name}: ready in {root}")
    return EXIT_OK


def cmd_import(args) -> int:
    with _warnings_as_lines():
        root = fetch.import_file(args.name, args.file, args.dest, force=args.force)
    if not args.quiet:
        print(f"{fetch.get_dataset(args.name).name}: imported into {root}")
    return EXIT_OK


def cmd_verify(args) -> int:
    if args.names:
        names = [fetch.get_dataset(n).name for n in args.names]
    else:
        names = [n for n in fetch.REGISTRY if fetch.dataset_dir(n, args.dest).exists()]
        if not names:
            print(f"nothing fetched in {Path(args.dest) if args.dest else fetch.default_dest()}")
            return EXIT_OK
    bad = 0
    for name in names:
        for r in fetch.verify(name, args.dest):
            bad += not r.good
            if not args.quiet or not r.good:
                print(f"{r.dataset}/{r.file}: {r.status} ({r.detail})")
    return EXIT_OK if bad == 0 else EXIT_VERIFY


def cmd_path(args) -> int:
    root = fetch.dataset_dir(args.name, args.dest)
    print(root)
    if not fetch.is_fetched(args.name, args.dest):
        print(f"data_fetch: error: {root.name} is not fetched yet; run `python data_fetch.py get {root.name}`",
              file=sys.stderr)
        return EXIT_VERIFY
    return EXIT_OK


def cmd_remove(args) -> int:
    root = fetch.dataset_dir(args.name, args.dest)
    removed = fetch.remove(args.name, args.dest)
    if not args.quiet:
        print(f"removed {root}" if removed else f"nothing to remove at {root}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (options are accepted before or after the command)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--dest", default=argparse.SUPPRESS,
                        help="parent folder of the datasets (default $MGTUTOR_DATA or ~/.cache/mgtutor)")
    common.add_argument("--force", action="store_true", default=argparse.SUPPRESS,
                        help="download, extract or import again")
    common.add_argument("--quiet", action="store_true", default=argparse.SUPPRESS,
                        help="no progress bar or per-file lines")
    common.add_argument("--wait", type=float, default=argparse.SUPPRESS, metavar="SECONDS",
                        help="how long to wait for another process fetching the same file (default 3600)")
    parser = argparse.ArgumentParser(
        prog="data_fetch", parents=[common], description="Fetch, verify and manage the course's datasets.",
        epilog="Exit codes: 0 ok, 1 verify failed / not fetched, 2 usage, 3 download failed, 4 offline, "
               "5 checksum mismatch, 6 unsafe archive, 7 locked, 130 interrupted.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("list", parents=[common], help="list the registry").set_defaults(run=cmd_list)
    p = sub.add_parser("info", parents=[common], help="everything about one dataset")
    p.add_argument("name")
    p.set_defaults(run=cmd_info)
    p = sub.add_parser("get", parents=[common], help="download, verify and extract datasets")
    p.add_argument("names", nargs="+", metavar="NAME")
    p.set_defaults(run=cmd_get)
    p = sub.add_parser("verify", parents=[common], help="re-hash fetched files (all when no NAME)")
    p.add_argument("names", nargs="*", metavar="NAME")
    p.set_defaults(run=cmd_verify)
    p = sub.add_parser("import", parents=[common], help="import a file downloaded by hand")
    p.add_argument("name")
    p.add_argument("file")
    p.set_defaults(run=cmd_import)
    p = sub.add_parser("path", parents=[common], help="print a dataset's folder")
    p.add_argument("name")
    p.set_defaults(run=cmd_path)
    p = sub.add_parser("remove", parents=[common], help="delete a fetched dataset")
    p.add_argument("name")
    p.set_defaults(run=cmd_remove)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (see the module docstring)."""
    args = build_parser().parse_args(argv)
    for name, default in (("dest", None), ("force", False), ("quiet", False), ("wait", 3600.0)):
        if not hasattr(args, name):
            setattr(args, name, default)
    codes = (
        (fetch.UnknownDatasetError, EXIT_USAGE),
        (fetch.OfflineError, EXIT_OFFLINE),
        (fetch.DownloadError, EXIT_DOWNLOAD),
        (fetch.ChecksumError, EXIT_CHECKSUM),
        (fetch.ArchiveError, EXIT_ARCHIVE),
        (fetch.LockTimeoutError, EXIT_LOCK),
        (fetch.FetchError, EXIT_USAGE),
        (FileNotFoundError, EXIT_USAGE),
    )
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("data_fetch: interrupted; a partial download is kept and resumed next time", file=sys.stderr)
        return EXIT_INTERRUPTED
    except tuple(c for c, _ in codes) as exc:
        code = next(code for cls, code in codes if isinstance(exc, cls))
        message = " ".join(str(exc).split())
        print(f"data_fetch: {'' if code == EXIT_OFFLINE else 'error: '}{message}", file=sys.stderr)
        return code


if __name__ == "__main__":
    sys.exit(main())
