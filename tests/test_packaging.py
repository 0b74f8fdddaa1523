"""The two install routes (pip/pyproject and conda/environment.yml) and the two README commands agree."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

tomllib = pytest.importorskip("tomllib")  # Python 3.11+
ROOT = Path(__file__).resolve().parent.parent


def normalised(lines) -> set[str]:
    return {str(Requirement(line)).replace(" ", "").lower() for line in lines}


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    wanted = normalised(project["dependencies"] + extras["test"] + extras["jax"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    listed = normalised(line for line in pip_section if not line.startswith("-"))
    assert listed == wanted, f"only in environment.yml: {listed - wanted}; only in pyproject: {wanted - listed}"
    assert "python=3.11" in env["dependencies"]


def test_readme_has_exactly_two_setup_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Set up", 1)[1].split("\n## ", 1)[0]
    commands = [line.strip() for block in re.findall(r"```(?:bash|sh)\n(.*?)```", section, re.S)
                for line in block.splitlines() if line.strip() and not line.strip().startswith("#")]
    assert commands == ["make course", "make test"], commands
    ci = (ROOT / ".ci" / "run").read_text()
    assert ci.startswith("#!/usr/bin/env bash") and "set -euo pipefail" in ci
    assert re.search(r"^make test$", ci, re.M), ".ci/run must call the README's test command"


def test_python_range_and_extras():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.10,<3.13"
    names = {Requirement(r).name for r in project["optional-dependencies"]["test"]}
    assert {"pytest", "nbval", "hypothesis", "ruff", "playwright"} <= names
