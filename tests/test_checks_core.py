"""The exercise machinery: stubs, tiered hints, one error-to-hint helper, and student copies."""

import nbformat
import pytest

from mgtutor import checks, cli
from mgtutor.notebooks import NotebookFileError, student_copy


def stub(x):
    """Return twice x."""
    ...


def stub_pass(x):
    pass


def real(x):
    return 2 * x


def no_return(x):
    2 * x  # noqa: B018 - a body that is not a stub, though it returns None


def test_is_stub():
    assert checks.is_stub(...) and checks.is_stub(stub) and checks.is_stub(stub_pass)
    assert not checks.is_stub(real) and not checks.is_stub(no_return) and not checks.is_stub({"a": 1})
    assert not checks.is_stub(print)  # no Python source: never a stub


@checks.exercise
def doubling_exercise(fn):
    value, failure = checks.call(fn, 3)
    if failure is not None:
        return failure
    if value == 6:
        return checks.ok("doubled")
    return checks.hint("Multiply, do not add.", then="f(x) = 2·x")


def test_stub_is_not_attempted_and_hints_come_in_tiers():
    checks.FAILURES.clear()
    first = doubling_exercise(stub)
    assert not first and "not attempted yet" in first.message and checks.FAILURES["doubling_exercise"] == 0
    wrong = doubling_exercise(lambda x: x + 3 + 1)
    assert not wrong and wrong.message == "✘ Not yet. Multiply, do not add."
    again = doubling_exercise(lambda x: x + 1)
    assert again.message == "✘ Not yet. Multiply, do not add.\n  Next hint: f(x) = 2·x"
    assert doubling_exercise(real).message == "✔ doubled"
    raised = doubling_exercise(lambda x: 1 / 0)
    assert "raised ZeroDivisionError" in raised.message


def _notebook(path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Exercise"), nbformat.v4.new_code_cell("def f(x):\n    ...")]
    sol = nbformat.v4.new_code_cell("def f(x):\n    return 2 * x")
    sol.metadata.update({"tags": ["solution"], "jupyter": {"source_hidden": True}})
    nb.cells.append(sol)
    nbformat.write(nb, path)


def test_student_copy_drops_the_solution_cells(tmp_path, capsys):
    _notebook(tmp_path / "01_x.ipynb")
    out = tmp_path / "class"
    assert cli.main(["student-copy", str(out), str(tmp_path / "01_x.ipynb")]) == 0
    copy = nbformat.read(out / "01_x.ipynb", as_version=4)
    assert [c.source for c in copy.cells] == ["# Exercise", "def f(x):\n    ..."]
    assert str(out / "01_x.ipynb") in capsys.readouterr().out
    with pytest.raises(NotebookFileError, match="holds the original notebooks"):
        student_copy([tmp_path / "01_x.ipynb"], tmp_path)
    with pytest.raises(FileNotFoundError):
        student_copy([tmp_path / "absent.ipynb"], out)
