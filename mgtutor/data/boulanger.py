"""Boulanger-Lewandowski pickles (JSB Chorales, Nottingham, MuseData, Piano-midi.de), read safely.

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


def safe_load_plain_pickle(path: str | os.PathLike, max_bytes: int = DEFAULT_MAX_PICKLE_BYTES):
    """Unpickle a file that may hold only plain containers and numbers; anything else is refused.

    Raises:
        FileNotFoundError: no such file.
        UnsafePickleError: the pickle asks for a class or function (nothing was run).
        DatasetError: too large, or not a valid pickle.
    See: notebooks/04_symbolic_music.ipynb §3.
    """
    import io

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    size = path.stat().st_size
    if size > max_bytes:
        raise DatasetError(f"{path}: {size} bytes is over the limit of {max_bytes}; pass a larger max_bytes")
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
