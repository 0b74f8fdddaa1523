"""The copying check: the suffix automaton against brute force, a planted transposed copy found with its source
and position, unrelated melodies passing, the rhythm-aware variant, and the shipped calibration."""

import numpy as np
import pytest

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


def test_calibration_recomputed_on_a_small_corpus():
    c = copying_task.calibrate("pitch", limit=60, folds=5)
    assert c["pieces"] == 60 and sum(c["histogram"].values()) == 60
    assert c["false_positive_rate"] <= 0.01 and 1 <= c["threshold"] <= c["max"] + 1


def test_bad_inputs():
    with pytest.raises(CopyingError, match="mode must be one of"):
        CorpusIndex([("a", [Note(60, 0, 1)])], mode="harmony")
    with pytest.raises(CopyingError, match="no pieces"):
        CorpusIndex([])
    with pytest.raises(CopyingError, match="list of mgtutor.symbolic.Note or of melody-grid tokens"):
        copying.line_of([60, 62])
