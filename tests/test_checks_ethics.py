"""Tests for mgtutor.checks.ethics (notebook 12's exercise checkers): each passes a correct answer, says "not
attempted yet" for a stub, and names the typical wrong answers."""

import pytest

from mgtutor import checks, copying, provenance


def kwh(seconds, watts):
    return watts * seconds / 3.6e6


def verdict(longest, calibration):
    histogram = calibration["histogram"]
    reached = sum(count for length, count in histogram.items() if int(length) >= longest)
    return longest >= calibration["threshold"], reached / sum(histogram.values())


def credit(dataset):
    return f"AI-generated music. Training data: {dataset.title} ({dataset.licence_short}). Cite: {dataset.citation}"


def test_correct_answers_pass():
    assert checks.run_energy_exercise(kwh)
    assert checks.run_energy_exercise(lambda s, w: s / 3600 * w / 1000)
    assert checks.copying_verdict_exercise(verdict)
    assert checks.credit_line_exercise(credit)
    # the package's own lines, with the disclosure in front, pass too
    assert checks.credit_line_exercise(
        lambda d: provenance.disclosure("a model", d.title) + " " + provenance.dataset_credit(d))


def test_stubs_are_not_attempted():
    def stub(*args):
        ...

    for checker in (checks.run_energy_exercise, checks.copying_verdict_exercise, checks.credit_line_exercise):
        result = checker(stub)
        assert not result and "not attempted yet" in result.message


@pytest.mark.parametrize(("wrong", "phrase"), [
    (lambda s, w: s * w, "joules"),
    (lambda s, w: s * w / 3600, "watt-hours"),
    (lambda s, w: s * w / 1000, "kilowatt-seconds"),
    (lambda s, w: s * w * 3.6e6, "divide"),
    (lambda s, w: s * w / 60_000, "divided by 60"),
    (lambda s, w: s / w, "should be"),
    (lambda s, w: "0.01 kWh", "one number"),
    (lambda s, w: 1 / 0, "ZeroDivisionError"),
])
def test_run_energy_recognises_wrong_answers(wrong, phrase):
    result = checks.run_energy_exercise(wrong)
    assert not result and phrase in result.message


def share(histogram, at_least):
    return sum(c for v, c in histogram.items() if int(v) >= at_least) / sum(histogram.values())


@pytest.mark.parametrize(("wrong", "phrase"), [
    (lambda n, c: (n > c["threshold"], share(c["histogram"], n)), "≥, not >"),
    (lambda n, c: (n + 1 >= c["threshold"], share(c["histogram"], n)), "do not add one"),
    (lambda n, c: (n >= c["threshold"], share(c["histogram"], n) * 350), "count of pieces"),
    (lambda n, c: (n >= c["threshold"], share(c["histogram"], n + 1)), "at least"),
    (lambda n, c: (n >= c["threshold"], 1 - share(c["histogram"], n)), "below the length"),
    (lambda n, c: (n >= c["threshold"], 0.5), "histogram's keys"),
    (lambda n, c: (n >= 10, share(c["histogram"], n)), "flagged should be"),
    (lambda n, c: n >= c["threshold"], "two values"),
])
def test_copying_verdict_recognises_wrong_answers(wrong, phrase):
    result = checks.copying_verdict_exercise(wrong)
    assert not result and phrase in result.message


def test_copying_verdict_uses_the_shipped_threshold():
    threshold = copying.calibrated_threshold("pitch")
    assert verdict(threshold, copying.calibration()["pitch"]) == (True, 0.0)
    assert verdict(threshold - 1, copying.calibration()["pitch"])[0] is False


def hard_coded(dataset):
    from mgtutor.fetch import REGISTRY

    d = REGISTRY["maestro_v3_midi"]
    return f"AI-generated. {d.title} ({d.licence_short}). {d.citation}"


@pytest.mark.parametrize(("wrong", "phrase"), [
    (lambda d: f"Training data: {d.title} ({d.licence_short}). Cite: {d.citation}", "AI-generated"),
    (lambda d: f"AI-generated music from {d.title}. Cite: {d.citation}", "licence_short"),
    (lambda d: f"AI-generated music from {d.title} ({d.licence_short})", "citation"),
    (lambda d: f"AI-generated music ({d.licence_short}). Cite: {d.citation}", "title"),
    (hard_coded, "read the fields from the `dataset`"),
    (lambda d: [d.title], "one string"),
])
def test_credit_line_recognises_wrong_answers(wrong, phrase):
    result = checks.credit_line_exercise(wrong)
    assert not result and phrase in result.message


@pytest.mark.parametrize("said", ["AI generated music.", "ai-generated music.", "AI‑Generated music.",
                                  "Music (AI–generated)."])
def test_credit_line_accepts_ai_generated_however_written(said):
    assert checks.credit_line_exercise(
        lambda d: f"{said} Training data: {d.title} ({d.licence_short}). Cite: {d.citation}")


@pytest.mark.parametrize("said", ["Generated music.", "Made with AI.", "BAI-generated"])
def test_credit_line_refuses_what_does_not_say_ai_generated(said):
    result = checks.credit_line_exercise(
        lambda d: f"{said} Training data: {d.title} ({d.licence_short}). Cite: {d.citation}")
    assert not result and "AI-generated" in result.message


def test_the_formula_comes_on_a_second_failure():
    first = checks.run_energy_exercise(lambda s, w: s * w)
    second = checks.run_energy_exercise(lambda s, w: s * w)
    assert "Next hint" not in first.message and "3.6e6" in second.message
