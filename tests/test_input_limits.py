"""Inputs whose decoded size is far beyond their size on disk are refused before they are decoded: a zlib bomb in a
``.mat`` file, memo references and empty lists in a pickle, a zip bomb in an ``.mxl`` score, a MIDI note that lasts
for days. Each is refused in one line naming the file and the reason, and costs no memory (checked in a fresh
process under an address-space limit). Real-sized inputs still load. Every bomb is built here, in ``tmp_path``."""

from __future__ import annotations

import json
import os
import pickle
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest

from mgtutor import data
from mgtutor.copying import CopyingError
from mgtutor.data import boulanger
from mgtutor.errors import display_path, short_repr
from mgtutor.symbolic import (
    MAX_GRID_STEPS,
    MAX_SCORE_BYTES,
    Note,
    SequenceTooLongError,
    SymbolicError,
    check_score_file,
    melody_to_grid,
    notes_to_piano_roll,
    sample_piano_roll,
)
from mgtutor.tasks.copying import read_pieces

ROOT = Path(__file__).resolve().parents[1]
RSS_MARGIN_MB = 100
"""A refused bomb may raise the peak RSS of a fresh process by at most this much over its imports..."""
LISTS_MARGIN_MB = boulanger.MAX_PICKLE_OBJECTS * 72 / 2**20 + 2 * 16 + 20
"""... except the empty-lists pickle: unpickling stops at MAX_PICKLE_OBJECTS lists of 72 bytes, and the file is read
whole (16 MB, and a copy). Without that limit its 16 million lists take 1.2 GB."""
AS_MARGIN = 1 << 30
"""The bombs run under an address-space limit of the process's size after its imports plus 1 GiB."""


# ------------------------------------------------------------------ the bombs
def _tag(kind: int, count: int) -> bytes:
    return struct.pack("<II", kind, count)


def _pad(raw: bytes) -> bytes:
    return raw + b"\0" * (-len(raw) % 8)


def _matrix_header(mclass: int, dims: tuple[int, ...], name: bytes) -> bytes:
    return (_tag(6, 8) + struct.pack("<II", mclass, 0) + _tag(5, 4 * len(dims))
            + _pad(struct.pack(f"<{len(dims)}i", *dims)) + _tag(1, len(name)) + _pad(name))


def _small_cells(name: bytes, dims: tuple[int, ...] = (1, 1)) -> bytes:
    """An uncompressed cell-array variable of ``dims`` whose cells are (2, 88) uint8 zeros (none if dims says so
    but the data is left out: a header that declares cells is all some checks need)."""
    cell = _matrix_header(9, (2, 88), b"") + _tag(2, 176) + bytes(176)
    var = _matrix_header(1, dims, name) + (_tag(14, len(cell)) + cell if dims == (1, 1) else b"")
    return _tag(14, len(var)) + var


MAT_HEADER = b"MATLAB 5.0 MAT-file".ljust(116) + bytes(8) + struct.pack("<H", 0x0100) + b"IM"


def mat_bomb(path: Path, rows: int = 5_000_000) -> Path:
    """A MATLAB v5 file whose compressed ``traindata`` is one uint8 piece of ``rows`` × 88 zeros (probe 1.17:
    5,000,000 rows are 440 MB once decompressed), with small ``validdata`` and ``testdata``."""
    piece = _matrix_header(9, (rows, 88), b"") + _tag(2, rows * 88)
    cells = _matrix_header(1, (1, 1), b"traindata") + _tag(14, len(piece) + rows * 88) + piece
    deflate = zlib.compressobj(1)
    parts = [deflate.compress(_tag(14, len(cells) + rows * 88) + cells)]
    zeros = bytes(1 << 20)
    for start in range(0, rows * 88, len(zeros)):
        parts.append(deflate.compress(zeros[:min(len(zeros), rows * 88 - start)]))
    body = b"".join(parts) + deflate.flush()
    path.write_bytes(MAT_HEADER + _tag(15, len(body)) + body + _small_cells(b"validdata") + _small_cells(b"testdata"))
    return path


def memo_pickle(path: Path) -> Path:
    """Probe 1.18: 4 KB whose 1,002 pieces are one list of 1,000 references to one 88-pitch step (10⁶ steps)."""
    piece = [tuple(range(21, 109))] * 1000
    path.write_bytes(pickle.dumps({"train": [piece] * 1000, "valid": [piece], "test": [piece]}, protocol=2))
    return path


def lists_pickle(path: Path, n: int = 16_000_000) -> Path:
    """One EMPTY_LIST opcode (one byte) per piece: 16 MB that unpickle into 16 million lists (1.2 GB)."""
    path.write_bytes(b"\x80\x02}(X\x05\x00\x00\x00train(" + b"]" * n
                     + b"lX\x05\x00\x00\x00valid]X\x04\x00\x00\x00test]u.")
    return path


def mxl_bomb(path: Path, megabytes: int = 400) -> Path:
    """Probe 3.16: a compressed MusicXML file whose score.xml is 400 MB (mostly spaces)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("META-INF/container.xml", '<?xml version="1.0"?><container><rootfiles>'
                                                   '<rootfile full-path="score.xml"/></rootfiles></container>')
        with archive.open("score.xml", "w", force_zip64=True) as member:
            member.write(b'<?xml version="1.0"?><score-partwise>')
            spaces = b" " * (1 << 20)
            for _ in range(megabytes):
                member.write(spaces)
            member.write(b"</score-partwise>")
    return path


def long_note_midi(path: Path, ticks_per_beat: int = 1) -> Path:
    """Probe 3.8: 37 bytes, one note of 0x0FFFFFFF ticks (at 1 tick per beat, 2³⁰ sixteenths)."""
    track = b"\x00\x90\x3c\x40" + b"\xff\xff\xff\x7f\x80\x3c\x00" + b"\x00\xff\x2f\x00"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"MThd" + struct.pack(">LHHH", 6, 0, 1, ticks_per_beat) + b"MTrk"
                     + struct.pack(">L", len(track)) + track)
    return path


# ------------------------------------------------------------------ peak memory in a fresh process
CHILD = r"""
import json, resource, sys
import numpy, scipy.io, music21  # what the loaders import, so the control run counts it
from mgtutor import data
from mgtutor.tasks.copying import read_pieces

def vm_size():
    return int(next(l for l in open("/proc/self/status") if l.startswith("VmSize:")).split()[1]) * 1024

limit = vm_size() + int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
results = {"control_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "limit": limit}
calls = {"mat": data.load_tcn_mat, "pickle": data.load_boulanger,
         "mxl": lambda p: read_pieces(p, report=lines.append),
         "midi": lambda p: data.folder_melodies(p, warn=lines.append)}
for kind, path in json.loads(sys.argv[2]):
    lines = []
    try:
        calls[kind](path)
        outcome = "accepted"
    except MemoryError:
        outcome = "MemoryError"
    except Exception as exc:
        outcome = f"{type(exc).__name__}: {exc}"
    results[path] = {"lines": lines, "error": outcome, "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}
print(json.dumps(results))
"""


def run_bombs(bombs: list[tuple[str, Path]]) -> dict:
    """Run each loader on its bomb in one fresh process, in order; ``maxrss_kb`` after each, ``control_kb`` first."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1", "MGTUTOR_MODE": "smoke"}
    done = subprocess.run([sys.executable, "-c", CHILD, str(AS_MARGIN), json.dumps([(k, str(p)) for k, p in bombs])],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_each_bomb_is_refused_in_one_line_without_memory(tmp_path):
    bombs = [("mat", mat_bomb(tmp_path / "bomb.mat")), ("pickle", memo_pickle(tmp_path / "memo.pickle")),
             ("pickle", lists_pickle(tmp_path / "lists.pickle")), ("mxl", mxl_bomb(tmp_path / "bomb.mxl")),
             ("midi", long_note_midi(tmp_path / "long" / "long.mid").parent)]
    reasons = ["more than 2,000,000 time steps", "more than 10,000,000 pitch entries",
               "more than 2,500,000 objects", "bytes once unpacked; the limit for a score file is 16,777,216 bytes",
               "too long (1,073,741,820 steps of 1/4 quarter note, the limit is 1,000,000)"]
    results = run_bombs(bombs)
    before = results["control_kb"]
    for (kind, path), reason in zip(bombs, reasons, strict=True):
        got = results[str(path)]
        rise_mb = (got["maxrss_kb"] - before) / 1024
        bound = LISTS_MARGIN_MB if path.name == "lists.pickle" else RSS_MARGIN_MB
        assert rise_mb < bound, f"{path.name}: peak RSS rose by {rise_mb:.0f} MB ({got['error'][:200]})"
        before = got["maxrss_kb"]
        message = got["lines"][0] if kind in ("mxl", "midi") else got["error"]
        assert "\n" not in message and len(message.replace(str(path), "FILE")) < 300, message  # whatever the path
        assert reason in message and str(path.name) in message, message
    assert results[str(bombs[3][1])]["lines"][0].startswith(f"skipped {bombs[3][1]}: 419,430,")


# ------------------------------------------------------------------ the same checks in this process, one by one
def test_mat_bomb_is_refused_from_the_cell_header(tmp_path):
    with pytest.raises(data.DatasetError, match=r"bomb.mat: more than 2,000,000 time steps \(counted up to "
                                                r"traindata\[0\]\), the limit of the course's loader"):
        data.load_tcn_mat(mat_bomb(tmp_path / "bomb.mat", rows=2_000_001))


def test_mat_headers_are_checked_before_loading(tmp_path):
    from scipy.io import savemat

    cells = np.empty((1, 2), dtype=object)
    cells[0, 0], cells[0, 1] = np.zeros((3, 88), np.uint8), np.array(["a string"])
    nested = np.empty((1, 1), dtype=object)
    nested[0, 0] = cells
    small = np.empty((1, 1), dtype=object)
    small[0, 0] = np.zeros((2, 88), np.uint8)
    for name, train, reason in [("strings.mat", cells, r"traindata\[1\] is a MATLAB char array"),
                                ("nested.mat", nested, r"traindata\[0\] is a MATLAB cell array")]:
        savemat(tmp_path / name, {"traindata": train, "validdata": small, "testdata": small}, do_compression=True)
        with pytest.raises(data.DatasetError, match=f"{name}: {reason}"):
            data.load_tcn_mat(tmp_path / name)
    many = tmp_path / "many.mat"  # declares 100,001 cells and holds none: the header is enough to refuse it
    many.write_bytes(MAT_HEADER + _small_cells(b"traindata", (1, boulanger.MAX_BENCHMARK_PIECES + 1))
                     + _small_cells(b"validdata") + _small_cells(b"testdata"))
    with pytest.raises(data.DatasetError, match=r"many.mat: more than 100,000 pieces \(counted up to traindata\)"):
        data.load_tcn_mat(many)


def test_a_mat_file_the_size_of_musedata_loads(tmp_path):
    """MuseData.mat: 524/135/124 pieces, 392,296 rows in all (the largest of the four TCN files)."""
    from scipy.io import savemat

    rng = np.random.default_rng(0)
    splits = {}
    for split, n, rows in (("traindata", 524, 245_202), ("validdata", 135, 82_755), ("testdata", 124, 64_339)):
        cells = np.empty((1, n), dtype=object)
        lengths = np.full(n, rows // n)
        lengths[:rows % n] += 1
        for i, length in enumerate(lengths):
            cells[0, i] = (rng.random((length, 88)) < 0.04).astype(np.uint8)
        splits[split] = cells
    savemat(tmp_path / "MuseData.mat", splits, do_compression=True)
    rolls = data.load_tcn_mat(tmp_path / "MuseData.mat")
    assert [len(rolls[s]) for s in ("train", "valid", "test")] == [524, 135, 124]
    assert sum(r.shape[0] for pieces in rolls.values() for r in pieces) == 392_296


def test_pickle_bombs_are_refused_while_counting(tmp_path):
    with pytest.raises(data.DatasetError, match=r"memo.pickle: more than 10,000,000 pitch entries \(counted up to "
                                                r"train\[113\]\[636\]\)"):
        data.load_boulanger(memo_pickle(tmp_path / "memo.pickle"))
    with pytest.raises(data.DatasetError, match="lists.pickle: unpickling it makes more than 2,500,000 objects"):
        data.load_boulanger(lists_pickle(tmp_path / "lists.pickle"))
    empty_steps = {"train": [[()] * 1000] * 2001, "valid": [], "test": []}
    with pytest.raises(data.DatasetError, match=r"more than 2,000,000 time steps \(counted up to train\[2000\]\)"):
        data.validate_boulanger(empty_steps, "steps")
    with pytest.raises(data.DatasetError, match=r"more than 100,000 pieces \(counted up to valid\)"):
        data.validate_boulanger({"train": [[]] * 99_999, "valid": [[]] * 2, "test": []}, "pieces")


def test_a_pickle_the_size_of_musedata_loads(tmp_path):
    """783 pieces, 392,296 steps and about 1.37 million pitches, as in MuseData."""
    rng = np.random.default_rng(0)
    counts = rng.integers(0, 8, 392_296)
    pitches = rng.integers(21, 109, counts.sum()).tolist()
    ends = np.cumsum(counts).tolist()
    steps = [tuple(pitches[end - c:end]) for c, end in zip(counts.tolist(), ends, strict=True)]
    cuts = np.linspace(0, len(steps), 784).astype(int)
    pieces = [steps[a:b] for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
    path = tmp_path / "MuseData.pickle"
    path.write_bytes(pickle.dumps({"train": pieces[:524], "valid": pieces[524:659], "test": pieces[659:]}))
    rolls = data.load_boulanger(path)
    assert sum(r.shape[0] for pieces in rolls.values() for r in pieces) == 392_296


def test_score_files_are_checked_before_music21(tmp_path):
    with pytest.raises(SymbolicError, match=r"bomb.mxl: 104,857,\d+ bytes once unpacked; the limit for a score "
                                            r"file is 16,777,216 bytes \(16 MiB\)"):
        check_score_file(mxl_bomb(tmp_path / "bomb.mxl", megabytes=100))
    dense = tmp_path / "dense.mxl"
    with zipfile.ZipFile(dense, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("score.xml", b" " * (8 << 20))
    with pytest.raises(SymbolicError, match=r"dense.mxl: member 'score.xml' expands [\d,]+:1, more than 100:1"):
        check_score_file(dense)
    big = tmp_path / "big.musicxml"
    with open(big, "wb") as f:
        f.truncate(MAX_SCORE_BYTES + 1)  # sparse: nothing written
    with pytest.raises(SymbolicError, match="big.musicxml: 16,777,217 bytes; the limit for a score file is"):
        check_score_file(big)
    (tmp_path / "fake.mxl").write_bytes(b"not a zip")
    with pytest.raises(SymbolicError, match="fake.mxl: not a readable compressed MusicXML"):
        check_score_file(tmp_path / "fake.mxl")
    lines = []
    with pytest.raises(CopyingError, match="no readable music file"):
        read_pieces(tmp_path, report=lines.append)
    assert len(lines) == 4 and all(line.count(str(tmp_path)) == 1 for line in lines)


def test_grid_length_is_checked_before_tokens_or_rows_are_made(tmp_path):
    ok = [Note(60, 0, MAX_GRID_STEPS / 4)]
    assert len(melody_to_grid(ok)) == MAX_GRID_STEPS  # a melody of a million sixteenths is still accepted
    long = [Note(60, 0, 2**28)]
    for make in (melody_to_grid, notes_to_piano_roll, sample_piano_roll):
        with pytest.raises(SequenceTooLongError, match=r"too long \([\d,]+ steps of 1/\d quarter note, the limit "
                                                       r"is 1,000,000\)"):
            make(long, 4)
    folder = tmp_path / "midi"
    long_note_midi(folder / "a_long.mid", ticks_per_beat=96)
    from mgtutor.render import write_midi

    write_midi([Note(60 + k % 5, k * 0.25, k * 0.25 + 0.25) for k in range(4000)], folder / "b_fine.mid")
    lines = []
    melodies, report = data.folder_melodies(folder, warn=lines.append)
    assert [len(m) for m in melodies] == [4000]
    assert lines[0] == (f"skipped {folder / 'a_long.mid'}: too long (11,184,811 steps of 1/4 quarter note, "
                        "the limit is 1,000,000)")
    assert report.skipped == [("a_long.mid", lines[0].split(": ", 1)[1])]


def test_messages_stay_one_short_line(tmp_path):
    nested: list = []
    for _ in range(100_000):
        nested = [nested]
    for bad, shown in [(float("nan"), "nan"), (float("inf"), "inf"), (10**5000, "<int>"), (nested, "[[[...]]]")]:
        with pytest.raises(data.DatasetError) as info:
            data.validate_boulanger({"train": [[(60, bad)]], "valid": [], "test": []}, "p.pickle")
        assert str(info.value) == (f"p.pickle: train[0][0] holds {shown}; pitches must be whole MIDI numbers "
                                   "21–108")
    with pytest.raises(data.DatasetError) as info:
        data.validate_boulanger({"train": [["x" * 20_000_000]], "valid": [], "test": []}, "s.pickle")
    assert len(str(info.value)) < 200 and "..." in str(info.value)
    assert short_repr(b"y" * 10**7).endswith("yyy'") and len(short_repr(b"y" * 10**7)) <= 80
    path = tmp_path / "deep.pickle"  # train = [[step]], the step a list nested 100,000 deep (probe 1.15)
    path.write_bytes(b"\x80\x02}(X\x05\x00\x00\x00train((" + b"(" * 100_000 + b"]" + b"l" * 100_000
                     + b"llX\x05\x00\x00\x00valid]X\x04\x00\x00\x00test]u.")
    with pytest.raises(data.DatasetError) as info:
        data.load_boulanger(path)
    assert str(info.value) == (f"{path}: train[0][0] holds [[[...]]]; pitches must be whole MIDI numbers 21–108")


def test_file_messages_name_the_problem(tmp_path):
    with pytest.raises(data.DatasetError, match="this is a folder, not a file; give a .pickle, .pkl or .mat"):
        data.load_benchmark(tmp_path)
    with pytest.raises(data.DatasetError, match="this is a folder, not a file"):
        data.load_benchmark(tmp_path / ".")
    (tmp_path / "x.mat").mkdir()
    with pytest.raises(data.DatasetError, match="x.mat: this is a folder, not a file"):
        data.load_benchmark(tmp_path / "x.mat")
    big = tmp_path / "big.pickle"
    with open(big, "wb") as f:
        f.truncate(300 * 2**20)
    with pytest.raises(data.DatasetError) as info:
        data.load_boulanger(big)
    assert str(info.value) == (f"{big}: 314,572,800 bytes is over the limit of 268,435,456 bytes (256 MiB): the "
                               "file is too large for the course's loader (the benchmark files are at most about "
                               "32 MB); check that it is the file you meant")
    assert "max_bytes" not in str(info.value)


def test_display_path_escapes_control_characters():
    assert display_path("bad\nname\x1b[31mRED\x1b[0m.mid") == "bad\\nname\\x1b[31mRED\\x1b[0m.mid"
    assert display_path(Path("ü ñ 空格") / "Lied é.mid") == "ü ñ 空格/Lied é.mid"
    assert display_path("a\u202etxt.mid\u2028") == "a\\u202etxt.mid\\u2028"
    assert display_path(os.fsdecode(b"x\xff.mid")) == "x\\udcff.mid"


def test_copying_skip_lines_print_the_path_once_and_escaped(tmp_path):
    bad = tmp_path / "bad\nname\x1b[31mRED\x1b[0m.mid"
    bad.write_bytes(b"MThd not really a MIDI file")
    lines = []
    with pytest.raises(CopyingError, match="no readable music file"):
        read_pieces(tmp_path, report=lines.append)
    assert lines == [f"skipped {tmp_path}/bad\\nname\\x1b[31mRED\\x1b[0m.mid: absurd header length 544108404 (a "
                     "MIDI header is 6 bytes); the file is corrupt"]
