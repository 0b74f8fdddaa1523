"""Listening tests: blind A/B and ABX trials, a page that plays them and records answers, and their statistics.

Part of mgtutor. See notebooks/11_evaluating_generated_music.ipynb §6.

* **Design.** :func:`make_trials` turns pairs of clips (system 1 vs system 2, e.g. generated vs real) into trials whose
  order and A/B sides are drawn from a seeded generator, so the listener never knows which system is which
  (blinding). An A/B trial asks which clip is better (a preference); an ABX trial plays A, B and X — X being A or B,
  drawn at random — and asks which one X is (can the listener tell them apart at all?).
* **The page.** :class:`ListeningPage` shows one trial at a time with ipywidgets (labels "A", "B", "X" only) and
  appends every answer to a CSV file (:func:`append_answer`: one ``write`` of a whole line to a file opened for
  appending, so concurrent listeners never interleave half lines). Its :meth:`ListeningPage.answer` is the button
  callback, usable and tested without a front end.
* **Analysis.** :func:`abx_test` and :func:`preference_test` are exact binomial tests (``scipy.stats.binomtest``)
  with Clopper–Pearson confidence intervals; :func:`abx_power` and :func:`trials_needed` size a test before it is
  run; :func:`mos_interval` gives a mean opinion score with its t interval.
"""

from __future__ import annotations

import csv
import io
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mgtutor.errors import MgtutorError

__all__ = ["ListeningError", "Clip", "Trial", "make_trials", "clip_from_notes", "ANSWER_FIELDS", "append_answer",
           "read_answers", "ListeningPage", "BinomialResult", "abx_test", "preference_test", "analyse_answers",
           "abx_power", "trials_needed", "mos_interval"]

KINDS = ("ab", "abx")


class ListeningError(MgtutorError, ValueError):
    """A listening test that cannot be built, answered or analysed (no clips, a bad answer, bad counts)."""


@dataclass(frozen=True)
class Clip:
    """One clip: ``name`` (for the results, never shown), the ``system`` that made it, and its WAV bytes."""

    name: str
    system: str
    wav: bytes


def clip_from_notes(name: str, system: str, notes, qpm: float = 100.0, sr: int = 16000) -> Clip:
    """A clip of notes (times in quarter notes) rendered by the course's NumPy synthesizer as 16-bit WAV bytes.

    The same synthesizer for every system, so the timbre gives nothing away.
    See: notebooks/11_evaluating_generated_music.ipynb §6.
    """
    import soundfile as sf

    from mgtutor.render import synthesize

    y, _ = synthesize(notes, tempo=qpm, sr=sr, backend="numpy")
    buffer = io.BytesIO()
    sf.write(buffer, np.clip(y, -1, 1), sr, subtype="PCM_16", format="WAV")
    return Clip(name, system, buffer.getvalue())


@dataclass(frozen=True)
class Trial:
    """One blind trial: clips ``a`` and ``b`` and, for ABX, which of them ``x`` is (``"A"`` or ``"B"``)."""

    number: int
    kind: str
    a: Clip
    b: Clip
    x: str | None = None

    @property
    def x_clip(self) -> Clip | None:
        return None if self.x is None else (self.a if self.x == "A" else self.b)


def make_trials(pairs: Sequence[tuple[Clip, Clip]], kind: str = "abx", seed: int = 0) -> list[Trial]:
    """Blind trials from pairs of clips: trial order, A/B sides and (ABX) the identity of X are random.

    Rule, with ``rng = numpy.random.default_rng(seed)``: the pairs are permuted; in each, the two clips are swapped
    with probability 1/2; for ABX, X is A or B with probability 1/2 each. The same seed gives the same trials.
    Raises:
        ListeningError: no pairs, or a kind other than ``"ab"`` / ``"abx"``.
    See: notebooks/11_evaluating_generated_music.ipynb §6.
    """
    if kind not in KINDS:
        raise ListeningError(f"kind must be one of {KINDS}, got {kind!r}")
    pairs = list(pairs)
    if not pairs:
        raise ListeningError("a listening test needs at least one pair of clips")
    rng = np.random.default_rng(seed)
    trials = []
    for number, k in enumerate(rng.permutation(len(pairs)), start=1):
        a, b = pairs[k]
        if rng.random() < 0.5:
            a, b = b, a
        x = ("A" if rng.random() < 0.5 else "B") if kind == "abx" else None
        trials.append(Trial(number, kind, a, b, x))
    return trials


ANSWER_FIELDS = ("listener", "trial", "kind", "clip_a", "system_a", "clip_b", "system_b", "x", "answer", "correct",
                 "preferred_system", "unix_time")
"""The columns of the answers CSV, one row per answer."""


def append_answer(path: str | os.PathLike, row: dict) -> None:
    """Append one answer to a CSV file (header first if the file is new), atomically.

    Rule: the row is formatted as one complete line (``csv``, fields :data:`ANSWER_FIELDS`) and written with a single
    ``os.write`` to a file opened with ``O_APPEND``: the system puts each such write at the end of the file in one
    piece, so answers from several listeners on one file never mix. A new file is created with its header already in
    it (written beside it, then hard-linked into place, which fails if another writer was first).
    Raises:
        ListeningError: a field that is not in :data:`ANSWER_FIELDS`.
    See: notebooks/11_evaluating_generated_music.ipynb §6.
    """
    unknown = sorted(set(row) - set(ANSWER_FIELDS))
    if unknown:
        raise ListeningError(f"unknown answer field(s) {unknown}; the fields are {', '.join(ANSWER_FIELDS)}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)

    def line(values) -> bytes:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow(values)
        return buffer.getvalue().encode("utf-8")

    if not path.exists():  # a new file appears with its header already in it: no row can come first
        header = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.header")
        header.write_bytes(line(ANSWER_FIELDS))
        try:
            os.link(header, path)  # fails if another writer created the file first
        except FileExistsError:
            pass
        finally:
            header.unlink()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    try:
        os.write(fd, line(row.get(field, "") for field in ANSWER_FIELDS))
    finally:
        os.close(fd)


def read_answers(path: str | os.PathLike) -> list[dict]:
    """The rows of an answers CSV as dicts of strings (empty list for a missing file).

    See: notebooks/11_evaluating_generated_music.ipynb §6.
    """
    path = Path(path)
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


class ListeningPage:
    """Play blind trials one at a time and append each answer to ``csv_path``.

    The page shows the trial number, players labelled A, B (and X) and two buttons; pressing one calls
    :meth:`answer`, which writes the row and moves on. Nothing on the page names a system or a clip.

    Args:
        trials: from :func:`make_trials`.
        csv_path: the answers file (appended to; created with a header).
        listener: an identifier of the listener (a pseudonym).
        clock: returns the time stamp of an answer (tests pass a fixed one).
    See: notebooks/11_evaluating_generated_music.ipynb §6.
    """

    def __init__(self, trials: Sequence[Trial], csv_path: str | os.PathLike, listener: str,
                 clock: Callable[[], float] = time.time) -> None:
        self.trials = list(trials)
        if not self.trials:
            raise ListeningError("no trials to play")
        if not str(listener).strip():
            raise ListeningError("give the listener an identifier (a pseudonym), e.g. listener='L01'")
        self.csv_path, self.listener, self.clock = Path(csv_path), str(listener), clock
        self.position = 0
        self._box = None

    @property
    def done(self) -> bool:
        return self.position >= len(self.trials)

    @property
    def current(self) -> Trial | None:
        return None if self.done else self.trials[self.position]

    def answer(self, choice: str) -> dict:
        """Record ``choice`` (``"A"`` or ``"B"``: the better clip, or which clip X is) for the current trial.

        Returns:
            The row appended to the CSV.
        Raises:
            ListeningError: the test is over, or a choice other than "A"/"B".
        """
        if self.done:
            raise ListeningError(f"all {len(self.trials)} trials are answered")
        if choice not in ("A", "B"):
            raise ListeningError(f"answer 'A' or 'B', got {choice!r}")
        t = self.trials[self.position]
        chosen = t.a if choice == "A" else t.b
        row = {"listener": self.listener, "trial": t.number, "kind": t.kind, "clip_a": t.a.name,
               "system_a": t.a.system, "clip_b": t.b.name, "system_b": t.b.system, "x": t.x or "",
               "answer": choice, "correct": "" if t.x is None else int(choice == t.x),
               "preferred_system": chosen.system if t.kind == "ab" else "", "unix_time": f"{self.clock():.3f}"}
        append_answer(self.csv_path, row)
        self.position += 1
        self._refresh()
        return row

    def labels(self) -> list[str]:
        """The words the page shows for the current trial (players and buttons): never a system or clip name."""
        if self.done:
            return [f"Thank you: {len(self.trials)} answers saved."]
        t = self.current
        question = "Which one is X?" if t.kind == "abx" else "Which clip is better music?"
        players = ["A", "B", "X"] if t.kind == "abx" else ["A", "B"]
        buttons = ["X is A", "X is B"] if t.kind == "abx" else ["A is better", "B is better"]
        return [f"Trial {self.position + 1} of {len(self.trials)}: {question}", *players, *buttons]

    def html(self) -> str:
        """The current trial as static HTML: the same words and players as :meth:`widget`, buttons greyed out.

        For a notebook's stored output, which a reader without a kernel sees in place of the widget; the players
        embed the clips as WAV (``data:`` addresses), so they play in any browser.
        """
        import base64
        import html

        words = self.labels()
        if self.done:
            return f"<p>{html.escape(words[0])}</p>"
        t = self.current
        clips = [t.a, t.b] + ([t.x_clip] if t.kind == "abx" else [])
        players = "".join(
            f'<div style="display:inline-block;margin-right:1em"><b>{html.escape(label)}</b><br>'
            f'<audio controls src="data:audio/wav;base64,{base64.b64encode(c.wav).decode("ascii")}"></audio></div>'
            for label, c in zip(words[1:1 + len(clips)], clips, strict=True))
        buttons = "".join(f"<button disabled>{html.escape(text)}</button> " for text in words[1 + len(clips):])
        return f"<p>{html.escape(words[0])}</p><div>{players}</div><p>{buttons.strip()}</p>"

    def widget(self):
        """The ipywidgets page (built on first use); display it in a notebook."""
        import ipywidgets as widgets

        if self._box is None:
            self._box = widgets.VBox()
            self._refresh()
        return self._box

    def _refresh(self) -> None:
        if self._box is None:
            return
        import ipywidgets as widgets

        words = self.labels()
        if self.done:
            self._box.children = [widgets.HTML(words[0])]
            return
        t = self.current
        clips = [t.a, t.b] + ([t.x_clip] if t.kind == "abx" else [])
        players = [widgets.VBox([widgets.HTML(f"<b>{label}</b>"), widgets.Audio(value=c.wav, format="wav",
                                                                               autoplay=False, loop=False)])
                   for label, c in zip(words[1:1 + len(clips)], clips, strict=True)]
        buttons = []
        for text, choice in zip(words[1 + len(clips):], ("A", "B"), strict=True):
            button = widgets.Button(description=text)
            button.on_click(lambda _, choice=choice: self.answer(choice))
            buttons.append(button)
        self._box.children = [widgets.HTML(words[0]), widgets.HBox(players), widgets.HBox(buttons)]


# --------------------------------------------------------------------------- analysis
@dataclass(frozen=True)
class BinomialResult:
    """An exact binomial test: ``successes`` of ``trials``, the one- or two-sided ``p_value`` against chance (1/2),
    and the Clopper–Pearson interval (``low``, ``high``) of the success rate at ``confidence``."""

    successes: int
    trials: int
    p_value: float
    low: float
    high: float
    confidence: float

    @property
    def rate(self) -> float:
        return self.successes / self.trials


def _binomial(successes: int, trials: int, alternative: str, confidence: float) -> BinomialResult:
    from scipy.stats import binomtest

    for name, value in (("successes", successes), ("trials", trials)):
        if isinstance(value, bool) or int(value) != value:
            raise ListeningError(f"{name} must be a whole number, got {value!r}")
    if not 0 <= successes <= trials or trials < 1:
        raise ListeningError(f"need 0 ≤ successes ≤ trials and trials ≥ 1; got {successes} of {trials}")
    if not 0 < confidence < 1:
        raise ListeningError(f"confidence must be in (0, 1), got {confidence}")
    result = binomtest(int(successes), int(trials), 0.5, alternative=alternative)
    # the two-sided Clopper–Pearson interval whatever the test's side (scipy's follows the test's alternative)
    ci = binomtest(int(successes), int(trials), 0.5).proportion_ci(confidence_level=confidence, method="exact")
    return BinomialResult(int(successes), int(trials), float(result.pvalue), float(ci.low), float(ci.high),
                          confidence)


def abx_test(correct: int, trials: int, confidence: float = 0.95) -> BinomialResult:
    """Can listeners tell the two systems apart? One-sided exact binomial test of H0: P(correct) = 1/2.

    p = P(K ≥ correct) for K ~ Binomial(trials, 1/2); the interval is the two-sided Clopper–Pearson interval.
    Raises:
        ListeningError: counts that are not whole, or not 0 ≤ correct ≤ trials ≥ 1.
    See: notebooks/11_evaluating_generated_music.ipynb §6.
    """
    return _binomial(correct, trials, "greater", confidence)


def preference_test(prefer_first: int, trials: int, confidence: float = 0.95) -> BinomialResult:
    """Do listeners prefer one system? Two-sided exact binomial test of H0: P(prefer the first system) = 1/2.

    See: notebooks/11_evaluating_generated_music.ipynb §6.
    """
    return _binomial(prefer_first, trials, "two-sided", confidence)


def analyse_answers(rows: Sequence[dict], first_system: str | None = None,
                    confidence: float = 0.95) -> dict[str, BinomialResult]:
    """The tests of an answers CSV (:func:`read_answers`): ``{"abx": abx_test(...), "ab": preference_test(...)}``
    for the kinds present; for A/B, the share of answers preferring ``first_system`` (default: the first system
    named in the rows, in order of appearance).

    See: notebooks/11_evaluating_generated_music.ipynb §6.
    """
    out = {}
    abx = [r for r in rows if r["kind"] == "abx"]
    if abx:
        out["abx"] = abx_test(sum(int(r["correct"]) for r in abx), len(abx), confidence)
    ab = [r for r in rows if r["kind"] == "ab"]
    if ab:
        first = first_system or ab[0]["system_a"]
        out["ab"] = preference_test(sum(r["preferred_system"] == first for r in ab), len(ab), confidence)
    return out


def _critical(trials: int, alpha: float) -> int:
    """The smallest k with P(K ≥ k | 1/2) ≤ alpha: the number of correct answers a one-sided test needs."""
    from scipy.stats import binom

    k = np.arange(trials + 2)
    return int(k[binom.sf(k - 1, trials, 0.5) <= alpha][0])


def abx_power(trials: int, p_true: float, alpha: float = 0.05) -> float:
    """The probability that an ABX test of ``trials`` trials rejects chance at level ``alpha`` when listeners
    are right with probability ``p_true``.

    Rule: the test rejects when K ≥ k*, k* = min{k : P(K ≥ k | p = 1/2) ≤ alpha}; power = P(K ≥ k* | p_true).
    Raises:
        ListeningError: trials < 1 or a probability outside (0, 1).
    See: notebooks/11_evaluating_generated_music.ipynb §6.
    """
    from scipy.stats import binom

    if isinstance(trials, bool) or int(trials) != trials or trials < 1:
        raise ListeningError(f"trials must be a whole number ≥ 1, got {trials!r}")
    if not 0 < p_true < 1 or not 0 < alpha < 1:
        raise ListeningError(f"p_true and alpha must be in (0, 1); got {p_true}, {alpha}")
    return float(binom.sf(_critical(int(trials), alpha) - 1, int(trials), p_true))


def trials_needed(p_true: float, alpha: float = 0.05, power: float = 0.8, max_trials: int = 5000) -> int:
    """The smallest number of ABX trials whose power (:func:`abx_power`) reaches ``power``.

    (Power is not monotonic in the number of trials — the critical count moves in whole steps — so a slightly
    larger test can have a little less power; round up generously when planning.)
    Raises:
        ListeningError: p_true ≤ 1/2 (chance cannot be beaten), or no size up to ``max_trials`` is enough.
    See: notebooks/11_evaluating_generated_music.ipynb §6.
    """
    if not 0.5 < p_true < 1:
        raise ListeningError(f"p_true must be in (1/2, 1): at 1/2 listeners are guessing; got {p_true}")
    for n in range(1, max_trials + 1):
        if abx_power(n, p_true, alpha) >= power:
            return n
    raise ListeningError(f"no test of up to {max_trials} trials reaches power {power} at p_true = {p_true}")


def mos_interval(scores: Sequence[float], confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean opinion score and its t confidence interval: (mean, low, high), mean ± t_{n−1} · s / √n.

    Raises:
        ListeningError: fewer than two scores.
    See: notebooks/11_evaluating_generated_music.ipynb §6.
    """
    from scipy.stats import t

    x = np.asarray(scores, np.float64)
    if x.size < 2:
        raise ListeningError(f"a confidence interval needs at least two scores, got {x.size}")
    half = t.ppf((1 + confidence) / 2, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size)
    return float(x.mean()), float(x.mean() - half), float(x.mean() + half)
