"""Boulanger-Lewandowski pickles (JSB Chorales, Nottingham, MuseData, Piano-midi.de), read safely, and
the polyphonic benchmarks loaded by name or path (:func:`load_benchmark`: the pickles, or the ``.mat``
copies of the TCN repository).

Part of mgtutor. See notebooks/04_symbolic_music.ipynb §3; the benchmark of notebook 07.

The step format ↔ piano roll conversions (:func:`steps_to_piano_roll`, :func:`piano_roll_to_steps`) belong
to the piano-roll convention and live in :mod:`mgtutor.symbolic.pianoroll`; they are re-exported here.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np

from mgtutor.errors import DatasetError
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
"""Refuse pickles larger than this (the four standard files are 0.2–10 MiB)."""


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
        raise UnsafePickleError(f"{self.source}: refused: the pickle uses a persistent id ({pid!r})")


def _existing_file(path, max_bytes: int) -> Path:
    """``path`` as a Path, if it is a file of at most ``max_bytes``; else FileNotFoundError or DatasetError."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    size = path.stat().st_size
    if size > max_bytes:
        raise DatasetError(f"{path}: {size} bytes is over the limit of {max_bytes}; pass a larger max_bytes")
    return path


def safe_load_plain_pickle(path: str | os.PathLike, max_bytes: int = DEFAULT_MAX_PICKLE_BYTES):
    """Unpickle a file that may hold only plain containers and numbers; anything else is refused.

    Raises:
        FileNotFoundError: no such file.
        UnsafePickleError: the pickle asks for a class or function (nothing was run).
        DatasetError: too large, or not a valid pickle.
    See: notebooks/04_symbolic_music.ipynb §3.
    """
    import io

    path = _existing_file(path, max_bytes)
    try:
        return _PlainDataUnpickler(io.BytesIO(path.read_bytes()), str(path)).load()
    except UnsafePickleError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError, KeyError, AttributeError,
            MemoryError, RecursionError) as exc:
        raise DatasetError(f"{path}: not a valid pickle ({type(exc).__name__}: {exc})") from None


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def validate_boulanger(data, source: str = "data") -> None:
    """Check the Boulanger-Lewandowski structure: ``{"train"|"valid"|"test": [piece, ...]}``.

    Rule: each piece is a list of time steps; each step a tuple/list of MIDI pitches (integral
    numbers 21–108; may be empty).

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
    for split in BL_SPLITS:
        pieces = data[split]
        if not isinstance(pieces, (list, tuple)):
            raise DatasetError(f"{source}: split {split!r} must be a list of pieces, got {type(pieces).__name__}")
        for i, piece in enumerate(pieces):
            if not isinstance(piece, (list, tuple)):
                raise DatasetError(f"{source}: {split}[{i}] must be a list of time steps, got {type(piece).__name__}")
            for t, step in enumerate(piece):
                if not isinstance(step, (list, tuple)):
                    raise DatasetError(f"{source}: {split}[{i}][{t}] must be a tuple of pitches, got {step!r}")
                for p in step:
                    if not _is_number(p) or p != int(p) or not PIANO_LOW <= p <= PIANO_HIGH:
                        raise DatasetError(f"{source}: {split}[{i}][{t}] holds {p!r}; pitches must be whole MIDI "
                                           f"numbers {PIANO_LOW}–{PIANO_HIGH}")


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


# ------------------------------------------------------------------ the benchmarks by name or path
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

    Args:
        path: the ``.mat`` file.
        max_bytes: refuse larger files (the four standard files are 0.1–1 MB).
    Returns:
        ``{"train": [roll, ...], "valid": [...], "test": [...]}``, rolls uint8 (T, 88).
    Raises:
        FileNotFoundError: no such file.
        DatasetError: not a readable MATLAB file, a variable missing, a piece that is not 2-D with 88
            columns, or values other than 0 and 1 (the message names the file and the piece).
    See: notebook 07 (piano rolls).
    """
    from scipy.io import loadmat

    path = _existing_file(path, max_bytes)
    try:
        mat = loadmat(path, variable_names=list(TCN_MAT_KEYS.values()))
    except Exception as exc:  # scipy raises many kinds (MatReadError, ValueError, zlib/struct errors, …)
        raise DatasetError(f"{path}: not a readable MATLAB .mat file ({type(exc).__name__}: {exc})") from None
    missing = [key for key in TCN_MAT_KEYS.values() if key not in mat]
    if missing:
        raise DatasetError(f"{path}: variable(s) {missing} missing; a benchmark .mat file holds "
                           f"{list(TCN_MAT_KEYS.values())}")
    out = {}
    for split, key in TCN_MAT_KEYS.items():
        cells = mat[key]
        if not isinstance(cells, np.ndarray) or cells.dtype != object:
            raise DatasetError(f"{path}: {key} must be a cell array of pieces, got an array of "
                               f"{getattr(cells, 'dtype', type(cells).__name__)} {np.shape(cells)}")
        rolls = []
        for i, piece in enumerate(cells.ravel()):
            piece = np.asarray(piece)
            if piece.ndim != 2 or piece.shape[1] != PIANO_KEYS:
                raise DatasetError(f"{path}: {key}[{i}] has shape {piece.shape}; a piece is (T, {PIANO_KEYS}) "
                                   f"(column j = MIDI pitch j + {PIANO_LOW})")
            if piece.dtype.kind not in "biuf" or not np.isin(piece, (0, 1)).all():
                raise DatasetError(f"{path}: {key}[{i}] holds values other than 0 and 1 (dtype {piece.dtype})")
            rolls.append(piece.astype(np.uint8))
        out[split] = rolls
    return out


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
    elif not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    else:
        raise DatasetError(f"{path}: unknown kind of file; load_benchmark reads .pickle, .pkl and .mat files")
    empty = [split for split in BL_SPLITS if not splits[split]]
    if empty:
        raise DatasetError(f"{path}: split(s) {empty} hold no piece; a benchmark needs pieces in each of {BL_SPLITS}")
    return splits
