"""Boulanger-Lewandowski pickles (JSB Chorales, Nottingham, MuseData, Piano-midi.de), read safely, and
the polyphonic benchmarks loaded by name or path (:func:`load_benchmark`: the pickles, or the ``.mat``
copies of the TCN repository).

Part of mgtutor. See notebooks/04_symbolic_music.ipynb §3; the benchmark of notebook 07.

The step format ↔ piano roll conversions (:func:`steps_to_piano_roll`, :func:`piano_roll_to_steps`) belong
to the piano-roll convention and live in :mod:`mgtutor.symbolic.pianoroll`; they are re-exported here.
"""

from __future__ import annotations

import io
import math
import os
import pickle
import struct
import sys
import zlib
from pathlib import Path

import numpy as np

from mgtutor.errors import DatasetError, short_repr
from mgtutor.files import atomic_write_bytes
from mgtutor.symbolic.pianoroll import (
    PIANO_HIGH,
    PIANO_KEYS,
    PIANO_LOW,
    RollShapeError,
    check_roll,
    piano_roll_to_steps,
    steps_to_piano_roll,
)

BL_SPLITS = ("train", "valid", "test")
"""The splits of a Boulanger-Lewandowski pickle (JSB Chorales, Nottingham, MuseData, Piano-midi.de)."""
DEFAULT_MAX_PICKLE_BYTES = 256 * 2**20
"""Refuse pickles larger than this (JSB Chorales is 2.1 MB and Piano-midi.de 7.4 MB; MuseData, with 4.3 times
Piano-midi.de's notes, about 32 MB)."""
MAX_PICKLE_OBJECTS = 2_500_000
"""Most Python objects unpickling a file may leave alive: one per step and per piece, so room for
:data:`MAX_BENCHMARK_STEPS` steps (the JSB Chorales pickle leaves 24,200 for its 23,134 steps; MuseData, with
392,296 steps, about 400,000). One byte of pickle can make a 72-byte empty list, so the byte limit alone would let
a 256 MiB file take 20 GB; this bounds unpickling to about 180 MB."""
MAX_BENCHMARK_PIECES = 100_000
"""Most pieces one benchmark file may hold, all splits together (Nottingham, the most, has 1,037)."""
MAX_BENCHMARK_STEPS = 2_000_000
"""Most time steps (piano-roll rows) one benchmark file may hold, all splits together: MuseData, the longest of
the four, has 392,296. As uint8 piano rolls that is at most 176 MB (a ``.mat`` file stored as doubles takes 8
times that while it is read). Checked before any roll is built, so a small file that declares or repeats a huge
piece (a zlib bomb in a ``.mat``, memo references in a pickle) is refused at once."""
MAX_BENCHMARK_PITCHES = 10_000_000
"""Most pitch entries the steps of one pickle may list, all together (MuseData has 1,356,293)."""


class UnsafePickleError(DatasetError):
    """A pickle tried to import or call something; it was refused and nothing in it ran."""


_NUMPY_SCALAR = {("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar")}
_NUMERIC_DTYPES = frozenset("b1 i1 i2 i4 i8 u1 u2 u4 u8 f2 f4 f8".split())


class _PlainDataUnpickler(pickle.Unpickler):
    """An unpickler that admits only dicts, lists, tuples, strings and numbers.

    ``find_class`` is how a pickle reaches any importable object (and so any function it could
    call with REDUCE, BUILD, INST, OBJ or NEWOBJ). Every lookup is refused except the two a numpy
    *number* needs — ``numpy.dtype`` and ``numpy.core.multiarray.scalar`` (the standard files were
    written by Python 2 and hold numpy scalars) — and those are answered with the course's own
    functions, which accept only numeric dtypes and raw bytes and return a plain Python number.
    So nothing in the file is imported or called. Persistent ids are refused too.
    """

    def __init__(self, file, source: str) -> None:
        super().__init__(file, encoding="latin1")  # Python 2 byte strings (numpy's raw bytes) stay intact
        self.source = source

    def find_class(self, module: str, name: str):
        if (module, name) in _NUMPY_SCALAR:
            return self._numeric_scalar
        if (module, name) == ("numpy", "dtype"):
            return self._numeric_dtype
        raise UnsafePickleError(
            f"{self.source}: refused: the pickle asks for {module}.{name}; a Boulanger-Lewandowski pickle holds "
            "only dicts, lists, tuples and numbers, so this file is not one (or has been tampered with)"
        )

    def _numeric_dtype(self, spec, align=0, copy=1):
        if str(spec) not in _NUMERIC_DTYPES:
            raise UnsafePickleError(f"{self.source}: refused: numpy dtype {spec!r} is not a plain number type")
        return np.dtype(str(spec))

    def _numeric_scalar(self, dtype, raw=None):
        if not isinstance(dtype, np.dtype) or dtype.kind not in "biuf":
            raise UnsafePickleError(f"{self.source}: refused: a numpy scalar of dtype {dtype!r}")
        if isinstance(raw, str):
            raw = raw.encode("latin1")
        if not isinstance(raw, bytes) or len(raw) != dtype.itemsize:
            raise DatasetError(f"{self.source}: a numpy {dtype} scalar with {len(raw or b'')} bytes of data")
        return np.frombuffer(raw, dtype=dtype)[0].item()

    def persistent_load(self, pid):
        raise UnsafePickleError(f"{self.source}: refused: the pickle uses a persistent id ({short_repr(pid)})")


class _BudgetedInput(io.BytesIO):
    """A pickle's bytes for the unpickler, with :data:`MAX_PICKLE_OBJECTS` checked at every read.

    ``peek`` makes the C unpickler read ahead 64 KiB at a time, so the count of live Python objects
    (:func:`sys.getallocatedblocks`, a few microseconds) is taken every 64 KiB of input, and unpickling stops
    within 64,000 objects of the limit.
    """

    def __init__(self, data: bytes, source: str) -> None:
        super().__init__(data)
        self.source, self.start = source, sys.getallocatedblocks()

    def _check(self) -> None:
        if sys.getallocatedblocks() - self.start > MAX_PICKLE_OBJECTS:
            raise DatasetError(f"{self.source}: unpickling it makes more than {MAX_PICKLE_OBJECTS:,} objects, the "
                               "limit of the course's loader (the MuseData pickle makes about 400,000); this file "
                               "is too large or malformed")

    def peek(self, size: int = 1) -> bytes:
        self._check()
        return self.getbuffer()[self.tell():self.tell() + max(size, 1)].tobytes()

    def read(self, size: int | None = -1) -> bytes:
        self._check()
        return super().read(size)

    def readinto(self, buffer) -> int:
        self._check()
        return super().readinto(buffer)

    def readline(self, size: int | None = -1) -> bytes:
        self._check()
        return super().readline(size)


def _existing_path(path) -> Path:
    """``path`` as a Path if it is a file; DatasetError for a folder, FileNotFoundError if nothing is there."""
    path = Path(path)
    if path.is_dir():
        raise DatasetError(f"{path}: this is a folder, not a file; give a .pickle, .pkl or .mat benchmark file "
                           "(or a registry name such as jsb_chorales)")
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    return path


def _existing_file(path, max_bytes: int) -> Path:
    """``path`` as a Path, if it is a file of at most ``max_bytes``; else FileNotFoundError or DatasetError."""
    path = _existing_path(path)
    size = path.stat().st_size
    if size > max_bytes:
        raise DatasetError(f"{path}: {size:,} bytes is over the limit of {max_bytes:,} bytes "
                           f"({max_bytes / 2**20:g} MiB): the file is too large for the course's loader (the "
                           "benchmark files are at most about 32 MB); check that it is the file you meant")
    return path


def safe_load_plain_pickle(path: str | os.PathLike, max_bytes: int = DEFAULT_MAX_PICKLE_BYTES):
    """Unpickle a file that may hold only plain containers and numbers; anything else is refused.

    Unpickling stops once it has made :data:`MAX_PICKLE_OBJECTS` objects.

    Raises:
        FileNotFoundError: no such file.
        UnsafePickleError: the pickle asks for a class or function (nothing was run).
        DatasetError: too large, a folder, too many objects, or not a valid pickle.
    See: notebooks/04_symbolic_music.ipynb §3.
    """
    path = _existing_file(path, max_bytes)
    try:
        return _PlainDataUnpickler(_BudgetedInput(path.read_bytes(), str(path)), str(path)).load()
    except DatasetError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError, KeyError, AttributeError,
            MemoryError, RecursionError) as exc:
        raise DatasetError(f"{path}: not a valid pickle ({type(exc).__name__}: {exc})") from None


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def validate_boulanger(data, source: str = "data") -> None:
    """Check the Boulanger-Lewandowski structure: ``{"train"|"valid"|"test": [piece, ...]}``.

    Rule: each piece is a list of time steps; each step a tuple/list of MIDI pitches (integral
    numbers 21–108; may be empty). All splits together hold at most :data:`MAX_BENCHMARK_PIECES`
    pieces, :data:`MAX_BENCHMARK_STEPS` steps and :data:`MAX_BENCHMARK_PITCHES` pitch entries; each
    count is checked before the items it counts are looked at, so a pickle whose memo references
    repeat one piece or step millions of times is refused in a moment.

    Raises:
        DatasetError: the first violation, named by split, piece index, step index and value.
    See: notebooks/04_symbolic_music.ipynb §3.
    """
    if not isinstance(data, dict):
        raise DatasetError(f"{source}: expected a dict with keys {BL_SPLITS}, got {type(data).__name__}")
    keys = {k.decode("latin1") if isinstance(k, bytes) else k for k in data}
    missing = [s for s in BL_SPLITS if s not in keys]
    if missing:
        raise DatasetError(f"{source}: split(s) {missing} missing; a Boulanger-Lewandowski pickle has {BL_SPLITS}")
    pieces_seen = steps_seen = pitches_seen = 0
    for split in BL_SPLITS:
        pieces = data[split]
        if not isinstance(pieces, (list, tuple)):
            raise DatasetError(f"{source}: split {split!r} must be a list of pieces, got {type(pieces).__name__}")
        pieces_seen += len(pieces)
        _check_count(source, "pieces", pieces_seen, MAX_BENCHMARK_PIECES, split)
        for i, piece in enumerate(pieces):
            if not isinstance(piece, (list, tuple)):
                raise DatasetError(f"{source}: {split}[{i}] must be a list of time steps, got {type(piece).__name__}")
            steps_seen += len(piece)
            _check_count(source, "time steps", steps_seen, MAX_BENCHMARK_STEPS, f"{split}[{i}]")
            for t, step in enumerate(piece):
                if not isinstance(step, (list, tuple)):
                    raise DatasetError(f"{source}: {split}[{i}][{t}] must be a tuple of pitches, "
                                       f"got {short_repr(step)}")
                pitches_seen += len(step)
                _check_count(source, "pitch entries", pitches_seen, MAX_BENCHMARK_PITCHES, f"{split}[{i}][{t}]")
                for p in step:
                    if not (_is_number(p) and PIANO_LOW <= p <= PIANO_HIGH and p == int(p)):  # NaN, inf: not in range
                        raise DatasetError(f"{source}: {split}[{i}][{t}] holds {short_repr(p)}; pitches must be "
                                           f"whole MIDI numbers {PIANO_LOW}–{PIANO_HIGH}")


def _check_count(source: str, what: str, count: int, limit: int, where: str) -> None:
    if count > limit:
        raise DatasetError(f"{source}: more than {limit:,} {what} (counted up to {where}), the limit of the "
                           f"course's loader (the four real benchmarks hold at most {_REAL_MAXIMA[what]:,}); this "
                           "file is too large or malformed")


_REAL_MAXIMA = {"pieces": 1_037, "time steps": 392_296, "pitch entries": 1_356_293}  # Nottingham; MuseData


def load_boulanger(path: str | os.PathLike, max_bytes: int = DEFAULT_MAX_PICKLE_BYTES) -> dict[str, list[np.ndarray]]:
    """Load a Boulanger-Lewandowski pickle safely and convert each piece to a (T, 88) piano roll.

    The file is read by a restricted unpickler (:func:`safe_load_plain_pickle`): a pickle that tries to
    import or call anything is refused with :class:`UnsafePickleError` and nothing in it runs. The
    structure is then validated (:func:`validate_boulanger`).

    Args:
        path: e.g. ``JSB Chorales.pickle``.
        max_bytes: refuse larger files.
    Returns:
        ``{"train": [roll, ...], "valid": [...], "test": [...]}``, rolls uint8 (T, 88), column j = pitch j + 21.
    Raises:
        UnsafePickleError, DatasetError, FileNotFoundError: see above; messages name the file.
    See: notebooks/04_symbolic_music.ipynb §3; the benchmark of notebooks/07.
    """
    data = safe_load_plain_pickle(path, max_bytes)
    validate_boulanger(data, str(path))
    data = {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in data.items()}
    return {split: [steps_to_piano_roll(piece) for piece in data[split]] for split in BL_SPLITS}


def _piece_steps(piece, what: str) -> list[tuple[int, ...]]:
    """A piece as Boulanger-Lewandowski steps: a roll is converted, a list of pitch tuples is copied as ints."""
    if not isinstance(piece, np.ndarray):
        return [tuple(int(x) for x in step) for step in piece]
    try:
        return piano_roll_to_steps(check_roll(piece, what))
    except RollShapeError as exc:
        raise DatasetError(str(exc)) from None


def save_boulanger(splits: dict, path: str | os.PathLike) -> Path:
    """Write splits in the Boulanger-Lewandowski pickle format (atomically).

    Args:
        splits: ``{"train"|"valid"|"test": [piece, ...]}`` where a piece is a (T, 88) piano roll or
            already a list of pitch tuples.
        path: the ``.pickle`` file.
    Returns:
        The path. The file holds only dicts, lists, tuples and ints, so :func:`load_boulanger` reads it.
    Raises:
        DatasetError: a split is missing or a piece is malformed.
    See: notebooks/04_symbolic_music.ipynb §3.
    """
    plain = {}
    for split in BL_SPLITS:
        if split not in splits:
            raise DatasetError(f"split {split!r} missing; give all of {BL_SPLITS}")
        plain[split] = [_piece_steps(p, f"splits[{split!r}][{i}]") for i, p in enumerate(splits[split])]
    validate_boulanger(plain, "splits")
    return atomic_write_bytes(path, pickle.dumps(plain, protocol=2))


# --------------------------------------------------------------------------- the benchmarks by name or path
TCN_MAT_KEYS = {"train": "traindata", "valid": "validdata", "test": "testdata"}
"""The variables of a TCN-repository ``.mat`` file, by split."""
BENCHMARKS = ("jsb_chorales", "jsb_chorales_quarter", "nottingham", "piano_midi", "musedata", "boulanger_tcn_mat")
"""Registry names (:mod:`mgtutor.fetch`) that :func:`load_benchmark` accepts; ``boulanger_tcn_mat`` needs a member."""
_PICKLE_SUFFIXES = (".pickle", ".pkl")


def load_tcn_mat(path: str | os.PathLike, max_bytes: int = DEFAULT_MAX_PICKLE_BYTES) -> dict[str, list[np.ndarray]]:
    """Load a benchmark ``.mat`` file of the TCN repository (``JSB_Chorales.mat``, ``Nottingham.mat``, …).

    The file (MATLAB v5, read with :func:`scipy.io.loadmat`, which runs nothing from it) holds three cell
    arrays ``traindata``, ``validdata`` and ``testdata`` of shape (1, N); each cell is one piece, a (T, 88)
    0/1 piano roll (column j = MIDI pitch j + 21, one row per time step). Every piece is checked.

    Limits, checked from the header of each variable and each cell before anything is loaded: at most
    :data:`MAX_BENCHMARK_PIECES` pieces and :data:`MAX_BENCHMARK_STEPS` rows in all, so a small compressed
    file cannot unpack into gigabytes. (:func:`scipy.io.whosmat` cannot be that check: it decompresses each
    whole variable to list it.)

    Args:
        path: the ``.mat`` file.
        max_bytes: refuse larger files (the four standard files are 0.1–1 MB).
    Returns:
        ``{"train": [roll, ...], "valid": [...], "test": [...]}``, rolls uint8 (T, 88).
    Raises:
        FileNotFoundError: no such file.
        DatasetError: not a readable MATLAB file, a variable missing, a piece that is not 2-D with 88
            columns, too many pieces or rows, or values other than 0 and 1 (the message names the file and
            the piece).
    See: notebook 07 (piano rolls).
    """
    from scipy.io import loadmat
    from scipy.io.matlab import matfile_version

    path = _existing_file(path, max_bytes)
    keys = list(TCN_MAT_KEYS.values())
    try:
        major, _ = matfile_version(path)
        if major != 1:
            raise DatasetError(f"{path}: a MATLAB {'v4' if major == 0 else 'v7.3 (HDF5)'} file; the benchmark files "
                               "are MATLAB v5 files of cell arrays (save with -v7 in MATLAB, or scipy.io.savemat)")
        missing = [key for key in keys if key not in _check_mat_pieces(path, keys)]
        if missing:
            raise DatasetError(f"{path}: variable(s) {missing} missing; a benchmark .mat file holds {keys}")
        mat = loadmat(path, variable_names=keys)
    except DatasetError:
        raise
    except Exception as exc:  # scipy raises many kinds (MatReadError, ValueError, zlib/struct errors, …)
        raise DatasetError(f"{path}: not a readable MATLAB .mat file ({type(exc).__name__}: {exc})") from None
    out = {}
    for split, key in TCN_MAT_KEYS.items():
        rolls = []
        for i, piece in enumerate(mat[key].ravel()):
            piece = np.asarray(piece)
            if piece.ndim != 2 or piece.shape[1] != PIANO_KEYS:  # _check_mat_pieces saw the same shapes
                raise _piece_shape_error(path, f"{key}[{i}]", piece.shape)
            if piece.dtype.kind not in "biuf" or not np.isin(piece, (0, 1)).all():
                raise DatasetError(f"{path}: {key}[{i}] holds values other than 0 and 1 (dtype {piece.dtype})")
            rolls.append(piece.astype(np.uint8))
        out[split] = rolls
    return out


def _piece_shape_error(path, what: str, shape) -> DatasetError:
    return DatasetError(f"{path}: {what} has shape {tuple(shape)}; a piece is (T, {PIANO_KEYS}) "
                        f"(column j = MIDI pitch j + {PIANO_LOW})")


# MAT v5 layout (MATLAB's "MAT-File Format", 2021): a 128-byte header whose last two bytes are "IM" (little-endian)
# or "MI", then data elements: a tag (uint32 type, uint32 byte count; a "small" element packs a count ≤ 4 into the
# type's high half and its data into the tag's second word), data padded to 8 bytes. A variable is a miMATRIX
# element (flags, dimensions, name, then its data), alone or zlib-compressed in a miCOMPRESSED element. A cell
# array's data is one miMATRIX element per cell.
_MI_MATRIX, _MI_COMPRESSED = 14, 15
_MAT_NUMERIC = {6: "double", 7: "single", 8: "int8", 9: "uint8", 10: "int16", 11: "uint16", 12: "int32",
                13: "uint32", 14: "int64", 15: "uint64"}  # MATLAB array classes a piece may have
_MAT_CLASSES = {1: "cell", 2: "struct", 3: "object", 4: "char", 5: "sparse", 16: "function"}
_MAT_CHUNK = 1 << 16


def _mat_class(mclass: int) -> str:
    return _MAT_NUMERIC.get(mclass) or _MAT_CLASSES.get(mclass, f"class-{mclass}")


class _MatElementReader:
    """Forward reads of one top-level MAT v5 element: raw, or zlib-decompressed at most 64 KiB at a time."""

    def __init__(self, file, size: int, compressed: bool, order: str) -> None:
        self.file, self.left, self.order = file, size, order
        self.inflate = zlib.decompressobj() if compressed else None
        self.buffer, self.position = b"", 0  # position: bytes of the (decompressed) element read so far

    def _fill(self) -> None:
        if self.inflate is not None and self.inflate.unconsumed_tail:
            self.buffer += self.inflate.decompress(self.inflate.unconsumed_tail, _MAT_CHUNK)
            return
        raw = self.file.read(min(self.left, _MAT_CHUNK))
        if not raw:
            raise EOFError("a variable ends in the middle of an element")
        self.left -= len(raw)
        self.buffer += raw if self.inflate is None else self.inflate.decompress(raw, _MAT_CHUNK)

    def read(self, n: int) -> bytes:
        while len(self.buffer) < n:
            self._fill()
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        self.position += n
        return data

    def skip(self, n: int) -> None:
        while n > 0:
            if not self.buffer:
                self._fill()
            taken = min(n, len(self.buffer))
            self.buffer, n, self.position = self.buffer[taken:], n - taken, self.position + taken

    def tag(self) -> tuple[int, int, bytes | None]:
        """``(type, byte count, data of a small element or None)``."""
        raw = self.read(8)
        kind, count = struct.unpack(self.order + "II", raw)
        if kind >> 16:
            return kind & 0xFFFF, kind >> 16, raw[4:4 + (kind >> 16)]
        return kind, count, None

    def small(self) -> bytes:
        """The data of a flags, dimensions or name element (at most 1 KiB)."""
        _, count, data = self.tag()
        if data is None:
            if count > 1024:
                raise ValueError(f"an array header element of {count} bytes")
            data = self.read(count)
            self.skip(-count % 8)
        return data

    def matrix_header(self) -> tuple[int, tuple[int, ...], str, int]:
        """After a miMATRIX tag: ``(array class, dimensions, name, header bytes read)``."""
        before = self.position
        flags, dims, name = self.small(), self.small(), self.small()
        read = self.position - before
        mclass = struct.unpack(self.order + "I", flags[:4])[0] & 0xFF
        return mclass, struct.unpack(f"{self.order}{len(dims) // 4}i", dims[:len(dims) // 4 * 4]), \
            name.decode("latin1"), read


def _check_mat_pieces(path: Path, keys: list[str]) -> set[str]:
    """Read the header of every cell of the variables ``keys`` (never keep their data) and refuse a variable
    that is not a cell array, a cell that is not a numeric (T, 88) array, more than :data:`MAX_BENCHMARK_PIECES`
    cells or more than :data:`MAX_BENCHMARK_STEPS` rows in all.

    The data of each cell is decompressed 64 KiB at a time and dropped, so memory stays small whatever a
    header declares. Returns the names of the variables of the file (the caller has checked it is MATLAB v5).
    """
    size, pieces, steps, names = path.stat().st_size, 0, 0, set()
    with open(path, "rb") as f:
        order = "<" if f.read(128)[126:128] == b"IM" else ">"
        pos = 128
        while pos + 8 <= size:
            f.seek(pos)
            kind, count = struct.unpack(order + "II", f.read(8))
            pos += 8 + count
            element = _MatElementReader(f, count, kind == _MI_COMPRESSED, order)
            if kind == _MI_COMPRESSED:
                kind, count, _ = element.tag()
            if kind != _MI_MATRIX or count == 0:
                continue
            mclass, dims, name, _ = element.matrix_header()
            names.add(name)
            if name not in keys:
                continue
            if mclass != 1:
                raise DatasetError(f"{path}: {name} must be a cell array of pieces, got a MATLAB "
                                   f"{_mat_class(mclass)} array {dims}")
            pieces += math.prod(dims)
            _check_count(str(path), "pieces", pieces, MAX_BENCHMARK_PIECES, name)
            for i in range(math.prod(dims)):
                kind, count, _ = element.tag()
                if kind != _MI_MATRIX:
                    raise ValueError(f"{name}[{i}] is not a MATLAB array (element type {kind})")
                mclass, shape, _, read = element.matrix_header() if count else (6, (0, 0), "", 0)
                if mclass not in _MAT_NUMERIC:
                    raise DatasetError(f"{path}: {name}[{i}] is a MATLAB {_mat_class(mclass)} array; a piece is "
                                       f"a (T, {PIANO_KEYS}) numeric array of 0 and 1")
                if len(shape) != 2 or shape[1] != PIANO_KEYS or shape[0] < 0:
                    raise _piece_shape_error(path, f"{name}[{i}]", shape)
                steps += shape[0]
                _check_count(str(path), "time steps", steps, MAX_BENCHMARK_STEPS, f"{name}[{i}]")
                element.skip(count - read)
    return names


def _registry_file(spec: str, dest) -> Path:
    """The fetched file a registry spec ``NAME`` or ``NAME:member`` stands for (see :func:`load_benchmark`)."""
    from mgtutor import fetch

    name, _, member = spec.partition(":")
    ds = fetch.get_dataset(name)
    if ds.name not in BENCHMARKS:
        raise DatasetError(f"{ds.name} is not a piano-roll benchmark; load_benchmark takes one of {BENCHMARKS}")
    files = [f.name for f in ds.files]
    if member:
        chosen = [f for f in files if member.lower() in (f.lower(), Path(f).stem.lower())]
        if not chosen:
            raise DatasetError(f"{ds.name} has no file {member!r}; it holds "
                               + ", ".join(f"{ds.name}:{Path(f).stem}" for f in files))
        filename = chosen[0]
    elif len(files) == 1:
        filename = files[0]
    else:
        raise DatasetError(f"{ds.name} holds {len(files)} files; name one: "
                           + ", ".join(f"{ds.name}:{Path(f).stem}" for f in files))
    path = fetch.dataset_dir(ds, dest) / filename
    if not (fetch.is_fetched(ds, dest) or path.is_file()):
        where = "" if dest is None else f" --dest {dest}"
        raise DatasetError(f"{ds.name} is not fetched (no {path}); fetch it with "
                           f"`python -m mgtutor data get {ds.name}{where}`, or pass the path of a copy")
    return path


def benchmark_file(spec: str | os.PathLike, dest: str | os.PathLike | None = None) -> Path:
    """The file :func:`load_benchmark` reads for ``spec``: the path itself, or a registry entry's fetched file.

    Raises:
        DatasetError, mgtutor.fetch.UnknownDatasetError: as :func:`load_benchmark` for a registry name.
    See: notebook 07 (piano rolls).
    """
    text = os.fspath(spec)
    is_path = (not isinstance(spec, str) or "/" in text or "\\" in text or Path(text).exists()
               or (":" not in text and Path(text).suffix.lower() in (*_PICKLE_SUFFIXES, ".mat")))
    return Path(text) if is_path else _registry_file(text, dest)


def load_benchmark(spec: str | os.PathLike, dest: str | os.PathLike | None = None) -> dict[str, list[np.ndarray]]:
    """Load a polyphonic benchmark's train/valid/test piano rolls, by registry name or by path.

    ``spec`` is one of:

    * a registry name of :mod:`mgtutor.fetch` holding one Boulanger-Lewandowski pickle (``jsb_chorales``,
      ``jsb_chorales_quarter``, ``nottingham``, ``piano_midi``, ``musedata``), looked up under ``dest``
      (default ``$MGTUTOR_DATA`` or ``~/.cache/mgtutor``); nothing is downloaded;
    * ``NAME:member`` for one file of a multi-file entry, e.g. ``boulanger_tcn_mat:JSB_Chorales`` (the
      ``.mat`` copy of the TCN repository);
    * the path of a ``.pickle``/``.pkl`` file (:func:`load_boulanger`, restricted unpickler) or of a
      ``.mat`` file (:func:`load_tcn_mat`).

    Every piece is a (T, 88) uint8 piano roll, column j = MIDI pitch j + 21, one row per time step; the
    frame NLL of a model is then :func:`mgtutor.metrics.frame_nll_pieces` over a split.

    Args:
        spec: registry name, ``NAME:member``, or a path.
        dest: parent folder of the fetched datasets (for a registry name).
    Returns:
        ``{"train": [roll, ...], "valid": [...], "test": [...]}``.
    Raises:
        DatasetError: not fetched (the message gives the command ``python -m mgtutor data get NAME``), not a
            benchmark, an unknown member, an unreadable or malformed file, or an empty split.
        mgtutor.fetch.UnknownDatasetError: no registry entry of that name (close names are suggested).
        FileNotFoundError: a path that does not exist.
    See: notebook 07 (piano rolls).
    """
    path = benchmark_file(spec, dest)
    suffix = path.suffix.lower()
    if suffix in _PICKLE_SUFFIXES:
        splits = load_boulanger(path)
    elif suffix == ".mat":
        splits = load_tcn_mat(path)
    else:
        _existing_path(path)
        raise DatasetError(f"{path}: unknown kind of file; load_benchmark reads .pickle, .pkl and .mat files")
    empty = [split for split in BL_SPLITS if not splits[split]]
    if empty:
        raise DatasetError(f"{path}: split(s) {empty} hold no piece; a benchmark needs pieces in each of {BL_SPLITS}")
    return splits
