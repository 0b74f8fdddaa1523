"""Exercise checkers for the notebooks.

Part of mgtutor. Every exercise has two cells: a **stub** the learner fills (a function whose body
is ``...``, or an answer ``= ...``) followed by its checker call, and a **solution** cell, collapsed
by default and tagged ``solution``, that runs the same checker on a worked answer. The checker
compares the answer with an independent reference and returns a :class:`CheckResult` that shows as
``✔ …`` or as ``✘ …`` with a hint saying *what kind* of wrong the answer looks like.

* A stub gets "not attempted yet" (:func:`is_stub`), so *Run All* goes through the whole notebook.
  The message does not mention the solution cell: a student copy (``python -m mgtutor student-copy``)
  has none.
* Hints come in tiers: the first failure gets a nudge; from the second failure of the same
  exercise on, the hint's ``then`` part (usually the formula) is added (:func:`exercise`).
* When :data:`GRADE_LOG` names a file in the environment, every checker call appends one JSON line
  to it (:func:`exercise`); ``python -m mgtutor grade`` (:mod:`mgtutor.grading`) reads these lines.

Checkers live in topic modules (``checks.audio`` for notebooks 01–03, ``checks.symbolic``
for 04, ``checks.sequence`` for 05–06, ``checks.polyphony`` for 07, ``checks.gan`` for 08, ``checks.gan_music``
for 09, ``checks.training`` for 10, ``checks.evaluation`` for 11, ``checks.ethics`` for 12, ``checks.setup`` for
00) and are all re-exported here. A passing line (``✔ …``) says what was checked, never how it is solved: a
solution cell is folded, but its output stays visible.
"""

from __future__ import annotations

import ast
import functools
import inspect
import json
import os
import textwrap
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class CheckResult:
    """The verdict of a checker: ``passed`` and the line a learner reads.

    It is truthy when the answer passed, so ``assert checks.x(answer)`` works in tests, and it
    shows as its message in a notebook (``repr`` is the message).
    """

    passed: bool
    message: str
    then: str | None = field(default=None, compare=False)
    """The next tier of a failing hint (often the formula), shown from the second failure on."""

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return self.message

    __str__ = __repr__


def ok(what: str) -> CheckResult:
    """A passing verdict: ``✔ <what>``."""
    return CheckResult(True, f"✔ {what}")


def hint(advice: str, then: str | None = None) -> CheckResult:
    """A failing verdict, ``✘ Not yet. <advice>``; ``then`` is the next tier, given on a repeated failure."""
    return CheckResult(False, f"✘ Not yet. {advice}", then)


def is_stub(answer) -> bool:
    """True for an exercise not attempted yet: ``...`` itself, or a function whose body is only ``...``,
    ``pass`` and a docstring."""
    if answer is Ellipsis:
        return True
    if not callable(answer):
        return False
    try:
        source = textwrap.dedent(inspect.getsource(answer))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError):
        return False
    node = tree.body[0] if tree.body else None
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    return all(_is_placeholder(statement) for statement in node.body)


def _is_placeholder(statement: ast.stmt) -> bool:
    """``pass``, ``...`` or a docstring: what a stub's body holds."""
    if isinstance(statement, ast.Pass):
        return True
    return (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)
            and (statement.value.value is Ellipsis or isinstance(statement.value.value, str)))


FAILURES: Counter = Counter()
"""Failed attempts per exercise in this session (the hint tier depends on it)."""

GRADE_LOG = "MGTUTOR_GRADE_LOG"
"""The environment variable naming the file each checker call is logged to (set by ``python -m mgtutor grade``)."""


def log_call(name: str, result: CheckResult, stub: bool) -> None:
    """Append one JSON line for a checker call to the file named by :data:`GRADE_LOG`, if that variable is set.

    The line holds ``exercise`` (the checker's name), ``passed``, ``stub`` (not attempted) and ``failures`` (the
    failed attempts at that exercise so far, :data:`FAILURES`). It is written with one ``write`` to a file opened
    for appending, so lines of one kernel never interleave. Nothing is written when the variable is unset.
    """
    path = os.environ.get(GRADE_LOG)
    if not path:
        return
    line = json.dumps({"exercise": name, "passed": bool(result.passed), "stub": stub, "failures": FAILURES[name]})
    with open(path, "a", encoding="utf-8") as log:
        log.write(line + "\n")


def exercise(checker: Callable[..., CheckResult]) -> Callable[..., CheckResult]:
    """Decorator for a checker ``checker(answer, ...)``: stubs get "not attempted yet", hints come in tiers, and
    each call is logged for grading (:func:`log_call`)."""
    name = checker.__name__

    @functools.wraps(checker)
    def check(answer, *args, **kwargs) -> CheckResult:
        if is_stub(answer):
            result = CheckResult(False, f"… {name}: not attempted yet. Fill in the cell above and run it again.")
            log_call(name, result, stub=True)
            return result
        result = checker(answer, *args, **kwargs)
        if not result.passed:
            FAILURES[name] += 1
            if result.then and FAILURES[name] > 1:
                result = CheckResult(False, f"{result.message}\n  Next hint: {result.then}", result.then)
        log_call(name, result, stub=False)
        return result

    check.is_exercise = True
    return check


def call(fn: Callable, *args, **kwargs):
    """Run the learner's function: ``(value, None)``, or ``(None, hint)`` naming the exception it raised."""
    try:
        return fn(*args, **kwargs), None
    except Exception as exc:  # noqa: BLE001 - any error in learner code becomes a hint
        return None, hint(f"Your function raised {type(exc).__name__}: {exc}. Run it on a small input "
                          "and read the traceback.")


from mgtutor.checks.audio import *  # noqa: E402,F403
from mgtutor.checks.ethics import *  # noqa: E402,F403
from mgtutor.checks.evaluation import *  # noqa: E402,F403
from mgtutor.checks.gan import *  # noqa: E402,F403
from mgtutor.checks.gan_music import *  # noqa: E402,F403
from mgtutor.checks.polyphony import *  # noqa: E402,F403
from mgtutor.checks.sequence import *  # noqa: E402,F403
from mgtutor.checks.setup import *  # noqa: E402,F403
from mgtutor.checks.symbolic import *  # noqa: E402,F403
from mgtutor.checks.training import *  # noqa: E402,F403
