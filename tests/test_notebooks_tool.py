"""The executor behind `python -m mgtutor execute` / `make notebooks`."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from mgtutor import cli
from mgtutor.notebooks import NotebookExecutionError, execute_notebook

pytestmark = pytest.mark.timeout(180)


def write(path, *sources):
    nb = new_notebook(cells=[new_markdown_cell("# t")] + [new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "other", "display_name": "x", "language": "python"}
    nb.metadata["widgets"] = {"state": {}}
    nbformat.write(nb, path)
    return path


def test_executes_in_place_in_smoke_mode_with_reference_numerics(tmp_path):
    path = write(tmp_path / "a.ipynb", "import os\nprint(os.environ['MGTUTOR_MODE'], os.environ['OMP_NUM_THREADS'])",
                 "1 + 1")
    assert execute_notebook(path) > 0
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == [1, 2]
    assert code[0].outputs[0]["text"] == "smoke 1\n"
    assert code[1].outputs[0]["data"]["text/plain"] == "2"
    assert nb.metadata["kernelspec"]["name"] == "python3" and "widgets" not in nb.metadata
    assert all("execution" not in c.metadata for c in code)


@pytest.mark.parametrize("source, phrase", [("raise ValueError('boom')", "ValueError: boom"),
                                            ("import sys; print('noise', file=sys.stderr)", "stderr")])
def test_refuses_to_save_errors_or_stderr(tmp_path, source, phrase):
    path = write(tmp_path / "b.ipynb", source)
    before = path.read_bytes()
    with pytest.raises(NotebookExecutionError, match=phrase):
        execute_notebook(path)
    assert path.read_bytes() == before


def test_cli_reports_a_missing_notebook_in_one_line(tmp_path, capsys):
    assert cli.main(["execute", str(tmp_path / "nope.ipynb")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mgtutor: error:") and "no such notebook" in err and err.count("\n") == 1


def with_solution(path):
    """A notebook with an exercise stub and its collapsed solution cell."""
    nb = new_notebook(cells=[new_code_cell("def f(x):\n    ..."), new_code_cell("def f(x):\n    return 2 * x")])
    nb.cells[1].metadata["tags"] = ["solution"]
    nbformat.write(nb, path)
    return path


def cli_line(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_student_copy_refuses_to_overwrite_an_edited_notebook_and_writes_nothing(tmp_path, capsys):
    src, out = tmp_path / "src", tmp_path / "class"
    src.mkdir()
    out.mkdir()
    first, second = with_solution(src / "01_x.ipynb"), with_solution(src / "02_y.ipynb")
    edited = write(out / "01_x.ipynb", "my own work")
    before = edited.read_bytes()
    code, stdout, err = cli_line(capsys, "student-copy", str(out), str(first), str(second))
    assert code == 2 and stdout == "" and err.count("\n") == 1 and err.startswith("mgtutor: error:")
    assert "01_x.ipynb" in err and "--force" in err
    assert edited.read_bytes() == before and sorted(p.name for p in out.iterdir()) == ["01_x.ipynb"]
    code, stdout, _ = cli_line(capsys, "student-copy", "--force", str(out), str(first), str(second))
    assert code == 0 and str(out / "01_x.ipynb") in stdout
    assert [c.source for c in nbformat.read(out / "01_x.ipynb", as_version=4).cells] == ["def f(x):\n    ..."]
    assert sorted(p.name for p in out.iterdir()) == ["01_x.ipynb", "02_y.ipynb"]  # no temporary file left


def test_student_copy_failing_mid_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    from mgtutor.notebooks import student_copy

    out = tmp_path / "class"
    out.mkdir()
    edited = write(out / "01_x.ipynb", "my own work")
    before = edited.read_bytes()
    original = with_solution(tmp_path / "01_x.ipynb")

    def half_write(nb, fp, *args, **kwargs):
        with open(fp, "w") as fh:
            fh.write('{"cells": [')
        raise OSError("disk full")

    monkeypatch.setattr(nbformat, "write", half_write)
    with pytest.raises(OSError, match="disk full"):
        student_copy([original], out, force=True)
    assert edited.read_bytes() == before and [p.name for p in out.iterdir()] == ["01_x.ipynb"]


def test_student_copy_into_the_notebooks_own_folder_through_a_link_is_refused(tmp_path, capsys):
    src = tmp_path / "src"
    src.mkdir()
    original = with_solution(src / "01_x.ipynb")
    before = original.read_bytes()
    (tmp_path / "link").symlink_to(src)
    code, _, err = cli_line(capsys, "student-copy", str(tmp_path / "link"), str(original))
    assert code == 2 and "holds the original notebooks" in err and original.read_bytes() == before


@pytest.mark.parametrize("case", ["copy onto a file", "copy a .mat file", "copy a JSON list", "execute non-JSON"])
def test_a_file_or_a_non_notebook_is_one_line_and_exit_2(tmp_path, capsys, case):
    notebook = with_solution(tmp_path / "01_x.ipynb")
    target = tmp_path / "out"
    if case == "copy onto a file":
        target.write_text("mine")
        named, argv = target, ["student-copy", str(target), str(notebook)]
    elif case == "execute non-JSON":
        named = tmp_path / "notnb.ipynb"
        named.write_text("print('hello')")
        argv = ["execute", str(named)]
    else:
        named = tmp_path / ("x.mat" if case == "copy a .mat file" else "list.ipynb")
        named.write_bytes(b"MATLAB 5.0 MAT-file\x00\x01\xff\xfe" if case == "copy a .mat file" else b"[1, 2]")
        argv = ["student-copy", str(target), str(named)]
    before = named.read_bytes()
    code, out, err = cli_line(capsys, *argv)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith(f"mgtutor: error: {named}: ")
    assert named.read_bytes() == before and (case == "copy onto a file" or not target.exists())


def test_student_copy_under_a_file_is_one_line_and_writes_nothing(tmp_path, capsys):
    from mgtutor.notebooks import NotebookFileError, student_copy

    notebook = with_solution(tmp_path / "01_x.ipynb")
    (tmp_path / "afile").write_text("mine")
    target = tmp_path / "afile" / "deeper" / "class"
    with pytest.raises(NotebookFileError, match=r"lies under .*afile, which is a file, not a folder"):
        student_copy([notebook], target)
    code, out, err = cli_line(capsys, "student-copy", str(target), str(notebook))
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith(f"mgtutor: error: {target}: lies under") and "Traceback" not in err
    assert (tmp_path / "afile").read_text() == "mine"


def test_student_copy_without_notebooks_outside_a_clone_is_one_line(tmp_path, capsys, monkeypatch):
    from mgtutor import config

    monkeypatch.setattr(config, "ROOT", tmp_path / "site-packages")  # an installed package: no notebooks/ beside it
    code, out, err = cli_line(capsys, "student-copy", str(tmp_path / "class"))
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "no course notebooks there" in err and "clone" in err and "give the notebooks' paths" in err
    assert not (tmp_path / "class").exists()


def test_student_copy_help_says_where_the_notebooks_come_from(capsys):
    with pytest.raises(SystemExit):
        cli.main(["student-copy", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "notebooks/ folder of a clone of the repository" in help_text
    assert "outside a clone" in help_text and ".ipynb" in help_text


# --------------------------------------------------------------------------- student copies of the real notebooks
REAL = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SOLUTION_PHRASES = ("worked solution", "collapsed cell", "collapsed solution", "solution cell", "@title solution")
"""What a copy must never say: it points at a cell the copy does not have (the prose's own "solution", as in
"the minimum-norm solution", is left alone)."""


def _text(cell) -> str:
    """A cell's source and the text of its outputs."""
    parts = [cell.source]
    for out in cell.get("outputs", []):
        parts.append(out.get("text", "") if isinstance(out.get("text", ""), str) else "".join(out["text"]))
        parts.extend(v if isinstance(v, str) else "".join(v) for k, v in out.get("data", {}).items()
                     if k.startswith("text/"))
    return "\n".join(parts)


@pytest.fixture(scope="module")
def real_copies(tmp_path_factory):
    from mgtutor.notebooks import student_copy

    out = tmp_path_factory.mktemp("class")
    student_copy(REAL, out)
    return out


def test_every_real_notebook_is_copied(real_copies):
    assert len(REAL) == 13 and sorted(p.name for p in real_copies.iterdir()) == [p.name for p in REAL]


@pytest.mark.parametrize("path", REAL, ids=lambda p: p.name[:2])
def test_a_real_copy_carries_nothing_from_the_solutions(real_copies, path):
    """No solution cell (code or markdown) is left, each exercise keeps its stub and checker call, no stub cell keeps
    a stored output, and no line a solution cell printed appears anywhere in the copy."""
    from mgtutor import course
    from mgtutor.notebooks import checker_calls, read_notebook

    original, copy = read_notebook(path), read_notebook(real_copies / path.name)
    solutions = [c for c in original.cells if "solution" in (c.metadata.get("tags") or [])]
    assert solutions and not [c for c in copy.cells if "solution" in (c.metadata.get("tags") or [])]
    assert len(copy.cells) == len(original.cells) - len(solutions)
    stubs = [c for c in copy.cells if c.cell_type == "code" and checker_calls(c.source)]
    assert [name for c in stubs for name in checker_calls(c.source)] == list(course.notebook(path.name[:2]).exercises)
    assert all(c.outputs == [] and c.execution_count is None for c in stubs)
    copied = "\n".join(_text(c) for c in copy.cells)
    printed = {line.strip() for c in solutions if c.cell_type == "code" for out in c.get("outputs", [])
               for line in _text(nbformat.v4.new_code_cell(outputs=[out])).splitlines() if len(line.strip()) > 3}
    assert printed, "the solution cells' stored outputs are the test's evidence"
    assert not [line for line in printed if line in copied]
    for mark in ("not attempted", "✔", "✘"):
        assert not [c for c in stubs if mark in _text(c)]


@pytest.mark.parametrize("path", REAL, ids=lambda p: p.name[:2])
def test_a_real_copy_points_at_no_solution_cell(real_copies, path):
    from mgtutor.notebooks import read_notebook

    copy = read_notebook(real_copies / path.name)
    found = [(i, phrase) for i, c in enumerate(copy.cells) for phrase in SOLUTION_PHRASES if phrase in _text(c).lower()]
    assert not found


# --------------------------------------------------------------------------- python -m mgtutor repo-url
FORK = "https://github.com/a-teacher/mgtutor-fork"


def _copies(tmp_path, names=("00_welcome.ipynb", "03_mel_mfcc.ipynb")):
    import shutil

    from mgtutor.config import ROOT

    for name in names:
        shutil.copy(ROOT / "notebooks" / name, tmp_path / name)
    return [tmp_path / name for name in names]


def _without_addresses(nb: dict, owner_repo: str, url: str) -> str:
    """The notebook's JSON with the two places that name the repository blanked out."""
    import json

    text = json.dumps(nb, sort_keys=True, ensure_ascii=False)
    return text.replace(f"colab.research.google.com/github/{owner_repo}/", "COLAB/").replace(f"git+{url}", "git+URL")


def test_repo_url_rewrites_badge_and_install_cell_and_nothing_else(tmp_path, capsys):
    import json

    from mgtutor.colab import REPO_URL
    from mgtutor.notebooks import github_slug

    paths = _copies(tmp_path)
    before = {p: json.loads(p.read_text(encoding="utf-8")) for p in paths}
    assert cli.main(["repo-url", "--check", "--notebooks", str(tmp_path)]) == 0  # the copies agree with REPO_URL
    assert cli.main(["repo-url", "--check", "--notebooks", str(tmp_path), FORK]) == 1
    assert "2 of 2 notebooks disagree" in capsys.readouterr().out
    assert {p: json.loads(p.read_text(encoding="utf-8")) for p in paths} == before  # --check writes nothing

    assert cli.main(["repo-url", "--notebooks", str(tmp_path), FORK + "/"]) == 0
    out = capsys.readouterr().out
    assert "2 of 2 notebooks rewritten" in out and out.count("install cell") == 2 and out.count("Colab badge") == 2
    for path in paths:
        after = json.loads(path.read_text(encoding="utf-8"))
        title = "".join(after["cells"][0]["source"])
        assert f"colab.research.google.com/github/a-teacher/mgtutor-fork/blob/main/notebooks/{path.name})" in title
        installs = [c for c in after["cells"] if c["cell_type"] == "code" and "%pip install" in "".join(c["source"])]
        assert len(installs) == 1 and f'"mgtutor @ git+{FORK}"' in "".join(installs[0]["source"])
        assert github_slug(REPO_URL) not in path.read_text(encoding="utf-8")
        assert (_without_addresses(after, "a-teacher/mgtutor-fork", FORK)
                == _without_addresses(before[path], github_slug(REPO_URL), REPO_URL))
    assert cli.main(["repo-url", "--check", "--notebooks", str(tmp_path), FORK]) == 0
    assert cli.main(["repo-url", "--notebooks", str(tmp_path)]) == 0  # back to the package's own address
    assert {p: json.loads(p.read_text(encoding="utf-8")) for p in paths} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths)  # no temporary files left


@pytest.mark.parametrize("url", ["https://gitlab.com/a/b", "github.com/a/b", "https://github.com/a", "not a url"])
def test_repo_url_refuses_an_address_colab_cannot_open(tmp_path, capsys, url):
    paths = _copies(tmp_path, ("00_welcome.ipynb",))
    before = paths[0].read_bytes()
    assert cli.main(["repo-url", "--notebooks", str(tmp_path), url]) == 2
    assert "not a GitHub repository address" in capsys.readouterr().err
    assert paths[0].read_bytes() == before


def test_repo_url_needs_notebooks(tmp_path, capsys):
    assert cli.main(["repo-url", "--check", "--notebooks", str(tmp_path)]) == 2
    assert "no NN_*.ipynb notebooks there" in capsys.readouterr().err


def test_repo_url_reads_the_package_metadata(monkeypatch):
    import importlib.metadata

    from mgtutor import colab

    class Meta:
        def __init__(self, entries):
            self.entries = entries

        def get_all(self, key):
            return self.entries if key == "Project-URL" else None

    for entries, want in [(["Homepage, https://example.org/home", "Repository, https://github.com/x/y"],
                           "https://github.com/x/y"),
                          (["Homepage, https://github.com/h/p"], "https://github.com/h/p"),
                          (None, colab.DEFAULT_REPO_URL)]:
        monkeypatch.setattr(importlib.metadata, "metadata", lambda name, e=entries: Meta(e))
        assert colab.repo_url() == want

    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "metadata", missing)
    assert colab.repo_url() == colab.DEFAULT_REPO_URL


def test_pyproject_names_the_repository():
    from toml_compat import tomllib

    from mgtutor import colab
    from mgtutor.config import ROOT

    urls = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["urls"]
    assert urls["Repository"] == urls["Homepage"] == colab.DEFAULT_REPO_URL
