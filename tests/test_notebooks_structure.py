"""The shape every notebook must have (../shared/STYLE.md), checked on the committed files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mgtutor.colab import REPO_URL
from mgtutor.notebooks import colab_link, point_at_repository, read_notebook

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
NAME = re.compile(r"^(\d\d)_[a-z0-9]+(_[a-z0-9]+)*\.ipynb$")
MARKERS = {"NBVAL_IGNORE_OUTPUT", "NBVAL_CHECK_OUTPUT", "NBVAL_RAISES_EXCEPTION", "NBVAL_SKIP"}
ABSOLUTE_PATH = re.compile(r"(/home/|/root/|/Users/|/tmp/|/work/|[A-Z]:\\\\Users)")
INSTALL = '%pip install -q --no-deps "mgtutor @ git+{}"'


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def output_text(out: dict) -> str:
    parts = [out.get("text", "")]
    for key, value in out.get("data", {}).items():
        if key.startswith("text/") or key == "image/svg+xml":
            parts.append(value)
    return "".join("".join(p) if isinstance(p, list) else p for p in parts)


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found"


def test_names_are_numbered_consecutively_from_00():
    numbers = []
    for path in NOTEBOOKS:
        match = NAME.match(path.name)
        assert match, f"{path.name}: name must be NN_snake_case.ipynb"
        numbers.append(int(match.group(1)))
    assert numbers == list(range(len(numbers))), f"numbers must run 00, 01, … without gaps: {numbers}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
class TestNotebook:
    def test_title_cell_with_colab_badge(self, path):
        first = load(path)["cells"][0]
        text = source(first)
        assert first["cell_type"] == "markdown"
        assert re.match(rf"# {path.name[:2]} · \S", text), "first line must be '# NN · Title'"
        assert colab_link(REPO_URL, path.name) in text, "Colab badge must link to this notebook"

    def test_notebook_points_at_the_repository(self, path):
        """Badge and install cell agree with mgtutor.colab.REPO_URL (pyproject's [project.urls]); a fork fixes a
        failure with `python -m mgtutor repo-url`."""
        changes = point_at_repository(read_notebook(path), path.name, REPO_URL)
        assert not changes, f"disagrees with {REPO_URL} (run python -m mgtutor repo-url): {changes}"
        assert any(INSTALL.format(REPO_URL) in source(c) for c in load(path)["cells"] if c["cell_type"] == "code")

    def test_sections(self, path):
        headings = [line.strip().lower() for c in load(path)["cells"] if c["cell_type"] == "markdown"
                    for line in source(c).splitlines() if line.startswith("## ")]
        for wanted in ("## learning goals", "## setup", "## summary"):
            assert wanted in headings, f"missing section {wanted!r}"
        if not path.name.startswith("00"):
            assert "## exercises" in headings, "missing section '## exercises'"
        assert headings.index("## learning goals") < headings.index("## setup") < headings.index("## summary")
        assert headings[-1] == "## summary", "Summary must be the last section"

    def test_no_errors_and_no_stderr(self, path):
        for i, cell in enumerate(load(path)["cells"]):
            for out in cell.get("outputs", []):
                assert out["output_type"] != "error", f"cell {i} stored an error"
                assert out.get("name") != "stderr", f"cell {i} stored stderr: {output_text(out)[:200]!r}"

    def test_kernelspec(self, path):
        assert load(path)["metadata"]["kernelspec"]["name"] == "python3"

    def test_every_code_cell_executed_in_order(self, path):
        counts = [c["execution_count"] for c in load(path)["cells"] if c["cell_type"] == "code"]
        assert None not in counts, "every code cell must be executed (re-run with `make notebooks`)"
        assert counts == list(range(1, len(counts) + 1)), f"cells must run once, top to bottom: {counts}"

    def test_no_absolute_local_paths_in_outputs(self, path):
        for i, cell in enumerate(load(path)["cells"]):
            for out in cell.get("outputs", []):
                found = ABSOLUTE_PATH.search(output_text(out))
                assert not found, f"cell {i} shows a local path near {found.group(0)!r}"

    def test_size(self, path):
        assert path.stat().st_size <= 3_000_000, f"{path.name} is {path.stat().st_size / 1e6:.1f} MB (limit 3 MB)"

    def test_nbval_markers_are_exact_and_few(self, path):
        code = [c for c in load(path)["cells"] if c["cell_type"] == "code"]
        ignored = 0
        for cell in code:
            for line in source(cell).splitlines():
                if "NBVAL" in line:
                    assert line.strip().lstrip("#").strip() in MARKERS, f"nbval reads only exact markers: {line!r}"
            ignored += any(line.strip() in ("# NBVAL_IGNORE_OUTPUT", "# NBVAL_SKIP")
                           for line in source(cell).splitlines())
        assert ignored <= len(code) / 3, f"{ignored}/{len(code)} code cells skip output checks (at most a third)"

    def test_setup_cell_is_the_standard_one(self, path):
        cells = load(path)["cells"]
        heads = [i for i, c in enumerate(cells) if c["cell_type"] == "markdown" and
                 any(line.strip().lower() == "## setup" for line in source(c).splitlines())]
        setup = next(c for c in cells[heads[0]:] if c["cell_type"] == "code")
        text = source(setup)
        assert "colab.setup()" in text and "config.setup(seed=" in text

    def test_solutions_are_checked(self, path):
        code = [source(c) for c in load(path)["cells"] if c["cell_type"] == "code"]
        assert sum("checks." in c for c in code) >= 2, "at least two exercises with a checker call"

    def test_each_exercise_has_a_stub_and_a_collapsed_solution(self, path):
        """Each checker is called from one stub cell and one collapsed `solution` cell; a stub cell answers with
        stubs only (functions whose body is `...`, or `answer = ...`), so no untagged cell gives a solution away."""
        calls: dict[str, list[bool]] = {}
        for cell in load(path)["cells"]:
            if cell["cell_type"] != "code":
                continue
            text = source(cell)
            names = CHECKER_CALL.findall(text)
            solution = "solution" in (cell.get("metadata", {}).get("tags") or [])
            if solution:
                assert_folded(cell)
                assert names, "a solution cell calls its checker"
            for name in names:
                calls.setdefault(name, []).append(solution)
            if names and not solution:
                stubs = stub_names(text)
                for arg in CHECKER_ARG.findall(text):
                    assert arg in stubs, f"{arg!r} passed to a checker in an untagged cell is not a stub"
        for name, kinds in calls.items():
            assert sorted(kinds) == [False, True], f"{name}: called from {kinds.count(False)} stub and " \
                                                   f"{kinds.count(True)} solution cell(s); want one of each"


    def test_solution_success_lines_do_not_give_the_solution_away(self, path):
        """A folded solution's output stays visible, so its ✔ line names nothing the solution uses (a function, a
        variable, an API, a literal) that its stub cell does not already show the learner."""
        for stub, solution in exercise_pairs(load(path)["cells"]):
            lines = [line for out in solution.get("outputs", []) for line in output_text(out).splitlines()
                     if line.startswith("✔")]
            assert len(lines) == 1, f"{CHECKER_CALL.findall(source(solution))}: want one ✔ line, got {lines}"
            leaked = leaks(lines[0], source(solution), source(stub))
            assert not leaked, f"{lines[0]!r} names {sorted(leaked)} from the solution; say what was checked instead"

    def test_every_widget_leaves_a_static_output(self, path):
        """A widget shows nothing without a kernel (GitHub, nbviewer, a notebook not yet run on Colab), so each widget
        cell is followed, in its own outputs after the widget or in the next code cell, by an audio player or an
        image of the widget's starting state."""
        code = [c for c in load(path)["cells"] if c["cell_type"] == "code"]
        for k, cell in enumerate(code):
            if not is_widget_cell(cell):
                continue
            outputs = cell.get("outputs", [])
            views = [i for i, out in enumerate(outputs) if WIDGET_VIEW in out.get("data", {})]
            after = outputs[views[0] + 1:] if views else []
            following = code[k + 1].get("outputs", []) if k + 1 < len(code) else []
            assert any(map(is_static, after + following)), \
                f"widget cell {source(cell)[:80]!r}… is followed by no audio player or image of its starting state"


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_CALL = re.compile(r"\bwidgets\.[A-Z]\w*\(|\binteract(ive)?\(|\.widget\(\)|\bpiece_browser\(|\bpitch_widget\(")
WIDGET_NOTEBOOKS = {"00", "01", "02", "04", "06", "11"}


def is_widget_cell(cell: dict) -> bool:
    """A code cell that shows a widget: a stored widget view, or a call that builds one."""
    return cell["cell_type"] == "code" and (
        any(WIDGET_VIEW in out.get("data", {}) for out in cell.get("outputs", []))
        or bool(WIDGET_CALL.search(source(cell))))


def is_static(out: dict) -> bool:
    """An output a reader without a kernel sees and hears: an audio player or an image."""
    data = out.get("data", {})
    html = data.get("text/html", "")
    html = "".join(html) if isinstance(html, list) else html
    return any(kind in data for kind in ("audio/wav", "image/png", "image/svg+xml")) or "<audio" in html


def test_widget_cells_are_found():
    """The widget test above sees the widgets of the notebooks known to have them (so a changed idiom cannot hide
    one from it)."""
    found = {path.name[:2] for path in NOTEBOOKS if any(is_widget_cell(c) for c in load(path)["cells"])}
    assert WIDGET_NOTEBOOKS <= found, f"no widget cell found in notebook(s) {sorted(WIDGET_NOTEBOOKS - found)}"


TITLE = "# @title Solution"


def assert_folded(cell: dict) -> None:
    """A solution cell is folded in JupyterLab (`jupyter.source_hidden`) and on Colab (a form titled Solution)."""
    assert cell["metadata"].get("jupyter", {}).get("source_hidden") is True, "solution cell not collapsed (JupyterLab)"
    assert cell["metadata"].get("cellView") == "form", "solution cell not collapsed on Colab (cellView: form)"
    assert source(cell).splitlines()[0] == TITLE, f"a solution cell's first line is {TITLE!r}"


def exercise_pairs(cells: list[dict]) -> list[tuple[dict, dict]]:
    """(stub cell, solution cell) for each checker: the untagged and the `solution` cell calling it."""
    by_checker: dict[str, dict[bool, dict]] = {}
    for cell in cells:
        if cell["cell_type"] == "code":
            solution = "solution" in (cell.get("metadata", {}).get("tags") or [])
            for name in CHECKER_CALL.findall(source(cell)):
                by_checker.setdefault(name, {})[solution] = cell
    return [(pair[False], pair[True]) for pair in by_checker.values() if len(pair) == 2]


def solution_words(text: str) -> tuple[set[str], set[str]]:
    """The identifiers a cell defines or uses (names, attributes, arguments) and its string literals."""
    import ast

    tree = ast.parse("\n".join(line for line in text.splitlines() if not line.lstrip().startswith(("%", "!"))))
    names, strings = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            strings.add(node.value.strip())
    return names, strings


def leaks(line: str, solution: str, stub: str) -> set[str]:
    """What of ``solution`` the ✔ ``line`` names that ``stub`` does not: identifiers of 3+ characters as words
    (case-insensitive; a stub's `my_pitch_classes` counts as showing `pitch` and `classes`), literals as text."""
    shown = {w.lower() for w in re.findall(r"\w+", stub) + re.findall(r"[A-Za-z][A-Za-z0-9]*", stub)}
    names, strings = solution_words(solution)
    found = {name for name in names if len(name) >= 3 and name.lower() not in shown
             and re.search(rf"(?<!\w){re.escape(name)}(?!\w)", line, re.IGNORECASE)}
    found |= {text for text in strings if len(text) >= 3 and text.lower() not in stub.lower()
              and text.lower() in line.lower()}
    return found


CHECKER_CALL = re.compile(r"checks\.(\w+_exercise)\(")
CHECKER_ARG = re.compile(r"checks\.\w+_exercise\(\s*(\w+)")


def stub_names(text: str) -> set[str]:
    """Names a cell binds to a stub: `def f(...):` with only `...`/`pass`/a docstring, or `name = ...`."""
    import ast

    from mgtutor.checks import _is_placeholder

    tree = ast.parse("\n".join(line for line in text.splitlines() if not line.lstrip().startswith(("%", "!"))))
    names = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and all(_is_placeholder(s) for s in node.body):
            names.add(node.name)
        elif (isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and node.value.value is Ellipsis):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


RETIRED = re.compile(r"\b(trained_run|toy_run|bar_gan_run|spec_gan_run|shipped_run_dirs?|benchmark_results|"
                     r"SHIPPED_COMMAND)\b")
"""The names of the helpers `mgtutor.tasks.shipped_or_trained` and `mgtutor.shipped` replaced: a notebook that
decides between the shipped run and training it again calls `shipped_or_trained`, which reads the settings from
the shipped run instead of typing them."""
SHIPPED_COMMAND = re.compile(r"MGTUTOR_MODE=full python -m mgtutor train \S+ (?:[^`\n]|\\\n)*?--out "
                             r"mgtutor/shipped/(\S+)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_notebook_writes_its_own_shipped_or_trained_helper(path):
    cells = load(path)["cells"]
    found = {name for cell in cells if cell["cell_type"] == "code" for name in RETIRED.findall(source(cell))}
    assert not found, f"{path.name}: uses {sorted(found)}; call mgtutor.tasks.shipped_or_trained / mgtutor.shipped"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_a_shipped_command_quoted_in_a_notebook_is_the_one_that_made_the_run(path):
    from mgtutor import shipped

    for cell in load(path)["cells"]:
        for match in SHIPPED_COMMAND.finditer(source(cell)):
            quoted = " ".join(match.group(0).replace("\\\n", " ").split())
            assert quoted == shipped.SHIPPED[match.group(1)].command, f"{path.name}: {quoted}"
