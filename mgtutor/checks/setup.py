"""Exercise checkers for notebook 00 (welcome and set-up)."""

from __future__ import annotations

from mgtutor.checks import CheckResult, exercise, hint, ok
from mgtutor.glossary import GLOSSARY

__all__ = ["glossary_exercise", "mode_exercise"]


@exercise
def glossary_exercise(answer: dict[str, str]) -> CheckResult:
    """Checker for notebooks/00_welcome.ipynb, exercise 1: map Chinese terms to English ones.

    An answer passes when every Chinese term given is a glossary term and its English term is
    the glossary's (case-insensitive), written in full or as its abbreviation, e.g. "MFCC".
    """
    if not isinstance(answer, dict) or not answer:
        return hint("Answer with a dict such as {'采样': 'sampling', ...}.")
    known = {t.zh: t.en.lower() for t in GLOSSARY}
    unknown = [zh for zh in answer if zh not in known]
    if unknown:
        return hint(f"{unknown[0]!r} is not a glossary term; copy the Chinese terms from the table in §6.")
    for zh, en in answer.items():
        if str(en).strip().lower() not in _spellings(known[zh]):
            return hint(f"{zh} is not {en!r}: look it up in the table (its notebook column says where it is taught).")
    return ok(f"all {len(answer)} terms right")


def _spellings(english: str) -> set[str]:
    """'short-time fourier transform (stft)' -> {the whole, 'short-time fourier transform', 'stft'}."""
    full, _, abbreviation = english.partition(" (")
    return {english, full, abbreviation.rstrip(")")} - {""}


@exercise
def mode_exercise(fn) -> CheckResult:
    """Checker for notebooks/00_welcome.ipynb, exercise 2: epochs that follow the mode.

    ``fn(mode)`` must return 1 in ``"smoke"`` mode and 20 in ``"full"`` mode, by calling
    ``config.pick`` under the matching ``MGTUTOR_MODE``.
    """
    import os

    saved = os.environ.get("MGTUTOR_MODE")
    try:
        got = {}
        for mode in ("smoke", "full"):
            os.environ["MGTUTOR_MODE"] = mode
            got[mode] = fn()
    finally:
        if saved is None:
            os.environ.pop("MGTUTOR_MODE", None)
        else:
            os.environ["MGTUTOR_MODE"] = saved
    if got == {"smoke": 1, "full": 20}:
        return ok("epochs follow the mode: 1 in smoke, 20 in full")
    if got["smoke"] == got["full"]:
        return hint(f"Your function returned {got['full']} in both modes: read the mode at call time with config.pick.")
    if got == {"smoke": 20, "full": 1}:
        return hint("The arguments are swapped: config.pick(full, smoke) takes the full value first.")
    return hint(f"Expected 1 (smoke) and 20 (full), got {got['smoke']} and {got['full']}.")
