"""Tasks: what ``python -m mgtutor train|generate|evaluate <task>`` can do, by name.

Part of mgtutor. See notebooks/06_melody_generation.ipynb §5 (the command line).

A :class:`Task` names the verbs it supports and, for each, a function that adds the verb's options
to an argparse parser and a function that runs it from the parsed arguments. A task need not be a
model (an evaluation such as a copying check is a task with only ``evaluate``). The command line
(:mod:`mgtutor.cli`) is generated from :data:`TASKS`; importing a task module must stay cheap (no
TensorFlow, Keras or music21 at import).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field

VERBS = ("train", "generate", "evaluate")


@dataclass(frozen=True)
class Task:
    """A task of the command line.

    Args:
        name: the word after the verb (``melody``).
        help: one line for ``--help``.
        verbs: verb → (add_arguments(parser), run(args) -> exit status).
    """

    name: str
    help: str
    verbs: dict[str, tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = field(
        default_factory=dict)


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
    from mgtutor.tasks import melody  # noqa: F401  (registers itself)

    return TASKS
