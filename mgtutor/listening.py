"""Listening tests: blind forced-choice and preference trials, a page that plays them and records answers, and
their statistics.

Part of mgtutor. See notebooks/11_evaluating_generated_music.ipynb §6.

* **Designs** — what each trial asks, and when it answers the question asked:

  - **2AFC** (``"2afc"``, :func:`draw_trials`): a clip of each system, drawn independently (different pieces);
    "which one was written by a person?". Answers "can listeners tell generated music from real music?".
  - **Category ABX** (``"category-abx"``, :func:`draw_trials`): A from one system, B from the other, X a *third*
    clip from one of the two; "is X from the same source as A or as B?". The same question, without naming
    which source is the human one.
  - **ABX** (``"abx"``, :func:`make_trials`): A and B are two versions of the *same* content (a note and its
    Griffin-Lim round trip); X is A or B itself. Answers "can listeners hear the difference?". With A and B two
    different pieces it answers nothing: anyone matches X by recognising the piece.
  - **A/B preference** (``"ab"``): "which clip is better music?"; no right answer.

  Trial order, sides and the identity of X come from a seeded generator, so the listener never knows which system
  is which (blinding) and the design can be reproduced.
* **The page.** :class:`ListeningPage` shows one trial at a time with ipywidgets (labels "A", "B", "X" only) and
  appends every answer to a CSV file (:func:`append_answer`: one ``write`` of a whole line to a file opened for
  appending, so concurrent listeners never interleave half lines). Its :meth:`ListeningPage.answer` is the button
  callback, usable and tested without a front end.
* **Analysis.** :func:`abx_test` (any trial with a right answer: 2AFC, category ABX, ABX) and
  :func:`preference_test` are exact binomial tests (``scipy.stats.binomtest``) with Clopper–Pearson confidence
  intervals; :func:`per_listener` tests each listener apart and :func:`listener_level_test` takes the listener as
  the unit, because one listener's trials are not independent of each other; :func:`abx_power` and
  :func:`trials_needed` size a test before it is run; :func:`mos_interval` gives a mean opinion score with its t
  interval.
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

__all__ = ["ListeningError", "Clip", "Trial", "make_trials", "draw_trials", "clip_from_audio", "clip_from_notes",
           "ANSWER_FIELDS",
           "append_answer", "read_answers", "ListeningPage", "BinomialResult", "abx_test", "preference_test",
           "analyse_answers", "per_listener", "ListenerLevelResult", "listener_level_test", "abx_power",
           "trials_needed", "mos_interval"]

PAIR_KINDS = ("abx", "ab")
"""Kinds of :func:`make_trials`: pairs of versions of the same content."""
DRAWN_KINDS = ("2afc", "category-abx", "ab")
"""Kinds of :func:`draw_trials`: clips drawn independently from each system."""
KINDS = ("2afc", "category-abx", "abx", "ab")
FORCED_CHOICE = ("2afc", "category-abx", "abx")
"""The kinds with a right answer (tested by :func:`abx_test`)."""

QUESTIONS = {
    "2afc": ("Which one was written by a person?", ("A was written by a person", "B was written by a person")),
    "category-abx": ("Is X from the same source as A, or as B?", ("X is like A", "X is like B")),
    "abx": ("Which one is X?", ("X is A", "X is B")),
    "ab": ("Which clip is better music?", ("A is better", "B is better")),
}
"""What the page asks for each kind, and its two buttons (answer "A", answer "B")."""


class ListeningError(MgtutorError, ValueError):
    """A listening test that cannot be built, answered or analysed (no clips, a bad answer, bad counts)."""


@dataclass(frozen=True)
class Clip:
    """One clip: ``name`` (for the results, never shown), the ``system`` that made it, and its WAV bytes."""

    name: str
    system: str
    wav: bytes


def clip_from_audio(name: str, system: str, y, sr: int) -> Clip:
    """A clip of audio samples ``y`` (floats, clipped to [−1, 1]) at ``sr`` Hz, as 16-bit WAV bytes.

    See: notebooks/11_evaluating_generated_music.ipynb §6.
    """
    import soundfile as sf

    buffer = io.BytesIO()
    sf.write(buffer, np.clip(np.asarray(y, np.float64), -1, 1), sr, subtype="PCM_16", format="WAV")
    return Clip(name, system, buffer.getvalue())


def clip_from_notes(name: str, system: str, notes, qpm: float = 100.0, sr: int = 16000) -> Clip:
    """A clip of notes (times in quarter notes) rendered by the course's NumPy synthesizer as 16-bit WAV bytes.

    The same synthesizer for every system, so the timbre gives nothing away.
    See: notebooks/11_evaluating_generated_music.ipynb §6.
    """
    from mgtutor.render import synthesize

    y, _ = synthesize(notes, tempo=qpm, sr=sr, backend="numpy")
    return clip_from_audio(name, system, y, sr)


@dataclass(frozen=True)
class Trial:
    """One blind trial: clips ``a`` and ``b``, the clip ``x`` for the ABX kinds, and ``key``, the right answer
    (``"A"`` or ``"B"``; ``None`` for a preference)."""

    number: int
    kind: str
    a: Clip
    b: Clip
    x: Clip | None = None
    key: str | None = None


def make_trials(pairs: Sequence[tuple[Clip, Clip]], kind: str = "abx", seed: int = 0) -> list[Trial]:
    """Blind trials from pairs of versions of the same content: ABX ("which one is X?") or A/B preference.

    Rule, with ``rng = numpy.random.default_rng(seed)``: the pairs are permuted; in each, the two clips are swapped
    with probability 1/2; for ABX, X is A or B itself with probability 1/2 each. The same seed gives the same trials.
    Use it only for pairs of the *same* content (a sound and its processed version): for two different pieces a
    listener finds X by recognising the piece, whatever the systems; use :func:`draw_trials` there.
    Raises:
        ListeningError: no pairs, or a kind other than ``"abx"`` / ``"ab"``.
    See: notebooks/11_evaluating_generated_music.ipynb §6.
    """
    if kind not in PAIR_KINDS:
        raise ListeningError(f"kind must be one of {PAIR_KINDS} for pairs of the same content, got {kind!r} "
                             f"(for clips drawn from two systems: draw_trials, kinds {DRAWN_KINDS})")
    pairs = list(pairs)
    if not pairs:
        raise ListeningError("a listening test needs at least one pair of clips")
    rng = np.random.default_rng(seed)
    trials = []
    for number, k in enumerate(rng.permutation(len(pairs)), start=1):
        a, b = pairs[k]
        if rng.random() < 0.5:
            a, b = b, a
        if kind == "abx":
            key = "A" if rng.random() < 0.5 else "B"
            trials.append(Trial(number, kind, a, b, a if key == "A" else b, key))
        else:
            trials.append(Trial(number, kind, a, b))
    return trials


def _deck(n: int, rng: np.random.Generator):
    """Indices 0…n−1 in random order, reshuffled each time all have been dealt (no repeat within a pass)."""
    while True:
        yield from rng.permutation(n).tolist()


def draw_trials(human: Sequence[Clip], generated: Sequence[Clip], kind: str = "2afc", n_trials: int | None = None,
                seed: int = 0) -> list[Trial]:
    """Blind trials with a clip drawn independently from each system: 2AFC, category ABX or A/B preference.

    Rule, with ``rng = numpy.random.default_rng(seed)``: each trial deals the next human clip and the next generated
    clip from decks shuffled by ``rng`` (each clip once before any repeats), and swaps the two sides with
    probability 1/2. Category ABX then draws X's system (1/2 each) and X from that system's deck, skipping the clip
    already on A or B, so X is never a copy of A or B. ``key`` is the side of the human clip (2AFC) or of X's system
    (category ABX). ``n_trials`` defaults to the size of the larger set.
    Raises:
        ListeningError: an unknown kind; a system without clips (category ABX: fewer than two); two clips with one
            name; ``n_trials`` < 1.
    See: notebooks/11_evaluating_generated_music.ipynb §6.
    """
    if kind not in DRAWN_KINDS:
        raise ListeningError(f"kind must be one of {DRAWN_KINDS} for clips drawn from two systems, got {kind!r} "
                             "(for versions of the same content: make_trials, kind 'abx')")
    sets = {"human": list(human), "generated": list(generated)}
    least = 2 if kind == "category-abx" else 1
    for name, clips in sets.items():
        if len(clips) < least:
            raise ListeningError(f"{kind} needs at least {least} {name} clip(s), got {len(clips)}")
    if {c.system for c in sets["human"]} & {c.system for c in sets["generated"]}:
        raise ListeningError("the human and the generated clips must name different systems")
    names = [c.name for clips in sets.values() for c in clips]
    if len(set(names)) != len(names):
        raise ListeningError("every clip needs a name of its own (the answers file records it)")
    n_trials = max(map(len, sets.values())) if n_trials is None else n_trials
    if isinstance(n_trials, bool) or int(n_trials) != n_trials or n_trials < 1:
        raise ListeningError(f"n_trials must be a whole number ≥ 1, got {n_trials!r}")
    rng = np.random.default_rng(seed)
    decks = {name: _deck(len(clips), rng) for name, clips in sets.items()}
    trials = []
    for number in range(1, int(n_trials) + 1):
        h, g = sets["human"][next(decks["human"])], sets["generated"][next(decks["generated"])]
        a, b = (g, h) if rng.random() < 0.5 else (h, g)
        if kind == "category-abx":
            source = "human" if rng.random() < 0.5 else "generated"
            x = sets[source][next(decks[source])]
            while x is h or x is g:
                x = sets[source][next(decks[source])]
            key = "A" if a.system == x.system else "B"
            trials.append(Trial(number, kind, a, b, x, key))
        elif kind == "2afc":
            trials.append(Trial(number, kind, a, b, None, "A" if a is h else "B"))
        else:
            trials.append(Trial(number, kind, a, b))
    return trials


ANSWER_FIELDS = ("listener", "trial", "kind", "clip_a", "system_a", "clip_b", "system_b", "clip_x", "system_x", "key",
                 "x", "answer", "correct", "preferred_system", "unix_time")
"""The columns of the answers CSV, one row per answer. ``key`` is the right answer (empty for a preference); ``x``
repeats it for ABX, as files written before the other kinds existed have it (they lack ``clip_x``, ``system_x`` and
``key``, and still load: :func:`read_answers`)."""


def _csv_line(values) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(values)
    return buffer.getvalue().encode("utf-8")


def _header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as f:
        return next(csv.reader(f), [])


def append_answer(path: str | os.PathLike, row: dict) -> None:
    """Append one answer to a CSV file (header first if the file is new), atomically.

    Rule: the row is formatted as one complete line (``csv``, fields :data:`ANSWER_FIELDS`) and written with a single
    ``os.write`` to a file opened with ``O_APPEND``: the system puts each such write at the end of the file in one
    piece, so answers from several listeners on one file never mix. A new file is created with its header already in
    it (written beside it, then hard-linked into place, which fails if another writer was first). A file with an
    older header (fewer columns) gets the row in its own columns, when the row fills no column it lacks (an ABX row's
    ``x`` stands for its ``key`` and X's clip).
    Raises:
        ListeningError: a field that is not in :data:`ANSWER_FIELDS`, or a value for a column the file lacks.
    See: notebooks/11_evaluating_generated_music.ipynb §6.
    """
    unknown = sorted(set(row) - set(ANSWER_FIELDS))
    if unknown:
        raise ListeningError(f"unknown answer field(s) {unknown}; the fields are {', '.join(ANSWER_FIELDS)}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():  # a new file appears with its header already in it: no row can come first
        header = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.header")
        header.write_bytes(_csv_line(ANSWER_FIELDS))
        try:
            os.link(header, path)  # fails if another writer created the file first
        except FileExistsError:
            pass
        finally:
            header.unlink()
    columns = _header(path)
    if columns != list(ANSWER_FIELDS):
        implied = {"clip_x", "system_x", "key"} if row.get("kind") == "abx" else set()  # an ABX row's x says them
        lacking = sorted(k for k, v in row.items() if v not in ("", None) and k not in columns and k not in implied)
        if lacking or not set(columns) <= set(ANSWER_FIELDS):
            raise ListeningError(f"{path}: its columns ({', '.join(columns)}) cannot hold this answer "
                                 f"(no {', '.join(lacking) or 'known header'}); write the answers to a new file")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    try:
        os.write(fd, _csv_line(row.get(field, "") for field in columns))
    finally:
        os.close(fd)


def read_answers(path: str | os.PathLike) -> list[dict]:
    """The rows of an answers CSV as dicts of strings, every :data:`ANSWER_FIELDS` column present (empty list for a
    missing file). A file written before ``key`` existed gets it from ``x`` (its ABX rows).

    See: notebooks/11_evaluating_generated_music.ipynb §6.
    """
    path = Path(path)
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as f:
        rows = [{field: row.get(field) or "" for field in ANSWER_FIELDS} for row in csv.DictReader(f)]
    for row in rows:
        if not row["key"] and row["kind"] == "abx":
            row["key"] = row["x"]
    return rows


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
        """Record ``choice`` (``"A"`` or ``"B"``, the button pressed: see :data:`QUESTIONS`) for the current trial.

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
               "system_a": t.a.system, "clip_b": t.b.name, "system_b": t.b.system,
               "clip_x": t.x.name if t.x else "", "system_x": t.x.system if t.x else "", "key": t.key or "",
               "x": t.key if t.kind == "abx" else "", "answer": choice,
               "correct": "" if t.key is None else int(choice == t.key),
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
        question, buttons = QUESTIONS[t.kind]
        players = ["A", "B", "X"] if t.x is not None else ["A", "B"]
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
        clips = [t.a, t.b] + ([t.x] if t.x is not None else [])
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
        clips = [t.a, t.b] + ([t.x] if t.x is not None else [])
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
    """Do listeners find the right answer more often than chance? One-sided exact binomial test of H0:
    P(correct) = 1/2, for any trial with a right answer (2AFC, category ABX, ABX).

    p = P(K ≥ correct) for K ~ Binomial(trials, 1/2); the interval is the two-sided Clopper–Pearson interval. The
    test assumes independent trials with one success rate: true for one listener's trials, not for trials pooled
    over listeners who differ (:func:`listener_level_test`).
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
    """The pooled tests of an answers CSV (:func:`read_answers`), by kind: :func:`abx_test` of the correct answers for
    each forced-choice kind present (``"2afc"``, ``"category-abx"``, ``"abx"``), and for ``"ab"``
    :func:`preference_test` of the share of answers preferring ``first_system`` (default: the first system named in
    the rows, in order of appearance).

    Pooling treats every trial as independent, whoever answered it; see :func:`per_listener` and
    :func:`listener_level_test`.
    See: notebooks/11_evaluating_generated_music.ipynb §6.
    """
    out = {}
    for kind in FORCED_CHOICE:
        chosen = [r for r in rows if r["kind"] == kind]
        if chosen:
            out[kind] = abx_test(sum(int(r["correct"]) for r in chosen), len(chosen), confidence)
    ab = [r for r in rows if r["kind"] == "ab"]
    if ab:
        first = first_system or ab[0]["system_a"]
        out["ab"] = preference_test(sum(r["preferred_system"] == first for r in ab), len(ab), confidence)
    return out


def _correct_by_listener(rows: Sequence[dict], kind: str) -> dict[str, list[int]]:
    if kind not in FORCED_CHOICE:
        raise ListeningError(f"kind must be one of {FORCED_CHOICE} (trials with a right answer), got {kind!r}")
    by_listener: dict[str, list[int]] = {}
    for r in rows:
        if r["kind"] == kind:
            by_listener.setdefault(r["listener"], []).append(int(r["correct"]))
    return by_listener


def per_listener(rows: Sequence[dict], kind: str, confidence: float = 0.95) -> dict[str, BinomialResult]:
    """:func:`abx_test` of each listener's own answers of ``kind``, by listener (in order of appearance): the test
    whose independence assumption holds, since one listener's trials share only that listener.

    Raises:
        ListeningError: a kind without a right answer.
    See: notebooks/11_evaluating_generated_music.ipynb §6.
    """
    return {name: abx_test(sum(c), len(c), confidence) for name, c in _correct_by_listener(rows, kind).items()}


@dataclass(frozen=True)
class ListenerLevelResult:
    """A test with the listener as the unit: each listener's rate of correct answers, their mean, and the
    one-sided p-value of a one-sample t-test of H0: the mean listener is at chance (1/2)."""

    rates: tuple[float, ...]
    mean: float
    t: float
    p_value: float


def listener_level_test(rows: Sequence[dict], kind: str) -> ListenerLevelResult:
    """Can listeners *in general* do better than chance? One-sided one-sample t-test of the listeners' rates of
    correct answers against 1/2.

    Rule: r_i = correct_i / n_i per listener, t = (mean(r) − 1/2) / (s_r / √m) with m listeners and m − 1 degrees
    of freedom (``scipy.stats.ttest_1samp``). Listeners differ — one hears the difference, the next does not — so the
    answers of one listener are correlated, and pooling all trials into one binomial (:func:`analyse_answers`)
    understates the variance: it can reject chance because of a few listeners. The t-test asks about the population
    of listeners the panel samples (a mixed model with a random effect per listener asks the same, more efficiently).
    Raises:
        ListeningError: a kind without a right answer, fewer than two listeners, or rates all equal (no spread).
    See: notebooks/11_evaluating_generated_music.ipynb §6.
    """
    from scipy.stats import ttest_1samp

    rates = tuple(sum(c) / len(c) for c in _correct_by_listener(rows, kind).values())
    if len(rates) < 2:
        raise ListeningError(f"a listener-level test needs answers of at least two listeners, got {len(rates)}")
    if len(set(rates)) == 1:
        raise ListeningError(f"every listener scored {rates[0]:.2f}: no spread to test against")
    result = ttest_1samp(rates, 0.5, alternative="greater")
    return ListenerLevelResult(rates, float(np.mean(rates)), float(result.statistic), float(result.pvalue))


def _critical(trials: int, alpha: float) -> int:
    """The smallest k with P(K ≥ k | 1/2) ≤ alpha: the number of correct answers a one-sided test needs."""
    from scipy.stats import binom

    k = np.arange(trials + 2)
    return int(k[binom.sf(k - 1, trials, 0.5) <= alpha][0])


def abx_power(trials: int, p_true: float, alpha: float = 0.05) -> float:
    """The probability that a forced-choice test (:func:`abx_test`) of ``trials`` trials rejects chance at level
    ``alpha`` when listeners are right with probability ``p_true``.

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
    """The smallest number of forced-choice trials whose power (:func:`abx_power`) reaches ``power``.

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
