"""Exercise checkers for the notebooks.

Part of mgtutor. Each notebook's exercises end with a call such as
``checks.hz_to_mel_exercise(my_function)``; the checker compares the learner's answer with an
independent reference and returns a :class:`CheckResult` that shows as ``✔ …`` or as
``✘ …`` followed by a hint saying *what kind* of wrong the answer looks like.

Checkers live in topic modules (``checks.audio`` for notebooks 01–03, ``checks.symbolic``
for 04, ``checks.sequence`` for 05–06) and are all re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CheckResult:
    """The verdict of a checker: ``passed`` and the line a learner reads.

    It is truthy when the answer passed, so ``assert checks.x(answer)`` works in tests, and it
    shows as its message in a notebook (``repr`` is the message).
    """

    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return self.message

    __str__ = __repr__


def ok(what: str) -> CheckResult:
    """A passing verdict: ``✔ <what>``."""
    return CheckResult(True, f"✔ {what}")


def hint(advice: str) -> CheckResult:
    """A failing verdict with advice: ``✘ Not yet. <advice>``."""
    return CheckResult(False, f"✘ Not yet. {advice}")


from mgtutor.checks.audio import *  # noqa: E402,F403
from mgtutor.checks.sequence import *  # noqa: E402,F403
from mgtutor.checks.setup import *  # noqa: E402,F403
from mgtutor.checks.symbolic import *  # noqa: E402,F403
