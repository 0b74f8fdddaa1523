"""Tasks: what ``python -m mgtutor train|generate|evaluate <task>`` can do, by name.

Part of mgtutor. See notebooks/06_melody_generation.ipynb §5 (the command line).

A :class:`Task` names the verbs it supports and, for each, its options — declared as data
(:class:`Option`: flags and their meaning) — and a function that runs the verb from the parsed
options. A task need not be a model (an evaluation such as a copying check is a task with only
``evaluate``). The command line (:mod:`mgtutor.cli`, the only module that uses argparse) is
generated from :data:`TASKS`; importing a task module must stay cheap (no TensorFlow, Keras or
music21 at import).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

VERBS = ("train", "generate", "evaluate")


@dataclass(frozen=True)
class Option:
    """One option of a task's verb, as data: its flags and what they mean (argparse's keywords:
    ``help``, ``type``, ``default``, ``required``, ``metavar``, ``dest``, ``action``)."""

    flags: tuple[str, ...]
    spec: dict


def option(*flags: str, **spec) -> Option:
    """``option("--epochs", type=int, help="…")``: an :class:`Option`."""
    return Option(flags, spec)


@dataclass(frozen=True)
class Task:
    """A task of the command line.

    Args:
        name: the word after the verb (``melody``).
        help: one line for ``--help``.
        verbs: verb → (its options, run(parsed options) -> exit status).
    """

    name: str
    help: str
    verbs: dict[str, tuple[Sequence[Option], Callable[..., int]]] = field(default_factory=dict)


TASKS: dict[str, Task] = {}
"""Every task, by name (filled by :func:`tasks`)."""


def register_task(task: Task) -> Task:
    """Add ``task`` to :data:`TASKS` (names are unique)."""
    unknown = set(task.verbs) - set(VERBS)
    if unknown:
        raise ValueError(f"task {task.name!r}: unknown verb(s) {sorted(unknown)}; use {VERBS}")
    TASKS[task.name] = task
    return task


def tasks() -> dict[str, Task]:
    """:data:`TASKS`, after importing every task module."""
    from mgtutor.tasks import melody, pianoroll  # noqa: F401  (they register themselves)

    return TASKS
