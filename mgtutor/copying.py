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
expected. :func:`calibrate` measures the longest matches of held-out tunes against training tunes on the chorale
soprano lines (ten folds of whole tunes) and chooses the shortest length N flagged in at most 1 % of held-out pieces.
Which chorales are one tune matters here: the course's tune key (the first 12 intervals,
:func:`mgtutor.data.tune_key`) misses variants of one hymn tune that differ by a passing note or an upbeat near the
start, and those share 20–50 intervals — with the tune key alone the threshold would be 37. :func:`tune_groups`
joins them: two chorales are one tune when they share the tune key or when their whole lines are similar
(:func:`line_similarity` ≥ :data:`SAME_TUNE_SIMILARITY`; over the pairs that share a 12-interval stretch the
similarities fall into two clusters, ≤ 0.53 and ≥ 0.60). The calibrated values ship as
``mgtutor/data/copying_calibration.json`` (:func:`calibration`), made by :func:`write_calibration`.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from mgtutor.errors import MgtutorError

__all__ = ["MODES", "CopyingError", "line_of", "line_symbols", "Match", "CorpusIndex", "longest_match",
           "longest_matches", "line_similarity", "tune_groups", "held_out_longest_matches", "choose_threshold",
           "calibrate", "calibration", "calibrated_threshold", "write_calibration", "CALIBRATION_FILE"]

MODES = ("pitch", "rhythm")
"""``"pitch"``: interval n-grams; ``"rhythm"``: (interval, inter-onset interval) n-grams."""
CALIBRATION_FILE = "copying_calibration.json"
FALSE_POSITIVE_RATE = 0.01
"""The share of held-out real pieces the calibrated threshold may flag."""
CALIBRATION_FOLDS = 10
SAME_TUNE_SIMILARITY = 0.55
"""Two chorale lines at least this similar (:func:`line_similarity`) are variants of one tune."""
CANDIDATE_NGRAM = 12
"""Only pairs sharing a stretch of this many intervals are compared whole (the others cannot reach a threshold)."""
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


# --------------------------------------------------------------------------- calibration on real data
def line_similarity(a: Sequence, b: Sequence) -> float:
    """1 − (edit distance between two symbol strings) / (length of the longer): 1 for equal strings.

    The edit distance (Levenshtein) counts the insertions, deletions and substitutions that turn one into the other,
    so an added passing note costs one or two symbols however long the shared stretches around it are.
    See: notebooks/11_evaluating_generated_music.ipynb §5.
    """
    a, b = list(a), list(b)
    if not a and not b:
        return 1.0
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, y in enumerate(b, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y))
        previous = current
    return 1 - previous[-1] / max(len(a), len(b))


def tune_groups(lines: Sequence[Sequence[str]], similarity: float = SAME_TUNE_SIMILARITY,
                ngram: int = CANDIDATE_NGRAM) -> list[int]:
    """A tune label for every line: lines with the same :func:`mgtutor.data.tune_key`, or whose interval strings are
    at least ``similarity`` alike (:func:`line_similarity`), are one tune (joined transitively).

    Only pairs that share a stretch of ``ngram`` intervals are compared whole; the label of a tune is the index of
    one of its lines.
    See: notebooks/11_evaluating_generated_music.ipynb §5.
    """
    from mgtutor.data import tune_key

    parent = list(range(len(lines)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    first: dict[tuple, int] = {}
    for i, line in enumerate(lines):
        parent[find(i)] = find(first.setdefault(tune_key(line), i))
    symbols = [line_symbols(line_of(line)) for line in lines]
    sharing: dict[tuple, set[int]] = {}
    for i, s in enumerate(symbols):
        for k in range(len(s) - ngram + 1):
            sharing.setdefault(tuple(s[k:k + ngram]), set()).add(i)
    pairs = {(i, j) for members in sharing.values() for i in members for j in members if i < j}
    for i, j in sorted(pairs):
        if find(i) != find(j) and line_similarity(symbols[i], symbols[j]) >= similarity:
            parent[find(i)] = find(j)
    return [find(i) for i in range(len(lines))]


def held_out_longest_matches(lines: Sequence[Sequence[str]], groups: Sequence, mode: str = "pitch",
                             folds: int = CALIBRATION_FOLDS, seed: int = 0) -> np.ndarray:
    """For every piece, its longest match against the pieces of the *other* tunes: the real-data null distribution.

    Rule: the tunes are cut into ``folds`` folds of whole tunes (:func:`mgtutor.data.split_by_group`, equal
    fractions, ``seed``); each fold in turn is held out and each of its pieces is matched against an index of the
    pieces of the other folds (the training tunes). Every piece is held out once, and never meets a piece of its
    own tune.
    Returns:
        The longest match (in symbols) of each piece, in the order of ``lines``.
    Raises:
        CopyingError: fewer than two folds or fewer tunes than folds.
    See: notebooks/11_evaluating_generated_music.ipynb §5.
    """
    from mgtutor.data import split_by_group

    if folds < 2 or len(set(groups)) < folds:
        raise CopyingError(f"need at least 2 folds and as many tunes as folds; got {folds} folds, "
                           f"{len(set(groups))} tunes")
    index = list(range(len(lines)))
    parts = split_by_group(index, list(groups), [1 / folds] * folds, seed=seed)
    out = np.zeros(len(lines), dtype=np.int64)
    for k, held in enumerate(parts):
        train = [(str(i), lines[i]) for j, part in enumerate(parts) if j != k for i in part]
        corpus = CorpusIndex(train, mode)
        for i in held:
            out[i] = corpus.longest_match(lines[i]).length
    return out


def choose_threshold(longest: Sequence[int], rate: float = FALSE_POSITIVE_RATE) -> int:
    """The shortest match length N (in symbols) that flags at most a share ``rate`` of real held-out pieces.

    Rule: a piece is flagged when its longest match is ≥ N; N = min{n ≥ 1 : mean(longest ≥ n) ≤ rate}.
    Raises:
        CopyingError: no values or a rate outside [0, 1).
    See: notebooks/11_evaluating_generated_music.ipynb §5.
    """
    values = np.asarray(longest, dtype=np.int64)
    if values.size == 0 or not 0 <= rate < 1:
        raise CopyingError(f"need one or more match lengths and 0 ≤ rate < 1; got {values.size} values, rate {rate}")
    for n in range(1, int(values.max()) + 2):
        if (values >= n).mean() <= rate:
            return n
    raise AssertionError("unreachable: no value reaches max + 1")  # pragma: no cover


def calibrate(mode: str = "pitch", rate: float = FALSE_POSITIVE_RATE, folds: int = CALIBRATION_FOLDS,
              seed: int = 0, limit: int | None = None) -> dict:
    """Calibrate the threshold of one mode on the chorale soprano lines (:func:`mgtutor.data.chorale_soprano_lines`).

    Tunes are :func:`tune_groups`; see :func:`held_out_longest_matches` and :func:`choose_threshold`. ``limit`` takes
    the first pieces only (tests). Also reported: the melody task's own split (seed 0, 10 % of the tunes held out, the
    split of the shipped melody run): how many of its held-out pieces the threshold flags against its training
    pieces; and, for the tune key alone, its threshold and the same split made by tune key — where variants of one
    tune that the key tells apart land on both sides and are flagged.
    Returns:
        A JSON-ready dict: ``threshold``, ``false_positive_rate`` (over all pieces), ``histogram``
        (``{length: pieces}``), ``tune_key_only``, ``melody_split`` and how it was computed.
    See: notebooks/11_evaluating_generated_music.ipynb §5.
    """
    from mgtutor import data

    lines = list(data.chorale_soprano_lines().values())[:limit]
    groups = tune_groups(lines)
    longest = held_out_longest_matches(lines, groups, mode, folds, seed)
    threshold = choose_threshold(longest, rate)
    keys = [data.tune_key(m) for m in lines]
    by_key = held_out_longest_matches(lines, keys, mode, folds, seed)

    def melody_split(labels) -> np.ndarray:
        """Longest matches of the held-out pieces of a 90/10 split by ``labels`` (seed 0, as the melody task)."""
        index = list(range(len(lines)))
        train_idx, valid_idx = data.split_by_group(index, labels, (0.9, 0.1), seed=0, fill_empty=True)
        corpus = CorpusIndex([(str(i), lines[i]) for i in train_idx], mode)
        return np.array([corpus.longest_match(lines[i]).length for i in valid_idx])

    split_longest, key_split_longest = melody_split(groups), melody_split(keys)
    values, counts = np.unique(longest, return_counts=True)
    return {
        "mode": mode, "threshold": threshold, "rate": rate,
        "false_positive_rate": float((longest >= threshold).mean()),
        "pieces": len(lines), "tunes": len(set(groups)), "folds": folds, "seed": seed,
        "median": float(np.median(longest)), "max": int(longest.max()),
        "histogram": {str(int(v)): int(c) for v, c in zip(values, counts, strict=True)},
        "tune_key_only": {"tunes": len(set(keys)), "threshold": choose_threshold(by_key, rate),
                          "max": int(by_key.max()),
                          "split": {"pieces": len(key_split_longest),
                                    "flagged": int((key_split_longest >= threshold).sum()),
                                    "max": int(key_split_longest.max())}},
        "melody_split": {"pieces": len(split_longest), "flagged": int((split_longest >= threshold).sum()),
                         "max": int(split_longest.max())},
        "how": (f"chorale soprano lines; tunes = copying.tune_groups (same tune key, or line similarity ≥ "
                f"{SAME_TUNE_SIMILARITY}); {folds} folds of whole tunes (data.split_by_group, seed {seed}); each "
                f"piece's longest {mode} match against the pieces of the other folds; threshold = the shortest match "
                f"length flagging at most {rate:.0%} of the pieces"),
    }


def write_calibration(path: str | Path | None = None) -> Path:
    """Compute :func:`calibrate` for both modes and write them as JSON (default: the shipped package file).

    The command: ``python -c "from mgtutor.copying import write_calibration; write_calibration()"``.
    """
    path = Path(path) if path else Path(str(resources.files("mgtutor.data").joinpath(CALIBRATION_FILE)))
    content = {"command": 'python -c "from mgtutor.copying import write_calibration; write_calibration()"',
               **{mode: calibrate(mode) for mode in MODES}}
    path.write_text(json.dumps(content, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def calibration() -> dict:
    """The shipped calibration: ``{"pitch": calibrate("pitch"), "rhythm": calibrate("rhythm"), "command": …}``.

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
