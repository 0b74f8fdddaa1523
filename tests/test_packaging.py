"""The two install routes (pip/pyproject and conda/environment.yml) and the two README commands agree."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from toml_compat import tomllib

from mgtutor import colab

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
    assert project["requires-python"] == ">=3.10"
    names = {Requirement(r).name for r in project["optional-dependencies"]["test"]}
    assert {"pytest", "nbval", "hypothesis", "ruff", "playwright", "import-linter"} <= names


def test_the_version_is_pyprojects_and_downloads_name_it():
    import mgtutor
    from mgtutor import fetch

    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert mgtutor.__version__ == version
    assert fetch.USER_AGENT.startswith(f"mgtutor-data-fetch/{version} ")


def test_every_admitted_python_gets_a_toml_parser_for_the_tests():
    """tests/toml_compat.py uses tomllib from Python 3.11 and the tomli package before: the [test] extra installs
    tomli on every admitted Python that lacks tomllib, and nowhere else."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    (tomli,) = [Requirement(r) for r in project["optional-dependencies"]["test"] if Requirement(r).name == "tomli"]
    admitted = SpecifierSet(project["requires-python"])
    for minor in range(0, 20):
        version = f"3.{minor}"
        if not admitted.contains(f"{version}.0"):
            continue
        wanted = minor < 11  # tomllib joined the standard library in Python 3.11
        env = {**default_environment(), "python_version": version, "python_full_version": f"{version}.0",
               "extra": "test"}
        assert tomli.marker.evaluate(env) == wanted, version


def test_the_test_extra_holds_the_build_tools_so_the_wheel_builds_offline():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    build = normalised(pyproject["build-system"]["requires"])
    assert build <= normalised(pyproject["project"]["optional-dependencies"]["test"]), build


# --- Colab: every runtime requirement is met by Colab's published versions or installed by colab.setup()

CONSTRAINTS = ROOT / "tests" / "colab" / "constraints.txt"


def colab_constraints(text: str) -> tuple[str, dict[str, str]]:
    """The constraints file's Python version (its ``# python: X.Y.Z`` header line) and its pins."""
    python = re.search(r"^# python: (\S+)$", text, re.M)
    assert python, "the constraints file names Colab's Python in a '# python: X.Y.Z' header line"
    pins = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            req = Requirement(line)
            (spec,) = req.specifier
            assert spec.operator == "==", f"{line}: pin exact versions"
            pins[canonicalize_name(req.name)] = spec.version
    return python.group(1), pins


def colab_problems(project: dict, constraints: str, extras=colab.COLAB_EXTRAS,
                   not_on_colab=colab.NOT_ON_COLAB) -> list[str]:
    """Why the course would not install or run on the Colab the constraints describe (empty: it would)."""
    python, pins = colab_constraints(constraints)
    env = {**default_environment(), "sys_platform": "linux", "platform_system": "Linux",
           "platform_machine": "x86_64", "python_version": ".".join(python.split(".")[:2]),
           "python_full_version": python, "extra": ""}
    problems = []
    if not SpecifierSet(project["requires-python"]).contains(python):
        problems.append(f"requires-python {project['requires-python']} refuses Colab's Python {python}")
    declared = {canonicalize_name(r.name): r for r in map(Requirement, project["dependencies"]
                                                           + sum(project["optional-dependencies"].values(), []))}
    extra_reqs = {canonicalize_name(r.name): r for r in map(Requirement, extras)}
    for name, extra in extra_reqs.items():
        if name not in declared:
            problems.append(f"COLAB_EXTRAS: {extra} is not a requirement in pyproject.toml")
        elif extra.specifier != declared[name].specifier:
            problems.append(f"COLAB_EXTRAS: {extra} differs from pyproject's {declared[name]}")
        if name in pins and not extra.specifier.contains(pins[name], prereleases=True):
            problems.append(f"COLAB_EXTRAS: {extra} would replace Colab's {name}=={pins[name]}")
    skip = {canonicalize_name(n) for n in not_on_colab}
    for req in map(Requirement, project["dependencies"]):
        name = canonicalize_name(req.name)
        if (req.marker and not req.marker.evaluate(env)) or name in skip or name in extra_reqs:
            continue
        if name not in pins:
            problems.append(f"{req}: not in Colab's list (pin it in the constraints) nor in COLAB_EXTRAS")
        elif not req.specifier.contains(pins[name], prereleases=True):
            problems.append(f"{req}: refuses Colab's {name}=={pins[name]}")
    return problems


def test_colab_has_or_gets_every_runtime_requirement():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    constraints = CONSTRAINTS.read_text()
    source = r"googlecolab/backend-info.*\n.*a72407924822ea377410b69f0a290150bcb5c9c2 \(2026-08-19"
    assert re.search(source, constraints), "the header names the snapshot's repository, commit and date"
    assert colab_problems(project, constraints) == []
    python, pins = colab_constraints(constraints)
    assert python == "3.13.15" and pins["tensorflow-cpu"] == "2.20.0"


@pytest.mark.parametrize("change, problem", [
    (("keras>=3.7", "keras>=3.14"), "keras>=3.14: refuses Colab's keras==3.13.2"),
    (("ipywidgets>=7.7", "ipywidgets>=8.1"), "ipywidgets>=8.1: refuses Colab's ipywidgets==7.7.1"),
    (('"numpy>=1.26",', '"numpy>=1.26", "pyyaml>=6",'), "pyyaml>=6: not in Colab's list"),
    (('requires-python = ">=3.10"', 'requires-python = ">=3.10,<3.13"'), "refuses Colab's Python 3.13.15"),
    (('"verovio==6.4.1"', '"verovio==6.5.0"'), "COLAB_EXTRAS: verovio==6.4.1 differs from pyproject's verovio==6.5.0"),
])
def test_the_colab_check_fails_on_a_narrowed_range(change, problem):
    text = (ROOT / "pyproject.toml").read_text()
    assert change[0] in text
    project = tomllib.loads(text.replace(change[0], change[1], 1))["project"]
    problems = colab_problems(project, CONSTRAINTS.read_text())
    assert any(problem in p for p in problems), problems


def test_the_colab_check_fails_when_pyproject_drops_an_extra():
    text = (ROOT / "pyproject.toml").read_text()
    assert '    "pretty_midi>=0.2.10",\n' in text
    project = tomllib.loads(text.replace('    "pretty_midi>=0.2.10",\n', "", 1))["project"]
    problems = colab_problems(project, CONSTRAINTS.read_text())
    assert problems == ["COLAB_EXTRAS: pretty_midi>=0.2.10 is not a requirement in pyproject.toml"], problems


def test_the_colab_check_fails_when_colab_extras_drops_what_colab_lacks():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = tuple(e for e in colab.COLAB_EXTRAS if not e.startswith("mido"))
    problems = colab_problems(project, CONSTRAINTS.read_text(), extras=extras)
    assert problems == ["mido>=1.3: not in Colab's list (pin it in the constraints) nor in COLAB_EXTRAS"], problems


def test_an_extra_that_would_replace_colabs_version_is_refused():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text().replace('"soxr>=0.3"', '"soxr>=2"'))["project"]
    extras = tuple("soxr>=2" if e.startswith("soxr") else e for e in colab.COLAB_EXTRAS)
    problems = colab_problems(project, CONSTRAINTS.read_text(), extras=extras)
    assert problems == ["COLAB_EXTRAS: soxr>=2 would replace Colab's soxr==1.1.0"]


def test_make_course_switches_jupyterlab_s_news_prompt_off(tmp_path):
    """The overrides `make course` writes, read by JupyterLab's own settings code: the news feed is "Never" (so no
    prompt asks) and no update check runs; a misspelt plugin or key, or a value the schema refuses, fails here."""
    import json
    import sys

    from jupyterlab_server.settings_utils import _get_overrides, _get_schema

    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    written = json.loads(re.search(r"^LAB_SETTINGS_JSON := (.+)$", makefile, re.M).group(1))
    assert re.search(r"^LAB_OVERRIDES := \$\(VENV\)/share/jupyter/lab/settings/overrides\.d/mgtutor\.json$",
                     makefile, re.M), "JupyterLab reads overrides from <prefix>/share/jupyter/lab/settings"
    assert re.search(r"^course: .*\$\(LAB_OVERRIDES\)", makefile, re.M)
    (tmp_path / "overrides.d").mkdir()
    (tmp_path / "overrides.d" / "mgtutor.json").write_text(json.dumps(written), encoding="utf-8")
    overrides, error = _get_overrides(str(tmp_path))
    assert not error
    schemas = Path(sys.prefix) / "share" / "jupyter" / "lab" / "schemas"
    name = "@jupyterlab/apputils-extension:notification"
    schema, _ = _get_schema(str(schemas), name, overrides, None)
    properties = schema["properties"]
    assert properties["fetchNews"]["default"] == "false"
    assert "false" in [choice["const"] for choice in properties["fetchNews"]["oneOf"]]
    assert properties["checkForUpdates"]["default"] is False
    assert set(written[name]) <= set(properties)


def test_no_merge_conflict_markers_in_the_tree():
    """A merge left half-done shows as `<<<<<<< ` / `>>>>>>> ` lines: none in any tracked text file."""
    import subprocess

    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    found = []
    for name in files:
        path = ROOT / name
        if path.suffix not in {".py", ".md", ".ipynb", ".toml", ".yml", ".yaml", ".cfg", ".txt", ".json", ""} \
                or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        markers = ("<<<<<<< ", ">>>>>>> ")
        found += [f"{name}:{i}" for i, line in enumerate(text.splitlines(), 1)
                  if line.startswith(markers) or line.strip('" ,\\n').startswith(markers)]
    assert not found, found
