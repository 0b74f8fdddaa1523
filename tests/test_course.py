"""mgtutor.course: the notebook table agrees with the notebooks, the plans place everything once, and the documents
render the table."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from mgtutor import checks, cli, course
from mgtutor.notebooks import read_notebook

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
ROWS = {row.number: row for row in course.NOTEBOOKS}
PROMPT = re.compile(r"\*\*Discussion (\d\d\.\d+)\.\*\* (.+?) \(Points for a seminar are in INSTRUCTORS\.md\.\)")


def title_cell(row: course.Notebook) -> str:
    return read_notebook(NOTEBOOKS / row.file).cells[0].source


def test_one_row_per_notebook_in_order():
    files = sorted(p.name for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    assert [row.file for row in course.NOTEBOOKS] == files
    assert [row.number for row in course.NOTEBOOKS] == [f[:2] for f in files]


@pytest.mark.parametrize("row", course.NOTEBOOKS, ids=lambda r: r.number)
class TestRow:
    def test_title_is_the_notebook_s_first_line(self, row):
        assert title_cell(row).splitlines()[0] == f"# {row.number} · {row.title}"

    def test_prerequisites_are_the_title_cell_s_links(self, row):
        line = next(line for line in title_cell(row).splitlines() if line.startswith("**Prerequisites:**"))
        assert tuple(re.findall(r"\]\((\d\d)_[a-z0-9_]+\.ipynb\)", line)) == row.prerequisites
        assert all(p < row.number for p in row.prerequisites)

    def test_time_line_is_the_table_s(self, row):
        assert course.title_time_line(read_notebook(NOTEBOOKS / row.file)) == course.time_line(row), \
            "run python -m mgtutor course --write-docs"

    def test_optional_sections_are_the_marked_headings(self, row):
        assert tuple(course.optional_headings(read_notebook(NOTEBOOKS / row.file))) == row.optional

    def test_exercises_are_the_solution_cells_checkers(self, row):
        nb = read_notebook(NOTEBOOKS / row.file)
        found = [name for cell in nb.cells if cell.cell_type == "code" and "solution" in cell.metadata.get("tags", [])
                 for name in re.findall(r"checks\.(\w+_exercise)\(", cell.source)]
        assert tuple(found) == row.exercises
        assert all(getattr(getattr(checks, name), "is_exercise", False) for name in row.exercises)

    def test_minutes_are_the_estimate(self, row):
        with open(NOTEBOOKS / row.file, encoding="utf-8") as f:
            estimate = course.estimate(json.load(f))
        assert estimate == (row.core_minutes, row.full_minutes), \
            "run python -m mgtutor course --write-docs (it writes mgtutor/course_minutes.json and the documents)"


def notebook_json(*cells) -> dict:
    return {"cells": [{"cell_type": kind, "source": text, "metadata": meta} for kind, text, meta in cells]}


def test_estimate_by_hand():
    nb = notebook_json(
        ("markdown", "# 99 · T\n\n" + "word " * 196, {}),               # 200 words: 2 min
        ("code", "x = 1\n\n# a comment\ny = 2\n" + "z\n" * 10, {}),     # 12 lines: 2 min
        ("code", "# @title Solution\nx = 1\n", {"tags": ["solution"]}),  # an exercise: 10 min
        ("markdown", "## 5. More (optional)\n" + "w " * 496, {}),       # 500 words, optional: 5 min
        ("code", "a\n" * 30, {}),                                         # 30 lines, optional: 5 min
        ("markdown", "## Summary\n" + "w " * 298, {}),                  # 300 words: 3 min
    )
    assert course.estimate(nb) == (20, 30)  # 17 → 20 and 27 → 30 (rounded up to 5)
    # at 50 words a minute and rounded to 1 minute: 4 + 2 + 10 + 6 = 22 and 22 + 10 + 5 = 37, with no remainder
    assert course.estimate(nb, course.Basis(50, 6, 10, 1)) == (22, 37)
    assert course.optional_headings(nb) == ["5. More"]


def test_every_plan_places_every_item_once_after_its_prerequisites():
    for weeks in course.PLANS.values():
        course.check_plan(weeks)
        assert sorted(item for week in weeks for item in week) == sorted(course.items())


@pytest.mark.parametrize("change, message", [
    (lambda w: w[:-1], "leaves out"),
    (lambda w: w + (("12",),), "more than once"),
    (lambda w: w + (("99",),), "not in the table"),
    (lambda w: ((w[1] + w[0]),) + w[2:], "before"),
])
def test_check_plan_fails_on_a_broken_plan(change, message):
    with pytest.raises(course.CourseError, match=message):
        course.check_plan(change(course.PLANS[6]))


def test_plan_week_times_add_up():
    table = course.plan_markdown(12)
    minutes = 0
    for match in re.finditer(r"\| (?:(\d+) h)? ?(?:(\d+) min)? \|$", table, re.M):
        minutes += 60 * int(match[1] or 0) + int(match[2] or 0)
    assert minutes == sum(row.full_minutes for row in course.NOTEBOOKS)


def test_documents_and_title_cells_agree_with_the_table():
    assert course.sync(ROOT) == [], "run python -m mgtutor course --write-docs"


def test_write_docs_rewrites_only_the_blocks_and_time_lines(tmp_path):
    shutil.copytree(NOTEBOOKS, tmp_path / "notebooks", ignore=shutil.ignore_patterns(".*"))
    for name in course.DOCUMENTS:
        shutil.copy(ROOT / name, tmp_path / name)
    readme = tmp_path / "README.md"
    before = readme.read_text(encoding="utf-8")
    readme.write_text(before.replace("| 06 |", "| 6 |"), encoding="utf-8")
    nb06 = tmp_path / "notebooks" / "06_melody_generation.ipynb"
    nb06.write_text(nb06.read_text(encoding="utf-8").replace("about 1 h", "about 9 h", 1), encoding="utf-8")
    assert course.sync(tmp_path) == ["README.md: block table", "06_melody_generation.ipynb: title cell's time line"]
    course.sync(tmp_path, write=True)
    assert readme.read_text(encoding="utf-8") == before
    assert nb06.read_bytes() == (NOTEBOOKS / nb06.name).read_bytes()
    assert course.sync(tmp_path) == []


def test_write_docs_recomputes_the_minutes_of_a_notebook_that_grew(tmp_path, monkeypatch):
    shutil.copytree(NOTEBOOKS, tmp_path / "notebooks", ignore=shutil.ignore_patterns(".*"))
    for name in course.DOCUMENTS:
        shutil.copy(ROOT / name, tmp_path / name)
    minutes = tmp_path / "course_minutes.json"
    shutil.copy(course.MINUTES_FILE, minutes)
    monkeypatch.setattr(course, "MINUTES_FILE", minutes)
    monkeypatch.setattr(course, "NOTEBOOKS", course.NOTEBOOKS)
    monkeypatch.setattr(course, "BY_NUMBER", course.BY_NUMBER)
    path = tmp_path / "notebooks" / "06_melody_generation.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    nb["cells"].insert(1, {"cell_type": "markdown", "id": "0123abcd", "metadata": {}, "source": "word " * 3000})
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    before = course.notebook("06").core_minutes
    assert course.sync(tmp_path)[0] == "course_minutes.json: notebook 06"
    course.sync(tmp_path, write=True)
    after = json.loads(minutes.read_text(encoding="utf-8"))["06"]
    assert after[0] == before + 30 and course.notebook("06").core_minutes == after[0]  # 3000 words at 100 a minute
    assert course.sync(tmp_path) == []
    assert course.time_line(course.notebook("06")) in path.read_text(encoding="utf-8")


def test_a_block_with_an_unknown_name_is_refused(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text("<!-- course:tabel -->\n<!-- /course:tabel -->\n", encoding="utf-8")
    with pytest.raises(course.CourseError, match="unknown block"):
        course.sync_document(doc)


def test_notebook_lookup():
    assert course.notebook(6) is course.notebook("06") is ROWS["06"]
    with pytest.raises(course.CourseError, match="no notebook '42'"):
        course.notebook("42")
    with pytest.raises(course.CourseError, match="no 7-week plan"):
        course.plan_markdown(7)


def test_notebook_00_shows_the_table():
    nb = read_notebook(NOTEBOOKS / "00_welcome.ipynb")
    shown = [out["data"]["text/markdown"] for cell in nb.cells if cell.cell_type == "code"
             for out in cell.outputs if "text/markdown" in out.get("data", {})]
    assert course.table_markdown(base="", builds=True) in shown


def test_every_discussion_prompt_has_points_in_the_instructors_guide():
    prompts = {}
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        for cell in read_notebook(path).cells:
            if cell.cell_type == "markdown":
                for key, text in PROMPT.findall(cell.source):
                    assert key.startswith(path.name[:2]), f"{path.name}: prompt {key} belongs to another notebook"
                    prompts[key] = text
    assert {row.number for row in course.NOTEBOOKS} <= {key[:2] for key in prompts}, "every notebook poses one"
    guide = (ROOT / "INSTRUCTORS.md").read_text(encoding="utf-8")
    found = re.findall(r"^### Discussion (\d\d\.\d+)\n\n> (.+)\n\n(?:- .+\n(?:  .+\n)*)+", guide, re.M)
    sections = dict(found)
    assert len(sections) == len(found), "a prompt is answered twice"
    assert sections == prompts, "INSTRUCTORS.md quotes each prompt under '### Discussion NN.k' with points after it"


def test_course_command_prints_the_table_and_a_plan(capsys):
    assert cli.main(["course"]) == 0
    assert capsys.readouterr().out.strip() == course.table_markdown()
    assert cli.main(["course", "--plan", "12"]) == 0
    assert "| 12 |" in capsys.readouterr().out
    assert cli.main(["course", "--plan", "5"]) == 2
    assert "no 5-week plan" in capsys.readouterr().err


def test_a_reader_that_goes_away_is_not_an_error():
    """`python -m mgtutor course | head -1`: the pipe closes before the table is written; no error, no traceback."""
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "mgtutor", "course"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    proc.stdout.close()  # before the interpreter has even started to import mgtutor
    _, err = proc.communicate(timeout=120)
    assert (proc.returncode, err.decode()) == (0, "")
