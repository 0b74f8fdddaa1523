"""tests/mutation.py (``make mutation``): the score per module and the list of equivalent mutants."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

spec = importlib.util.spec_from_file_location("mutation_tool", Path(__file__).with_name("mutation.py"))
mutation = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mutation)


def test_the_score_counts_timeouts_as_killed_and_leaves_equivalents_out(capsys):
    results = {"m.a.x_f__mutmut_1": "killed", "m.a.x_f__mutmut_2": "timeout", "m.a.x_f__mutmut_3": "survived",
               "m.a.x_f__mutmut_4": "survived", "m.b.xǁCǁg__mutmut_1": "killed", "m.b.xǁCǁg__mutmut_2": "no tests"}
    problems = mutation.report(results, {"m.a.x_f__mutmut_4": "same value"}, target=0.6)
    out = capsys.readouterr().out
    assert problems == 1   # m.b: 1 of 2 = 50 % < 60 %; m.a: 2 of 3 = 67 %
    line_a = next(line for line in out.splitlines() if line.startswith("m.a "))
    assert line_a.split() == ["m.a", "4", "2", "1", "1", "66.7%"]
    assert "m.b.xǁCǁg__mutmut_2 (no tests)" in out and "below target" in out.split("m.b ")[1].splitlines()[0]


def test_a_stale_or_unknown_equivalent_is_a_problem(capsys):
    results = {"m.a.x_f__mutmut_1": "killed"}
    assert mutation.report(results, {"m.a.x_f__mutmut_1": "r"}, target=0.0) == 1
    assert mutation.report(results, {"m.a.x_gone__mutmut_1": "r"}, target=0.0) == 1
    out = capsys.readouterr().out
    assert "listed as equivalent but killed: m.a.x_f__mutmut_1" in out
    assert "not a mutant of this run: m.a.x_gone__mutmut_1" in out


def test_every_listed_equivalent_gives_a_reason(tmp_path):
    path = tmp_path / "eq.txt"
    path.write_text("# comment\n\nm.a.x_f__mutmut_1  # the default is always overridden\n")
    assert mutation.read_equivalent(path) == {"m.a.x_f__mutmut_1": "the default is always overridden"}
    path.write_text("m.a.x_f__mutmut_1\n")
    with pytest.raises(SystemExit, match="eq.txt:1: give a one-line reason"):
        mutation.read_equivalent(path)
    path.write_text("m.a.x_f__mutmut_1  #   \n")
    with pytest.raises(SystemExit, match="reason"):
        mutation.read_equivalent(path)


def test_the_shipped_list_reads_and_names_only_configured_modules():
    import tomllib

    listed = mutation.read_equivalent()
    config = tomllib.loads((mutation.ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    modules = {path.removesuffix(".py").removesuffix("/__init__").replace("/", ".") for path in config["only_mutate"]}
    assert {mutation.module_of(name) for name in listed} <= modules
