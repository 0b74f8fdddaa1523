"""The documents a learner or teacher reads first: every link and heading anchor resolves, and every command they name
exists (a `python -m mgtutor …` sub-command and its options in the CLI's parser, a `make` target in the Makefile)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from mgtutor import cli
from mgtutor.corrections import heading_anchor
from mgtutor.notebooks import read_notebook

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = ("README.md", "INSTRUCTORS.md", "FAQ.md")
FENCE = re.compile(r"^```.*?^```", re.M | re.S)
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
SPAN = re.compile(r"`([^`\n]+)`")


def prose(text: str) -> str:
    """``text`` without its fenced code blocks (links there are code, not links)."""
    return FENCE.sub("", text)


def code_lines(text: str) -> list[str]:
    """Every inline code span and every line of a fenced code block."""
    lines = [line for block in FENCE.findall(text) for line in block.splitlines()[1:-1]]
    return lines + SPAN.findall(prose(text))


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a markdown heading: lowercase, punctuation other than ``-`` and ``_`` dropped, spaces
    to ``-``."""
    text = re.sub(r"`([^`]*)`", r"\1", heading.strip().lstrip("#").strip()).lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    if path.suffix == ".ipynb":
        return {heading_anchor(line) for cell in read_notebook(path).cells if cell.cell_type == "markdown"
                for line in cell.source.splitlines() if line.startswith("#")}
    text = prose(path.read_text(encoding="utf-8"))
    return {github_slug(line) for line in text.splitlines() if re.match(r"#{1,6} ", line)}


def link_problems(doc: Path) -> list[str]:
    problems = []
    for target in LINK.findall(prose(doc.read_text(encoding="utf-8"))):
        if re.match(r"[a-z]+:", target):
            continue
        file, _, anchor = target.partition("#")
        path = (doc.parent / file).resolve() if file else doc
        if not path.exists():
            problems.append(f"{target}: no such file")
        elif anchor and anchor not in anchors(path):
            problems.append(f"{target}: no heading with that anchor in {path.name}")
    return problems


def subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    return {name: p for action in parser._actions if isinstance(action, argparse._SubParsersAction)
            for name, p in action.choices.items()}


def flags(parser: argparse.ArgumentParser) -> set[str]:
    return {flag for action in parser._actions for flag in action.option_strings}


def takes_value(parser: argparse.ArgumentParser, flag: str) -> bool:
    return any(flag in action.option_strings and action.nargs != 0 for action in parser._actions)


def command_problems(line: str, root: argparse.ArgumentParser) -> list[str]:
    """What in ``line`` after ``python -m mgtutor`` the parser does not know: a sub-command, or an option.

    Words in capitals (``TASK``, ``RUN_DIR``) are placeholders: below one, an option may belong to any of the
    parsers it stands for. ``a|b`` names alternatives, each of which must exist.
    """
    problems = []
    words = line.split("python -m mgtutor", 1)[1].replace("[", " ").replace("]", " ").split()
    level = [root]
    value_next = False
    for word in words:
        word = word.strip(",;.)(…")
        if not word or word in {"…", "...", "|"}:
            continue
        if value_next and not word.startswith("-"):
            value_next = False  # the value of the option before
            continue
        value_next = False
        if word.startswith("--"):
            flag = word.split("=")[0]
            takes = [takes_value(p, flag) for p in level if flag in flags(p)]
            if not takes:
                problems.append(f"{line!r}: option {flag} unknown to {' / '.join(p.prog for p in level)}")
            value_next = "=" not in word and any(takes)
            continue
        children = {name: p for parser in level for name, p in subparsers(parser).items()}
        if not children or word.startswith("-"):
            continue
        if word.isupper() or not re.fullmatch(r"[a-z][a-z0-9|-]*", word):
            level = level + list(children.values())
            continue
        chosen = word.split("|")
        missing = [c for c in chosen if c not in children]
        if missing:
            problems.append(f"{line!r}: no command {' '.join(missing)} (known: {', '.join(sorted(children))})")
            return problems
        level = level + [children[c] for c in chosen]
    return problems


def make_targets() -> set[str]:
    return set(re.findall(r"^([a-z][a-z0-9-]*):", (ROOT / "Makefile").read_text(encoding="utf-8"), re.M))


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_link_and_anchor_resolves(name):
    assert not link_problems(ROOT / name)


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_command_exists(name):
    text = (ROOT / name).read_text(encoding="utf-8")
    root = cli.build_parser()
    targets = make_targets()
    problems, named = [], 0
    for line in code_lines(text):
        for part in re.split(r"&&|;|\|\|", line):
            if "python -m mgtutor " in part:
                named += 1
                problems += command_problems(part, root)
            for target in re.findall(r"(?:^|\s)make ([a-z][a-z0-9-]*)", part):
                named += 1
                if target not in targets:
                    problems.append(f"make {target}: no such target in the Makefile")
    assert named, f"{name} names no command"
    assert not problems


def test_the_link_check_finds_broken_links(tmp_path):
    (tmp_path / "a.md").write_text("# Title\n\n## Some section\n", encoding="utf-8")
    doc = tmp_path / "doc.md"
    doc.write_text("[ok](a.md#some-section) [self](#only-here) [gone](b.md) [bad](a.md#no-such)\n\n# Only here\n"
                   "```\n[in code](nowhere.md)\n```\n", encoding="utf-8")
    assert link_problems(doc) == ["b.md: no such file", "a.md#no-such: no heading with that anchor in a.md"]


def test_notebook_anchors_are_jupyterlab_s():
    nb = ROOT / "notebooks" / "06_melody_generation.ipynb"
    assert "3.-Sampling:-temperature,-top-k-and-top-p" in anchors(nb)


@pytest.mark.parametrize("line, problem", [
    ("python -m mgtutor course --plan 6", None),
    ("python -m mgtutor train melody --epochs 3 --out runs/x", None),
    ("python -m mgtutor train TASK --out RUN_DIR --epochs 2", None),
    ("python -m mgtutor generate melody|gan-spec --run RUN_DIR --out x.mid", None),
    ("python -m mgtutor train melody --corpus chorales --backend jax --epochs 2", None),
    ("python -m mgtutor --help", None),
    ("python -m mgtutor trian melody", "no command trian"),
    ("python -m mgtutor course --plans 6", "option --plans unknown"),
    ("python -m mgtutor train melody --epoch 3", "option --epoch unknown"),
    ("python -m mgtutor generate melody|nonesuch --run R", "no command nonesuch"),
])
def test_the_command_check_finds_unknown_commands_and_options(line, problem):
    found = command_problems(line, cli.build_parser())
    assert (problem is None and not found) or (problem is not None and problem in " ".join(found)), found
