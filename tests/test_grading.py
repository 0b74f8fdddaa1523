"""`python -m mgtutor grade`: planted submissions built from the course's real exercise cells, graded by the
checkers' own log, one kernel per notebook, under a time limit, into a CSV that never replaces a file unasked."""

from __future__ import annotations

import csv
import json
import os
import time
import uuid
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from mgtutor import checks, cli, course, grading
from mgtutor.notebooks import checker_calls, read_notebook, student_copy

pytestmark = pytest.mark.timeout(300)

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
SETUP = "import numpy as np\nfrom mgtutor import checks, config"  # the setup cells import these


def exercise_cells(number: str) -> dict[str, tuple[str, str]]:
    """``{checker: (stub cell source, solution cell source)}`` of a real course notebook."""
    found: dict[str, dict[bool, str]] = {}
    for cell in read_notebook(NOTEBOOKS / course.notebook(number).file).cells:
        if cell.cell_type == "code":
            solution = "solution" in (cell.metadata.get("tags") or [])
            for name in checker_calls(cell.source):
                found.setdefault(name, {})[solution] = cell.source
    return {name: (pair[False], pair[True]) for name, pair in found.items()}


def answered(number: str, name: str, answer: str | None = None) -> str:
    """The stub cell of exercise ``name`` with its placeholder replaced by ``answer`` (a body line, or the right-hand
    side of ``x = ...``); None gives the worked solution, as a student who got it right would write it."""
    stub, solution = exercise_cells(number)[name]
    if answer is None:
        return "\n".join(line for line in solution.splitlines() if not line.startswith("# @title"))
    for placeholder in ("...  # your code", "= ...\n"):
        if placeholder in stub:
            return stub.replace(placeholder, answer if placeholder.startswith("...") else f"= {answer}\n", 1)
    raise AssertionError(f"no placeholder in the stub of {name}: {stub!r}")


def planted(path: Path, number: str, *cells, title: str | None = None, solutions: tuple[str, ...] = ()) -> Path:
    """A notebook handed in: the title cell, the setup line, then ``cells`` (sources); ``solutions`` are added as
    cells tagged ``solution`` (an original notebook submitted by mistake)."""
    nb = new_notebook(cells=[new_markdown_cell(title or f"# {number} · {course.notebook(number).title}"),
                             new_code_cell(SETUP)])
    nb.cells += [new_code_cell(source) for source in cells]
    for source in solutions:
        cell = new_code_cell(source)
        cell.metadata["tags"] = ["solution"]
        nb.cells.append(cell)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


WRONG_TOP_K = "return np.exp(logits) / np.exp(logits).sum()"  # plain softmax: ignores k
WRONG_LABELS = ('{"STFT magnitude": "time domain", "MFCC": "time domain", "RMS energy": "time domain", '
                '"zero-crossing rate": "time domain", "log-mel spectrogram": "time–frequency"}')


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def by_student(rows: list[dict]) -> dict[str, dict[str, dict]]:
    found: dict[str, dict[str, dict]] = {}
    for row in rows:
        found.setdefault(row["student"], {})[row["exercise"] or row["notebook"]] = row
    return found


def alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, dead but not yet reaped by its new parent, does not)."""
    psutil = pytest.importorskip("psutil")
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def marked(marker: str) -> list[int]:
    """The live processes whose environment holds ``MGTUTOR_TEST_MARK=marker`` (what a grading run started)."""
    psutil = pytest.importorskip("psutil")
    found = []
    for process in psutil.process_iter():
        try:
            if (process.pid != os.getpid() and process.environ().get("MGTUTOR_TEST_MARK") == marker
                    and process.status() != psutil.STATUS_ZOMBIE):
                found.append(process.pid)
        except (psutil.Error, OSError):
            continue
    return found


# --------------------------------------------------------------------------- one graded class, many cases
@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Planted submissions, one student per case, graded once through the command line."""
    root = tmp_path_factory.mktemp("grading")
    subs, background = root / "submissions", root / "background.pid"
    planted(subs / "fn_right" / "06_melody_generation.ipynb", "06", answered("06", "top_k_exercise"),
            exercise_cells("06")["top_p_exercise"][0])
    planted(subs / "fn_wrong" / "my_work.ipynb", "06", answered("06", "top_k_exercise", WRONG_TOP_K),
            answered("06", "top_p_exercise"))
    planted(subs / "value_right" / "00.ipynb", "00", answered("00", "feature_domain_exercise"),
            exercise_cells("00")["mode_exercise"][0])
    planted(subs / "value_wrong" / "00.ipynb", "00", answered("00", "feature_domain_exercise", WRONG_LABELS),
            answered("00", "mode_exercise"))
    planted(subs / "twice" / "06.ipynb", "06", answered("06", "top_k_exercise", WRONG_TOP_K),
            "checks.top_k_exercise(top_k_probs)")
    planted(subs / "broken" / "06.ipynb", "06", answered("06", "top_k_exercise"), "x = 1 / 0",
            answered("06", "top_p_exercise"))  # cell 3 (of the file, counted from 1) raises
    stubs, solutions = zip(*exercise_cells("06").values(), strict=True)
    planted(subs / "original" / "06_melody_generation.ipynb", "06", *stubs, solutions=solutions)
    planted(subs / "missing" / "06.ipynb", "06", answered("06", "top_k_exercise"),
            f"import subprocess\nbg = subprocess.Popen(['sleep', '300'])\nopen({str(background)!r}, 'w')"
            ".write(str(bg.pid))")  # never calls top_p_exercise; leaves a process running
    planted(subs / "zoe.ipynb", "06", answered("06", "top_k_exercise"))  # one student, one file
    (subs / "unreadable").mkdir()
    (subs / "unreadable" / "06.ipynb").write_text("{ not json", encoding="utf-8")
    (subs / "unreadable" / "list.ipynb").write_text("[1, 2]", encoding="utf-8")
    planted(subs / "unknown" / "notes.ipynb", "06", title="# 42 · A notebook of another course")
    (subs / ".ipynb_checkpoints").mkdir()
    planted(subs / ".ipynb_checkpoints" / "06-checkpoint.ipynb", "06")  # not a student
    before = {p: p.read_bytes() for p in subs.rglob("*") if p.is_file()}
    out = root / "grades.csv"
    started = time.monotonic()
    code = cli.main(["grade", str(subs), "--out", str(out)])
    return {"code": code, "rows": read_csv(out), "out": out, "subs": subs, "before": before,
            "background": background, "seconds": time.monotonic() - started}


def test_a_function_answer_right_and_wrong(graded):
    rows = by_student(graded["rows"])
    assert rows["fn_right"]["top_k_exercise"]["result"] == "✔"
    assert rows["fn_right"]["top_p_exercise"]["result"] == "not attempted"
    assert rows["fn_wrong"]["top_k_exercise"]["result"] == "hint 1"
    assert rows["fn_wrong"]["top_p_exercise"]["result"] == "✔"
    assert rows["fn_wrong"]["top_k_exercise"]["notebook"] == "06"  # from the title cell, whatever the file's name
    assert all(r["detail"] == "" for r in (*rows["fn_right"].values(), *rows["fn_wrong"].values()))


def test_a_value_answer_right_and_wrong(graded):
    rows = by_student(graded["rows"])
    assert rows["value_right"]["feature_domain_exercise"]["result"] == "✔"
    assert rows["value_right"]["mode_exercise"]["result"] == "not attempted"
    assert rows["value_wrong"]["feature_domain_exercise"]["result"] == "hint 1"
    assert rows["value_wrong"]["mode_exercise"]["result"] == "✔"


def test_a_wrong_answer_checked_twice_reaches_the_second_hint(graded):
    assert by_student(graded["rows"])["twice"]["top_k_exercise"]["result"] == "hint 2"


def test_a_notebook_that_raises_stops_its_later_exercises_and_keeps_the_earlier_results(graded):
    rows = by_student(graded["rows"])["broken"]
    assert rows["top_k_exercise"]["result"] == "✔" and rows["top_p_exercise"]["result"] == "not run"
    assert rows["top_p_exercise"]["detail"] == "cell 4: ZeroDivisionError: division by zero"


def test_a_submitted_original_does_not_grade_its_own_solutions(graded):
    rows = by_student(graded["rows"])["original"]
    assert [r["result"] for r in rows.values()] == ["not attempted", "not attempted"]


def test_a_checker_never_called_is_missing_and_nothing_is_left_running(graded):
    rows = by_student(graded["rows"])["missing"]
    assert rows["top_k_exercise"]["result"] == "✔" and rows["top_p_exercise"]["result"] == "missing"
    assert rows["top_p_exercise"]["detail"] == ""
    assert graded["background"].exists(), "the notebook's background process was started"
    assert not alive(int(graded["background"].read_text()))


def test_unreadable_and_unknown_files_get_one_row_each(graded):
    rows = by_student(graded["rows"])
    assert rows["unreadable"]["06.ipynb"]["result"] == rows["unreadable"]["list.ipynb"]["result"] == "unreadable"
    assert "not a Jupyter notebook" in rows["unreadable"]["06.ipynb"]["detail"]
    assert rows["unknown"]["notes.ipynb"]["result"] == "unknown notebook"
    assert "NN" in rows["unknown"]["notes.ipynb"]["detail"]


def test_rows_come_by_student_then_in_table_order_and_the_submissions_are_untouched(graded):
    assert graded["code"] == 0
    rows = graded["rows"]
    students = [r["student"] for r in rows]
    assert students == sorted(students) and ".ipynb_checkpoints" not in students
    assert sorted(set(students)) == ["broken", "fn_right", "fn_wrong", "missing", "original", "twice", "unknown",
                                     "unreadable", "value_right", "value_wrong", "zoe"]
    for student in set(students) - {"unreadable", "unknown"}:
        theirs = [r for r in rows if r["student"] == student]
        assert [r["exercise"] for r in theirs] == list(course.notebook(theirs[0]["notebook"]).exercises)
    assert [r["exercise"] for r in rows if r["student"] == "zoe"] == ["top_k_exercise", "top_p_exercise"]
    assert set(rows[0]) == set(grading.COLUMNS) and all(r["result"] in grading.RESULTS for r in rows)
    assert {p: p.read_bytes() for p in graded["subs"].rglob("*") if p.is_file()} == graded["before"]


def test_one_summary_line_per_student(tmp_path, capsys):
    subs = tmp_path / "subs"
    planted(subs / "anna" / "06.ipynb", "06", answered("06", "top_k_exercise"), "raise ValueError('oops\\nmore')")
    planted(subs / "ben" / "06.ipynb", "06", answered("06", "top_k_exercise", WRONG_TOP_K))
    (subs / "cara").mkdir()
    (subs / "cara" / "work.zip").write_bytes(b"PK")
    assert cli.main(["grade", str(subs), "--out", str(tmp_path / "g.csv")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "anna: 06 1/2 ✔ (not run; cell 4: ValueError: oops)"
    assert out[1] == "ben: 06 0/2 ✔ (hint 1, missing)"
    assert out[2] == "cara: no .ipynb file handed in"
    assert out[3].startswith(f"4 rows written to {tmp_path / 'g.csv'}") and len(out) == 4
    assert [(r["student"], r["exercise"]) for r in read_csv(tmp_path / "g.csv")] == [
        ("anna", "top_k_exercise"), ("anna", "top_p_exercise"), ("ben", "top_k_exercise"), ("ben", "top_p_exercise")]


# --------------------------------------------------------------------------- the time limit
def test_the_time_limit_stops_the_notebook_and_leaves_no_process(tmp_path, capsys, monkeypatch):
    marker = uuid.uuid4().hex
    monkeypatch.setenv("MGTUTOR_TEST_MARK", marker)  # inherited by the runner, the kernel and what it starts
    pids = tmp_path / "pids.json"
    planted(tmp_path / "subs" / "slow" / "06.ipynb", "06", answered("06", "top_k_exercise"),
            f"import json, os, subprocess\nbg = subprocess.Popen(['sleep', '300'])\n"
            f"open({str(pids)!r}, 'w').write(json.dumps([os.getpid(), bg.pid]))",
            "import time; time.sleep(60)", answered("06", "top_p_exercise"))
    started = time.monotonic()
    assert cli.main(["grade", str(tmp_path / "subs"), "--timeout", "5", "--out", str(tmp_path / "g.csv")]) == 0
    assert time.monotonic() - started < 30
    rows = by_student(read_csv(tmp_path / "g.csv"))["slow"]
    assert rows["top_p_exercise"]["result"] == "not run"
    assert rows["top_p_exercise"]["detail"].startswith("time limit of 5 s")
    if pids.exists():  # the kernel reached its first cells within the 5 s (it does, but for a very busy machine)
        assert rows["top_k_exercise"]["result"] == "✔"
        assert rows["top_p_exercise"]["detail"] == "time limit of 5 s (cell 5 was running)"
        assert not [pid for pid in json.loads(pids.read_text()) if alive(pid)]
    deadline = time.monotonic() + 5
    while marked(marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not marked(marker), "a process the grading started is still running"


def test_an_interrupted_grading_stops_its_notebook_and_writes_nothing(tmp_path, capsys, monkeypatch):
    import subprocess

    marker = uuid.uuid4().hex
    monkeypatch.setenv("MGTUTOR_TEST_MARK", marker)
    pid = tmp_path / "pid"
    planted(tmp_path / "subs" / "sam" / "06.ipynb", "06", f"import os\nopen({str(pid)!r}, 'w').write(str(os.getpid()))",
            "import time; time.sleep(60)")
    wait = subprocess.Popen.wait

    def ctrl_c(self, timeout=None):  # the grader's wait for the notebook is where Ctrl-C lands
        if timeout == grading.DEFAULT_TIMEOUT:
            deadline = time.monotonic() + 20
            while not pid.exists() and time.monotonic() < deadline:
                time.sleep(0.1)
            raise KeyboardInterrupt
        return wait(self, timeout)

    monkeypatch.setattr(subprocess.Popen, "wait", ctrl_c)
    assert cli.main(["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "g.csv")]) == 130
    assert "interrupted" in capsys.readouterr().err and not (tmp_path / "g.csv").exists()
    assert pid.exists() and not alive(int(pid.read_text()))
    assert not marked(marker)


# --------------------------------------------------------------------------- the real notebook 00, end to end
def test_a_real_student_copy_of_notebook_00(tmp_path, capsys):
    student_copy([NOTEBOOKS / "00_welcome.ipynb"], tmp_path / "subs" / "lin")
    path = tmp_path / "subs" / "lin" / "00_welcome.ipynb"
    nb = read_notebook(path)
    stubs = {name: cell for cell in nb.cells for name in checker_calls(cell.source)}
    assert list(stubs) == ["feature_domain_exercise", "mode_exercise"] and "labels = ..." in stubs[
        "feature_domain_exercise"].source
    stubs["feature_domain_exercise"].source = stubs["feature_domain_exercise"].source.replace(
        "labels = ...", "labels = " + json.dumps(checks.FEATURE_DOMAINS, ensure_ascii=False))
    stubs["mode_exercise"].source = stubs["mode_exercise"].source.replace("...  # your code", "return 20")
    nbformat.write(nb, path)
    assert cli.main(["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "g.csv")]) == 0
    assert [(r["notebook"], r["exercise"], r["result"], r["detail"]) for r in read_csv(tmp_path / "g.csv")] == [
        ("00", "feature_domain_exercise", "✔", ""), ("00", "mode_exercise", "hint 1", "")]
    assert capsys.readouterr().out.startswith("lin: 00 1/2 ✔ (hint 1)\n")


# --------------------------------------------------------------------------- arguments and the CSV
def test_an_existing_csv_is_replaced_only_with_force(tmp_path, capsys):
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "amy.ipynb").write_text("nope", encoding="utf-8")  # graded without a kernel
    out = tmp_path / "grades.csv"
    out.write_text("my own marks\n", encoding="utf-8")
    assert cli.main(["grade", str(tmp_path / "subs"), "--out", str(out)]) == 2
    stdout, err = capsys.readouterr()
    assert stdout == "" and err.count("\n") == 1 and err.startswith("mgtutor: error:")
    assert "already exists" in err and "--force" in err and out.read_text(encoding="utf-8") == "my own marks\n"
    assert cli.main(["grade", str(tmp_path / "subs"), "--out", str(out), "--force"]) == 0
    assert [r["result"] for r in read_csv(out)] == ["unreadable"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grades.csv", "subs"]  # no temporary file left


@pytest.mark.parametrize("case", ["not a folder", "empty", "only hidden", "zero timeout", "endless timeout",
                                  "out is a folder", "out under a file"])
def test_bad_arguments_are_one_line_and_exit_2(tmp_path, capsys, case):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "amy.ipynb").write_text("nope", encoding="utf-8")
    argv = ["grade", str(subs), "--out", str(tmp_path / "g.csv")]
    if case == "not a folder":
        argv[1] = str(subs / "amy.ipynb")
    elif case == "empty":
        (subs / "amy.ipynb").unlink()
    elif case == "only hidden":
        (subs / "amy.ipynb").rename(subs / ".amy.ipynb")
    elif case == "zero timeout":
        argv += ["--timeout", "0"]
    elif case == "endless timeout":
        argv += ["--timeout", "inf"]
    elif case == "out is a folder":
        argv[3] = str(subs)
    else:
        argv[3] = str(subs / "amy.ipynb" / "g.csv")
    assert cli.main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith("mgtutor: error:")
    assert not (tmp_path / "g.csv").exists()


def test_a_spreadsheet_formula_in_a_name_is_written_as_text(tmp_path):
    rows = [grading.Row("=HYPERLINK(1)", "06", "top_k_exercise", "✔"), grading.Row("ann", "-x.ipynb", "", "unreadable")]
    grading.write_csv(rows, tmp_path / "g.csv")
    got = read_csv(tmp_path / "g.csv")
    assert got[0]["student"] == "'=HYPERLINK(1)" and got[1]["notebook"] == "'-x.ipynb"


# --------------------------------------------------------------------------- the pieces
def test_checker_calls_are_logged_one_json_line_each(tmp_path, monkeypatch):
    log = tmp_path / "log.jsonl"
    checks.top_k_exercise(...)  # the variable unset: nothing is written
    assert not log.exists()
    monkeypatch.setenv(checks.GRADE_LOG, str(log))

    def stub(logits, k):
        ...

    checks.top_k_exercise(stub)
    checks.top_k_exercise(lambda logits, k: logits)
    checks.top_k_exercise(lambda logits, k: logits)
    assert [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()] == [
        {"exercise": "top_k_exercise", "passed": False, "stub": True, "failures": 0},
        {"exercise": "top_k_exercise", "passed": False, "stub": False, "failures": 1},
        {"exercise": "top_k_exercise", "passed": False, "stub": False, "failures": 2}]


def test_the_stub_message_points_at_no_solution_cell():
    message = checks.top_k_exercise(...).message
    assert message == "… top_k_exercise: not attempted yet. Fill in the cell above and run it again."


@pytest.mark.parametrize("calls, status, want", [
    ([], "ok", "missing"), ([], "error", "not run"), ([], "timeout", "not run"),
    ([{"stub": True}], "ok", "not attempted"), ([{"stub": True}], "error", "not attempted"),
    ([{"passed": False, "failures": 1}], "ok", "hint 1"), ([{"passed": False, "failures": 3}], "ok", "hint 2"),
    ([{"passed": False, "failures": 1}, {"passed": True, "failures": 1}], "ok", "✔"),
    ([{"passed": True, "failures": 0}, {"passed": False, "failures": 1}], "ok", "hint 1"),
    ([{"passed": True, "failures": 0}, {"stub": True}], "ok", "✔"),  # the last attempt counts, not a later stub
])
def test_exercise_result(calls, status, want):
    run = grading.Run(status, calls=[{"exercise": "x", "stub": False, **c} for c in calls] +
                      [{"exercise": "other", "passed": True, "stub": False}])
    assert grading.exercise_result("x", run) == want


@pytest.mark.parametrize("title, name, want", [
    ("# 06 · Melody", "anything.ipynb", "06"), ("# 06 · Melody", "00_welcome.ipynb", "06"),
    ("My answers", "11_evaluation.ipynb", "11"), ("# 42 · Other", "notes.ipynb", None),
    ("# 42 · Other", "03_x.ipynb", "03"), ("", "1_x.ipynb", None)])
def test_notebook_number(title, name, want):
    assert grading.notebook_number(new_notebook(cells=[new_markdown_cell(title)]), name) == want


def test_two_files_of_one_notebook_name_their_files(tmp_path):
    planted(tmp_path / "subs" / "kim" / "a.ipynb", "06", title="# 06 · first try")
    planted(tmp_path / "subs" / "kim" / "b.ipynb", "06", answered("06", "top_k_exercise"))
    rows = grading.grade(tmp_path / "subs", timeout=120)
    assert [(r.detail, r.result) for r in rows] == [("file a.ipynb", "missing"), ("file a.ipynb", "missing"),
                                                    ("file b.ipynb", "✔"), ("file b.ipynb", "missing")]


def test_the_kernel_imports_this_mgtutor(monkeypatch, tmp_path):
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("CI", "true")
    env = grading.kernel_env("full", tmp_path / "log")
    assert env["MGTUTOR_MODE"] == "full" and env[checks.GRADE_LOG] == str(tmp_path / "log")
    assert env["OMP_NUM_THREADS"] == "1" and "CI" not in env
    home = str(Path(grading.__file__).resolve().parent.parent)  # a clone's: the package is not installed
    assert env["PYTHONPATH"].split(os.pathsep) == [home, str(tmp_path / "elsewhere")]


def test_a_stopped_notebook_names_the_cell_of_the_submitted_file():
    numbers = [1, 2, 4, 5]  # cell 3 of the file was a solution cell, dropped before the run
    assert grading.stopped(grading.Run("error", "KeyError: 'x'", 2), numbers) == "cell 4: KeyError: 'x'"
    assert grading.stopped(grading.Run("timeout", "time limit of 9 s", 3), numbers) == \
        "time limit of 9 s (cell 5 was running)"
    assert grading.stopped(grading.Run("timeout", "time limit of 9 s"), numbers) == "time limit of 9 s"
    assert grading.stopped(grading.Run("ok", "", None), numbers) == ""
