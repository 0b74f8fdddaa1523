"""The package's import graph keeps its layers: the import-linter contracts of pyproject.toml hold (layers, no
cycle, independent tasks), they name every module of the package, and they catch an upward import."""

import os
import pkgutil
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from toml_compat import tomllib

import mgtutor

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
CONTRACTS = {c["id"]: c for c in tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"]
             ["contracts"]}
LINT = "import sys; from importlinter.cli import lint_imports_command; sys.argv[0] = 'lint-imports'; " \
       "lint_imports_command()"


def lint_imports(project: Path) -> subprocess.CompletedProcess:
    """``lint-imports`` on the package under ``project`` with the contracts of its pyproject.toml (no cache)."""
    return subprocess.run([sys.executable, "-c", LINT, "--no-cache", "--no-logo", str(project / "pyproject.toml")],
                          cwd=project, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(project)})


def test_the_import_contracts_hold():
    proc = lint_imports(ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Contracts: 3 kept, 0 broken." in proc.stdout, proc.stdout


def test_every_module_of_the_package_is_in_one_layer():
    layered = [name.strip() for layer in CONTRACTS["layers"]["layers"] for name in re.split(r"[|:]", layer)]
    modules = sorted(m.name for m in pkgutil.iter_modules(mgtutor.__path__))
    assert sorted(set(layered)) == sorted(layered), "a module is in two layers"
    assert sorted(layered) == modules, (f"in no layer: {sorted(set(modules) - set(layered))}; "
                                        f"no such module: {sorted(set(layered) - set(modules))}")


def test_no_contract_ignores_an_import():
    assert not any("ignore_imports" in contract for contract in CONTRACTS.values())


@pytest.mark.parametrize(("imports", "broken"), [
    ({"errors.py": "from mgtutor import cli"}, "a module imports only from the layers below its own"),
    ({"tasks/gan_toy.py": "from mgtutor.tasks import melody"}, "no task module imports another"),
    ({"data/splits.py": "from mgtutor.data import windows", "data/windows.py": "from mgtutor.data import splits"},
     "no import cycle"),
])
def test_an_import_against_a_contract_breaks_it(tmp_path, imports, broken):
    shutil.copytree(ROOT / "mgtutor", tmp_path / "mgtutor", ignore=shutil.ignore_patterns("shipped", "*.json*",
                                                                                          "__pycache__"))
    shutil.copy(PYPROJECT, tmp_path / "pyproject.toml")
    for module, line in imports.items():
        path = tmp_path / "mgtutor" / module
        path.write_text(f"{line}  # noqa\n{path.read_text(encoding='utf-8')}", encoding="utf-8")
    proc = lint_imports(tmp_path)
    assert proc.returncode == 1 and broken in proc.stdout and "BROKEN" in proc.stdout, proc.stdout + proc.stderr
