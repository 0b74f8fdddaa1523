"""The command line: ``python -m mgtutor <command> ...`` (also installed as ``mgtutor``).

Part of mgtutor. All of the course's argparse code is here, a thin layer over the functions the
notebooks call. Each command is a pair (``add_<name>_parser``, ``run_<name>``) registered in
:data:`COMMANDS`. ``train``, ``generate`` and ``evaluate`` come first and take a task second
(``python -m mgtutor train melody …``); their sub-commands are generated from the task registry
(:mod:`mgtutor.tasks`), and ``--backend`` chooses Keras' backend before Keras is imported (this
module imports neither Keras nor TensorFlow). Errors a user can fix (bad arguments, a missing run
directory) print one line, ``mgtutor: error: …``, and exit with status 2; success exits 0.

``data`` (``python -m mgtutor data list|info|get|verify|import|path|remove``) fetches and
manages the real datasets of :mod:`mgtutor.fetch`; its exit codes are :data:`DATA_EXIT_CODES`.
The top-level script ``data_fetch.py`` runs the same commands through :func:`data_main`.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

from mgtutor import fetch
from mgtutor.errors import CheckpointWarning, MgtutorError, RunVersionWarning, display_path
from mgtutor.tasks import MAX_BATCH_SIZE


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


def add_student_copy_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "student-copy", help="copy the notebooks without their solution cells (for a class)",
        description="Copy the notebooks without their solution cells (for a class): the cells tagged solution "
                    "are dropped and the stored outputs of the exercise cells cleared; every exercise keeps its stub "
                    "and its checker. By default the notebooks are taken from the notebooks/ folder of a clone of the "
                    "repository; outside a clone (the package installed from a wheel or a git URL), give the "
                    "notebooks' paths, e.g. downloaded .ipynb files.")
    p.add_argument("out_dir", metavar="OUT_DIR", help="folder to write the copies to")
    p.add_argument("notebooks", nargs="*",
                   help="notebooks to copy (default: every course notebook in the notebooks/ folder of a clone of the "
                        "repository; outside a clone, give the paths of the .ipynb files)")
    p.add_argument("--force", action="store_true",
                   help="replace notebooks of the same name already in OUT_DIR (by default nothing is copied then)")
    return p


def run_student_copy(args) -> int:
    from mgtutor.notebooks import course_notebooks, student_copy

    paths = args.notebooks or course_notebooks()
    for path in student_copy(paths, args.out_dir, force=args.force):
        print(path)
    return 0


def add_course_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("course", help="print the notebook table (titles, prerequisites, estimated minutes, "
                       "optional sections) or a course plan",
                       description="Print the notebook table of mgtutor.course, or with --plan a course plan by "
                       "weeks (INSTRUCTORS.md). --check and --write-docs work in a clone of the repository: they "
                       "compare (or rewrite) the rendered blocks of README.md and INSTRUCTORS.md and the time line "
                       "of each notebook's title cell.")
    p.add_argument("--plan", type=int, metavar="WEEKS", help="print the plan of this many weeks (6 or 12)")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--check", action="store_true", help="exit 1 if a document or title cell disagrees")
    what.add_argument("--write-docs", action="store_true", help="rewrite what disagrees")
    return p


def run_course(args) -> int:
    from mgtutor import course
    from mgtutor.config import ROOT

    if args.check or args.write_docs:
        if not (ROOT / "notebooks").is_dir():
            raise course.CourseError(f"{display_path(str(ROOT))}: not a clone of the repository (no notebooks/ "
                                     "folder); --check and --write-docs work in a clone only")
        stale = course.sync(ROOT, write=args.write_docs)
        for line in stale:
            print(("rewrote " if args.write_docs else "disagrees: ") + line)
        return 1 if stale and args.check else 0
    print(course.plan_markdown(args.plan) if args.plan is not None else course.table_markdown())
    return 0


def add_grade_parser(sub) -> argparse.ArgumentParser:
    from mgtutor.config import MODES
    from mgtutor.grading import DEFAULT_TIMEOUT

    p = sub.add_parser(
        "grade", help="run the notebooks students hand back and write one CSV row per student and exercise",
        description="Grade the notebooks in SUBMISSIONS: one folder per student (the folder's name is the student's), "
                    "holding the student's .ipynb files; an .ipynb file directly in SUBMISSIONS is one student's "
                    "single notebook. Each notebook runs in a fresh kernel in a temporary folder, without its cells "
                    "tagged solution, and each exercise's result comes from its checker: ✔, hint 1, hint 2, not "
                    "attempted, not run (the notebook stopped first), missing. WARNING: this runs the students' code "
                    "with your permissions; run it in a container or an account with nothing to lose. See "
                    "INSTRUCTORS.md.",
        epilog="The CSV's columns: student, notebook, exercise, result, detail (for a notebook that stopped: the "
               "error and its cell, or the time limit). A file that is not a notebook gets one row 'unreadable', one "
               "that is no course notebook one row 'unknown notebook'. Exit status: 0 when every notebook was graded "
               "(wrong answers included), 2 for bad arguments, 130 when interrupted.")
    p.add_argument("submissions", metavar="SUBMISSIONS", help="the folder of submissions")
    p.add_argument("--out", default="grades.csv", metavar="FILE",
                   help="the CSV to write (default: grades.csv in the current folder); an existing file is replaced "
                        "only with --force")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                   help=f"time limit of each notebook, start to end (default {DEFAULT_TIMEOUT}); a notebook stopped "
                        "there gets 'not run' for the exercises it had not reached")
    p.add_argument("--mode", choices=MODES, default="smoke",
                   help="MGTUTOR_MODE of the notebooks (default smoke: tiny data and epochs)")
    p.add_argument("--force", action="store_true", help="replace the file --out names if it exists")
    return p


def run_grade(args) -> int:
    """Grade the submissions; exit 0 when every notebook was graded, whatever its answers."""
    from mgtutor import grading

    try:
        grading.main(args.submissions, args.out, timeout=args.timeout, mode=args.mode, force=args.force,
                     echo=lambda line: print(one_line(line), flush=True))
    except KeyboardInterrupt:
        print("mgtutor: grading interrupted; the notebook running was stopped and no CSV was written", file=sys.stderr)
        return 130
    return 0


def add_repo_url_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("repo-url", help="point every notebook's Colab badge and install cell at the repository "
                       "(default: the address in pyproject.toml's [project.urls])")
    p.add_argument("url", nargs="?", metavar="URL",
                   help="the repository, https://github.com/OWNER/REPO (default: mgtutor.colab.REPO_URL)")
    p.add_argument("--check", action="store_true",
                   help="change nothing; list what disagrees with URL and exit 1 if anything does")
    p.add_argument("--notebooks", metavar="DIR", default=None,
                   help="the folder of NN_*.ipynb notebooks (default: the course's notebooks/)")
    return p


def run_repo_url(args) -> int:
    from mgtutor.colab import REPO_URL
    from mgtutor.config import ROOT
    from mgtutor.notebooks import NotebookFileError, set_repository

    url = args.url or REPO_URL
    folder = Path(args.notebooks) if args.notebooks else ROOT / "notebooks"
    paths = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
    if not paths:
        raise NotebookFileError(f"{display_path(str(folder))}: no NN_*.ipynb notebooks there; give --notebooks DIR")
    changed = set_repository(paths, url, check=args.check)
    for path, changes in changed.items():
        for change in changes:
            print(f"{display_path(path.name)}: {change}")
    if args.check:
        if changed:
            print(f"{len(changed)} of {len(paths)} notebooks disagree with {url}; to rewrite them: "
                  f"python -m mgtutor repo-url {url}")
            return 1
        print(f"all {len(paths)} notebooks point at {url}")
    else:
        print(f"{len(changed)} of {len(paths)} notebooks rewritten to point at {url}")
    return 0


# --------------------------------------------------------------------------- data: the real datasets

EXIT_OK, EXIT_VERIFY, EXIT_USAGE, EXIT_DOWNLOAD, EXIT_OFFLINE, EXIT_CHECKSUM, EXIT_ARCHIVE, EXIT_LOCK = range(8)
EXIT_INTERRUPTED = 130

#: The exit codes of ``data`` (and ``data_fetch.py``), as its ``--help`` lists them.
DATA_EXIT_CODES: tuple[tuple[int, str], ...] = (
    (EXIT_OK, "success"),
    (EXIT_VERIFY, "verify: a file is missing or does not match; path: the dataset is not fetched"),
    (EXIT_USAGE, "usage error or unknown dataset name"),
    (EXIT_DOWNLOAD, "download failed (HTTP error, retries exhausted; a partial file may be kept for resuming)"),
    (EXIT_OFFLINE, "offline: no mirror could be reached (the course still runs on its bundled corpus)"),
    (EXIT_CHECKSUM, "checksum or size mismatch (the bad file was deleted)"),
    (EXIT_ARCHIVE, "unsafe archive, or one over the size / file-count / compression-ratio caps"),
    (EXIT_LOCK, "another process is fetching the same file (lock timeout)"),
    (EXIT_INTERRUPTED, "interrupted (Ctrl-C); a partial download is kept and resumed next time"),
)

# The one place where fetch's exceptions become exit codes; the first matching class wins.
_DATA_ERROR_CODES: tuple[tuple[type[BaseException], int], ...] = (
    (fetch.UnknownDatasetError, EXIT_USAGE),
    (fetch.OfflineError, EXIT_OFFLINE),
    (fetch.DownloadError, EXIT_DOWNLOAD),
    (fetch.ChecksumError, EXIT_CHECKSUM),
    (fetch.ArchiveError, EXIT_ARCHIVE),
    (fetch.LockTimeoutError, EXIT_LOCK),
    (fetch.FetchError, EXIT_USAGE),
    (FileNotFoundError, EXIT_USAGE),
)

_DATA_DEFAULTS = (("dest", None), ("force", False), ("quiet", False), ("wait", 3600.0))
_DATA_DESCRIPTION = "Fetch, verify and manage the course's datasets."


def _data_epilog() -> str:
    rows = "\n".join(f"  {code:<4} {text}" for code, text in DATA_EXIT_CODES)
    return f"exit codes:\n{rows}\n\nOptions are accepted before or after the command."


def _human(n: int | None) -> str:
    if n is None:
        return "?"
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"  # pragma: no cover


def _dest_shown(args) -> Path:
    return Path(args.dest) if args.dest else fetch.default_dest()


def _data_list(args) -> int:
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
    print(f"\ndestination: {_dest_shown(args)}   "
          "(`info NAME` for URLs, checksums and their source, citation, how to load)")
    return EXIT_OK


def _data_info(args) -> int:
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
def _warnings_as_lines(prog: str):
    """Report each unverified-download warning as one ``<prog>: warning: …`` line on stderr."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", fetch.UnverifiedDownloadWarning)
        yield
    for w in caught:
        print(f"{prog}: warning: {w.message}", file=sys.stderr)


def _data_get(args) -> int:
    for name in args.names:
        fetch.get_dataset(name)  # unknown names fail before anything is downloaded
    for name in args.names:
        with _warnings_as_lines(args.data_prog):
            root = fetch.get(name, args.dest, force=args.force, quiet=args.quiet, lock_timeout=args.wait)
        if not args.quiet:
            print(f"{fetch.get_dataset(name).name}: ready in {root}")
    return EXIT_OK


def _data_import(args) -> int:
    with _warnings_as_lines(args.data_prog):
        root = fetch.import_file(args.name, args.file, args.dest, force=args.force)
    if not args.quiet:
        print(f"{fetch.get_dataset(args.name).name}: imported into {root}")
    return EXIT_OK


def _data_verify(args) -> int:
    if args.names:
        names = [fetch.get_dataset(n).name for n in args.names]
    else:
        names = [n for n in fetch.REGISTRY if fetch.dataset_dir(n, args.dest).exists()]
        if not names:
            print(f"nothing fetched in {_dest_shown(args)}")
            return EXIT_OK
    bad = 0
    for name in names:
        for r in fetch.verify(name, args.dest):
            bad += not r.good
            if not args.quiet or not r.good:
                print(f"{r.dataset}/{r.file}: {r.status} ({r.detail})")
    return EXIT_OK if bad == 0 else EXIT_VERIFY


def _data_path(args) -> int:
    root = fetch.dataset_dir(args.name, args.dest)
    print(root)
    if not fetch.is_fetched(args.name, args.dest):
        print(f"{args.data_prog}: error: {root.name} is not fetched yet; run `{args.data_invocation} get {root.name}`",
              file=sys.stderr)
        return EXIT_VERIFY
    return EXIT_OK


def _data_remove(args) -> int:
    root = fetch.dataset_dir(args.name, args.dest)
    removed = fetch.remove(args.name, args.dest)
    if not args.quiet:
        print(f"removed {root}" if removed else f"nothing to remove at {root}")
    return EXIT_OK


def _data_options() -> argparse.ArgumentParser:
    """The options every data command takes, given to each level so they go before or after the command."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--dest", default=argparse.SUPPRESS,
                        help="parent folder of the datasets (default $MGTUTOR_DATA or ~/.cache/mgtutor)")
    common.add_argument("--force", action="store_true", default=argparse.SUPPRESS,
                        help="download, extract or import again")
    common.add_argument("--quiet", action="store_true", default=argparse.SUPPRESS,
                        help="no progress bar or per-file lines")
    common.add_argument("--wait", type=float, default=argparse.SUPPRESS, metavar="SECONDS",
                        help="how long to wait for another process fetching the same file (default 3600)")
    return common


def _add_data_commands(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="data_command", required=True, metavar="COMMAND")
    sub.add_parser("list", parents=[common], help="list the registry").set_defaults(data_run=_data_list)
    p = sub.add_parser("info", parents=[common], help="everything about one dataset")
    p.add_argument("name")
    p.set_defaults(data_run=_data_info)
    p = sub.add_parser("get", parents=[common], help="download, verify and extract datasets")
    p.add_argument("names", nargs="+", metavar="NAME")
    p.set_defaults(data_run=_data_get)
    p = sub.add_parser("verify", parents=[common], help="re-hash fetched files (all when no NAME)")
    p.add_argument("names", nargs="*", metavar="NAME")
    p.set_defaults(data_run=_data_verify)
    p = sub.add_parser("import", parents=[common], help="import a file downloaded by hand")
    p.add_argument("name")
    p.add_argument("file")
    p.set_defaults(data_run=_data_import)
    p = sub.add_parser("path", parents=[common], help="print a dataset's folder")
    p.add_argument("name")
    p.set_defaults(data_run=_data_path)
    p = sub.add_parser("remove", parents=[common],
                       help="delete a fetched dataset (nothing, if its folder holds files of yours)")
    p.add_argument("name")
    p.set_defaults(data_run=_data_remove)


def add_data_parser(sub) -> argparse.ArgumentParser:
    common = _data_options()
    p = sub.add_parser("data", parents=[common], help="fetch, verify and manage the real datasets",
                       description=_DATA_DESCRIPTION, epilog=_data_epilog(),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_data_commands(p, common)
    p.set_defaults(data_prog="mgtutor", data_invocation="python -m mgtutor data")
    return p


def build_data_parser(prog: str = "data_fetch", invocation: str = "python data_fetch.py") -> argparse.ArgumentParser:
    """The data commands as a program of their own: ``prog`` names it in messages, ``invocation`` in hints."""
    common = _data_options()
    parser = argparse.ArgumentParser(prog=prog, parents=[common], description=_DATA_DESCRIPTION,
                                     epilog=_data_epilog(), formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_data_commands(parser, common)
    parser.set_defaults(run=run_data, data_prog=prog, data_invocation=invocation)
    return parser


def run_data(args) -> int:
    """Run one data command; fetch's errors become one stderr line and an exit code of :data:`DATA_EXIT_CODES`."""
    for name, default in _DATA_DEFAULTS:
        if not hasattr(args, name):
            setattr(args, name, default)
    prog = args.data_prog
    try:
        return args.data_run(args)
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; a partial download is kept and resumed next time", file=sys.stderr)
        return EXIT_INTERRUPTED
    except tuple(cls for cls, _ in _DATA_ERROR_CODES) as exc:
        code = next(code for cls, code in _DATA_ERROR_CODES if isinstance(exc, cls))
        message = " ".join(str(exc).split())
        print(f"{prog}: {'' if code == EXIT_OFFLINE else 'error: '}{message}", file=sys.stderr)
        return code


def data_main(argv: Sequence[str] | None = None, prog: str = "data_fetch",
              invocation: str = "python data_fetch.py") -> int:
    """Run the data commands as the program ``prog`` (``data_fetch.py``); return the exit code."""
    return run_data(build_data_parser(prog, invocation).parse_args(argv))


# --------------------------------------------------------------------------- train | generate | evaluate <task>

BACKENDS = ("tensorflow", "jax", "torch")


VERB_HELP = {
    "train": "train a course model and write a run directory (the same command resumes an unfinished one)",
    "generate": "generate music with a trained run",
    "evaluate": "score a trained run on its held-out data, or check generated music against a corpus",
}


def add_task_verb_parser(sub, verb: str) -> argparse.ArgumentParser:
    """``<verb> <task> [options]``, one sub-command per task of :data:`mgtutor.tasks.TASKS` that has the verb."""
    from mgtutor.tasks import tasks

    names = [name for name, task in tasks().items() if verb in task.verbs]
    p = sub.add_parser(verb, help=VERB_HELP[verb], description=f"{VERB_HELP[verb]}. Tasks: {', '.join(names)}.")
    p.add_argument("--backend", choices=BACKENDS, default=None,
                   help="Keras backend for this command (default: $KERAS_BACKEND, else tensorflow)")
    by_task = p.add_subparsers(dest="task", required=True, metavar="TASK")
    for name in names:
        task = tasks()[name]
        options, run = task.verbs[verb]
        q = by_task.add_parser(name, aliases=list(task.aliases), help=task.help, description=task.help)
        q.add_argument("--backend", choices=BACKENDS, default=argparse.SUPPRESS,
                       help="the same as --backend before the task")
        for o in options:
            q.add_argument(*o.flags, **o.spec)
        q.set_defaults(task_run=run)
    return p


UPPER_BOUNDS = {"frames": 100_000, "n": 100_000, "length": 100_000, "batch_size": MAX_BATCH_SIZE}
"""The largest value each size option of a task accepts (by its argparse ``dest``): far above what the course uses,
far below what would exhaust the memory or the hours of a laptop (``--frames``: frames of a piano roll; ``--n``:
generated bars or notes; ``--length``: melody tokens; ``--batch-size``: the training settings' own bound, named here
before any data is loaded)."""


def check_task_args(args) -> None:
    """The checks every task verb shares, before anything is loaded: the seed rule (:func:`mgtutor.config
    .check_seed`) and :data:`UPPER_BOUNDS`.

    Raises:
        ConfigError: naming the option.
    """
    from mgtutor import config
    from mgtutor.errors import ConfigError

    if getattr(args, "seed", None) is not None:
        try:
            config.check_seed(args.seed)
        except ConfigError as exc:
            raise ConfigError(f"--seed: {exc}") from None
    for dest, bound in UPPER_BOUNDS.items():
        value = getattr(args, dest, None)
        if value is not None and value > bound:
            raise ConfigError(f"--{dest.replace('_', '-')} must be at most {bound:,}, got {value:,}")


def run_task(args) -> int:
    """Check the shared options (:func:`check_task_args`), select the Keras backend (before Keras is imported),
    then run the task's verb."""
    check_task_args(args)
    if args.backend:
        import importlib.util

        if importlib.util.find_spec(args.backend) is None:
            raise MgtutorError(f"--backend {args.backend}: the {args.backend} package is not installed here")
        if "keras" in sys.modules and os.environ.get("KERAS_BACKEND") != args.backend:
            raise MgtutorError(f"--backend {args.backend}: Keras is already imported with the "
                               f"{os.environ.get('KERAS_BACKEND')} backend in this process; run the command anew")
        os.environ["KERAS_BACKEND"] = args.backend
    with _one_line_warnings(CheckpointWarning, RunVersionWarning):
        return args.task_run(args)


@contextlib.contextmanager
def _one_line_warnings(*categories: type[Warning]):
    """Print each warning of ``categories`` at once as one line ``mgtutor: warning: …`` on stderr."""
    with warnings.catch_warnings():
        for category in categories:
            warnings.simplefilter("always", category)
        shown = warnings.showwarning

        def show(message, cls, filename, lineno, file=None, line=None):
            if issubclass(cls, categories):
                print(f"mgtutor: warning: {one_line(str(message))}", file=sys.stderr, flush=True)
            else:
                shown(message, cls, filename, lineno, file, line)

        warnings.showwarning = show
        yield


# --------------------------------------------------------------------------- demo


def add_demo_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("demo", help="offline end-to-end demo: a melody from the shipped model (or one trained here), "
                       "written as MIDI/MusicXML/WAV/PNG")
    p.add_argument("--out", default="demo_out", help="output folder (default demo_out/)")
    p.add_argument("--seed", type=int, default=0, help="seed for training and sampling (default 0)")
    p.add_argument("--train", action="store_true",
                   help="train a small model into OUT/run first (a few minutes on two CPU cores) instead of sampling "
                        "from the run shipped with the package")
    p.add_argument("--force", action="store_true",
                   help="replace output files and a run in OUT/run that an earlier demo did not write (a folder "
                        "holding anything but a run's own files is still refused)")
    return p


def run_demo(args) -> int:
    """Run the demo and print one line per file it wrote."""
    from mgtutor import config, demo

    config.check_seed(args.seed)
    demo.check_out(args.out, args.force)
    doing = "training on the bundled Bach chorales" if args.train else "sampling from the shipped melody model"
    print(f"mgtutor demo ({config.mode()} mode, seed {args.seed}): {doing}…", flush=True)
    for item in demo.run_demo(args.out, args.seed, force=args.force, train=args.train):
        print(f"  {item}")
    return 0


def add_probe_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("probe", help="try each distribution engine on this machine (two workers on 127.0.0.1, two "
                       "logical CPU devices) and say which work with the installed versions")
    p.add_argument("--engine", action="append", default=None,
                   help="probe only this engine (repeatable; default: all, in the order they are preferred: "
                        "tf-mwms-fit, tf-mwms-loop, jax-multiprocess, tf-mirrored, jax-data-parallel)")
    p.add_argument("--timeout", type=float, default=180.0, help="seconds per engine (default 180)")
    p.add_argument("--json", action="store_true", help="one JSON object instead of the table")
    p.add_argument("--record", metavar="FILE", default=None,
                   help="also append the result to FILE as one JSON line, the form of the course's record "
                        "(mgtutor/shipped/distribute-probe.jsonl, shown as distribute.PROBED)")
    return p


def run_probe(args) -> int:
    """Print one line per engine, then the engines chosen for several machines and for one machine."""
    import json
    from dataclasses import asdict

    from mgtutor import distribute
    from mgtutor.distribute import probing

    results = distribute.probe(args.engine, timeout=args.timeout)
    chosen = probing.choices(results)
    if args.record:
        command = " ".join(["python -m mgtutor probe", *(f"--engine {e}" for e in args.engine or ())])
        with open(args.record, "a", encoding="utf-8") as f:
            f.write(json.dumps(probing.record(results, command), ensure_ascii=False) + "\n")
    if args.json:
        print(json.dumps({"versions": distribute.versions(), "results": [asdict(r) for r in results],
                          "chosen": chosen}))
        return 0
    print("versions: " + ", ".join(f"{k} {v}" for k, v in distribute.versions().items()))
    for r in results:
        print(f"{r.engine:<18} {r.kind:<13} {r.detail} ({r.seconds:.0f} s)")
    print(f"chosen: several machines → {chosen['multi-worker']}; one machine → "
          f"{chosen['one-host']['tensorflow']} (tensorflow), {chosen['one-host']['jax']} (jax)")
    return 0


COMMANDS: dict[str, tuple[Callable, Callable]] = {
    **{verb: (functools.partial(add_task_verb_parser, verb=verb), run_task) for verb in VERB_HELP},
    "course": (add_course_parser, run_course),
    "data": (add_data_parser, run_data),
    "demo": (add_demo_parser, run_demo),
    "execute": (add_execute_parser, run_execute),
    "grade": (add_grade_parser, run_grade),
    "probe": (add_probe_parser, run_probe),
    "repo-url": (add_repo_url_parser, run_repo_url),
    "student-copy": (add_student_copy_parser, run_student_copy),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mgtutor", description="mgtutor course tools: "
                                     "python -m mgtutor train|generate|evaluate TASK …, data …, demo, execute")
    sub = parser.add_subparsers(dest="command", required=True)
    for add_parser, run in COMMANDS.values():
        add_parser(sub).set_defaults(run=run)
    return parser


MAX_MESSAGE_CHARS = 1000
"""The longest error or warning line the command line prints (a message quoting a huge value is cut)."""


def one_line(message: str) -> str:
    """``message`` safe for a terminal: control characters other than line breaks escaped (a file name holding
    an escape sequence cannot colour or move the terminal; :func:`mgtutor.errors.display_path`), and each line cut
    to :data:`MAX_MESSAGE_CHARS`."""
    lines = [display_path(line) for line in message.split("\n")]
    return "\n".join(line if len(line) <= MAX_MESSAGE_CHARS else line[:MAX_MESSAGE_CHARS] + "… (cut)" for line in lines)


def _unexpected_errors() -> tuple[type[BaseException], ...]:
    """What the last resort of :func:`main` turns into one line: the file system, memory, bad values, notebooks."""
    errors: tuple[type[BaseException], ...] = (OSError, MemoryError, ValueError)
    with contextlib.suppress(ImportError):
        from nbformat import ValidationError

        errors += (ValidationError,)
    return errors


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; a course error (bad input, missing run) is one line ``mgtutor: error: …`` and exit 2.

    As the last resort, an ``OSError`` (a full disk, a file that cannot be written), a ``MemoryError``, a
    ``ValueError`` or a notebook-format error from below the course's own checks is one line too, naming its type;
    set ``MGTUTOR_DEBUG=1`` to see its traceback as well.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status = args.run(args)
        sys.stdout.flush()  # inside the try: a reader that went away is seen here, not at exit
        return status
    except BrokenPipeError:
        # the reader of the output went away (`… | head`): not an error; stop writing, quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (MgtutorError, FileNotFoundError) as exc:
        print(f"mgtutor: error: {one_line(str(exc))}", file=sys.stderr)
        return 2
    except _unexpected_errors() as exc:
        if os.environ.get("MGTUTOR_DEBUG"):
            import traceback

            traceback.print_exc()
        what = " ".join(str(exc).split()) or "no message"
        print(f"mgtutor: error: {one_line(f'{type(exc).__name__}: {what}')} (MGTUTOR_DEBUG=1 shows the traceback)",
              file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
