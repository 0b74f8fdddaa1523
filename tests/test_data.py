"""Tests of mgtutor.data: corpora from music21's bundled corpus, the disk cache, splits.

References: music21's own parse of the same files (offsets, pitches), hand-computed splits.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys

import numpy as np
import pytest

from mgtutor import data
from mgtutor.symbolic import grid_to_melody, piano_roll_to_notes


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty course cache, and no shipped bundle (here and in subprocesses): these tests are about parsing and
    caching; tests/test_corpus_bundle.py tests the bundle."""
    monkeypatch.setenv("MGTUTOR_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("MGTUTOR_CORPUS_BUNDLE", "0")
    monkeypatch.setattr(data.corpora, "USE_BUNDLE", False)
    return tmp_path / "cache"


def _soprano_reference(name: str):
    from music21 import converter

    part = converter.parse(data.chorale_file(name)).parts[0].stripTies()
    return [(int(n.pitch.midi), float(n.offset), float(n.offset + n.quarterLength)) for n in part.flatten().notes]


def test_chorale_names_and_files():
    names = data.chorale_names(unique=False)
    assert len(names) == 371 and len(set(names)) == 350 == len(data.chorale_names())
    assert data.chorale_file("bach/bwv245.3").name == "bwv245.3.mxl"  # not bwv245.37
    assert data.chorale_file("bach/bwv18.5-l").name == "bwv18.5-lz.mxl"
    with pytest.raises(data.DatasetError, match="no chorale 'bach/nothing'"):
        data.chorale_file("bach/nothing")


def test_chorale_melodies_match_music21(cache):
    names = data.chorale_names()[:3]
    melodies = data.chorale_melodies(limit=3)
    assert len(melodies) == 3
    for name, tokens in zip(names, melodies, strict=True):
        assert set(tokens) <= {"_", "r"} | {str(p) for p in range(21, 109)}
        decoded = [(n.pitch, n.start, n.end) for n in grid_to_melody(tokens)]
        assert decoded == _soprano_reference(name)
    assert any(f.suffix == ".json" for f in (cache / f"symbolic-v{data.CACHE_VERSION}").iterdir())


def test_chorales_four_voices_and_piano_rolls(cache):
    pieces = data.chorales(limit=2)
    assert [p.voices for p in pieces] == [[0, 1, 2, 3]] * 2
    assert pieces[0].key == "G major" and pieces[0].time_signature == (3, 4)
    rolls = data.chorale_piano_rolls(limit=2, steps_per_quarter=1)
    assert all(r.dtype == np.uint8 and r.shape[1] == 88 for r in rolls)
    # JSB layout: at most 4 voices sound in a quarter-note frame; most frames hold a full chord
    counts = rolls[0].sum(axis=1)
    assert counts.max() <= 4 and np.mean(counts >= 3) > 0.9
    assert rolls[0].shape[0] == int(np.ceil(pieces[0].end))
    assert {n.pitch for n in piano_roll_to_notes(rolls[0], 1)} == {n.pitch for n in pieces[0].notes}


def test_cache_is_used_and_rebuilt_when_corrupt(cache, monkeypatch):
    first = data.chorales(limit=1)
    files = list((cache / f"symbolic-v{data.CACHE_VERSION}").glob("*.json"))
    assert len(files) == 1
    calls = []
    import music21.converter

    real = music21.converter.parse
    monkeypatch.setattr(music21.converter, "parse", lambda *a, **k: calls.append(a) or real(*a, **k))
    assert data.chorales(limit=1) == first and calls == []  # warm: no parsing
    files[0].write_text("{half a file")
    assert data.chorales(limit=1) == first and len(calls) == 1  # corrupt: re-parsed
    json.loads(files[0].read_text())  # and rewritten whole


def test_two_processes_fill_the_cache_safely(cache):
    code = "from mgtutor import data; print(sum(len(m) for m in data.chorale_melodies(limit=3)))"
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert outs[0][0] == outs[1][0] and outs[0][1] == outs[1][1] == ""
    folder = cache / f"symbolic-v{data.CACHE_VERSION}"
    assert not list(folder.glob("*.tmp")) and len(list(folder.glob("*.json"))) == 3
    for f in folder.glob("*.json"):
        json.loads(f.read_text())


def test_folk_melodies_subset_matches_music21(cache):
    from music21 import converter

    songs = data.folk_songs(limit=4)
    melodies = data.folk_melodies(limit=4)
    assert len(songs) == len(melodies) == 4
    first = data.folk_files()[0]
    tune = data.corpora._split_abc(first.read_text(encoding="latin-1"))[0]
    ref = converter.parse(tune, format="abc").parts[0].stripTies().flatten().notes
    assert [int(n.pitch.midi) for n in ref] == [n.pitch for n in songs[0].notes]
    assert [n.pitch for n in grid_to_melody(melodies[0])] == [n.pitch for n in songs[0].notes]
    # a complete-file cache entry serves a smaller request; deterministic subset
    assert data.folk_songs(limit=2) == songs[:2]
    with pytest.raises(data.DatasetError, match="no folder 'nope'"):
        data.folk_files(["nope"])


def test_smoke_mode_picks_a_small_deterministic_subset(cache, monkeypatch):
    monkeypatch.setenv("MGTUTOR_MODE", "smoke")
    monkeypatch.setattr(data.corpora, "SMOKE_CHORALES", 2)
    assert [p.name for p in data.chorales()] == data.chorale_names()[:2]


def test_split_by_piece():
    items = list(range(10))
    train, valid, test = data.split_by_piece(items, seed=0)
    assert (len(train), len(valid), len(test)) == (8, 1, 1)
    assert sorted(train + valid + test) == items
    order = np.random.default_rng(0).permutation(10)
    assert train == [items[i] for i in order[:8]] and test == [items[order[9]]]
    assert data.split_by_piece(items, seed=0) == (train, valid, test)
    assert data.split_by_piece(items, seed=1) != (train, valid, test)
    assert [len(s) for s in data.split_by_piece(list(range(371)))] == [297, 37, 37]
    assert [len(s) for s in data.split_by_piece(items, (0.5, 0.5))] == [5, 5]


@pytest.mark.parametrize("fractions", [(0.8, 0.1), (0.9, 0.2, -0.1), ()])
def test_split_by_piece_rejects_bad_fractions(fractions):
    with pytest.raises(data.DatasetError, match="non-negative and sum to 1"):
        data.split_by_piece(list(range(5)), fractions)


# ------------------------------------------------------------------ Boulanger-Lewandowski pickles
class _Exploit:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


def test_boulanger_round_trip_and_py2_style_pickle(tmp_path):
    import pickle

    splits = {"train": [[(60, 64, 67), (), (62.0,)]], "valid": [[(21,), (108,)]], "test": []}
    path = tmp_path / "py2.pickle"
    # protocol 0 as Python 2 wrote it: text opcodes, keys as 8-bit STRING (S'train') rather than unicode (V)
    raw = pickle.dumps(splits, protocol=0)
    for s in data.BL_SPLITS:
        raw = raw.replace(f"V{s}\n".encode(), f"S'{s}'\n".encode())
    assert b"S'train'" in raw
    path.write_bytes(raw)
    rolls = data.load_boulanger(path)
    assert [len(rolls[s]) for s in data.BL_SPLITS] == [1, 1, 0]
    expected = np.zeros((3, 88), dtype=np.uint8)
    expected[0, [60 - 21, 64 - 21, 67 - 21]] = 1
    expected[2, 62 - 21] = 1
    np.testing.assert_array_equal(rolls["train"][0], expected)
    assert data.piano_roll_to_steps(rolls["valid"][0]) == [(21,), (108,)]
    again = data.load_boulanger(data.save_boulanger(rolls, tmp_path / "out.pickle"))
    for s in data.BL_SPLITS:
        assert all((a == b).all() for a, b in zip(again[s], rolls[s], strict=True))
    with open(tmp_path / "out.pickle", "rb") as f:  # plain data: the stock unpickler agrees
        assert pickle.load(f)["train"] == [[(60, 64, 67), (), (62,)]]


def test_boulanger_refuses_code_and_runs_nothing(tmp_path):
    import pickle

    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pickle"
    path.write_bytes(pickle.dumps({"train": [_Exploit(marker)], "valid": [], "test": []}))
    with pytest.raises(data.UnsafePickleError, match=r"evil.pickle: refused: the pickle asks for posix\.system"):
        data.load_boulanger(path)
    assert not marker.exists()
    path.write_bytes(pickle.dumps(np.zeros(3)))  # even a harmless-looking numpy array needs find_class
    with pytest.raises(data.UnsafePickleError, match="refused"):
        data.load_boulanger(path)


@pytest.mark.parametrize("payload, phrase", [
    ({"train": [], "valid": []}, "split(s) ['test'] missing"),
    ({"train": [[(60,), (12,)]], "valid": [], "test": []}, "train[0][1] holds 12; pitches must be whole MIDI"),
    ({"train": [[(60.5,)]], "valid": [], "test": []}, "holds 60.5"),
    ({"train": [[60]], "valid": [], "test": []}, "train[0][0] must be a tuple of pitches"),
    ([1, 2], "expected a dict"),
])
def test_boulanger_validation_errors(tmp_path, payload, phrase):
    import pickle

    path = tmp_path / "bad.pickle"
    path.write_bytes(pickle.dumps(payload))
    with pytest.raises(data.DatasetError, match=re.escape(phrase)):
        data.load_boulanger(path)


def test_boulanger_bad_files(tmp_path):
    path = tmp_path / "junk.pickle"
    path.write_bytes(b"not a pickle")
    with pytest.raises(data.DatasetError, match="junk.pickle: not a valid pickle"):
        data.load_boulanger(path)
    with pytest.raises(data.DatasetError, match="over the limit of 4"):
        data.load_boulanger(path, max_bytes=4)
    with pytest.raises(FileNotFoundError):
        data.load_boulanger(tmp_path / "absent.pickle")
    with pytest.raises(data.DatasetError, match="split 'test' missing"):
        data.save_boulanger({"train": [], "valid": []}, tmp_path / "x.pickle")


# ------------------------------------------------------------------ pipelines
def _collect(ds):
    parts = [[t.numpy() for t in batch] for batch in ds]
    return [np.concatenate([p[i] for p in parts]) for i in range(3)]


def test_token_dataset_windows_hand_computed():
    pieces = [np.arange(1, 11), np.arange(20, 25), np.array([7, 8])]
    x, y, w = _collect(data.token_dataset(pieces, window=3, batch_size=4, stride=2))
    expected = [[1, 2, 3, 4], [3, 4, 5, 6], [5, 6, 7, 8], [7, 8, 9, 10], [9, 10, 0, 0],  # piece 0: tail padded
                [20, 21, 22, 23], [22, 23, 24, 0],                                   # piece 1
                [7, 8, 0, 0]]                                                        # piece 2
    np.testing.assert_array_equal(x, np.array(expected)[:, :-1])
    np.testing.assert_array_equal(y, np.array(expected)[:, 1:])
    np.testing.assert_array_equal(w, [[1, 1, 1]] * 4 + [[1, 0, 0], [1, 1, 1], [1, 1, 0], [1, 0, 0]])
    np.testing.assert_array_equal(data.token_windows(pieces, 3, 2), expected)
    with pytest.raises(data.DatasetError, match="split is empty"):
        data.token_dataset([], 3)
    with pytest.raises(data.DatasetError, match="needs the vocabulary"):
        data.token_dataset(pieces, 3, shifts=[1])


def test_windows_never_cross_pieces_or_splits():
    pieces = [np.full(37, 3 + i) for i in range(20)]  # piece i is made of id 3+i only
    train, valid, test = data.split_by_piece(pieces, seed=3)
    seen = {}
    for name, split in (("train", train), ("valid", valid), ("test", test)):
        x, y, _ = _collect(data.token_dataset(split, window=8, batch_size=16, stride=3, shuffle=True, seed=0))
        rows = np.concatenate([x, y[:, -1:]], axis=1)
        assert all(len(set(r) - {0}) == 1 for r in rows)  # one piece per window (0 pads a tail)
        seen[name] = {int(r[0]) for r in rows}
    assert not (seen["train"] & seen["test"]) and not (seen["train"] & seen["valid"])


def test_token_dataset_shuffle_and_transposition_train_only():
    from mgtutor.symbolic import melody_vocabulary

    vocab = melody_vocabulary()
    melody = ["60", "_", "62", "r", "64", "_", "_", "65"] * 4
    pieces = [vocab.encode(melody)] * 6
    plain = _collect(data.token_dataset(pieces, 8, batch_size=5, stride=4))[0]
    a = _collect(data.token_dataset(pieces, 8, batch_size=5, stride=4, shuffle=True, seed=1, vocab=vocab,
                                    shifts=range(-3, 4)))[0]
    b = _collect(data.token_dataset(pieces, 8, batch_size=5, stride=4, shuffle=True, seed=1, vocab=vocab,
                                    shifts=range(-3, 4)))[0]
    np.testing.assert_array_equal(a, b)  # same seed, same epoch
    assert a.shape == plain.shape
    def pitches_and_rest(row):
        tokens = vocab.decode(row)
        return [int(t) for t in tokens if t.isdigit()], [t if not t.isdigit() else "p" for t in tokens]

    originals = [pitches_and_rest(r) for r in plain]
    shifts = set()
    for row in a:
        pitches, shape = pitches_and_rest(row)
        match = [o for o in originals if o[1] == shape and np.all(np.diff(o[0]) == np.diff(pitches))]
        assert match, vocab.decode(row)  # a transposition of a plain window: rhythm and intervals kept
        shifts.add(pitches[0] - match[0][0][0])
    assert len(shifts) > 1 and shifts <= set(range(-3, 4))
    high = vocab.encode(["107", "_", "108"])  # only shifts ≤ 0 fit the 21–108 vocabulary
    out = _collect(data.token_dataset([high], 2, shuffle=True, vocab=vocab, shifts=[1, 2, -1]))[0]
    assert {tok for row in out for tok in vocab.decode(row) if tok.isdigit()} == {"106", "107"}


def test_roll_dataset_windows_mask_and_transposition():
    rolls = [np.eye(88, dtype=np.uint8)[[40, 41, 42, 43, 44, 45]], np.eye(88, dtype=np.uint8)[[10, 11]]]
    x, y, w = _collect(data.roll_dataset(rolls, window=4, batch_size=8, stride=1))
    assert x.shape == (6, 4, 88) and y.shape == (6, 4, 88)  # 5 windows from roll 0 (tail padded), 1 from roll 1
    np.testing.assert_array_equal(x[0].argmax(axis=1), [40, 41, 42, 43])
    np.testing.assert_array_equal(y[1].argmax(axis=1), [42, 43, 44, 45])
    np.testing.assert_array_equal(w[:, -1], [1, 1, 0, 0, 0, 0])
    np.testing.assert_array_equal(w[5], [1, 0, 0, 0])  # roll 1's window: one real target, then padding
    np.testing.assert_array_equal(data.roll_windows(rolls, 4)[:, :-1], x)
    xs, _, _ = _collect(data.roll_dataset(rolls, 4, shuffle=True, seed=2, shifts=[-2, 5]))
    starts = {int(r[0].argmax()) - base for r in xs for base in (40, 41, 10) if int(r[0].argmax()) - base in (-2, 5)}
    assert starts and starts <= {-2, 5}
    edge = [np.zeros((3, 88), np.uint8)]
    edge[0][:, 87] = 1
    with pytest.raises(data.DatasetError, match="fits none of the shifts"):
        data.roll_dataset(edge, 2, shifts=[1])


@pytest.mark.parametrize("stride", [1, 2, 3, 4])
def test_every_target_is_scored_and_stride_equal_window_scores_each_once(stride):
    rng = np.random.default_rng(stride)
    pieces = [rng.integers(3, 50, size=n) for n in (1, 2, 5, 8, 9, 23)]
    x, y, w = data.next_step_windows(pieces, 4, stride)
    real = y[w > 0]
    expected = np.concatenate([p[1:] for p in pieces])  # every target of every piece
    assert set(real.tolist()) == set(expected.tolist())
    if stride == 4 or stride == 1:
        x4, y4, w4 = data.next_step_windows(pieces, 4, 4)
        np.testing.assert_array_equal(np.sort(y4[w4 > 0]), np.sort(expected))  # stride = window: exactly once
        assert w4.sum() == sum(len(p) - 1 for p in pieces)
    with pytest.raises(data.DatasetError, match="stride must be an integer"):
        data.next_step_windows(pieces, 4, 0)
    with pytest.raises(data.DatasetError, match="would skip targets"):
        data.next_step_windows(pieces, 4, 5)
    with pytest.raises(data.DatasetError, match="shorter than 2 steps"):
        data.next_step_windows([np.array([5])], 4)


def test_epochs_depend_on_seed_and_epoch_only():
    from mgtutor.symbolic import melody_vocabulary

    vocab = melody_vocabulary()
    pieces = [vocab.encode(["60", "_", "62", "r", "64", "_", "_", "65"] * (2 + i)) for i in range(5)]
    shifts = list(range(-4, 5))

    def make(seed):
        return data.NextStepData(pieces, 8, 4, 3, shuffle=True, seed=seed, shifts=shifts,
                                 transposer=data.token_transposer(vocab, shifts))

    a, b = make(0), make(0)
    for e in (3, 0, 1):  # in any order: epoch e is a function of (seed, e)
        for u, v in zip(a.epoch(e), b.epoch(e), strict=True):
            np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a.epoch(0)[0], a.epoch(1)[0])
    assert not np.array_equal(a.epoch(0)[0], make(1).epoch(0)[0])
    batches = list(a.batches(1, 3))
    assert len(batches) == 2 * a.steps_per_epoch
    np.testing.assert_array_equal(np.concatenate([b[0] for b in batches[:a.steps_per_epoch]]), a.epoch(1)[0])
    streamed = [t[0].numpy() for t in a.dataset(2, 3)]
    np.testing.assert_array_equal(np.concatenate(streamed), a.epoch(2)[0])


def test_array_data_reshuffles_by_epoch():
    arr = np.arange(10)
    d = data.ArrayData([arr, arr * 2], batch_size=4, seed=1)
    x0, y0 = d.epoch(0)
    np.testing.assert_array_equal(y0, 2 * x0)
    assert sorted(x0.tolist()) == list(range(10)) and d.steps_per_epoch == 3
    assert not np.array_equal(x0, d.epoch(1)[0])
    with pytest.raises(data.DatasetError, match="one length"):
        data.ArrayData([arr, arr[:3]], batch_size=2)


def test_padded_piece_dataset_keeps_order_and_masks():
    pieces = [np.array([1, 5, 6, 2]), np.array([1, 7, 2])]
    x, y, w = next(iter(data.padded_piece_dataset(pieces, batch_size=2)))
    np.testing.assert_array_equal(x.numpy(), [[1, 5, 6], [1, 7, 0]])
    np.testing.assert_array_equal(y.numpy(), [[5, 6, 2], [7, 2, 0]])
    np.testing.assert_array_equal(w.numpy(), [[1, 1, 1], [1, 1, 0]])


def test_melody_tokens_inexact_policies():
    from mgtutor.symbolic import Note, Piece

    triplets = Piece([Note(60, 0, 1 / 3), Note(62, 1 / 3, 2 / 3), Note(64, 2 / 3, 1)], name="triplets")
    assert data.melody_tokens(triplets) == ["60", "62", "_", "64"]  # snapped: 0, 0.25, 0.75 (halves round up)
    assert data.melody_tokens(triplets, on_inexact="skip") is None
    with pytest.raises(data.DatasetError, match="triplets: voice 0 is off the 1/4 grid"):
        data.melody_tokens(triplets, on_inexact="error")
    with pytest.raises(data.DatasetError, match="on_inexact must be one of"):
        data.melody_tokens(triplets, on_inexact="round")
    assert data.melody_tokens(triplets, steps_per_quarter=3, on_inexact="error") == ["60", "62", "64"]


def test_boulanger_accepts_numpy_scalars_as_plain_numbers(tmp_path):
    import pickle

    splits = {"train": [[(np.float64(60.0), np.int64(64)), ()]], "valid": [[(np.int32(21),)]], "test": []}
    path = tmp_path / "np.pickle"
    path.write_bytes(pickle.dumps(splits, protocol=4))
    rolls = data.load_boulanger(path)
    assert data.piano_roll_to_steps(rolls["train"][0]) == [(60, 64), ()]
    assert data.piano_roll_to_steps(rolls["valid"][0]) == [(21,)]
    # the scalar's raw bytes as Python 2 wrote them (a latin-1 str) are read the same way
    unpickler = data.boulanger._PlainDataUnpickler(io.BytesIO(), "x")
    raw = np.float32(72).tobytes().decode("latin1")
    assert unpickler._numeric_scalar(unpickler._numeric_dtype("f4"), raw) == 72.0
    path.write_bytes(pickle.dumps({"train": [[(np.array([60]),)]], "valid": [], "test": []}, protocol=4))
    with pytest.raises(data.UnsafePickleError, match="refused: the pickle asks for numpy"):
        data.load_boulanger(path)  # arrays are not numbers: refused
    with pytest.raises(data.UnsafePickleError, match="not a plain number type"):
        unpickler._numeric_dtype("O")


def test_chorale_excerpt_matches_a_direct_music21_parse():
    import music21

    got = data.chorale_excerpt("bach/bwv66.6", 8.0, qpm=100)
    score = music21.corpus.parse("bach/bwv66.6")
    beat = 60 / 100
    ref = sorted((p.midi, float(n.offset) * beat, float(n.offset + n.quarterLength) * beat)
                 for n in score.flatten().notes for p in n.pitches if float(n.offset) * beat < 8.0)
    assert sorted((p, round(a, 9), round(b, 9)) for p, a, b, _ in got) == [(p, round(a, 9), round(b, 9))
                                                                           for p, a, b in ref]
    with pytest.raises(data.DatasetError, match="seconds must be > 0"):
        data.chorale_excerpt(seconds=0)


# ------------------------------------------------------------------ benchmarks by name or path (.pickle, .mat)
def _rolls(rng, lengths):
    return [(rng.random((t, 88)) < 0.1).astype(np.uint8) for t in lengths]


def _benchmark_splits(seed=0):
    rng = np.random.default_rng(seed)
    return {"train": _rolls(rng, (5, 8)), "valid": _rolls(rng, (3,)), "test": _rolls(rng, (4, 2))}


def _cells(pieces):
    """A (1, N) MATLAB cell array of pieces, as the TCN files hold them."""
    cells = np.empty((1, len(pieces)), dtype=object)
    for i, piece in enumerate(pieces):
        cells[0, i] = piece
    return cells


def _save_mat(path, splits, drop=()):
    from scipy.io import savemat

    names = {"train": "traindata", "valid": "validdata", "test": "testdata"}
    savemat(path, {names[s]: _cells(pieces) for s, pieces in splits.items() if s not in drop})
    return path


def _assert_same_splits(got, expected):
    assert set(got) == set(data.BL_SPLITS)
    for s in data.BL_SPLITS:
        assert len(got[s]) == len(expected[s])
        for a, b in zip(got[s], expected[s], strict=True):
            assert a.dtype == np.uint8
            np.testing.assert_array_equal(a, b)


def test_tcn_mat_and_pickle_load_as_the_same_piano_rolls(tmp_path):
    splits = _benchmark_splits()
    mat = _save_mat(tmp_path / "JSB_Chorales.mat", {s: [r.astype(np.float64) for r in p] for s, p in splits.items()})
    _assert_same_splits(data.load_tcn_mat(mat), splits)
    _assert_same_splits(data.load_benchmark(mat), splits)
    _assert_same_splits(data.load_benchmark(str(mat)), splits)
    pickle_path = data.save_boulanger(splits, tmp_path / "JSB Chorales.pickle")
    _assert_same_splits(data.load_benchmark(pickle_path), splits)
    _assert_same_splits(data.load_benchmark(data.save_boulanger(splits, tmp_path / "quarter.pkl")), splits)


def test_tcn_mat_bad_files(tmp_path):
    splits = _benchmark_splits()
    with pytest.raises(data.DatasetError, match=r"no_test.mat: variable\(s\) \['testdata'\] missing"):
        data.load_tcn_mat(_save_mat(tmp_path / "no_test.mat", splits, drop=("test",)))
    narrow = dict(splits, valid=[np.zeros((3, 87), np.uint8)])
    with pytest.raises(data.DatasetError, match=r"narrow.mat: validdata\[0\] has shape \(3, 87\); a piece is \(T, 88"):
        data.load_benchmark(_save_mat(tmp_path / "narrow.mat", narrow))
    velocities = dict(splits, train=[splits["train"][0] * 64])
    with pytest.raises(data.DatasetError, match=r"velocities.mat: traindata\[0\] holds values other than 0 and 1"):
        data.load_tcn_mat(_save_mat(tmp_path / "velocities.mat", velocities))
    text = tmp_path / "notes.mat"
    text.write_text("these are not the piano rolls you are looking for\n" * 4)
    with pytest.raises(data.DatasetError, match="notes.mat: not a readable MATLAB .mat file"):
        data.load_benchmark(text)
    from scipy.io import savemat

    savemat(tmp_path / "dense.mat", {"traindata": np.zeros((4, 88)), "validdata": _cells([]),
                                     "testdata": _cells([])})
    with pytest.raises(data.DatasetError, match="dense.mat: traindata must be a cell array of pieces"):
        data.load_tcn_mat(tmp_path / "dense.mat")
    with pytest.raises(FileNotFoundError):
        data.load_tcn_mat(tmp_path / "absent.mat")
    with pytest.raises(FileNotFoundError):
        data.load_benchmark(tmp_path / "absent.mat")
    with pytest.raises(FileNotFoundError):
        data.load_benchmark(tmp_path / "absent.midi")


def test_load_benchmark_rejects_an_empty_split(tmp_path):
    splits = dict(_benchmark_splits(), test=[])
    with pytest.raises(data.DatasetError, match=r"empty.pickle: split\(s\) \['test'\] hold no piece"):
        data.load_benchmark(data.save_boulanger(splits, tmp_path / "empty.pickle"))
    with pytest.raises(data.DatasetError, match=r"empty.mat: split\(s\) \['test'\] hold no piece"):
        data.load_benchmark(_save_mat(tmp_path / "empty.mat", splits))
    other = tmp_path / "rolls.npz"
    other.write_bytes(b"x")
    with pytest.raises(data.DatasetError, match="rolls.npz: unknown kind of file"):
        data.load_benchmark(other)


def test_load_benchmark_by_registry_name_from_a_fetched_folder(tmp_path, monkeypatch):
    from mgtutor import fetch

    def no_download(*args, **kwargs):
        raise AssertionError("load_benchmark must never download")

    monkeypatch.setattr(fetch, "get", no_download)
    monkeypatch.setattr(fetch, "download", no_download)
    splits = _benchmark_splits()
    # laid out as `python -m mgtutor data get` lays it out: <dest>/<name>/<file>
    data.save_boulanger(splits, fetch.dataset_dir("jsb_chorales", tmp_path) / "JSB Chorales.pickle")
    _assert_same_splits(data.load_benchmark("jsb_chorales", dest=tmp_path), splits)
    _assert_same_splits(data.load_benchmark("JSB-Chorales", dest=tmp_path), splits)  # as fetch forgives
    mat_dir = fetch.dataset_dir("boulanger_tcn_mat", tmp_path)
    mat_dir.mkdir()
    _save_mat(mat_dir / "JSB_Chorales.mat", splits)  # one file of the entry is enough for that member
    _assert_same_splits(data.load_benchmark("boulanger_tcn_mat:JSB_Chorales", dest=tmp_path), splits)
    _assert_same_splits(data.load_benchmark("boulanger_tcn_mat:jsb_chorales.mat", dest=tmp_path), splits)
    monkeypatch.setenv("MGTUTOR_DATA", str(tmp_path))  # the default folder
    _assert_same_splits(data.load_benchmark("boulanger_tcn_mat:JSB_Chorales"), splits)
    assert data.benchmark_file("boulanger_tcn_mat:JSB_Chorales") == mat_dir / "JSB_Chorales.mat"
    assert data.benchmark_file(mat_dir / "JSB_Chorales.mat") == mat_dir / "JSB_Chorales.mat"  # a path is itself


def test_load_benchmark_by_registry_name_through_fetch(tmp_path, monkeypatch):
    from mgtutor import fetch

    folder = tmp_path / "copy"
    folder.mkdir()
    splits = _benchmark_splits(1)
    data.save_boulanger(splits, folder / "Nottingham.pickle")
    asked = []
    monkeypatch.setattr(fetch, "dataset_dir", lambda name, dest=None: asked.append((fetch.get_dataset(name).name,
                                                                                     dest)) or folder)
    monkeypatch.setattr(fetch, "is_fetched", lambda name, dest=None: True)
    _assert_same_splits(data.load_benchmark("nottingham", dest="somewhere"), splits)
    assert asked == [("nottingham", "somewhere")]


def test_load_benchmark_names_that_cannot_be_loaded(tmp_path):
    from mgtutor import fetch

    with pytest.raises(data.DatasetError, match=r"jsb_chorales is not fetched .*`python -m mgtutor data get "
                                                r"jsb_chorales --dest "):
        data.load_benchmark("jsb_chorales", dest=tmp_path)
    with pytest.raises(data.DatasetError, match=r"`python -m mgtutor data get boulanger_tcn_mat --dest"):
        data.load_benchmark("boulanger_tcn_mat:Nottingham", dest=tmp_path)
    assert not (tmp_path / "jsb_chorales").exists()  # nothing was created, let alone downloaded
    with pytest.raises(data.DatasetError, match="holds 4 files; name one: boulanger_tcn_mat:JSB_Chorales, "
                                                "boulanger_tcn_mat:MuseData"):
        data.load_benchmark("boulanger_tcn_mat", dest=tmp_path)
    with pytest.raises(data.DatasetError, match="boulanger_tcn_mat has no file 'Bach'"):
        data.load_benchmark("boulanger_tcn_mat:Bach", dest=tmp_path)
    with pytest.raises(data.DatasetError, match="maestro_v3_midi is not a piano-roll benchmark"):
        data.load_benchmark("maestro_v3_midi", dest=tmp_path)
    with pytest.raises(fetch.UnknownDatasetError, match="no dataset called 'jsb_chorale_s'"):
        data.load_benchmark("jsb_chorale_s", dest=tmp_path)
