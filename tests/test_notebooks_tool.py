"""The executor behind `python -m mgtutor execute` / `make notebooks`."""

from __future__ import annotations

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
