"""Exercise checkers for notebook 12 (applications and ethics).

Each checker calls the learner's function on fixed cases and compares with the rule written out here (energy
E = P · t / 3.6·10⁶ kWh; a piece is flagged when its longest match reaches the calibrated threshold, and the share of
real held-out chorales that reach the same length comes from the calibration's histogram; a credit line names the
dataset's title, licence and citation and says the piece is AI-generated), then recognises the usual wrong answers:
joules, watt-hours or kilowatt-seconds instead of kilowatt-hours; ``>`` instead of ``≥``; notes counted instead of
intervals; a count instead of a share; one dataset's fields typed in by hand.
"""

from __future__ import annotations

import math
import re

from mgtutor.checks import CheckResult, call, exercise, hint, ok

__all__ = ["run_energy_exercise", "copying_verdict_exercise", "credit_line_exercise"]

AI_GENERATED = re.compile(r"\bAI[\s\-‐‑–]*generated\b", re.IGNORECASE)
""""AI-generated" as a reader would accept it: any case, with a hyphen, a dash or a space (or nothing) between."""

_ENERGY_CASES = ((1080.0, 15.0), (3600.0, 10.0), (172_800.0, 30.0))
"""(CPU-seconds, watts per busy core): 18 core-minutes; one core-hour; two core-days."""


@exercise
def run_energy_exercise(fn) -> CheckResult:
    """Checker for notebooks/12_applications_and_ethics.ipynb, exercise 1.

    ``fn(cpu_seconds, watts_per_core)`` returns the energy in kWh: E = P · t / (1000 · 3600).
    """
    for seconds, watts in _ENERGY_CASES:
        got, failure = call(fn, seconds, watts)
        if failure is not None:
            return failure
        try:
            got = float(got)
        except (TypeError, ValueError):
            return hint("Return one number: the energy in kilowatt-hours.")
        want = watts * seconds / 3.6e6
        if math.isclose(got, want, rel_tol=1e-6):
            continue
        joules = watts * seconds
        for value, advice in (
            (joules, "That is in joules (watt-seconds). A kilowatt-hour is 1000 W for 3600 s."),
            (joules / 3600, "That is in watt-hours; one more step to kilowatt-hours."),
            (joules / 1000, "That is in kilowatt-seconds: there are 3600 seconds in an hour."),
            (joules * 3.6e6, "You multiplied by 3.6·10⁶; a kilowatt-hour is a *large* unit, so divide."),
            (joules / 60_000, "You divided by 60 (minutes) instead of 3600 (seconds in an hour)."),
        ):
            if math.isclose(got, value, rel_tol=1e-6):
                return hint(advice, then="E [kWh] = watts · seconds / 3.6e6")
        return hint(f"For {seconds:g} CPU-seconds at {watts:g} W per core the energy should be {want:.4g} kWh, "
                    f"not {got:.4g}.", then="energy = power × time: watts · seconds gives joules; 1 kWh = 3.6e6 J")
    return ok("one core-hour at 10 W per core is 0.01 kWh, and two core-days at 30 W are 1.44 kWh")


def _share_at_least(histogram: dict, length: int) -> float:
    total = sum(histogram.values())
    return sum(count for value, count in histogram.items() if int(value) >= length) / total


@exercise
def copying_verdict_exercise(fn) -> CheckResult:
    """Checker for notebooks/12_applications_and_ethics.ipynb, exercise 2.

    ``fn(longest, calibration)`` gets a longest-match length (in intervals) and one mode of the shipped calibration
    (``copying.calibration()["pitch"]``: ``threshold`` and ``histogram``) and returns ``(flagged, share)``:
    flagged = longest ≥ threshold; share = the fraction of the calibration's real held-out pieces whose longest
    match is at least ``longest``.
    """
    from mgtutor import copying

    calibration = copying.calibration()["pitch"]
    threshold, histogram = calibration["threshold"], calibration["histogram"]
    pieces = sum(histogram.values())
    for longest in (5, 9, threshold - 1, threshold, threshold + 7):
        got, failure = call(fn, longest, calibration)
        if failure is not None:
            return failure
        try:
            flagged, share = got
            share = float(share)
        except (TypeError, ValueError):
            return hint("Return two values: (flagged, share), a bool and a number between 0 and 1.")
        want_flag, want_share = longest >= threshold, _share_at_least(histogram, longest)
        if bool(flagged) != want_flag:
            if longest == threshold:
                return hint(f"A match of exactly {threshold} intervals reaches the threshold: the rule is ≥, not >.",
                            then="flagged = longest >= calibration['threshold']")
            below, _ = call(fn, threshold - 2, calibration)
            if longest == threshold - 1 and isinstance(below, (tuple, list)) and len(below) == 2 and not below[0]:
                return hint("The threshold counts intervals, as the match length does; do not add one for notes.",
                            then="flagged = longest >= calibration['threshold']")
            return hint(f"A longest match of {longest} intervals against the threshold {threshold}: flagged should be "
                        f"{want_flag}.", then="flagged = longest >= calibration['threshold']")
        if math.isclose(share, want_share, abs_tol=1e-9):
            continue
        if math.isclose(share, want_share * pieces, abs_tol=1e-6):
            return hint(f"That is a count of pieces; divide by the {pieces} pieces of the calibration.")
        if math.isclose(share, _share_at_least(histogram, longest + 1), abs_tol=1e-9):
            return hint(f"Count the pieces whose longest match is *at least* {longest} (≥), not longer than it.",
                        then="sum(c for v, c in histogram.items() if int(v) >= longest) / sum(histogram.values())")
        if math.isclose(share, 1 - want_share, abs_tol=1e-9):
            return hint("You counted the pieces below the length; count those that reach it.")
        return hint(f"For a longest match of {longest}, {want_share:.3f} of the held-out chorales reach that length "
                    f"(yours: {share:.3f}). The histogram's keys are lengths as strings, its values counts.",
                    then="sum(c for v, c in histogram.items() if int(v) >= longest) / sum(histogram.values())")
    return ok(f"flagged from {threshold} intervals on; a match of 9 or longer occurs in "
              f"{_share_at_least(histogram, 9):.0%} of real held-out chorales, one of 16 or longer in "
              f"{_share_at_least(histogram, 16):.1%}, one of {threshold} in none")


_CREDIT_CASES = ("maestro_v3_midi", "nsynth_test", "jsb_chorales")


@exercise
def credit_line_exercise(fn) -> CheckResult:
    """Checker for notebooks/12_applications_and_ethics.ipynb, exercise 3.

    ``fn(dataset)`` gets a :class:`mgtutor.fetch.Dataset` and returns one line for a piece generated by a model
    trained on it: it says the piece is AI-generated and names the dataset's ``title``, its licence
    (``licence_short``) and its ``citation``.
    """
    from mgtutor.fetch import REGISTRY

    seen = []
    for name in _CREDIT_CASES:
        d = REGISTRY[name]
        got, failure = call(fn, d)
        if failure is not None:
            return failure
        if not isinstance(got, str):
            return hint("Return the line as one string (an f-string is the easy way).")
        other = next((REGISTRY[n] for n in seen if REGISTRY[n].title in got), None)
        if other is not None and d.title not in got:
            return hint(f"For {name} your line still names {other.name}: read the fields from the `dataset` "
                        "argument instead of typing them in.", then="f\"... {dataset.title} ... "
                        "{dataset.licence_short} ... {dataset.citation}\"")
        seen.append(name)
        if not AI_GENERATED.search(got):
            return hint("Say that the piece is AI-generated, in those words: a listener should not have to guess.")
        missing = [label for label, text in (("title", d.title), ("licence_short", d.licence_short),
                                             ("citation", d.citation)) if text not in got]
        if missing:
            return hint(f"For {name} the line lacks the dataset's {', '.join(missing)} (copy the field whole).",
                        then="f\"AI-generated music. Training data: {dataset.title} ({dataset.licence_short}). "
                             "Cite: {dataset.citation}\"")
    return ok("the line discloses the piece as AI-generated and credits its training data, for every dataset tested")
