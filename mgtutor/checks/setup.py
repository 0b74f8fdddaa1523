"""Exercise checkers for notebook 00 (welcome and set-up)."""

from __future__ import annotations

from mgtutor.checks import CheckResult, call, exercise, hint, ok

__all__ = ["FEATURE_DOMAINS", "feature_domain_exercise", "mode_exercise"]

TIME, TIME_FREQUENCY, CEPSTRAL = "time domain", "time–frequency", "cepstral"

FEATURE_DOMAINS: dict[str, str] = {
    "autocorrelation": TIME,
    "crest factor": TIME,
    "constant-Q magnitude": TIME_FREQUENCY,
    "log-mel delta": TIME_FREQUENCY,
    "MFCC delta": CEPSTRAL,
}
"""The answer key of exercise 1: five audio features that notebook 00 does not print before the exercise (so the
answer is reasoned, not looked up), and the domain each lives in. Autocorrelation r[k] = Σₙ x[n]·x[n+k] and the
crest factor max|x| / RMS come from a frame's samples; a constant-Q transform has log-spaced frequency bins × frames;
a delta is the frame-to-frame difference of what it is taken of, so it keeps that thing's axes."""

_LABELS = {
    TIME: {"time domain", "time", "时域", "time domain feature"},
    TIME_FREQUENCY: {"time frequency", "time frequency representation", "时频", "时频表示", "time frequency domain"},
    CEPSTRAL: {"cepstral", "cepstrum", "cepstral domain", "quefrency", "倒谱"},
}


def _normal(text) -> str:
    """'Time–Frequency' and 'time_frequency' → 'time frequency' (case, dashes, underscores and spacing ignored)."""
    out = str(text).strip().lower()
    for dash in "-–—_":
        out = out.replace(dash, " ")
    return " ".join(out.split())


def _label(text) -> str | None:
    """The domain a learner's label names, or None."""
    key = _normal(text)
    return next((domain for domain, names in _LABELS.items() if key in names), None)


@exercise
def feature_domain_exercise(answer: dict[str, str]) -> CheckResult:
    """Checker for notebooks/00_welcome.ipynb, exercise 1: label five audio features by their domain.

    ``answer`` maps each of autocorrelation, crest factor, constant-Q magnitude, log-mel delta and MFCC delta to
    ``"time domain"``, ``"time–frequency"`` or ``"cepstral"`` (dashes, case and the Chinese terms 时域 / 时频表示 / 倒谱
    are accepted). All five are required. Calling a feature with a frequency or quefrency axis time-domain — the
    mistake of the article the course corrects, which lists the STFT and MFCC there — gets its own hint.
    """
    labels = " / ".join(f"'{d}'" for d in _LABELS)
    if not isinstance(answer, dict) or not answer:
        return hint(f"Answer with a dict {{feature: label}}, each label one of {labels}.")
    by_name = {_normal(name): name for name in FEATURE_DOMAINS}
    given = {}
    for name, label in answer.items():
        if _normal(name) not in by_name:
            return hint(f"{name!r} is not one of the five features: {', '.join(FEATURE_DOMAINS)}.")
        domain = _label(label)
        if _normal(label) in {"frequency", "frequency domain", "频域"}:
            return hint(f"One frame's DFT is frequency-domain, but {name} has a frame (time) axis too; "
                        f"use one of {labels}.")
        if domain is None:
            return hint(f"{label!r} (for {name}) is not a label; use one of {labels}.")
        given[by_name[_normal(name)]] = domain
    missing = [name for name in FEATURE_DOMAINS if name not in given]
    if missing:
        return hint(f"Label all five features; missing: {', '.join(missing)}.")
    wrong = {name: domain for name, domain in given.items() if domain != FEATURE_DOMAINS[name]}
    if not wrong:
        return ok("all five features labelled with their domain")
    if any(wrong.get(name) == TIME for name in ("constant-Q magnitude", "log-mel delta", "MFCC delta")):
        return hint("That is the article's own mistake (it calls the STFT and MFCC time-domain): these features are "
                    "computed from frames of samples, but what they give you is not a function of time alone.",
                    then="A constant-Q transform has a frequency axis (log-spaced bins) and a frame axis: "
                         "time–frequency. A delta is the difference between neighbouring frames of what it is taken "
                         "of, so it keeps that thing's axes: the log-mel delta is time–frequency, the MFCC delta "
                         "cepstral (notebook 03).")
    if wrong.get("autocorrelation") or wrong.get("crest factor"):
        name = "autocorrelation" if wrong.get("autocorrelation") else "crest factor"
        return hint(f"Look at how the {name} is computed: is there a Fourier transform anywhere in it?",
                    then="Autocorrelation r[k] = Σₙ x[n]·x[n+k] and the crest factor max|x| / RMS are computed from "
                         "the samples of each frame: both are time-domain.")
    if wrong.get("log-mel delta") == CEPSTRAL:
        return hint("A delta of a log-mel spectrogram is still bands × frames: taking a difference adds no DCT.",
                    then="The cepstral step is the DCT that MFCC adds after the log; a log-mel spectrogram and its "
                         "delta are time–frequency.")
    if wrong.get("MFCC delta") == TIME_FREQUENCY:
        return hint("The MFCC delta has frames, but is its other axis frequency?",
                    then="MFCC = DCT of the log mel spectrum: the coefficient axis is quefrency (the 'C' of MFCC is "
                         "cepstral), and a delta keeps it.")
    first = next(iter(wrong))
    return hint(f"{first} is not {wrong[first]}: ask what its axes are (time? frequency? quefrency?).",
                then="Constant-Q and log-mel delta: frequency × time; MFCC delta: quefrency × time (cepstral); "
                     "autocorrelation and crest factor: computed from the samples (time-domain).")


@exercise
def mode_exercise(fn) -> CheckResult:
    """Checker for notebooks/00_welcome.ipynb, exercise 2: epochs that follow the mode.

    ``fn()`` (no arguments) must return 1 in ``"smoke"`` mode and 20 in ``"full"`` mode, by calling
    ``config.pick`` when it runs; the checker calls it once under each ``MGTUTOR_MODE`` and then
    restores the variable.
    """
    import os

    saved = os.environ.get("MGTUTOR_MODE")
    got = {}
    try:
        for mode in ("smoke", "full"):
            os.environ["MGTUTOR_MODE"] = mode
            got[mode], failed = call(fn)
            if failed is not None:
                return failed
    finally:
        if saved is None:
            os.environ.pop("MGTUTOR_MODE", None)
        else:
            os.environ["MGTUTOR_MODE"] = saved
    if got == {"smoke": 1, "full": 20}:
        return ok("epochs follow the mode: 1 in smoke, 20 in full")
    if got["smoke"] == got["full"]:
        return hint(f"Your function returned {got['full']} in both modes: read the mode each time it is called.",
                    then="Call config.pick(20, 1) inside the function, not once outside it.")
    if got == {"smoke": 20, "full": 1}:
        return hint("The arguments are swapped: config.pick(full, smoke) takes the full value first.")
    return hint(f"Expected 1 (smoke) and 20 (full), got {got['smoke']} and {got['full']}.",
                then="return config.pick(20, 1)")
