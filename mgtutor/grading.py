"""Grade the notebooks students hand back: ``python -m mgtutor grade SUBMISSIONS/ [--out grades.csv]``.

Part of mgtutor, for instructors (INSTRUCTORS.md describes the whole round: hand out student copies made by
``python -m mgtutor student-copy``, collect the notebooks, grade them). ``SUBMISSIONS/`` holds one folder per student,
named after the student, with that student's notebooks in it (``*.ipynb``, any names); an ``.ipynb`` file directly
in ``SUBMISSIONS/`` is the one notebook of a student named by the file's stem. Hidden files and folders (``.x``,
``.ipynb_checkpoints``) and ``__MACOSX`` are not submissions.

Which course notebook a submission is: the two digits of its title cell's first line, ``# NN · …``, else the file
name's leading ``NN_``; otherwise its row says ``unknown notebook``.

Each submission runs headless, top to bottom, in a fresh kernel in a temporary folder of its own (the submission
file is never modified), in smoke mode with the reference numerics of :data:`mgtutor.notebooks.REFERENCE_ENV`
(``--mode`` chooses another mode), under a time limit on the whole notebook (``--timeout``, default 300 s): the run
is a subprocess in a process group of its own, and at the limit that group and the kernel's are killed. Cells tagged
``solution`` are removed first, so an original notebook handed in by mistake does not grade its own worked answers.

The results come from the checkers, not from printed text: with ``MGTUTOR_GRADE_LOG`` set, every checker call
appends a JSON line (exercise, passed, stub, failures so far) to that file (:func:`mgtutor.checks.log_call`). Each
exercise of the notebook (``mgtutor.course.notebook(NN).exercises``, in order) gets one row of the CSV (columns
:data:`COLUMNS`) with one result of :data:`RESULTS`: ``✔`` (its last attempted call passed), ``hint 1`` / ``hint 2``
(it failed; 2 when it had failed before, the tier where the *Next hint* is shown), ``not attempted`` (only the stub
was checked), ``not run`` (the notebook stopped, on an error or at the time limit, before the checker was called),
``missing`` (the notebook ran to the end without calling it). The ``detail`` of a notebook that stopped names the
error and its cell (counted from 1 in the submitted file, markdown cells included), or the time limit. A file that
is not a notebook gets one row ``unreadable``, one whose number is not the course's ``unknown notebook``; grading
never stops on one submission. The CSV is written atomically, and an existing file only with ``--force``.

Safety: grading runs the students' code with your permissions. It can read, change or delete whatever your account
can, and reach the network. Run it in a container, a virtual machine or an account with nothing to lose, never in
your own home folder; a process the notebook detaches (a daemon) may outlive the time limit. Nor is a grade
tamper-proof: code that writes to the log file, or replaces a checker, can forge a ✔; read the notebooks whose grades
matter.
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from mgtutor.errors import MgtutorError, display_path

DEFAULT_TIMEOUT = 300
"""Seconds a notebook may run, start of the kernel included, before it is stopped (``--timeout``)."""

COLUMNS = ("student", "notebook", "exercise", "result", "detail")
"""The columns of the grades CSV."""

PASSED, HINT_1, HINT_2, NOT_ATTEMPTED, NOT_RUN, MISSING, UNREADABLE, UNKNOWN = (
    "✔", "hint 1", "hint 2", "not attempted", "not run", "missing", "unreadable", "unknown notebook")
RESULTS = (PASSED, HINT_1, HINT_2, NOT_ATTEMPTED, NOT_RUN, MISSING, UNREADABLE, UNKNOWN)
"""Every value of the ``result`` column."""

TITLE = re.compile(r"#\s*(\d\d)\s*·")
FILE_NUMBER = re.compile(r"(\d\d)_")
DETAIL_CHARS = 300
"""The longest error line a ``detail`` quotes."""


class GradingError(MgtutorError, ValueError):
    """The grading cannot start: SUBMISSIONS is not a folder or holds no notebooks, or ``--out`` is taken."""


@dataclass(frozen=True)
class Row:
    """One line of the grades CSV (:data:`COLUMNS`)."""

    student: str
    notebook: str
    exercise: str
    result: str
    detail: str = ""


@dataclass(frozen=True)
class Submission:
    """One notebook file handed in: its student and its path."""

    student: str
    path: Path


@dataclass
class Run:
    """How a notebook's execution ended.

    Attributes:
        status: ``"ok"`` (it ran to the end), ``"error"`` (a cell raised, or it could not run) or ``"timeout"``.
        error: what stopped it, one line: ``"ZeroDivisionError: division by zero"``, ``"time limit of 300 s"``.
        cell: the index, in the executed notebook, of the cell that raised or was running at the time limit.
        calls: the checker calls logged, in order (one dict per call, :func:`mgtutor.checks.log_call`).
    """

    status: str
    error: str = ""
    cell: int | None = None
    calls: list[dict] = field(default_factory=list)


# --------------------------------------------------------------------------- finding the submissions
def _hidden(path: Path) -> bool:
    return path.name.startswith(".") or path.name == "__MACOSX"


def find_submissions(folder: str | os.PathLike) -> list[Submission]:
    """The submissions in ``folder``, by student (sorted), then by file name.

    Raises:
        GradingError: ``folder`` is not a folder, or holds no ``.ipynb`` file.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise GradingError(f"{display_path(folder)}: not a folder; give the folder of submissions (one folder per "
                           "student, holding the student's .ipynb files)")
    found = []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if _hidden(entry):
            continue
        if entry.is_dir():
            found += [Submission(entry.name, path) for path in sorted(entry.glob("*.ipynb"), key=lambda p: p.name)
                      if path.is_file() and not _hidden(path)]
        elif entry.suffix == ".ipynb" and entry.is_file():
            found.append(Submission(entry.stem, entry))
    if not found:
        raise GradingError(f"{display_path(folder)}: holds no notebooks; it should hold one folder per student with "
                           "the student's .ipynb files in it (or one .ipynb file per student)")
    return sorted(found, key=lambda s: s.student)


def notebook_number(nb, path: str | os.PathLike) -> str | None:
    """The course number ``"06"`` a notebook says it is: its title cell's ``# NN · …``, else its file name's ``NN_``.

    Returns None when neither names a notebook of the course.
    """
    from mgtutor import course

    candidates = []
    if nb.cells:
        lines = "".join(nb.cells[0].get("source", "")).strip().splitlines()
        match = TITLE.match(lines[0]) if lines else None
        if match:
            candidates.append(match[1])
    match = FILE_NUMBER.match(Path(path).name)
    if match:
        candidates.append(match[1])
    return next((number for number in candidates if number in course.BY_NUMBER), None)


# --------------------------------------------------------------------------- running one notebook
def without_solutions(nb) -> list[int]:
    """Drop the cells tagged ``solution`` from ``nb``, in place; return the kept cells' numbers in the submitted
    file (counted from 1, markdown cells included), so an error can name the cell the student sees."""
    kept = [(number, cell) for number, cell in enumerate(nb.cells, start=1)
            if "solution" not in (cell.get("metadata", {}).get("tags") or [])]
    nb.cells = [cell for _, cell in kept]
    return [number for number, _ in kept]


def kernel_env(mode: str, log: Path) -> dict[str, str]:
    """The environment of a graded notebook: this process's, with the reference numerics, ``mode``, the checker log,
    and, when this mgtutor is a clone's rather than an installed one, its folder on ``PYTHONPATH`` (so the kernel
    imports the same checkers)."""
    from mgtutor.checks import GRADE_LOG
    from mgtutor.config import DROPPED_ENV
    from mgtutor.notebooks import REFERENCE_ENV

    env = {name: value for name, value in os.environ.items() if name not in DROPPED_ENV}
    env.update(REFERENCE_ENV)
    env["MGTUTOR_MODE"] = mode
    env[GRADE_LOG] = str(log)
    home = Path(__file__).resolve().parent.parent
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    if str(home) not in paths and not {"site-packages", "dist-packages"} & set(home.parts):  # a clone: not installed
        env["PYTHONPATH"] = os.pathsep.join([str(home), *paths])
    return env


def _kill_group(pgid: int) -> None:
    """Kill the process group ``pgid`` (the process itself where there are no groups); gone already is fine."""
    with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
        if hasattr(os, "killpg"):
            os.killpg(pgid, signal.SIGKILL)
        else:  # pragma: no cover - Windows: no process groups to kill
            os.kill(pgid, signal.SIGTERM)


def _stop(process: subprocess.Popen, kernel_pgid: int | None) -> None:
    """Kill the runner ``process``, everything started under it (the kernel has a session of its own, and so may what
    the notebook started), and the kernel's process group; then reap the runner."""
    descendants = []
    with contextlib.suppress(Exception):  # psutil comes with ipykernel; without it, the groups are still killed
        import psutil

        descendants = psutil.Process(process.pid).children(recursive=True)
    if kernel_pgid is not None:
        _kill_group(kernel_pgid)
    _kill_group(process.pid)
    for child in descendants:
        with contextlib.suppress(Exception):
            child.kill()
    process.wait()


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None


def read_log(path: Path) -> list[dict]:
    """The checker calls logged in ``path`` (a line cut short by a kill, or not JSON, is skipped)."""
    calls = []
    with contextlib.suppress(OSError):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            with contextlib.suppress(ValueError):
                call = json.loads(line)
                if isinstance(call, dict) and isinstance(call.get("exercise"), str):
                    calls.append(call)
    return calls


def _one_line(text: str) -> str:
    line = (str(text).strip().splitlines() or [""])[0]
    line = display_path(line)
    return line if len(line) <= DETAIL_CHARS else line[:DETAIL_CHARS] + "…"


def run_notebook(nb, *, timeout: float = DEFAULT_TIMEOUT, mode: str = "smoke", name: str = "submission.ipynb") -> Run:
    """Execute ``nb`` (an nbformat notebook, its solution cells already dropped) in a fresh kernel, in a temporary
    folder, under a time limit of ``timeout`` seconds for the whole notebook, and collect its checker calls.

    The kernel runs in a subprocess started in a new session (:func:`_runner` below); at the time limit, or when the
    grading is interrupted, that subprocess's process group, the kernel's and every process under them are killed
    (:func:`_stop`). After the run, the kernel's process group is killed as well, with whatever the notebook left
    running in it. (A process the notebook detached from all of these, a daemon, is beyond reach: see the safety note
    of the module.)
    """
    import nbformat

    with tempfile.TemporaryDirectory(prefix="mgtutor-grade-", ignore_cleanup_errors=True) as tmp:
        tmp = Path(tmp)
        work = tmp / "work"
        work.mkdir()
        notebook, log, result, kernel, current = (work / name, tmp / "checks.jsonl", tmp / "result.json",
                                                  tmp / "kernel.pgid", tmp / "cell.txt")
        nbformat.write(nb, notebook)
        command = [sys.executable, "-m", "mgtutor.grading", str(notebook), str(result), str(kernel), str(current)]
        with open(tmp / "runner.log", "wb") as output:
            process = subprocess.Popen(command, cwd=work, env=kernel_env(mode, log), stdin=subprocess.DEVNULL,
                                       stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
            timed_out = False
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
            finally:  # at the time limit, or when the grading itself is interrupted (Ctrl-C)
                if process.poll() is None:
                    _stop(process, _read_int(kernel))
        pgid = _read_int(kernel)
        if pgid is not None:  # what the notebook left running in the background
            _kill_group(pgid)
        calls = read_log(log)
        if timed_out:
            return Run("timeout", f"time limit of {timeout:g} s", _read_int(current), calls)
        try:
            outcome = json.loads(result.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            tail = (tmp / "runner.log").read_text(encoding="utf-8", errors="replace").strip().splitlines()
            return Run("error", f"the notebook could not be run (exit status {process.returncode}): "
                                f"{_one_line(tail[-1] if tail else 'no message')}", None, calls)
    if outcome.get("status") == "ok":
        return Run("ok", "", None, calls)
    error = f"{outcome.get('ename') or 'Error'}: {_one_line(outcome.get('evalue') or '')}".rstrip(": ")
    cell = outcome.get("cell")
    if not isinstance(cell, int):
        return Run("error", f"the notebook could not be run: {error}", None, calls)
    return Run("error", error, cell, calls)


def _runner(argv: list[str]) -> int:
    """The subprocess of :func:`run_notebook`: execute a notebook with nbclient and write how it ended as JSON.

    ``argv``: the notebook, the result file, the file to write the kernel's process group to (so the grader can
    kill it at the time limit), and the file that holds the index of the cell running.
    """
    import asyncio

    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    notebook, result, kernel, current = map(Path, argv)
    nb = nbformat.read(notebook, as_version=4)
    state: dict = {"cell": None}

    def started(**_):
        provisioner = getattr(client.km, "provisioner", None)
        pgid = getattr(provisioner, "pgid", None) or getattr(provisioner, "pid", None)
        if pgid:
            kernel.write_text(str(pgid), encoding="ascii")

    def cell_start(cell_index, **_):
        state["cell"] = cell_index
        current.write_text(str(cell_index), encoding="ascii")

    client = NotebookClient(nb, timeout=None, kernel_name="python3", allow_errors=False,
                            resources={"metadata": {"path": str(notebook.parent)}},
                            on_notebook_start=started, on_cell_start=cell_start)
    try:
        client.execute()
        outcome = {"status": "ok"}
    except CellExecutionError as exc:
        outcome = {"status": "error", "cell": state["cell"], "ename": exc.ename, "evalue": exc.evalue}
    except (Exception, asyncio.CancelledError) as exc:  # noqa: BLE001 - the kernel died, or could not start
        outcome = {"status": "error", "cell": state["cell"], "ename": type(exc).__name__, "evalue": str(exc)}
    result.write_text(json.dumps(outcome), encoding="utf-8")
    return 0


# --------------------------------------------------------------------------- results
def exercise_result(name: str, run: Run) -> str:
    """The result of exercise ``name`` in ``run`` (one of :data:`RESULTS`), from its logged checker calls."""
    calls = [call for call in run.calls if call.get("exercise") == name]
    attempted = [call for call in calls if not call.get("stub")]
    if attempted:
        last = attempted[-1]
        if last.get("passed"):
            return PASSED
        failures = last.get("failures")
        return HINT_2 if isinstance(failures, int) and failures > 1 else HINT_1
    if calls:
        return NOT_ATTEMPTED
    return MISSING if run.status == "ok" else NOT_RUN


def grade_submission(submission: Submission, *, timeout: float = DEFAULT_TIMEOUT, mode: str = "smoke") -> list[Row]:
    """The rows of one submission: one per exercise of its notebook, or one ``unreadable`` / ``unknown notebook``
    row. Never raises for what the submission holds."""
    from mgtutor import course
    from mgtutor.notebooks import NotebookFileError, read_notebook

    student, path = submission.student, submission.path
    try:
        nb = read_notebook(path)
    except (OSError, ValueError) as exc:
        cause = exc.__cause__ if isinstance(exc, NotebookFileError) and exc.__cause__ else exc
        return [Row(student, path.name, "", UNREADABLE,
                    f"not a Jupyter notebook ({type(cause).__name__}: {_one_line(str(cause))})")]
    number = notebook_number(nb, path)
    if number is None:
        return [Row(student, path.name, "", UNKNOWN,
                    "its first cell does not start with '# NN · ' nor its name with 'NN_' for a course notebook "
                    f"({', '.join(course.BY_NUMBER)})")]
    exercises = course.notebook(number).exercises
    try:
        numbers = without_solutions(nb)
        run = run_notebook(nb, timeout=timeout, mode=mode, name=path.name)
    except Exception as exc:  # noqa: BLE001 - one submission never stops the grading
        numbers, run = [], Run("error", f"the notebook could not be run: {type(exc).__name__}: {_one_line(str(exc))}")
    return [Row(student, number, name, exercise_result(name, run), stopped(run, numbers)) for name in exercises]


def stopped(run: Run, numbers: list[int]) -> str:
    """The ``detail`` of a notebook that did not run to the end (empty when it did): ``cell 3: ZeroDivisionError:
    division by zero``, ``time limit of 300 s (cell 4 was running)``. ``numbers`` maps the executed notebook's cells
    to the submitted file's (:func:`without_solutions`)."""
    if run.status == "ok":
        return ""
    cell = numbers[run.cell] if run.cell is not None and 0 <= run.cell < len(numbers) else None
    if cell is None:
        return run.error
    return f"{run.error} (cell {cell} was running)" if run.status == "timeout" else f"cell {cell}: {run.error}"


def _order(rows: list[Row]) -> list[Row]:
    """A student's rows: course notebooks in order (their exercises in table order), then the other files."""
    return sorted(rows, key=lambda r: (r.result in (UNREADABLE, UNKNOWN), r.notebook))


def grade(folder: str | os.PathLike, *, timeout: float = DEFAULT_TIMEOUT, mode: str = "smoke",
          progress: Callable[[str, list[Row]], None] | None = None) -> list[Row]:
    """Grade every submission in ``folder`` (see the module's docstring); ``progress(student, rows)`` is called
    after each student (with no rows for a student's folder that holds no notebook).

    Raises:
        GradingError: ``folder`` is not a folder or holds no notebooks; ``timeout`` is not a positive number.
    """
    if not (timeout > 0 and math.isfinite(timeout)):
        raise GradingError(f"--timeout must be a positive number of seconds, got {timeout:g}")
    submissions = find_submissions(folder)
    folders = {p.name for p in Path(folder).iterdir() if p.is_dir() and not _hidden(p)}
    rows: list[Row] = []
    for student in sorted({s.student for s in submissions} | folders):
        graded = [(s.path.name, grade_submission(s, timeout=timeout, mode=mode))
                  for s in submissions if s.student == student]
        count = Counter(found[0].notebook for _, found in graded)
        theirs = []
        for file, found in graded:  # two files of one notebook: each row names its file
            theirs += [r if count[r.notebook] == 1 else
                       replace(r, detail=f"file {display_path(file)}" + (f"; {r.detail}" if r.detail else ""))
                       for r in found]
        theirs = _order(theirs)
        rows += theirs
        if progress is not None:
            progress(student, theirs)
    return rows


def summary(student: str, rows: Iterable[Row]) -> str:
    """One line on a student's results: ``alice: 00 2/2 ✔, 06 1/2 ✔ (not run; cell 3: ZeroDivisionError: …)``."""
    rows = list(rows)
    if not rows:
        return f"{display_path(student)}: no .ipynb file handed in"
    parts: dict[str, list[Row]] = {}
    for row in rows:
        parts.setdefault(row.notebook, []).append(row)
    shown = []
    for notebook, theirs in parts.items():
        if theirs[0].result in (UNREADABLE, UNKNOWN):
            shown.append(f"{notebook} {theirs[0].result}")
            continue
        others = Counter(r.result for r in theirs if r.result != PASSED)
        detail = next((r.detail for r in theirs if r.detail), "")
        counted = ", ".join(f"{n} {result}" if n > 1 else result for result, n in others.items())
        notes = "; ".join(part for part in (counted, detail) if part)
        passed = len(theirs) - sum(others.values())
        shown.append(f"{notebook} {passed}/{len(theirs)} ✔" + (f" ({notes})" if notes else ""))
    return f"{display_path(student)}: " + ", ".join(shown)


# --------------------------------------------------------------------------- the CSV
def _cell(text: str) -> str:
    """A CSV field a spreadsheet shows as text: one starting with = + - @ (a formula) gets a leading apostrophe."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def check_out(out: str | os.PathLike, force: bool = False) -> Path:
    """Refuse an ``--out`` that cannot take the grades, before anything runs.

    Raises:
        GradingError: ``out`` is a folder, lies under a file, or exists and ``force`` is false.
    """
    out = Path(out)
    for folder in out.parents:
        if os.path.lexists(folder) and not folder.is_dir():
            raise GradingError(f"{display_path(out)}: {display_path(folder)} is a file, not a folder")
    if out.is_dir():
        raise GradingError(f"{display_path(out)}: is a folder; give the name of the CSV file to write")
    if os.path.lexists(out) and not force:
        raise GradingError(f"{display_path(out)}: already exists; choose another --out, or use --force to replace it")
    return out


def write_csv(rows: Iterable[Row], out: str | os.PathLike, *, force: bool = False) -> Path:
    """Write ``rows`` to the CSV ``out`` (UTF-8, header :data:`COLUMNS`) atomically; an existing file is replaced
    only with ``force``.

    Raises:
        GradingError: as :func:`check_out`.
    """
    from mgtutor.files import atomic_path

    out = check_out(out, force)
    with atomic_path(out) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(COLUMNS)
            for row in rows:
                writer.writerow([_cell(row.student), _cell(row.notebook), row.exercise, row.result, _cell(row.detail)])
        if os.path.lexists(out) and not force:  # it appeared while the notebooks ran
            raise GradingError(f"{display_path(out)}: was created while grading; use --force to replace it")
    return out


def _tools_installed() -> None:
    import importlib.util

    missing = [name for name in ("nbclient", "nbformat", "ipykernel") if importlib.util.find_spec(name) is None]
    if missing:
        raise GradingError(f"grading needs {', '.join(missing)}: pip install {' '.join(missing)}")


def main(folder, out="grades.csv", *, timeout: float = DEFAULT_TIMEOUT, mode: str = "smoke", force: bool = False,
         echo: Callable[[str], None] = print) -> list[Row]:
    """``python -m mgtutor grade``: check the arguments, grade, echo one line per student, write the CSV (the
    instructors' workflow is in INSTRUCTORS.md).

    Raises:
        GradingError: bad arguments (nothing is run then).
    """
    _tools_installed()
    check_out(out, force)
    find_submissions(folder)
    started = time.monotonic()
    rows = grade(folder, timeout=timeout, mode=mode, progress=lambda student, theirs: echo(summary(student, theirs)))
    write_csv(rows, out, force=force)
    echo(f"{len(rows)} rows written to {display_path(out)} ({time.monotonic() - started:.0f} s)")
    return rows


if __name__ == "__main__":  # the subprocess of run_notebook
    sys.exit(_runner(sys.argv[1:]))
