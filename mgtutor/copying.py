"""A copying check: does a generated piece repeat a long stretch of a training piece, in any key?

Part of mgtutor. See notebooks/11_evaluating_generated_music.ipynb §5 and the command line::

    python -m mgtutor evaluate copying --generated DIR|FILE --corpus chorales|folk|DIR [--min-length N]

A piece is reduced to one line — its skyline (:func:`mgtutor.symbolic.skyline`; a melody is its own skyline) — and
the line to a string of symbols, one per step from a note to the next:

* ``"pitch"``: the interval p_{k+1} − p_k in semitones. Transposing a piece adds a constant to every pitch and
  leaves the intervals unchanged, so a copy in another key is still a copy.
* ``"rhythm"``: the pair (interval, inter-onset interval o_{k+1} − o_k, counted in 1/480 of a quarter note): the same
  melodic shape *and* the same rhythm (rests count in the inter-onset interval).

The longest common substring of symbols between a generated piece and any training piece is found with a
**suffix automaton** of the whole training corpus (each piece closed by a separator of its own, so no match runs
from one piece into the next): built in time linear in the corpus, it answers each generated piece in time linear
in that piece. The answer names the training piece and the note where the match starts in both pieces.

How long is too long? Real pieces of *different* tunes share formulas (cadences, scale runs), so some matches are
expected. The threshold is calibrated on real data: the longest matches of held-out chorale tunes against the other
tunes (:func:`mgtutor.tasks.copying.calibrate`, with the course's tune grouping, :func:`mgtutor.data.tune_groups`),
and the shortest length N flagged in at most 1 % of held-out pieces. The calibrated values ship as
``mgtutor/data/copying_calibration.json`` (:func:`calibration`), made by
:func:`mgtutor.tasks.copying.write_calibration`.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from importlib import resources

from mgtutor.errors import MgtutorError

__all__ = ["MODES", "CopyingError", "line_of", "line_symbols", "Match", "CorpusIndex", "longest_match",
           "longest_matches", "calibration", "calibrated_threshold", "CALIBRATION_FILE"]

MODES = ("pitch", "rhythm")
"""``"pitch"``: interval n-grams; ``"rhythm"``: (interval, inter-onset interval) n-grams."""
CALIBRATION_FILE = "copying_calibration.json"
"""The shipped calibration, in the package's data folder (:func:`calibration`)."""
TICKS_PER_QUARTER = 480
"""Time unit of the rhythm symbols' inter-onset intervals (as MIDI files count: sixteenths, triplets, quintuplets)."""


class CopyingError(MgtutorError, ValueError):
    """A piece or corpus the copying check cannot use (an unknown mode, no pieces, a bad threshold)."""


def _check_mode(mode: str) -> str:
    if mode not in MODES:
        raise CopyingError(f"mode must be one of {MODES}, got {mode!r}")
    return mode


def line_of(piece) -> list:
    """The line the check follows: the skyline of a note list, or the notes of melody-grid tokens.

    ``piece`` is a list of :class:`mgtutor.symbolic.Note` or of melody-grid tokens (``"60"``, ``"_"``, ``"r"``;
    decoded as sampled output is: ``<start>``/``<pad>`` skipped, ``<end>`` ends it, a hold after a rest is a rest).
    Raises:
        CopyingError: anything else.
    See: notebooks/11_evaluating_generated_music.ipynb §5.
    """
    from mgtutor.symbolic import Note, grid_to_melody, skyline, sort_notes

    items = list(piece)
    if items and all(isinstance(x, str) for x in items):
        return grid_to_melody(items, strict=False)
    if all(isinstance(x, Note) for x in items):
        return skyline(sort_notes(items))
    raise CopyingError("a piece is a list of mgtutor.symbolic.Note or of melody-grid tokens (str)")


def line_symbols(line: Sequence, mode: str = "pitch") -> list:
    """One symbol per step of a line (from :func:`line_of`): the interval, or (interval, inter-onset interval).

    Rule: for notes k = 0 … n − 2, ``pitch`` gives p_{k+1} − p_k and ``rhythm`` gives (p_{k+1} − p_k,
    round(480 · (o_{k+1} − o_k))), the onset difference in 1/480 of a quarter note.
    See: notebooks/11_evaluating_generated_music.ipynb §5.
    """
    _check_mode(mode)
    pitches = [n.pitch for n in line]
    steps = [b - a for a, b in zip(pitches, pitches[1:], strict=False)]
    if mode == "pitch":
        return steps
    onsets = [round(n.start * TICKS_PER_QUARTER) for n in line]
    return [(d, b - a) for d, a, b in zip(steps, onsets, onsets[1:], strict=False)]


@dataclass(frozen=True)
class Match:
    """The longest stretch a generated piece shares with a corpus piece.

    ``length`` is in symbols (intervals): a match of length L covers L + 1 notes. ``query_note`` and
    ``source_note`` are the 0-based indices of its first note in the generated line and in the source's line;
    ``query_beat`` and ``source_beat`` their onsets in quarter notes. ``source`` is ``None`` when nothing matches
    (``length`` 0).
    """

    length: int
    source: str | None
    source_note: int
    query_note: int
    source_beat: float
    query_beat: float

    @property
    def notes(self) -> int:
        """Notes covered by the match (``length + 1``, or 0 when nothing matches)."""
        return self.length + 1 if self.length else 0


class CorpusIndex:
    """A suffix automaton of every training piece's symbol string, with each piece's name and note onsets.

    Rule (Blumer et al. 1985): states are the classes of substrings that end at the same set of positions; each
    state keeps its transitions, its suffix link, the length of its longest substring and the first position where
    that substring ends (``first_end``). Pieces are concatenated with a separator unique to each piece, so every
    common substring with a query lies inside one piece. Built online, one symbol at a time: O(total length).

    Args:
        pieces: ``(name, piece)`` pairs, a piece as :func:`line_of` takes it.
        mode: ``"pitch"`` or ``"rhythm"`` (:data:`MODES`).
    Raises:
        CopyingError: no pieces, or a bad mode or piece.
    See: notebooks/11_evaluating_generated_music.ipynb §5.
    """

    def __init__(self, pieces: Iterable[tuple[str, object]], mode: str = "pitch") -> None:
        self.mode = _check_mode(mode)
        self.names: list[str] = []
        self.onsets: list[list[float]] = []
        self.starts: list[int] = []  # position of each piece's first symbol in the concatenation
        self._next: list[dict] = [{}]
        self._link = [-1]
        self._len = [0]
        self._first_end = [-1]
        self._last = 0
        position = 0
        for index, (name, piece) in enumerate(pieces):
            line = line_of(piece)
            self.names.append(str(name))
            self.onsets.append([float(n.start) for n in line])
            self.starts.append(position)
            for symbol in [*line_symbols(line, mode), ("end of piece", index)]:
                self._extend(symbol, position)
                position += 1
        if not self.names:
            raise CopyingError("the corpus has no pieces")

    def _extend(self, symbol, position: int) -> None:
        nxt, link, length, first_end = self._next, self._link, self._len, self._first_end
        cur = len(nxt)
        nxt.append({})
        length.append(length[self._last] + 1)
        link.append(0)
        first_end.append(position)
        p = self._last
        while p != -1 and symbol not in nxt[p]:
            nxt[p][symbol] = cur
            p = link[p]
        if p != -1:
            q = nxt[p][symbol]
            if length[p] + 1 == length[q]:
                link[cur] = q
            else:
                clone = len(nxt)
                nxt.append(dict(nxt[q]))
                length.append(length[p] + 1)
                link.append(link[q])
                first_end.append(first_end[q])
                while p != -1 and nxt[p].get(symbol) == q:
                    nxt[p][symbol] = clone
                    p = link[p]
                link[q] = link[cur] = clone
        self._last = cur

    def __len__(self) -> int:
        return len(self.names)

    def longest_match(self, piece) -> Match:
        """The longest substring of ``piece``'s symbols found in the corpus, and where (the first occurrence).

        Rule: walk the automaton along the query; on a symbol with no transition follow suffix links (shortening
        the current match) until one exists. The longest current match over the walk is the answer; the state's
        ``first_end`` gives where it ends in the corpus. Ties go to the earliest position in the query.
        See: notebooks/11_evaluating_generated_music.ipynb §5.
        """
        line = line_of(piece)
        state = current = best = 0
        best_end = best_state = -1
        for i, symbol in enumerate(line_symbols(line, self.mode)):
            while state and symbol not in self._next[state]:
                state = self._link[state]
                current = self._len[state]
            if symbol in self._next[state]:
                state = self._next[state][symbol]
                current += 1
            if current > best:
                best, best_end, best_state = current, i, state
        if best == 0:
            return Match(0, None, 0, 0, 0.0, 0.0)
        corpus_start = self._first_end[best_state] - best + 1
        k = bisect.bisect_right(self.starts, corpus_start) - 1
        source_note, query_note = corpus_start - self.starts[k], best_end - best + 1
        return Match(best, self.names[k], source_note, query_note, self.onsets[k][source_note],
                     float(line[query_note].start))


def longest_match(piece, corpus: Sequence[tuple[str, object]], mode: str = "pitch") -> Match:
    """:meth:`CorpusIndex.longest_match` of one piece against a corpus given as ``(name, piece)`` pairs.

    See: notebooks/11_evaluating_generated_music.ipynb §5.
    """
    return CorpusIndex(corpus, mode).longest_match(piece)


def longest_matches(pieces: Sequence[tuple[str, object]], index: CorpusIndex) -> list[tuple[str, Match]]:
    """``(name, Match)`` for every generated ``(name, piece)`` against one :class:`CorpusIndex`.

    See: notebooks/11_evaluating_generated_music.ipynb §5.
    """
    return [(name, index.longest_match(piece)) for name, piece in pieces]


# --------------------------------------------------------------------------- the shipped calibration
def calibration() -> dict:
    """The shipped calibration: ``{"pitch": calibrate("pitch"), "rhythm": calibrate("rhythm"), "command": …}``
    (:func:`mgtutor.tasks.copying.calibrate`).

    See: notebooks/11_evaluating_generated_music.ipynb §5.
    """
    text = resources.files("mgtutor.data").joinpath(CALIBRATION_FILE).read_text(encoding="utf-8")
    return json.loads(text)


def calibrated_threshold(mode: str = "pitch") -> int:
    """The shipped threshold of ``mode``: a generated piece whose longest match is at least this long is flagged.

    See: notebooks/11_evaluating_generated_music.ipynb §5.
    """
    return int(calibration()[_check_mode(mode)]["threshold"])


def as_dict(match: Match) -> dict:
    """A JSON-ready dict of a :class:`Match` (with ``notes``)."""
    return {**asdict(match), "notes": match.notes}
