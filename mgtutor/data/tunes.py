"""Tunes: which pieces share a melody, so that a split never puts one tune on both sides.

Part of mgtutor. See notebooks/04_symbolic_music.ipynb §6 (splits) and
notebooks/06_melody_generation.ipynb §1.

Bach harmonised many hymn tunes several times (the same soprano line under different BWV numbers,
often in another key), and folk collections hold variants of one song. Splitting by *file* then
leaks: a validation chorale's melody is in the training set, transposed. The rule is to split by
the unit that can repeat — a tune, a composer, a recording — not by file.

The course's tune key is transposition-invariant: the first :data:`KEY_INTERVALS` intervals
(semitones between consecutive note onsets) of the melody. Alone it finds 258 tunes among music21's
350 distinct chorales, and misses variants whose openings differ (an added passing note, another
pick-up). :func:`tune_groups` therefore also joins melodies whose whole interval strings are at least
60 % alike (:func:`line_similarity`, an edit distance, every pair compared), transitively: 207 tunes (e.g. bwv13.6,
244.10, 244.37, 245.11, 392, 393, 394, 395 and 44.7 are all the *Innsbruck* tune; nine chorales carry the Passion
chorale). Music21's Riemenschneider titles agree: every
title is one tune, except nine hymn texts that Bach set to more than one melody (``tests/test_tunes.py`` lists them).
The grouping of the whole chorale corpus is shipped as package data (``chorale_tunes.json``, made by
:func:`write_chorale_tunes`), with the soprano line of every chorale as melody-grid tokens, so smoke
mode, which parses only a few chorales, knows the whole corpus too (:func:`chorale_soprano_lines`). The copying
check (:mod:`mgtutor.copying`) is calibrated on the same tunes (notebook 11 §5).
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Sequence
from importlib import resources
from pathlib import Path
from typing import TypeVar

import numpy as np

from mgtutor.copying import line_of, line_symbols
from mgtutor.errors import DatasetError

T = TypeVar("T")

KEY_INTERVALS = 12
"""Intervals in a tune key: enough to tell hymn tunes apart, few enough to survive a changed ending."""
TUNES_FILE = "chorale_tunes.json"
SAME_TUNE_SIMILARITY = 0.60
"""Two chorale lines at least this similar (:func:`line_similarity`) are variants of one tune: among the 350
chorales, the similarities of pairs with the same Riemenschneider title and those of unrelated hymns leave a gap
around this value (``tests/test_tunes.py`` cross-checks the groups against the titles)."""


def tune_key(tokens: Sequence[str], intervals: int = KEY_INTERVALS) -> tuple[int, ...]:
    """The transposition-invariant key of a melody-grid line: its first ``intervals`` melodic intervals.

    Rule: the pitch tokens (``"67"``, …) in order — holds, rests and specials skipped — and the
    differences p_{k+1} − p_k of the first ``intervals + 1`` of them. A line with fewer notes gives a
    shorter key. Transposing the melody leaves the key unchanged.
    See: notebooks/04_symbolic_music.ipynb §6.
    """
    pitches = [int(t) for t in tokens if t.isdigit()][: intervals + 1]
    return tuple(int(d) for d in np.diff(pitches))


def roll_tune_key(roll, intervals: int = KEY_INTERVALS) -> tuple[int, ...]:
    """The tune key of a polyphonic piano roll: :func:`tune_key`'s rule on its top line.

    Rule: the highest sounding key of every non-silent frame, consecutive repeats merged (a frame grid cannot
    tell a held note from a repeated one), then the first ``intervals`` differences. Used to measure how many
    pieces of a published split (split by file) share a tune across splits.
    See: notebook 07 (piano rolls).
    """
    roll = np.asarray(roll)
    top = [int(np.flatnonzero(frame).max()) for frame in roll if frame.any()]
    line = [p for i, p in enumerate(top) if i == 0 or p != top[i - 1]]
    return tuple(int(d) for d in np.diff(line[: intervals + 1]))


def split_by_group(items: Sequence[T], groups: Sequence[Hashable], fractions: Sequence[float] = (0.8, 0.1, 0.1),
                   seed: int = 0, fill_empty: bool = False) -> tuple[list[T], ...]:
    """Split items so that all items of a group land in the same split (train, valid, test by default).

    Rule: the distinct groups are shuffled with ``numpy.random.default_rng(seed)`` (in order of first
    appearance before the shuffle); the items are laid out group after group in that order; group g goes to
    split k when its first item falls at a position in [round(n·F_{k−1}), round(n·F_k)), F the cumulative
    sum of ``fractions``. Within a split, items keep that order. With ``fill_empty`` (for a corpus so small that
    a split would be empty), each empty split after the first takes the first split's last group, as long as the
    first split keeps one.
    Raises:
        DatasetError: fractions negative or not summing to 1, or ``groups`` of another length.
    See: notebooks/04_symbolic_music.ipynb §6.
    """
    f = np.asarray(fractions, dtype=float)
    if f.ndim != 1 or len(f) == 0 or (f < 0).any() or not np.isclose(f.sum(), 1.0):
        raise DatasetError(f"fractions must be non-negative and sum to 1, e.g. (0.8, 0.1, 0.1); got {tuple(fractions)}")
    if len(groups) != len(items):
        raise DatasetError(f"one group per item: {len(items)} items, {len(groups)} groups")
    members: dict[Hashable, list[int]] = {}
    for i, g in enumerate(groups):
        members.setdefault(g, []).append(i)
    keys = list(members)
    order = np.random.default_rng(seed).permutation(len(keys))
    cuts = np.round(np.cumsum(f) * len(items))
    placed: list[list[Hashable]] = [[] for _ in f]
    position = 0
    for j in order:
        k = int(np.searchsorted(cuts, position, side="right"))
        placed[min(k, len(f) - 1)].append(keys[j])
        position += len(members[keys[j]])
    for k in range(1, len(f)) if fill_empty else ():
        if not placed[k] and len(placed[0]) > 1:
            placed[k].append(placed[0].pop())
    return tuple([items[i] for g in side for i in members[g]] for side in placed)


def _shipped() -> dict:
    return json.loads(resources.files("mgtutor.data").joinpath(TUNES_FILE).read_text(encoding="utf-8"))


def chorale_tunes() -> dict[str, str]:
    """The shipped tune of every distinct music21 chorale: ``{"bach/bwv13.6": "bach/bwv13.6", "bach/bwv244.10":
    "bach/bwv13.6", …}`` — each tune named by its first chorale in corpus order.

    See: notebooks/04_symbolic_music.ipynb §6.
    """
    return _shipped()["tunes"]


def chorale_soprano_lines() -> dict[str, list[str]]:
    """The shipped soprano line of every distinct chorale as melody-grid tokens, in corpus order — what
    ``{p.name: data.melody_tokens(p) for p in data.chorales()}`` gives for all 350, without parsing.

    See: notebooks/06_melody_generation.ipynb §1.
    """
    return {name: line.split() for name, line in _shipped()["melodies"].items()}


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


def edit_distances(a: Sequence[Sequence[Hashable]], b: Sequence[Sequence[Hashable]]) -> np.ndarray:
    """The edit distance (Levenshtein, :func:`line_similarity`'s) between every line of ``a`` and every line of
    ``b``: an (len(a), len(b)) int array, all pairs at once.

    Rule: the dynamic programme D[r, c] = min(D[r−1, c] + 1, D[r, c−1] + 1, D[r−1, c−1] + [a_r ≠ b_c]), row by row
    for every pair together. Within a row the insertion chain D[r, c] = min(U[c], D[r, c−1] + 1), with U the
    other two terms, is c + cumulative-min(U[k] − k): one NumPy pass instead of a loop over columns. The answer of a
    pair is D[len(a_i), len(b_j)].
    """
    vocab: dict[Hashable, int] = {}
    lens_a, lens_b = np.array([len(x) for x in a], int), np.array([len(x) for x in b], int)

    def padded(lines: Sequence[Sequence[Hashable]], fill: int) -> np.ndarray:
        out = np.full((len(lines), max((len(x) for x in lines), default=0) or 1), fill, np.int32)
        for k, line in enumerate(lines):
            out[k, :len(line)] = [vocab.setdefault(sym, len(vocab)) for sym in line]
        return out

    pa, pb = padded(a, -1), padded(b, -2)  # pads never equal a symbol or each other
    cols = np.arange(pb.shape[1] + 1)
    row = np.broadcast_to(cols, (len(a), len(b), len(cols))).copy()  # D[0, c] = c
    dist = np.broadcast_to(lens_b, (len(a), len(b))).copy()  # for the empty lines of a
    step = np.empty_like(row)
    for r in range(1, int(lens_a.max(initial=0)) + 1):
        step[..., 0] = r
        np.minimum(row[..., :-1] + (pa[:, r - 1, None, None] != pb[None]), row[..., 1:] + 1, out=step[..., 1:])
        row = np.minimum.accumulate(step - cols, axis=-1) + cols
        ending = np.flatnonzero(lens_a == r)
        dist[ending] = row[ending][:, np.arange(len(b)), lens_b]
    return dist


def similar_pairs(lines: Sequence[Sequence[Hashable]], similarity: float = SAME_TUNE_SIMILARITY,
                  block: int = 32) -> list[tuple[int, int]]:
    """Every pair (i, j), i < j, of ``lines`` (symbol strings) with :func:`line_similarity` ≥ ``similarity``.

    Exhaustive: no pair is skipped that could reach the cut. Only the length bound prunes — the edit distance is at
    least the difference of the lengths, so a pair whose shorter line is under ``similarity`` × the longer cannot
    reach it — and the rest are computed exactly by :func:`edit_distances`, ``block`` lines at a time in order of
    length (a few seconds for the 61,075 pairs of the 350 chorales).
    """
    lens = np.array([len(x) for x in lines], int)
    order = np.argsort(lens, kind="stable")
    found = set()
    for start in range(0, len(order), block):
        rows, cols = order[start:start + block], order[start:]
        cols = cols[lens[cols] * similarity <= lens[rows].max()]
        dist = edit_distances([lines[i] for i in rows], [lines[j] for j in cols])
        longer = np.maximum(np.maximum(lens[rows][:, None], lens[cols][None, :]), 1)
        for x, y in zip(*np.nonzero(1 - dist / longer >= similarity), strict=True):
            i, j = int(rows[x]), int(cols[y])
            if i != j:
                found.add((min(i, j), max(i, j)))
    return sorted(found)


def held_out_variants(lines: Sequence, train: Sequence[int], held: Sequence[int],
                      similarity: float = SAME_TUNE_SIMILARITY) -> list[int]:
    """The held-out lines (indices from ``held``) whose interval strings are at least ``similarity`` alike
    (:func:`line_similarity`) to some training line (indices from ``train``): variants of a training tune that a
    split by tune should have kept on the training side. Empty for a split that holds out whole tunes.

    ``lines`` are melody-grid tokens or note lists (:func:`mgtutor.copying.line_of`).
    See: notebooks/06_melody_generation.ipynb §1 (the leak check).
    """
    symbols = {i: line_symbols(line_of(lines[i])) for i in {*train, *held}}
    if not train or not held:
        return []
    dist = edit_distances([symbols[i] for i in held], [symbols[j] for j in train])
    longer = np.maximum.outer([len(symbols[i]) for i in held], [len(symbols[j]) for j in train])
    alike = (1 - dist / np.maximum(longer, 1) >= similarity).any(axis=1)
    return [i for i, hit in zip(held, alike, strict=True) if hit]


def tune_groups(lines: Sequence[Sequence[str]], similarity: float = SAME_TUNE_SIMILARITY) -> list[int]:
    """A tune label for every line (melody-grid tokens, or a list of notes: any piece
    :func:`mgtutor.copying.line_of` reads): lines with the same first :data:`KEY_INTERVALS` intervals (the tune key,
    :func:`tune_key` for grid tokens), or whose interval strings are at least ``similarity`` alike
    (:func:`line_similarity`, every pair compared: :func:`similar_pairs`), are one tune (joined transitively).

    The label of a tune is the index of one of its lines. The tune key alone misses a tune harmonised twice with a
    changed opening (an added passing note, a different pick-up): such variants would land on both sides of a split.
    See: notebooks/04_symbolic_music.ipynb §6; notebooks/11_evaluating_generated_music.ipynb §5.
    """
    parent = list(range(len(lines)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    symbols = [line_symbols(line_of(line)) for line in lines]
    first: dict[tuple, int] = {}
    for i, s in enumerate(symbols):  # the tune key: the first intervals (= tune_key for grid tokens)
        parent[find(i)] = find(first.setdefault(tuple(s[:KEY_INTERVALS]), i))
    for i, j in similar_pairs(symbols, similarity):
        parent[find(i)] = find(j)
    return [find(i) for i in range(len(lines))]


def group_chorale_tunes(names: Sequence[str], melodies: Sequence[Sequence[str]]) -> dict[str, str]:
    """``{name: tune}`` for chorales given by name and soprano tokens (:func:`tune_groups`), each tune named by
    its first chorale in the given order."""
    labels = tune_groups(melodies)
    first: dict[int, str] = {}
    return {name: first.setdefault(label, name) for name, label in zip(names, labels, strict=True)}


def write_chorale_tunes(path: str | Path | None = None) -> Path:
    """Parse all 350 distinct chorales (about a minute the first time) and write ``chorale_tunes.json``.

    The command that makes the shipped file::

        python -c "from mgtutor.data import tunes; tunes.write_chorale_tunes()"
    """
    from mgtutor.data import corpora
    from mgtutor.files import atomic_write_text

    pieces = corpora.chorales(limit=len(corpora.chorale_names()))
    melodies = [corpora.melody_tokens(p) for p in pieces]
    tunes = group_chorale_tunes([p.name for p in pieces], melodies)
    path = Path(path) if path else Path(__file__).with_name(TUNES_FILE)
    payload = {"rule": f"the same first {KEY_INTERVALS} melodic intervals of the soprano (mgtutor.data.tunes."
                       f"tune_key), or soprano interval strings at least {SAME_TUNE_SIMILARITY} alike (mgtutor.data."
                       "tunes.line_similarity), joined transitively (mgtutor.data.tunes.tune_groups)",
               "chorales": len(tunes), "tunes_found": len(set(tunes.values())), "tunes": tunes,
               "melodies": {p.name: " ".join(m) for p, m in zip(pieces, melodies, strict=True)}}
    return atomic_write_text(path, json.dumps(payload, indent=0, ensure_ascii=False) + "\n")
