"""Tunes: the transposition-invariant tune key, splits that keep a tune on one side, the shipped chorale grouping."""

import itertools

import numpy as np
import pytest

from mgtutor import data
from mgtutor.copying import line_of, line_symbols
from mgtutor.data import tunes
from mgtutor.symbolic import transpose_grid


def test_tune_key_hand_computed_and_transposition_invariant():
    line = ["<start>", "67", "_", "69", "r", "71", "_", "_", "67", "72"]
    assert data.tune_key(line) == (2, 2, -4, 5)
    assert data.tune_key(transpose_grid(line, -7)) == data.tune_key(line)
    assert data.tune_key(line, intervals=2) == (2, 2)
    assert data.tune_key(["r", "_"]) == ()


def test_split_by_group_keeps_each_group_on_one_side():
    items = list(range(20))
    groups = [i // 3 for i in items]  # 7 groups of 3 (the last of 2)
    train, valid, test = data.split_by_group(items, groups, (0.6, 0.2, 0.2), seed=1)
    assert sorted(train + valid + test) == items
    side = {g: k for k, split in enumerate((train, valid, test)) for i in split for g in [groups[i]]}
    assert all(side[groups[i]] == k for k, split in enumerate((train, valid, test)) for i in split)
    # groups in shuffled order 5, 0, 1, 4 | 2, 6 | 3: each goes where its first item falls (cuts at 12 and 16)
    assert (train, valid, test) == ([15, 16, 17, 0, 1, 2, 3, 4, 5, 12, 13, 14], [6, 7, 8, 18, 19], [9, 10, 11])
    assert data.split_by_group(items, groups, (0.6, 0.2, 0.2), seed=1) == (train, valid, test)  # seeded
    tiny = data.split_by_group(list("abcd"), [0, 0, 1, 2], (0.9, 0.05, 0.05), seed=0)
    assert [len(s) for s in tiny] == [4, 0, 0]
    filled = data.split_by_group(list("abcd"), [0, 0, 1, 2], (0.9, 0.05, 0.05), seed=0, fill_empty=True)
    assert all(filled) and sorted(sum(filled, [])) == list("abcd")
    assert {"a", "b"} <= set(filled[0]) or {"a", "b"} <= set(filled[1]) or {"a", "b"} <= set(filled[2])
    with pytest.raises(data.DatasetError, match="sum to 1"):
        data.split_by_group(items, groups, (0.5, 0.2))
    with pytest.raises(data.DatasetError, match="one group per item"):
        data.split_by_group(items, groups[:-1])


def test_the_shipped_grouping_follows_the_rule():
    shipped = data.chorale_tunes()
    assert len(shipped) == 350 and len(set(shipped.values())) == 207
    lines = data.chorale_soprano_lines()  # equal to a fresh parse (tested below)
    assert tunes.group_chorale_tunes(list(lines), list(lines.values())) == shipped
    keys = {name: data.tune_key(line) for name, line in lines.items()}
    for a, b in itertools.combinations(keys, 2):  # the tune key alone never joins what the rule keeps apart
        assert keys[a] != keys[b] or shipped[a] == shipped[b], (a, b)
    assert len(set(keys.values())) == 258  # the key alone finds 51 more "tunes": variants it cannot join


def test_a_variant_with_a_changed_opening_joins_its_tune():
    rng = np.random.default_rng(0)
    pitches = [60]
    for step in rng.choice([-2, -1, 1, 2, 3, -3], 40):
        pitches.append(int(np.clip(pitches[-1] + step, 50, 80)))
    line = [str(p) for p in pitches]
    variant = line[:3] + [str(int(line[2]) + 1)] + line[3:]  # a passing note added in the first bar
    other = [str(p) for p in rng.integers(55, 75, 41)]
    assert data.tune_key(line) != data.tune_key(variant)
    labels = data.tune_groups([line, variant, other])
    assert labels[0] == labels[1] != labels[2]


def test_a_known_tune_family_is_one_tune():
    shipped = data.chorale_tunes()
    innsbruck = ["bach/bwv13.6", "bach/bwv244.10", "bach/bwv244.37", "bach/bwv245.11", "bach/bwv392",
                 "bach/bwv393", "bach/bwv394", "bach/bwv395", "bach/bwv44.7"]
    assert len({shipped[name] for name in innsbruck}) == 1
    passion = ["bach/bwv244.15", "bach/bwv244.44", "bach/bwv244.54", "bach/bwv270", "bach/bwv271"]
    assert len({shipped[name] for name in passion}) == 1 and shipped[innsbruck[0]] != shipped[passion[0]]


def test_group_chorale_tunes_names_each_tune_by_its_first_chorale():
    melodies = [["60", "62", "64"], ["65", "67", "69"], ["60", "59"]]
    assert tunes.group_chorale_tunes(["a", "b", "c"], melodies) == {"a": "a", "b": "a", "c": "c"}


def test_the_shipped_soprano_lines_equal_a_fresh_parse():
    lines = data.chorale_soprano_lines()
    assert list(lines) == data.chorale_names() and len(lines) == 350
    for piece in data.chorales():  # smoke mode: the first few, parsed (cached)
        assert lines[piece.name] == data.melody_tokens(piece), piece.name


def test_roll_tune_key_reads_the_top_line_and_merges_repeats():
    roll = np.zeros((7, 88), np.uint8)
    for t, (top, low) in enumerate([(40, 30), (40, 31), (42, 30), (0, 0), (45, 20), (44, 33), (44, 30)]):
        if top:
            roll[t, [top, low]] = 1
    assert data.roll_tune_key(roll) == (2, 3, -1)  # 40 40 42 (silence) 45 44 44 → 40 42 45 44
    shifted = np.roll(roll, 5, axis=1)
    assert data.roll_tune_key(shifted) == data.roll_tune_key(roll)
    assert data.roll_tune_key(np.zeros((3, 88))) == ()


def test_edit_distances_of_all_pairs_equal_the_textbook_recurrence():
    rng = np.random.default_rng(1)
    lines = [list(rng.integers(-3, 4, n)) for n in (0, 1, 2, 5, 9, 17, 17, 30)]
    lines.append(lines[6][:10] + [9] + lines[6][10:])  # an insertion
    d = data.edit_distances(lines, lines[2:])
    for i, j in itertools.product(range(len(lines)), range(2, len(lines))):
        longer = max(len(lines[i]), len(lines[j]), 1)
        assert 1 - d[i, j - 2] / longer == pytest.approx(data.line_similarity(lines[i], lines[j])), (i, j)
    assert d[6, 8 - 2] == 1 and d[0, 7 - 2] == 30
    rhythm = [[(2, 480), (-1, 240)], [(2, 480)], [(2, 240), (-1, 240)]]  # (interval, onset step) symbols
    np.testing.assert_array_equal(data.edit_distances(rhythm, rhythm), [[0, 1, 1], [1, 0, 2], [1, 2, 0]])


def test_similar_pairs_finds_every_pair_over_the_cut():
    rng = np.random.default_rng(2)
    base = [list(rng.integers(-4, 5, n)) for n in rng.integers(5, 40, 12)]
    lines = base + [[s if rng.random() > 0.25 else 7 for s in line] for line in base]  # noisy copies
    for cut in (0.5, 0.6, 0.8):
        brute = [(i, j) for i, j in itertools.combinations(range(len(lines)), 2)
                 if data.line_similarity(lines[i], lines[j]) >= cut]
        assert data.similar_pairs(lines, cut, block=5) == brute and brute


# Chorales that share a Riemenschneider title but not a melody: the hymn text is sung to another tune. Each is
# checked below to be under the similarity cut against every chorale of the title's other group.
ANOTHER_MELODY = {
    "Nun komm, der Heiden Heiland": "bwv62.6 has the Nun komm melody; bwv36.8-2 another",
    "In allen meinen Taten": "bwv244.37 sings the text to the Innsbruck melody",
    "O Gott, du frommer Gott": "three melodies for the text (bwv45.7 and bwv398 share one)",
    "Hilf, Herr Jesu, laß gelingen": "two melodies",
    "Jesus, meine Zuversicht": "two melodies",
    "Wär’ Gott nicht mit uns diese Zeit": "bwv257 is sung to Wo Gott der Herr nicht bei uns hält",
    "Herr Jesu Christ, wahr’r Mensch und Gott": "two melodies",
    "O wie selig seid ihr doch, ihr Frommen": "two melodies",
    "Befiehl du deine Wege": "bwv161.6, bwv270 and bwv271 sing it to the Passion chorale; bwv272 to another",
}


def test_the_tunes_agree_with_the_riemenschneider_titles():
    corpus = pytest.importorskip("music21.corpus")
    titles = {f"bach/bwv{bwv}": entry["title"] for bwv, entry in corpus.chorales.ChoraleListRKBWV().byBWV.items()}
    shipped, lines = data.chorale_tunes(), data.chorale_soprano_lines()
    by_title: dict[str, dict[str, list[str]]] = {}
    for name, tune in shipped.items():
        by_title.setdefault(titles[name], {}).setdefault(tune, []).append(name)
    split = {title: list(groups.values()) for title, groups in by_title.items() if len(groups) > 1}
    assert sorted(split) == sorted(ANOTHER_MELODY)  # every other title is one tune
    symbols = {name: line_symbols(line_of(line)) for name, line in lines.items()}
    for title, groups in split.items():
        for a, b in itertools.combinations(groups, 2):
            best = max(data.line_similarity(symbols[x], symbols[y]) for x in a for y in b)
            assert best < data.SAME_TUNE_SIMILARITY - 0.1, (title, best)


def test_the_leak_check_fires_on_a_planted_variant():
    """bwv360 (Jesu, meiner Seelen Wonne, sung to Werde munter) held out while its variants bwv154.3, bwv55.5 and
    bwv359 train: the check names it, and nothing else; the course's split by tune leaks none."""
    from mgtutor.tasks import melody

    lines = data.chorale_soprano_lines()
    names, melodies = list(lines), list(lines.values())
    at = {name: i for i, name in enumerate(names)}
    variants = [at[f"bach/bwv{n}"] for n in ("154.3", "55.5", "359")]
    others = [at[f"bach/bwv{n}"] for n in ("269", "347", "153.1")]  # other tunes
    assert data.held_out_variants(melodies, variants, [at["bach/bwv360"], *others]) == [at["bach/bwv360"]]
    assert data.held_out_variants(melodies, others, [at["bach/bwv360"]]) == []
    index = melody.split_indices(melodies, melody.settings(seed=0))
    for side in ("valid", "test"):
        assert data.held_out_variants(melodies, index["train"], index[side]) == [], side
