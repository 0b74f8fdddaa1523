"""The copying check: the suffix automaton against brute force, a planted transposed copy found with its source
and position, unrelated melodies passing, the rhythm-aware variant, and the shipped calibration."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mgtutor import copying, data
from mgtutor.copying import CopyingError, CorpusIndex
from mgtutor.symbolic import Note, melody_to_grid
from mgtutor.tasks import copying as copying_task


def melody_from_pitches(pitches, durations=None):
    durations = durations or [1.0] * len(pitches)
    t, notes = 0.0, []
    for p, d in zip(pitches, durations, strict=True):
        notes.append(Note(int(p), t, t + d))
        t += d
    return notes


def random_pitches(rng, n, low=55, high=79):
    return rng.integers(low, high + 1, n).tolist()


def brute_force_longest(query, pieces):
    """The longest common substring by checking every start pair: (length, piece, start in piece, start in query)."""
    best = (0, None, 0, 0)
    for k, piece in enumerate(pieces):
        for i in range(len(query)):
            for j in range(len(piece)):
                n = 0
                while i + n < len(query) and j + n < len(piece) and query[i + n] == piece[j + n]:
                    n += 1
                if n > best[0]:
                    best = (n, k, j, i)
    return best


def test_suffix_automaton_agrees_with_brute_force_on_random_strings():
    rng = np.random.default_rng(0)
    for _ in range(40):
        pieces = [random_pitches(rng, int(rng.integers(2, 25)), 60, 64) for _ in range(int(rng.integers(1, 5)))]
        query = random_pitches(rng, int(rng.integers(2, 25)), 60, 64)
        index = CorpusIndex([(f"p{k}", melody_from_pitches(p)) for k, p in enumerate(pieces)])
        match = index.longest_match(melody_from_pitches(query))
        intervals = [np.diff(p).tolist() for p in pieces]
        length, _, _, _ = brute_force_longest(np.diff(query).tolist(), intervals)
        assert match.length == length
        if length:  # the reported place really holds the match
            k = index.names.index(match.source)
            q = np.diff(query)[match.query_note:match.query_note + length]
            s = np.array(intervals[k][match.source_note:match.source_note + length])
            np.testing.assert_array_equal(q, s)


def test_a_planted_transposed_copy_is_found_with_its_source_and_position():
    rng = np.random.default_rng(1)
    corpus = {f"tune{k}": random_pitches(rng, 60) for k in range(30)}
    source = corpus["tune17"][20:45]  # 25 notes = 24 intervals, from note 20 of tune17
    generated = random_pitches(rng, 15) + [p - 5 for p in source] + random_pitches(rng, 15)
    index = CorpusIndex([(name, melody_from_pitches(p)) for name, p in corpus.items()])
    match = index.longest_match(melody_from_pitches(generated))
    assert match.source == "tune17" and match.source_note == 20 and match.length >= 24
    assert match.query_note <= 15 <= match.query_note + match.length - 24  # starts at or just before note 15
    assert match.source_beat == 20.0 and match.notes == match.length + 1
    assert match.length >= copying.calibrated_threshold("pitch")


def test_unrelated_random_melodies_pass():
    rng = np.random.default_rng(2)
    index = CorpusIndex([(f"tune{k}", melody_from_pitches(random_pitches(rng, 60))) for k in range(30)])
    threshold = copying.calibrated_threshold("pitch")
    for _ in range(10):
        assert index.longest_match(melody_from_pitches(random_pitches(rng, 60))).length < threshold


def test_no_match_across_the_boundary_between_two_pieces():
    a, b = [60, 62, 64, 65, 67], [50, 49, 47, 45]
    index = CorpusIndex([("a", melody_from_pitches(a)), ("b", melody_from_pitches(b))])
    # the end of a then the start of b: in the concatenation this would be 4 + 1 + 3 intervals
    match = index.longest_match(melody_from_pitches([62, 64, 65, 67, 50, 49, 47, 45]))
    assert (match.length, match.source, match.source_note) == (3, "a", 1)
    assert index.longest_match(melody_from_pitches([70, 70])) == copying.Match(0, None, 0, 0, 0.0, 0.0)


def test_rhythm_aware_mode_needs_the_same_rhythm_too():
    pitches = [60, 62, 64, 65, 67, 69, 71, 72, 74]
    straight = melody_from_pitches(pitches)
    dotted = melody_from_pitches(pitches, [1.5, 0.5] * 4 + [1.0])
    assert copying.line_symbols(dotted, "rhythm")[:2] == [(2, 720), (2, 240)]
    assert copying.longest_match(dotted, [("s", straight)], "pitch").length == 8
    assert copying.longest_match(dotted, [("s", straight)], "rhythm").length == 0
    # a rest changes the inter-onset interval, not the interval
    gap = [Note(60, 0, 1), Note(62, 1, 2), Note(64, 3, 4)]
    assert copying.line_symbols(gap) == [2, 2] and copying.line_symbols(gap, "rhythm") == [(2, 480), (2, 960)]


def test_tokens_and_polyphony_become_one_line():
    tokens = ["<start>", "60", "_", "62", "r", "64", "<end>"]
    assert copying.line_symbols(copying.line_of(tokens)) == [2, 2]
    chords = [Note(48, 0, 1), Note(60, 0, 1), Note(50, 1, 2), Note(64, 1, 2)]  # the top line is 60 → 64
    assert copying.line_symbols(copying.line_of(chords)) == [4]


def test_line_similarity_and_tune_groups():
    assert data.line_similarity([1, 2, 3], [1, 2, 3]) == 1.0
    assert data.line_similarity([1, 2, 3], [1, 2, 4]) == pytest.approx(2 / 3)  # one substitution
    assert data.line_similarity([1, 2, 3, 4], [1, 3, 4]) == pytest.approx(3 / 4)  # one deletion
    assert data.line_similarity([], []) == 1.0 and data.line_similarity([1], []) == 0.0
    rng = np.random.default_rng(3)
    tune = random_pitches(rng, 40)
    variant = tune[:3] + [tune[3] + 1] + tune[4:]  # another note near the start: another tune key, same tune
    other = random_pitches(rng, 40)
    lines = [melody_to_grid(melody_from_pitches(p)) for p in (tune, variant, other, tune)]
    assert data.tune_key(lines[0]) != data.tune_key(lines[1])
    groups = data.tune_groups(lines)
    assert groups[0] == groups[1] == groups[3] != groups[2]


def test_choose_threshold():
    assert copying_task.choose_threshold([5] * 99 + [20], rate=0.01) == 6  # 1 % may be flagged: the 20 is allowed
    assert copying_task.choose_threshold([5] * 98 + [20, 21], rate=0.01) == 21  # 2 % at ≥ 20: flag only the 21
    assert copying_task.choose_threshold([3, 3, 3], rate=0.0) == 4
    with pytest.raises(CopyingError, match="0 ≤ rate < 1"):
        copying_task.choose_threshold([], 0.01)
    with pytest.raises(CopyingError, match="0 ≤ rate < 1"):
        copying_task.choose_threshold([1, 2], 1.5)


def test_held_out_matches_never_meet_their_own_tune():
    rng = np.random.default_rng(4)
    tunes = [random_pitches(rng, 30) for _ in range(6)]
    lines = [melody_to_grid(melody_from_pitches(t)) for t in tunes for _ in range(2)]  # each tune twice
    groups = [i // 2 for i in range(len(lines))]
    longest = copying_task.held_out_longest_matches(lines, groups, folds=3)
    assert (longest < 10).all()  # a copy of the same tune (29 intervals) is never in the other folds
    leaky = copying_task.held_out_longest_matches(lines, list(range(len(lines))), folds=3)
    assert (leaky == 29).sum() >= 4  # split by piece: some pieces meet their twin
    with pytest.raises(CopyingError, match="as many tunes as folds"):
        copying_task.held_out_longest_matches(lines, groups, folds=10)


def test_shipped_calibration_follows_its_rule():
    shipped = copying.calibration()
    assert "write_calibration()" in shipped["command"]
    for mode in copying.MODES:
        c = shipped[mode]
        longest = np.repeat([int(k) for k in c["histogram"]], list(c["histogram"].values()))
        assert len(longest) == c["pieces"] == 350
        assert copying_task.choose_threshold(longest, c["rate"]) == c["threshold"] == copying.calibrated_threshold(mode)
        assert c["false_positive_rate"] == pytest.approx((longest >= c["threshold"]).mean())
        assert c["false_positive_rate"] <= c["rate"]
        assert c["tune_key_only"]["threshold"] > c["threshold"]  # the tune key alone misses variants of a tune
        # the melody task's split (by the tune grouping) leaves far fewer held-out pieces flagged than a split by
        # tune key alone, which puts variants of one tune on both sides
        assert c["melody_split"]["flagged"] < c["tune_key_only"]["split"]["flagged"] / 4
    assert shipped["pitch"]["melody_split"]["flagged"] == 0


def test_calibration_equals_brute_force_longest_matches_on_chorale_lines():
    from mgtutor import data

    lines = list(data.chorale_soprano_lines().values())[:24]
    summary, groups, longest = copying_task.calibrate_lines(lines, "pitch", rate=0.1, folds=4)
    symbols = [copying.line_symbols(copying.line_of(line)) for line in lines]
    folds = data.split_by_group(list(range(len(lines))), list(groups), [1 / 4] * 4, seed=0)
    expected = np.zeros(len(lines), dtype=int)
    for k, held in enumerate(folds):
        others = [symbols[i] for j, fold in enumerate(folds) if j != k for i in fold]
        assert not {groups[i] for i in held} & {groups[i] for j, f in enumerate(folds) if j != k for i in f}
        for i in held:
            expected[i] = brute_force_longest(symbols[i], others)[0]
    np.testing.assert_array_equal(longest, expected)
    assert summary["histogram"] == {str(v): int((expected == v).sum()) for v in np.unique(expected)}
    threshold = next(t for t in range(1, expected.max() + 2) if (expected >= t).mean() <= 0.1)
    assert summary["threshold"] == threshold and summary["false_positive_rate"] == (expected >= threshold).mean()


def test_bad_inputs():
    with pytest.raises(CopyingError, match="mode must be one of"):
        CorpusIndex([("a", [Note(60, 0, 1)])], mode="harmony")
    with pytest.raises(CopyingError, match="no pieces"):
        CorpusIndex([])
    with pytest.raises(CopyingError, match="list of mgtutor.symbolic.Note or of melody-grid tokens"):
        copying.line_of([60, 62])


def expected_match(query, pieces, names):
    """The answer ``longest_match`` promises, by brute force over ``(pitch, start)`` lines in ``pitch`` mode: the
    longest common run of intervals, the earliest one in the query, and its first occurrence in the corpus (pieces in
    order, then notes in order)."""
    q = np.diff([p for p, _ in query]).tolist()
    lines = [np.diff([p for p, _ in piece]).tolist() for piece in pieces]
    length, _, _, _ = brute_force_longest(q, lines)
    if length == 0:
        return copying.Match(0, None, 0, 0, 0.0, 0.0)
    i = next(i for i in range(len(q)) if any(q[i:i + length] == line[j:j + length]
                                              for line in lines for j in range(len(line) - length + 1)))
    k, j = next((k, j) for k, line in enumerate(lines) for j in range(len(line) - length + 1)
                if line[j:j + length] == q[i:i + length])
    return copying.Match(length, names[k], j, i, float(pieces[k][j][1]), float(query[i][1]))


def notes_of(line):
    """Notes from ``(pitch, start)`` pairs, each lasting up to the next start."""
    ends = [s for _, s in line[1:]] + [line[-1][1] + 1] if line else []
    return [Note(p, s, e) for (p, s), e in zip(line, ends, strict=True)]


def random_line(rng, n, alphabet):
    """``(pitch, start)`` pairs: pitches from a few values (so repeats are common), onsets in eighths."""
    pitches = rng.integers(60, 60 + alphabet, n)
    starts = np.cumsum(np.r_[0, rng.integers(1, 4, max(n - 1, 0))]) / 2
    return [(int(p), float(s)) for p, s in zip(pitches, starts, strict=True)]


def test_longest_match_is_the_first_occurrence_of_the_earliest_longest_run():
    """Every field of the match against brute force, on random corpora over two- to four-letter interval alphabets
    (many repeated substrings: the automaton clones states), with onsets that differ from note indices."""
    rng = np.random.default_rng(5)
    for trial in range(150):
        alphabet = 2 + trial % 3
        pieces = [random_line(rng, int(rng.integers(1, 14)), alphabet) for _ in range(int(rng.integers(1, 5)))]
        names = [f"piece{k}" for k in range(len(pieces))]
        index = CorpusIndex(list(zip(names, map(notes_of, pieces), strict=True)))
        for _ in range(3):
            query = random_line(rng, int(rng.integers(1, 14)), alphabet)
            assert index.longest_match(notes_of(query)) == expected_match(query, pieces, names)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.integers(60, 62), min_size=1, max_size=12), min_size=1, max_size=4),
       st.lists(st.integers(60, 62), min_size=1, max_size=12))
def test_longest_match_against_brute_force_hypothesis(pieces, query):
    pieces = [[(p, float(t)) for t, p in enumerate(piece)] for piece in pieces]
    query = [(p, 2.0 * t) for t, p in enumerate(query)]
    names = [f"p{k}" for k in range(len(pieces))]
    index = CorpusIndex(list(zip(names, map(notes_of, pieces), strict=True)))
    assert index.longest_match(notes_of(query)) == expected_match(query, pieces, names)


def test_a_match_at_the_start_of_a_later_piece_names_that_piece():
    index = CorpusIndex([("a", melody_from_pitches([60, 61, 60])), ("b", melody_from_pitches([70, 75, 77, 72])),
                         ("c", melody_from_pitches([50, 55, 57, 52]))])
    match = index.longest_match(melody_from_pitches([40, 45, 47, 42], [0.5, 0.5, 1.0, 1.0]))
    assert match == copying.Match(3, "b", 0, 0, 0.0, 0.0)  # b and c hold it: b comes first
    match = index.longest_match(melody_from_pitches([39, 40, 41, 46, 48], [2.0, 0.5, 0.5, 1.0, 1.0]))
    # +1 +1 +5 +2: "a" holds only one +1, "b" holds +5 +2 from its first note, matched from note 2 (beat 2.5)
    assert match == copying.Match(2, "b", 0, 2, 0.0, 2.5)


def test_names_are_strings_and_the_index_counts_its_pieces():
    index = CorpusIndex([(7, melody_from_pitches([60, 62, 64])), (None, melody_from_pitches([60, 59]))])
    assert len(index) == 2 and index.names == ["7", "None"]
    assert index.starts == [0, 3]  # 2 intervals and a separator, then the second piece
    assert index.onsets == [[0.0, 1.0, 2.0], [0.0, 1.0]]
    assert index.longest_match(melody_from_pitches([61, 63, 65])).source == "7"


def test_defaults_are_the_pitch_mode():
    dotted = melody_from_pitches([60, 62, 64, 65, 67], [1.5, 0.5, 1.5, 0.5, 1.0])
    straight = melody_from_pitches([60, 62, 64, 65, 67])
    assert copying.line_symbols(dotted) == [2, 2, 1, 2]
    assert copying.longest_match(dotted, [("s", straight)]).length == 4  # pitch mode; rhythm mode finds nothing
    assert copying.longest_match(dotted, [("s", straight)], "rhythm").length == 0
    assert CorpusIndex([("s", straight)]).mode == "pitch"
    assert copying.calibrated_threshold() == copying.calibration()["pitch"]["threshold"]


def test_longest_matches_and_as_dict():
    index = CorpusIndex([("a", melody_from_pitches([60, 62, 64, 65])), ("b", melody_from_pitches([60, 59, 57]))])
    generated = [("g1", melody_from_pitches([70, 72, 74], [0.5, 0.5, 1.0])), ("g2", melody_from_pitches([50, 52])),
                 ("g3", melody_from_pitches([80, 90]))]
    out = copying.longest_matches(generated, index)
    assert out == [("g1", copying.Match(2, "a", 0, 0, 0.0, 0.0)), ("g2", copying.Match(1, "a", 0, 0, 0.0, 0.0)),
                   ("g3", copying.Match(0, None, 0, 0, 0.0, 0.0))]
    assert copying.longest_matches([], index) == []
    shifted = index.longest_match(melody_from_pitches([55, 61, 63, 64], [0.5, 0.5, 1.0, 1.0]))
    assert copying.as_dict(shifted) == {"length": 2, "source": "a", "source_note": 1, "query_note": 1,
                                        "source_beat": 1.0, "query_beat": 0.5, "notes": 3}
    assert copying.as_dict(out[2][1]) == {"length": 0, "source": None, "source_note": 0, "query_note": 0,
                                          "source_beat": 0.0, "query_beat": 0.0, "notes": 0}


def test_error_messages():
    with pytest.raises(CopyingError) as err:
        copying.line_symbols([], "harmony")
    assert str(err.value) == "mode must be one of ('pitch', 'rhythm'), got 'harmony'"
    with pytest.raises(CopyingError) as err:
        CorpusIndex([])
    assert str(err.value) == "the corpus has no pieces"
    with pytest.raises(CopyingError) as err:
        copying.line_of([Note(60, 0, 1), "60"])
    assert str(err.value) == "a piece is a list of mgtutor.symbolic.Note or of melody-grid tokens (str)"
    assert copying.line_of([]) == [] and copying.line_symbols([]) == []


def test_sampled_tokens_with_a_stray_hold_still_make_a_line():
    # sampled output may hold after a rest or at the start: read as a rest, not an error
    line = copying.line_of(["_", "60", "_", "r", "_", "64", "67"])
    assert [(n.pitch, n.start) for n in line] == [(60, 0.25), (64, 1.25), (67, 1.5)]
    assert copying.line_symbols(line, "rhythm") == [(4, 480), (3, 120)]


@pytest.mark.parametrize(
    ("pieces", "query"),
    [  # corpora where state cloning matters: a shortcut in the cloning rule misplaces or shortens these matches
        ([[61, 61, 61, 60, 60, 61, 61, 60, 60, 61, 61, 61, 60], [61, 61, 61, 61, 61, 60, 61, 60, 61, 60]],
         [60, 61, 60, 60, 60, 60, 61, 61]),
        ([[61, 60, 61, 60, 60, 61, 60, 60, 61, 60, 61, 60], [60, 60, 60, 61], [60, 61, 60, 60, 60]],
         [60, 60, 61, 61, 61, 60, 60, 60, 60, 60, 61, 61, 60]),
    ],
)
def test_longest_match_on_repetitive_two_letter_corpora(pieces, query):
    pieces = [[(p, t / 2) for t, p in enumerate(piece)] for piece in pieces]
    query = [(p, t / 2) for t, p in enumerate(query)]
    names = [f"p{k}" for k in range(len(pieces))]
    index = CorpusIndex(list(zip(names, map(notes_of, pieces), strict=True)))
    assert index.longest_match(notes_of(query)) == expected_match(query, pieces, names)


def test_rhythm_mode_finds_a_copy_with_the_same_rhythm():
    pitches = [60, 62, 64, 65, 67, 69, 71, 72, 74]
    dotted = melody_from_pitches(pitches, [1.5, 0.5] * 4 + [1.0])
    index = CorpusIndex([("d", dotted)], "rhythm")
    assert index.mode == "rhythm"
    assert index.longest_match(melody_from_pitches([p + 3 for p in pitches], [1.5, 0.5] * 4 + [1.0])).length == 8
    assert index.longest_match(melody_from_pitches(pitches)).length == 0  # the same pitches, straight rhythm
    assert copying.longest_match(dotted, [("d", dotted)], "rhythm") == copying.Match(8, "d", 0, 0, 0.0, 0.0)


def test_calibration_reads_the_same_under_an_ascii_locale():
    """The shipped file is UTF-8 (it holds "≥"): it is read as UTF-8 whatever the locale says."""
    code = "import json; from mgtutor import copying; print(json.dumps(copying.calibration(), sort_keys=True))"
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONIOENCODING": "utf-8"}
    root = Path(copying.__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True,
                         encoding="utf-8", check=True, timeout=120)
    assert json.loads(out.stdout) == copying.calibration()
