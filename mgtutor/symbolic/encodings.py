"""The four encodings of the course, each with an exact inverse on what it can represent.

Part of mgtutor.symbolic. See notebooks/04_symbolic_music.ipynb §3 (piano roll) and §4 (all four).

* melody grid: one token per grid step (a sixteenth by default): ``"60"`` starts MIDI pitch 60,
  ``"_"`` holds the previous note, ``"r"`` is a rest. Monophonic; velocity is not stored.
* piano roll: a (T, 88) 0/1 matrix, column j = MIDI pitch j + 21. Polyphonic; a note struck
  again right after itself merges with it, and velocity is not stored. Its functions live in
  :mod:`mgtutor.symbolic.pianoroll` (the whole convention) and are re-exported here.
* note tuples: (pitch, step, duration) per note, step and duration in quarter notes.
  Polyphonic, continuous times; velocity is not stored.
* event tokens: ``NOTE_ON_p``, ``NOTE_OFF_p``, ``TIME_SHIFT_k`` (k grid steps),
  optionally ``VELOCITY_v``. Polyphonic, keeps velocity (in bins).

Times on a grid must be exact multiples of the step (1 / steps_per_quarter quarter notes):
anything else raises :class:`~mgtutor.symbolic.core.QuantizationError`; quantise first with
:func:`quantize_notes`, which reports how far it moved each note.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from mgtutor.symbolic.core import (
    _EPS,
    DEFAULT_VELOCITY,
    PIANO_HIGH,
    PIANO_LOW,
    EncodingError,
    Note,
    PitchRangeError,
    SymbolicError,
    _check_spq,
    _steps,
    check_grid_length,
    check_monophonic,
    sort_notes,
)
from mgtutor.symbolic.pianoroll import notes_to_piano_roll, piano_roll_to_notes, sample_piano_roll
from mgtutor.symbolic.vocab import END, PAD, SPECIALS, START, Vocabulary

__all__ = [
    "END", "HOLD", "PAD", "REST", "START", "EncodingError", "QuantizationReport", "event_vocabulary",
    "events_to_notes", "grid_to_melody", "melody_to_grid", "melody_vocabulary", "notes_to_events",
    "notes_to_piano_roll", "notes_to_tuples", "sample_piano_roll", "piano_roll_to_notes", "quantize_notes",
    "tuples_to_notes", "velocity_of_bin",
]

HOLD = "_"
"""Melody-grid token: the previous note keeps sounding."""
REST = "r"
"""Melody-grid token: silence."""


# --------------------------------------------------------------------------- quantisation
@dataclass(frozen=True)
class QuantizationReport:
    """What :func:`quantize_notes` changed.

    Attributes:
        n_notes: notes in.
        n_moved: notes whose start or end moved.
        n_lengthened: notes that would have had zero length and were given one step.
        max_error: largest |moved| of a start or end, in quarter notes.
        mean_error: mean |moved| over all starts and ends, in quarter notes.
    """

    n_notes: int
    n_moved: int
    n_lengthened: int
    max_error: float
    mean_error: float

    @property
    def exact(self) -> bool:
        """True if nothing had to move (the notes were already on the grid)."""
        return self.n_moved == 0


def quantize_notes(notes: Iterable[Note], steps_per_quarter: int = 4) -> tuple[list[Note], QuantizationReport]:
    """Snap starts and ends to the nearest grid step and report the error.

    Rule: ``t' = ⌊t·s + ½⌋ / s`` with ``s = steps_per_quarter`` (halves round up); a note whose start and end
    snap to the same step is given one step (``end' = start' + 1/s``), counted in
    ``n_lengthened``. Nothing is dropped.

    Args:
        notes: notes with times in quarter notes.
        steps_per_quarter: grid resolution (4 = sixteenth notes, 1 = quarter notes).
    Returns:
        ``(quantised notes sorted, report)``.
    Raises:
        SymbolicError: ``steps_per_quarter`` is not a positive integer.
    See: notebooks/04_symbolic_music.ipynb §5.
    """
    s = _check_spq(steps_per_quarter)
    out, errors, moved, lengthened = [], [], 0, 0
    for n in notes:
        a, b = math.floor(n.start * s + 0.5), math.floor(n.end * s + 0.5)
        if b <= a:
            b = a + 1
            lengthened += 1
        start, end = a / s, b / s
        errors += [abs(start - n.start), abs(end - n.end)]
        if errors[-1] > _EPS or errors[-2] > _EPS:
            moved += 1
        out.append(replace(n, start=start, end=end))
    err = np.asarray(errors) if errors else np.zeros(1)
    return sort_notes(out), QuantizationReport(len(out), moved, lengthened, float(err.max()), float(err.mean()))


# --------------------------------------------------------------------------- melody grid
def melody_vocabulary(low: int = PIANO_LOW, high: int = PIANO_HIGH) -> Vocabulary:
    """The melody-grid vocabulary: specials, ``"_"``, ``"r"``, then pitches ``low`` … ``high`` as strings.

    The default (piano range 21–108) gives 3 + 2 + 88 = 93 tokens and covers every
    transposition a piano melody can take.
    See: notebooks/04_symbolic_music.ipynb §4.
    """
    if not 0 <= low <= high <= 127:
        raise PitchRangeError(f"melody vocabulary range must satisfy 0 ≤ low ≤ high ≤ 127, got {low}–{high}")
    return Vocabulary([HOLD, REST, *map(str, range(low, high + 1))], kind="melody-grid")


def melody_to_grid(notes: Sequence[Note], steps_per_quarter: int = 4, total_steps: int | None = None,
                   start_end: bool = False) -> list[str]:
    """Encode a monophonic line as melody-grid tokens, one per step.

    Rule: step k covers beats [k/s, (k+1)/s). A note of pitch p from step a to b writes
    ``str(p)`` at a and ``"_"`` at a+1 … b-1; steps covered by no note are ``"r"``.

    Args:
        notes: a monophonic line; times must lie on the grid.
        steps_per_quarter: 4 = one token per sixteenth (the course default).
        total_steps: pad with rests to this length (default: end of the last note).
        start_end: frame the tokens with ``<start>`` … ``<end>``.
    Returns:
        A list of tokens.
    Raises:
        EncodingError: notes overlap (not monophonic), or ``total_steps`` is too short.
        SequenceTooLongError: more than :data:`MAX_GRID_STEPS` steps (checked before any token is made).
        QuantizationError: a start or end is off the grid.
    See: notebooks/04_symbolic_music.ipynb §4.
    """
    s = _check_spq(steps_per_quarter)
    notes = sort_notes(notes)
    try:
        check_monophonic(notes)
    except SymbolicError as exc:
        raise EncodingError(str(exc)) from None
    spans = [(n.pitch, _steps(n.start, s, f"start of pitch {n.pitch}"), _steps(n.end, s, f"end of pitch {n.pitch}"))
             for n in notes]
    length = max((b for _, _, b in spans), default=0)
    if total_steps is not None:
        if total_steps < length:
            raise EncodingError(f"total_steps={total_steps} is shorter than the melody ({length} steps)")
        length = total_steps
    tokens = [REST] * check_grid_length(length, s)
    for p, a, b in spans:
        tokens[a] = str(p)
        tokens[a + 1:b] = [HOLD] * (b - a - 1)
    return [START, *tokens, END] if start_end else tokens


def grid_to_melody(tokens: Iterable[str], steps_per_quarter: int = 4, velocity: int = DEFAULT_VELOCITY,
                   strict: bool = True) -> list[Note]:
    """Decode melody-grid tokens back to notes (times in quarter notes).

    Rule: a pitch token opens a note, ``"_"`` extends the open note by one step, ``"r"`` or
    the next pitch closes it. ``<start>``/``<pad>`` are skipped; ``<end>`` stops decoding.

    Args:
        tokens: melody-grid tokens.
        steps_per_quarter: the grid the tokens were written on.
        velocity: velocity given to every note (the grid does not store loudness).
        strict: if True, a ``"_"`` with no note to hold is an error; if False it is read as a rest
            (useful for sampled model output).
    Returns:
        The notes, sorted.
    Raises:
        EncodingError: an unknown token, or (strict) a hold with nothing to hold.
    See: notebooks/04_symbolic_music.ipynb §4.
    """
    s = _check_spq(steps_per_quarter)
    notes: list[Note] = []
    open_pitch, open_start, k = None, 0, 0

    def close(at: int) -> None:
        if open_pitch is not None:
            notes.append(Note(open_pitch, open_start / s, at / s, velocity))

    for i, tok in enumerate(tokens):
        if tok in (START, PAD):
            continue
        if tok == END:
            break
        if tok == HOLD:
            if open_pitch is None and strict:
                raise EncodingError(f"token {i} is a hold '_' but no note is sounding (after a rest or at the start)")
        elif tok == REST:
            close(k)
            open_pitch = None
        elif isinstance(tok, str) and tok.isdigit() and 0 <= int(tok) <= 127:
            close(k)
            open_pitch, open_start = int(tok), k
        else:
            raise EncodingError(f"token {i} = {tok!r} is not a melody-grid token (a pitch 0–127, '_' or 'r')")
        k += 1
    close(k)
    return notes


# --------------------------------------------------------------------------- note tuples
def notes_to_tuples(notes: Iterable[Note]) -> np.ndarray:
    """Encode notes as an (N, 3) float array of (pitch, step, duration), times in quarter notes.

    Rule: notes sorted by (start, pitch); ``step_i = start_i - start_{i-1}`` (``step_0 = start_0``),
    ``duration_i = end_i - start_i``. Chords have step 0.
    See: notebooks/04_symbolic_music.ipynb §4.
    """
    notes = sort_notes(notes)
    out = np.zeros((len(notes), 3), dtype=np.float64)
    prev = 0.0
    for i, n in enumerate(notes):
        out[i] = (n.pitch, n.start - prev, n.end - n.start)
        prev = n.start
    return out


def tuples_to_notes(tuples: np.ndarray, velocity: int = DEFAULT_VELOCITY) -> list[Note]:
    """Decode (pitch, step, duration) rows back to notes: ``start_i = Σ_{k≤i} step_k``.

    Raises:
        EncodingError: not an (N, 3) array, a negative step, or a duration ≤ 0.
    See: notebooks/04_symbolic_music.ipynb §4.
    """
    t = np.asarray(tuples, dtype=np.float64)
    if t.ndim != 2 or t.shape[1] != 3:
        raise EncodingError(f"note tuples have shape (N, 3) = (pitch, step, duration); got {t.shape}")
    if (t[:, 1] < 0).any() or (t[:, 2] <= 0).any():
        raise EncodingError("note tuples need step ≥ 0 and duration > 0")
    starts = np.cumsum(t[:, 1])
    return sort_notes(Note(int(p), float(a), float(a + d), velocity) for (p, _, d), a in zip(t, starts, strict=True))


# --------------------------------------------------------------------------- event tokens
def _velocity_bin(v: int, bins: int) -> int:
    return min(bins - 1, (v - 1) * bins // 127)


def velocity_of_bin(b: int, bins: int) -> int:
    """The velocity a ``VELOCITY_b`` token decodes to: the smallest velocity in bin ``b`` of ``bins``.

    See: notebooks/04_symbolic_music.ipynb §4.
    """
    return 1 + -(-b * 127 // bins)


def event_vocabulary(max_shift: int = 16, velocity_bins: int = 0, low: int = 0, high: int = 127) -> Vocabulary:
    """Vocabulary of event tokens: NOTE_ON_p, NOTE_OFF_p (p = low…high), TIME_SHIFT_1…max_shift, VELOCITY_0…bins-1.

    See: notebooks/04_symbolic_music.ipynb §4.
    """
    tokens = [f"NOTE_ON_{p}" for p in range(low, high + 1)] + [f"NOTE_OFF_{p}" for p in range(low, high + 1)]
    tokens += [f"TIME_SHIFT_{k}" for k in range(1, max_shift + 1)]
    tokens += [f"VELOCITY_{b}" for b in range(velocity_bins)]
    return Vocabulary(tokens, kind="events")


def notes_to_events(notes: Iterable[Note], steps_per_quarter: int = 4, max_shift: int = 16,
                    velocity_bins: int = 0) -> list[str]:
    """Encode notes as event tokens (the performance-RNN / MIDILike family).

    Rule: walk the grid; at each time emit NOTE_OFFs (pitch ascending), then for each onset
    (pitch ascending) an optional ``VELOCITY_b`` when the bin changes and ``NOTE_ON_p``; between
    times emit ``TIME_SHIFT_k`` (k ≤ ``max_shift`` steps, longer gaps split).

    Args:
        notes: notes on the grid.
        steps_per_quarter: grid resolution of the time shifts.
        max_shift: longest single shift in steps.
        velocity_bins: 0 = no velocity tokens; else velocities 1–127 fall in this many equal bins.
    Returns:
        The tokens.
    Raises:
        QuantizationError: a time is off the grid.
        EncodingError: a pitch is struck again while it still sounds (NOTE_OFF would be ambiguous).
    See: notebooks/04_symbolic_music.ipynb §4.
    """
    s = _check_spq(steps_per_quarter)
    if max_shift < 1:
        raise EncodingError(f"max_shift must be ≥ 1 step, got {max_shift}")
    events: list[tuple[int, int, int, int]] = []  # (step, 0=off/1=on, pitch, velocity)
    sounding: dict[int, int] = {}
    for n in sort_notes(notes):
        a, b = _steps(n.start, s, f"start of pitch {n.pitch}"), _steps(n.end, s, f"end of pitch {n.pitch}")
        if sounding.get(n.pitch, -1) > a:
            raise EncodingError(
                f"pitch {n.pitch} is struck again at beat {n.start:g} while it still sounds: NOTE_OFF_{n.pitch} "
                "would be ambiguous; shorten the first note or move one voice"
            )
        sounding[n.pitch] = b
        events += [(a, 1, n.pitch, n.velocity), (b, 0, n.pitch, 0)]
    events.sort()
    tokens, now, vbin = [], 0, None
    for step, kind, pitch, vel in events:
        gap = step - now
        while gap > 0:
            k = min(gap, max_shift)
            tokens.append(f"TIME_SHIFT_{k}")
            gap -= k
        now = step
        if kind == 0:
            tokens.append(f"NOTE_OFF_{pitch}")
        else:
            if velocity_bins:
                b = _velocity_bin(vel, velocity_bins)
                if b != vbin:
                    tokens.append(f"VELOCITY_{b}")
                    vbin = b
            tokens.append(f"NOTE_ON_{pitch}")
    return tokens


def events_to_notes(tokens: Iterable[str], steps_per_quarter: int = 4, velocity_bins: int = 0,
                    strict: bool = True) -> list[Note]:
    """Decode event tokens back to notes.

    Rule: TIME_SHIFT_k advances the clock k steps; NOTE_ON_p opens p at the current velocity
    (``velocity_of_bin`` of the last VELOCITY token, or 80); NOTE_OFF_p closes it.

    Args:
        tokens: event tokens (specials are skipped; ``<end>`` stops).
        steps_per_quarter: the grid of the time shifts.
        velocity_bins: the number of bins used when encoding (0 = none).
        strict: if True, a NOTE_OFF with no open note, a NOTE_ON of a sounding pitch, or a note
            still open at the end is an error; if False they are skipped / closed at the end.
    Raises:
        EncodingError: an unknown token, or (strict) an unbalanced NOTE_ON/NOTE_OFF.
    See: notebooks/04_symbolic_music.ipynb §4.
    """
    s = _check_spq(steps_per_quarter)
    notes, open_notes, now = [], {}, 0
    velocity = DEFAULT_VELOCITY
    for i, tok in enumerate(tokens):
        if tok in SPECIALS:
            if tok == END:
                break
            continue
        kind, _, value = tok.rpartition("_")
        if not value.isdigit() or kind not in ("NOTE_ON", "NOTE_OFF", "TIME_SHIFT", "VELOCITY"):
            raise EncodingError(f"token {i} = {tok!r} is not an event token")
        v = int(value)
        if kind == "TIME_SHIFT":
            now += v
        elif kind == "VELOCITY":
            if velocity_bins < 1:
                raise EncodingError(f"token {i} = {tok!r}: a velocity token, but velocity_bins is 0; decode with the "
                                    "bins the tokens were encoded with")
            if not 0 <= v < velocity_bins:
                raise EncodingError(f"token {i} = {tok!r}: velocity bin outside 0…{velocity_bins - 1}")
            velocity = velocity_of_bin(v, velocity_bins)
        elif kind == "NOTE_ON":
            if v in open_notes:
                if strict:
                    raise EncodingError(f"token {i}: NOTE_ON_{v} while pitch {v} is already on")
                continue
            open_notes[v] = (now, velocity)
        else:
            if v not in open_notes or open_notes[v][0] == now:
                if strict:
                    raise EncodingError(f"token {i}: NOTE_OFF_{v} without a sounding NOTE_ON_{v} before it")
                open_notes.pop(v, None)
                continue
            a, vel = open_notes.pop(v)
            notes.append(Note(v, a / s, now / s, vel))
    if open_notes:
        if strict:
            raise EncodingError(f"pitches {sorted(open_notes)} are never switched off (no NOTE_OFF)")
        for p, (a, vel) in open_notes.items():
            if now > a:
                notes.append(Note(p, a / s, now / s, vel))
    return sort_notes(notes)
