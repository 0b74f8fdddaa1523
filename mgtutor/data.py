"""Datasets: offline corpora (music21's Bach chorales and folk songs), splits, and a disk cache.

Part of mgtutor. See notebooks/04_symbolic_music.ipynb §3 (corpora, Boulanger-Lewandowski pickles)
and §6 (splits, pipelines).

Corpora come from the corpus bundled with music21, so they work offline:

* :func:`chorales` — the 350 distinct four-part Bach chorales (371 with repeats) as
  :class:`~mgtutor.symbolic.Piece` objects;
  :func:`chorale_melodies` — their soprano lines as melody-grid tokens (one token per sixteenth);
  :func:`chorale_piano_rolls` — all four voices as (T, 88) piano rolls (quarter-note steps = the
  JSB-chorale benchmark layout).
* :func:`folk_songs` / :func:`folk_melodies` — Essen folk songs (and O'Neill's Irish tunes) from
  abc files, one melody each.

Parsing with music21 is slow (about 0.1–0.2 s a piece), so each parsed source file is cached as
JSON under ``config.cache_dir()/symbolic-v<N>/`` (versioned key: bump :data:`CACHE_VERSION`
when the parsing rules change; the folder is always safe to delete). Writes are atomic
(temporary file + ``os.replace``), so two processes filling the cache at once never leave a
half-written file: both parse, the last rename wins, both results are identical.

In smoke mode (``MGTUTOR_MODE=smoke``) the corpora are a small deterministic subset
(the first pieces in corpus order) chosen with ``config.pick``.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import numpy as np

from mgtutor import config
from mgtutor.errors import MgtutorError
from mgtutor.files import atomic_write_bytes, atomic_write_text
from mgtutor.symbolic import (
    Piece,
    melody_to_grid,
    quantize_notes,
    sample_piano_roll,
    skyline,
)

CACHE_VERSION = 1
"""Bump when the parsing rules change: old cache entries are then ignored (and can be deleted)."""
SMOKE_CHORALES = 24
"""Number of chorales in smoke mode."""
SMOKE_FOLK_SONGS = 40
"""Number of folk songs in smoke mode."""
ESSEN_TEST_FILES = ("test0", "test1", "testd", "teste", "variant0")
"""Files of music21's essenFolksong folder that are test material, not songs: skipped."""

T = TypeVar("T")


class DatasetError(MgtutorError, ValueError):
    """A dataset request or file is malformed (bad split fractions, a bad cache or pickle file, ...)."""


# ------------------------------------------------------------------ cache
def corpus_cache_dir() -> Path:
    """The versioned folder of parsed-corpus caches: ``config.cache_dir()/symbolic-v<CACHE_VERSION>``.

    See: notebooks/04_symbolic_music.ipynb §3.
    """
    return config.cache_dir() / f"symbolic-v{CACHE_VERSION}"


def _stamp(source: Path) -> str:
    stat = source.stat()
    return f"{stat.st_size}-{int(stat.st_mtime)}"


def _read_cache(key: str, source: Path) -> list[Piece] | None:
    """The pieces cached under ``key`` if present, readable and made from this version of ``source``."""
    path = corpus_cache_dir() / f"{key}.json"
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("stamp") == _stamp(source) and data.get("version") == CACHE_VERSION:
            return [Piece.from_dict(d) for d in data["pieces"]]
    except (OSError, ValueError, KeyError, TypeError):
        pass  # unreadable or stale: the caller rebuilds it
    return None


def _cached_pieces(key: str, source: Path, build: Callable[[], list[Piece]]) -> list[Piece]:
    """Load the pieces cached under ``key`` or build and cache them.

    The cache file records the source file's size and modification time; if they changed,
    or the file cannot be read, it is rebuilt.
    """
    pieces = _read_cache(key, source)
    if pieces is None:
        pieces = build()
        payload = {"version": CACHE_VERSION, "stamp": _stamp(source), "pieces": [p.to_dict() for p in pieces]}
        atomic_write_text(corpus_cache_dir() / f"{key}.json", json.dumps(payload, separators=(",", ":")))
    return pieces


def _key(name: str) -> str:
    safe = "".join(c if c.isalnum() else "-" for c in name)
    return f"{safe}-{hashlib.sha1(name.encode()).hexdigest()[:8]}"


# ------------------------------------------------------------------ chorales
def chorale_names(unique: bool = True) -> list[str]:
    """Corpus names of music21's Bach chorales in Riemenschneider order, e.g. ``"bach/bwv269"``.

    The Riemenschneider collection numbers 371 chorales, but 21 of its entries point to a
    chorale already listed (the same harmonisation printed twice), so 350 names are distinct.
    ``unique=True`` (the default) keeps the first occurrence of each: a duplicate in two splits
    would leak the test set into training.
    See: notebooks/04_symbolic_music.ipynb §3.
    """
    from music21 import corpus

    names = [str(n) for n in corpus.chorales.Iterator(returnType="filename")]
    return list(dict.fromkeys(names)) if unique else names


def _corpus_folder_files(folder: str) -> dict[str, list[Path]]:
    """Files of one music21 corpus folder by stem (``bwv269`` → [bwv269.mxl, ...]); listed once per process."""
    if folder not in _FOLDER_FILES:
        from music21 import common

        by_stem: dict[str, list[Path]] = {}
        root = Path(common.getCorpusFilePath()) / folder
        for f in sorted(root.iterdir()) if root.is_dir() else []:
            by_stem.setdefault(f.name.rsplit(".", 1)[0], []).append(f)
        _FOLDER_FILES[folder] = by_stem
    return _FOLDER_FILES[folder]


_FOLDER_FILES: dict[str, dict[str, list[Path]]] = {}


def chorale_file(name: str) -> Path:
    """The score file of a chorale corpus name (``"bach/bwv245.3"`` → ``.../bach/bwv245.3.mxl``).

    Rule: the file whose name without extension is exactly the name's last part, preferring
    MusicXML (``.mxl``) over kern; if there is none, the single file that starts with it
    (``"bach/bwv18.5-l"`` is stored as ``bwv18.5-lz.mxl``). music21's ``corpus.getWork`` matches by
    prefix (``bwv245.3`` also finds ``bwv245.37``) and is slow (a corpus scan per call).

    Raises:
        DatasetError: no such chorale.
    See: notebooks/04_symbolic_music.ipynb §3.
    """
    folder, _, stem = name.rpartition("/")
    files = _corpus_folder_files(folder or "bach")
    exact = sorted(files.get(stem, []), key=lambda f: (f.suffix != ".mxl", f.suffix))
    if not exact:
        prefixed = [f for s, fs in files.items() if s.startswith(stem) for f in fs]
        exact = prefixed if len(prefixed) == 1 else []
    if not exact:
        raise DatasetError(f"music21's corpus has no chorale {name!r}; see chorale_names()")
    return exact[0]


def _chorale_parts(score) -> list[int]:
    names = [(p.partName or "").lower() for p in score.parts]
    wanted = []
    for voice in ("soprano", "alto", "tenor", "bass"):
        hits = [i for i, n in enumerate(names) if n.startswith(voice)]
        if hits:
            wanted.append(hits[0])
    return wanted if len(wanted) == 4 else list(range(min(4, len(names))))


def chorales(limit: int | None = None, unique: bool = True) -> list[Piece]:
    """The Bach chorales bundled with music21, four voices each (voice 0 soprano … 3 bass).

    Args:
        limit: keep the first ``limit`` chorales (default: all in full mode,
            :data:`SMOKE_CHORALES` in smoke mode).
        unique: drop the 21 repeated entries of the 371 (see :func:`chorale_names`); 350 remain.
    Returns:
        Pieces with times in quarter notes, keys and time signatures from the scores.
    See: notebooks/04_symbolic_music.ipynb §3.
    """
    names = chorale_names(unique)
    if limit is None:
        limit = config.pick(None, SMOKE_CHORALES)
    out = []
    for name in names[: limit if limit is not None else len(names)]:
        source = chorale_file(name)

        def build(name=name, source=source):
            from music21 import converter

            from mgtutor.symbolic import piece_from_music21

            score = converter.parse(source)
            return [piece_from_music21(score, name=name, parts=_chorale_parts(score))]

        out.extend(_cached_pieces(f"chorale-{_key(name)}", source, build))
    return out


INEXACT_POLICIES = ("quantize", "skip", "error")


def melody_tokens(piece: Piece, voice: int = 0, steps_per_quarter: int = 4,
                  on_inexact: str = "quantize") -> list[str] | None:
    """One voice of a piece as melody-grid tokens (top line if it has chords).

    Rule: :func:`~mgtutor.symbolic.skyline` of the voice, then
    :func:`~mgtutor.symbolic.quantize_notes`, then :func:`~mgtutor.symbolic.melody_to_grid`.
    Leading rests (a late first note) are kept; rests never pad the end.

    Args:
        piece, voice: what to encode.
        steps_per_quarter: grid resolution (4 = sixteenths).
        on_inexact: what to do when a time is not on the grid (a triplet, a 32nd note): ``"quantize"``
            snaps it to the nearest step (2 of the 350 chorales, bwv36.4-2 and bwv432, move by up to a
            sixteenth), ``"skip"`` returns ``None``, ``"error"`` raises.
    Raises:
        DatasetError: ``on_inexact="error"`` and the voice is off the grid, or an unknown policy.
    See: notebooks/04_symbolic_music.ipynb §5.
    """
    if on_inexact not in INEXACT_POLICIES:
        raise DatasetError(f"on_inexact must be one of {INEXACT_POLICIES}, got {on_inexact!r}")
    notes, report = quantize_notes(skyline(piece.voice(voice)), steps_per_quarter)
    if not report.exact and on_inexact != "quantize":
        if on_inexact == "skip":
            return None
        raise DatasetError(f"{piece.name}: voice {voice} is off the 1/{steps_per_quarter} grid by up to "
                           f"{report.max_error:g} quarter notes; use on_inexact='quantize' or 'skip'")
    return melody_to_grid(skyline(notes), steps_per_quarter)


def chorale_melodies(limit: int | None = None, steps_per_quarter: int = 4, unique: bool = True,
                     on_inexact: str = "quantize") -> list[list[str]]:
    """Soprano lines of the Bach chorales as melody-grid tokens, one list per chorale.

    Tokens (COURSE.md): one per sixteenth; ``"67"`` starts MIDI pitch 67, ``"_"`` holds, ``"r"``
    is a rest; no start/end tokens (add them with ``Vocabulary.encode(..., add_start_end=True)``).

    Args:
        limit: first ``limit`` chorales (default all 350 distinct; :data:`SMOKE_CHORALES` in smoke mode).
        unique: False keeps the 21 repeated entries (371 in all; see :func:`chorale_names`).
        on_inexact: ``"quantize"`` (default), ``"skip"`` or ``"error"`` for a line off the grid
            (see :func:`melody_tokens`).
        steps_per_quarter: grid resolution (4 = sixteenths).
    Returns:
        A list of token lists, in corpus order.
    See: notebooks/04_symbolic_music.ipynb §6; used by notebooks/06_melody_generation.ipynb.
    """
    tokens = (melody_tokens(p, 0, steps_per_quarter, on_inexact) for p in chorales(limit, unique))
    return [t for t in tokens if t is not None]


def chorale_piano_rolls(limit: int | None = None, steps_per_quarter: int = 1,
                        unique: bool = True) -> list[np.ndarray]:
    """All four voices of each chorale as a (T, 88) uint8 piano roll.

    Rule: :func:`~mgtutor.symbolic.sample_piano_roll`, frame t = what sounds at beat t / s. With
    ``steps_per_quarter=1`` this is the Boulanger-Lewandowski JSB-chorale layout (one frame per
    quarter note; a passing note between beats is not seen; a unison or a repeated note merges).
    Use 4 for sixteenth resolution (then every chorale note is seen).
    See: notebooks/04_symbolic_music.ipynb §3; used by notebooks/07 (polyphonic models).
    """
    return [sample_piano_roll(p.notes, steps_per_quarter) for p in chorales(limit, unique)]


# ------------------------------------------------------------------ folk songs
def folk_files(collections: Sequence[str] = ("essenFolksong",)) -> list[Path]:
    """The abc files of the chosen music21 corpus folders (``"essenFolksong"``, ``"oneills1850"``), sorted.

    See: notebooks/04_symbolic_music.ipynb §3.
    """
    from music21 import corpus

    files = []
    for coll in collections:
        found = sorted(Path(p) for p in corpus.getComposer(coll))
        if not found:
            raise DatasetError(f"music21's corpus has no folder {coll!r}; use 'essenFolksong' or 'oneills1850'")
        files += [f for f in found if f.suffix == ".abc" and f.stem not in ESSEN_TEST_FILES]
    return files


def _split_abc(text: str) -> list[str]:
    tunes, current = [], []
    for line in text.splitlines():
        if line.startswith("X:") and current:
            tunes.append("\n".join(current))
            current = []
        if line.startswith("X:") or current:
            current.append(line)
    if current:
        tunes.append("\n".join(current))
    return tunes


def _parse_abc_tunes(path: Path, tunes: list[str]) -> list[Piece]:
    import warnings

    from music21 import converter

    from mgtutor.symbolic import SymbolicError, piece_from_music21

    pieces = []
    for i, tune in enumerate(tunes):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # music21 warns on unusual abc header fields
                score = converter.parse(tune, format="abc")
            piece = piece_from_music21(score, name=f"{path.parent.name}/{path.stem}#{i}", parts=[0])
        except (SymbolicError, Exception):  # noqa: BLE001  a tune music21 cannot read is skipped
            continue
        if piece.notes:
            pieces.append(piece)
    return pieces


def folk_songs(limit: int | None = None, collections: Sequence[str] = ("essenFolksong",)) -> list[Piece]:
    """Folk songs from music21's abc corpus as one-voice pieces (tunes music21 cannot read are skipped).

    Args:
        limit: keep the first ``limit`` songs in corpus order (default: all — about 8,400 Essen songs,
            several minutes to parse the first time; :data:`SMOKE_FOLK_SONGS` in smoke mode).
        collections: ``"essenFolksong"`` (German/European songs), ``"oneills1850"`` (Irish tunes).
    Returns:
        Pieces named ``"<collection>/<file>#<tune index>"``.
    See: notebooks/04_symbolic_music.ipynb §3; used by notebooks/06_melody_generation.ipynb.
    """
    if limit is None:
        limit = config.pick(None, SMOKE_FOLK_SONGS)
    out: list[Piece] = []
    for path in folk_files(collections):
        if limit is not None and len(out) >= limit:
            break
        tunes = _split_abc(path.read_text(encoding="latin-1"))
        take = len(tunes) if limit is None else min(len(tunes), limit - len(out))
        stem = f"folk-{_key(f'{path.parent.name}/{path.name}')}"
        # a partial file (smoke mode, a limit) is served by the complete entry when there is one
        pieces = _read_cache(f"{stem}-{len(tunes)}of{len(tunes)}", path) if take < len(tunes) else None
        if pieces is None:
            pieces = _cached_pieces(f"{stem}-{take}of{len(tunes)}", path,
                                    lambda path=path, tunes=tunes, take=take: _parse_abc_tunes(path, tunes[:take]))
        out += [p for p in pieces if int(p.name.rsplit("#", 1)[1]) < take]
    return out[:limit] if limit is not None else out


def folk_melodies(limit: int | None = None, collections: Sequence[str] = ("essenFolksong",),
                  steps_per_quarter: int = 4, on_inexact: str = "skip") -> list[list[str]]:
    """Folk songs as melody-grid tokens (one list per song; see :func:`chorale_melodies` for the tokens).

    By default (``on_inexact="skip"``) a song that is not exactly on the grid is left out rather than
    distorted: none of the first 400 Essen songs is, but about a third of O'Neill's tunes have
    triplets. ``"quantize"`` keeps them snapped to the grid; ``"error"`` raises.
    See: notebooks/04_symbolic_music.ipynb §5; used by notebooks/06_melody_generation.ipynb.
    """
    tokens = (melody_tokens(p, 0, steps_per_quarter, on_inexact) for p in folk_songs(limit, collections))
    return [t for t in tokens if t is not None]


# ------------------------------------------------------------------ splits
def split_by_piece(items: Sequence[T], fractions: Sequence[float] = (0.8, 0.1, 0.1),
                   seed: int = 0) -> tuple[list[T], ...]:
    """Shuffle whole pieces with a fixed seed and cut them into splits (train, valid, test by default).

    Rule: a permutation from ``numpy.random.default_rng(seed)``; split k takes the pieces from
    ``round(n·F_{k-1})`` to ``round(n·F_k)`` where F is the cumulative sum of ``fractions``. A piece
    is in exactly one split, so windows cut later can never leak between splits.

    Args:
        items: one item per piece (token lists, rolls, Pieces, names ...).
        fractions: non-negative, summing to 1.
        seed: the shuffle seed.
    Returns:
        One list per fraction, each in shuffled order.
    Raises:
        DatasetError: fractions negative or not summing to 1.
    See: notebooks/04_symbolic_music.ipynb §6.
    """
    f = np.asarray(fractions, dtype=float)
    if f.ndim != 1 or len(f) == 0 or (f < 0).any() or not np.isclose(f.sum(), 1.0):
        raise DatasetError(f"fractions must be non-negative and sum to 1, e.g. (0.8, 0.1, 0.1); got {tuple(fractions)}")
    n = len(items)
    order = np.random.default_rng(seed).permutation(n)
    cuts = np.round(np.concatenate([[0.0], np.cumsum(f)]) * n).astype(int)
    cuts[-1] = n
    return tuple([items[i] for i in order[a:b]] for a, b in zip(cuts[:-1], cuts[1:], strict=True))


# ------------------------------------------------------------------ Boulanger-Lewandowski pickles
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
                    if not _is_number(p) or p != int(p) or not 21 <= p <= 108:
                        raise DatasetError(
                            f"{source}: {split}[{i}][{t}] holds {p!r}; pitches must be whole MIDI numbers 21–108"
                        )


def steps_to_piano_roll(piece: Sequence[Sequence[float]]) -> np.ndarray:
    """One Boulanger-Lewandowski piece (list of pitch tuples) → (T, 88) uint8 piano roll.

    See: notebooks/04_symbolic_music.ipynb §3.
    """
    roll = np.zeros((len(piece), 88), dtype=np.uint8)
    for t, step in enumerate(piece):
        for p in step:
            roll[t, int(p) - 21] = 1
    return roll


def piano_roll_to_steps(roll: np.ndarray) -> list[tuple[int, ...]]:
    """(T, 88) piano roll → list of sorted pitch tuples (the Boulanger-Lewandowski step format).

    See: notebooks/04_symbolic_music.ipynb §3.
    """
    roll = np.asarray(roll)
    if roll.ndim != 2 or roll.shape[1] != 88:
        raise DatasetError(f"a piano roll has shape (T, 88); got {roll.shape}")
    return [tuple(int(j) + 21 for j in np.flatnonzero(row)) for row in roll]


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
        plain[split] = [piano_roll_to_steps(p) if isinstance(p, np.ndarray) else [tuple(int(x) for x in s) for s in p]
                        for p in splits[split]]
    validate_boulanger(plain, "splits")
    return atomic_write_bytes(path, pickle.dumps(plain, protocol=2))


# ------------------------------------------------------------------ windowed pipelines (tf.data)
def shift_token(token: str, semitones: int) -> str:
    """Transpose one token: melody-grid pitches (``"60"``) and ``NOTE_ON_p``/``NOTE_OFF_p`` shift, others stay.

    See: notebooks/04_symbolic_music.ipynb §6.
    """
    if token.isdigit():
        return str(int(token) + semitones)
    for prefix in ("NOTE_ON_", "NOTE_OFF_"):
        if token.startswith(prefix) and token[len(prefix):].isdigit():
            return f"{prefix}{int(token[len(prefix):]) + semitones}"
    return token


def transposition_table(vocab, shifts: Sequence[int]) -> np.ndarray:
    """``table[k, i]`` = id of token i transposed by ``shifts[k]``, or −1 if that token is not in ``vocab``.

    See: notebooks/04_symbolic_music.ipynb §6.
    """
    table = np.full((len(shifts), len(vocab)), -1, dtype=np.int32)
    for k, s in enumerate(shifts):
        for i, tok in enumerate(vocab.id_to_token):
            table[k, i] = vocab.token_to_id.get(shift_token(tok, s), -1)
    return table


def token_windows(pieces: Sequence[np.ndarray], window: int, stride: int = 1) -> np.ndarray:
    """All windows of ``window + 1`` ids inside each piece (NumPy reference of :func:`token_dataset`).

    Rule: piece p of length n gives windows starting at 0, stride, 2·stride, … ≤ n − window − 1;
    a piece shorter than ``window + 1`` is padded with id 0 (``<pad>``) to one window. No window
    ever spans two pieces.
    Returns:
        int32 array (n_windows, window + 1): inputs are ``[:, :-1]``, next-token targets ``[:, 1:]``.
    See: notebooks/04_symbolic_music.ipynb §6.
    """
    return _windows(pieces, window, stride, np.int32, ())


def _windows(pieces: Sequence[np.ndarray], window: int, stride: int, dtype, row_shape: tuple) -> np.ndarray:
    """Windows of ``window + 1`` rows inside each piece, padding a short piece with zero rows."""
    if window < 1 or stride < 1:
        raise DatasetError(f"window and stride must be ≥ 1, got window={window}, stride={stride}")
    out = []
    for piece in pieces:
        piece = np.asarray(piece, dtype=dtype)
        if len(piece) < window + 1:
            piece = np.concatenate([piece, np.zeros((window + 1 - len(piece), *row_shape), dtype)])
        for a in range(0, len(piece) - window, stride):
            out.append(piece[a: a + window + 1])
    return np.stack(out) if out else np.zeros((0, window + 1, *row_shape), dtype=dtype)


def _valid_shifts(pieces: Sequence[np.ndarray], table: np.ndarray) -> np.ndarray:
    return np.stack([(table[:, np.asarray(p, dtype=np.int64)] >= 0).all(axis=1) for p in pieces]).astype(bool)


def token_dataset(pieces: Sequence[np.ndarray], window: int, batch_size: int = 32, stride: int = 1,
                  shuffle: bool = False, seed: int = 0, vocab=None, shifts: Sequence[int] = (),
                  drop_remainder: bool = False):
    """A ``tf.data`` pipeline of next-token windows: batches of ``(x, y, weight)``.

    Rule: windows as in :func:`token_windows` (never across pieces); ``x = w[:-1]``, ``y = w[1:]``,
    ``weight = (y != 0)`` so padding is not scored. With ``shifts`` (training split only!) each piece is
    transposed, each epoch, by a shift drawn from those of ``shifts`` that keep all its tokens in ``vocab``.
    Shuffling (of pieces and of windows, buffer 10 000) and transposition are seeded.

    Args:
        pieces: one id array per piece (``vocab.encode(tokens)``).
        window: input length.
        batch_size, stride, shuffle, seed, drop_remainder: as named.
        vocab: needed for ``shifts`` (to know which tokens are pitches).
        shifts: semitone shifts to draw from, e.g. ``range(-5, 7)``; empty = no augmentation.
    Returns:
        ``tf.data.Dataset`` of (x int32 (B, window), y int32 (B, window), weight float32 (B, window)), prefetched.
    Raises:
        DatasetError: bad sizes, or ``shifts`` without ``vocab``, or a piece no shift fits.
    See: notebooks/04_symbolic_music.ipynb §6; used by notebooks/06_melody_generation.ipynb.
    """
    import tensorflow as tf

    if window < 1 or stride < 1 or batch_size < 1:
        raise DatasetError(f"window, stride and batch_size must be ≥ 1, got {window}, {stride}, {batch_size}")
    if not pieces:
        raise DatasetError("no pieces: the split is empty (check the split fractions)")
    padded = [np.asarray(p, dtype=np.int32) for p in pieces]
    padded = [np.concatenate([p, np.zeros(max(0, window + 1 - len(p)), np.int32)]) for p in padded]
    ds = tf.data.Dataset.from_tensor_slices(_ragged(padded))
    if shifts:
        if vocab is None:
            raise DatasetError("transposition (shifts) needs the vocabulary: pass vocab=...")
        table = transposition_table(vocab, list(shifts))
        valid = _valid_shifts(padded, table)
        if not valid.any(axis=1).all():
            bad = int(np.flatnonzero(~valid.any(axis=1))[0])
            raise DatasetError(f"piece {bad} fits none of the shifts {list(shifts)}; widen the vocabulary")
        table_t = tf.constant(table)
        choices = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
        ds = tf.data.Dataset.zip((ds, tf.data.Dataset.from_tensor_slices(valid), choices))

        def transpose(ids, ok, r):
            allowed = tf.where(ok)[:, 0]
            k = tf.gather(allowed, tf.math.floormod(r, tf.size(allowed, out_type=tf.int64)))
            return tf.gather(tf.gather(table_t, k), ids)

        ds = ds.map(_plain(transpose), num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    if shuffle:
        ds = ds.shuffle(len(padded), seed=seed, reshuffle_each_iteration=True)
    ds = ds.flat_map(_plain(lambda ids: tf.data.Dataset.from_tensor_slices(tf.signal.frame(ids, window + 1, stride))))
    if shuffle:
        ds = ds.shuffle(10_000, seed=seed + 1, reshuffle_each_iteration=True)

    def split(w):
        y = w[:, 1:]
        return w[:, :-1], y, tf.cast(y != 0, tf.float32)

    return ds.batch(batch_size, drop_remainder=drop_remainder).map(_plain(split)).prefetch(tf.data.AUTOTUNE)


def _plain(fn):
    """Mark a tf.data mapping function as plain TensorFlow ops, so AutoGraph does not parse its source."""
    import tensorflow as tf

    return tf.autograph.experimental.do_not_convert(fn)


def _ragged(arrays: Sequence[np.ndarray]):
    """A ``tf.RaggedTensor`` whose rows are ``arrays`` (same dtype and trailing shape), built in one copy."""
    import tensorflow as tf

    lengths = np.asarray([len(a) for a in arrays], dtype=np.int64)
    return tf.RaggedTensor.from_row_lengths(np.concatenate(arrays), lengths)


def roll_windows(rolls: Sequence[np.ndarray], window: int, stride: int = 1) -> np.ndarray:
    """All windows of ``window + 1`` frames inside each (T, 88) roll; short rolls are padded with silence.

    See: notebooks/04_symbolic_music.ipynb §6.
    """
    return _windows(rolls, window, stride, np.uint8, (88,))


def roll_dataset(rolls: Sequence[np.ndarray], window: int, batch_size: int = 32, stride: int = 1,
                 shuffle: bool = False, seed: int = 0, shifts: Sequence[int] = (), drop_remainder: bool = False):
    """A ``tf.data`` pipeline of piano-roll windows: batches of ``(x, y, weight)``.

    Rule: windows as in :func:`roll_windows`; ``x = w[:-1]``, ``y = w[1:]`` (float32, (B, window, 88));
    ``weight`` (B, window) is 1 on real frames and 0 on the padding of pieces shorter than a window.
    With ``shifts`` (training split only!) each piece is transposed, each epoch, by a shift drawn from
    those that keep every sounding note in 21–108.
    See: notebooks/04_symbolic_music.ipynb §6; used by notebooks/07.
    """
    import tensorflow as tf

    if window < 1 or stride < 1 or batch_size < 1:
        raise DatasetError(f"window, stride and batch_size must be ≥ 1, got {window}, {stride}, {batch_size}")
    if not rolls:
        raise DatasetError("no pieces: the split is empty (check the split fractions)")
    shifts = list(shifts)
    frames, masks, valid = [], [], []
    for r in rolls:
        r = np.asarray(r, dtype=np.uint8)
        if r.ndim != 2 or r.shape[1] != 88:
            raise DatasetError(f"a piano roll has shape (T, 88); got {r.shape}")
        n = len(r)
        pad = max(0, window + 1 - n)
        frames.append(np.concatenate([r, np.zeros((pad, 88), np.uint8)]))
        masks.append(np.concatenate([np.ones(n, np.float32), np.zeros(pad, np.float32)]))
        used = np.flatnonzero(r.any(axis=0))
        valid.append([used.size == 0 or (used.min() + s >= 0 and used.max() + s <= 87) for s in shifts])
    ds = tf.data.Dataset.from_tensor_slices((_ragged(frames), _ragged(masks)))
    if shifts:
        valid_arr = np.asarray(valid, dtype=bool)
        if not valid_arr.any(axis=1).all():
            raise DatasetError(f"a piece fits none of the shifts {shifts}")
        shifts_t = tf.constant(shifts, dtype=tf.int32)
        choices = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
        ds = tf.data.Dataset.zip((ds, tf.data.Dataset.from_tensor_slices(valid_arr), choices))

        def transpose(fm, ok, r):
            f, m = fm
            allowed = tf.where(ok)[:, 0]
            s = tf.gather(shifts_t, tf.gather(allowed, tf.math.floormod(r, tf.size(allowed, out_type=tf.int64))))
            return tf.roll(f, shift=s, axis=1), m  # safe: the shift keeps every used column inside the roll

        ds = ds.map(_plain(transpose), num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    if shuffle:
        ds = ds.shuffle(len(frames), seed=seed, reshuffle_each_iteration=True)
    ds = ds.flat_map(_plain(lambda f, m: tf.data.Dataset.from_tensor_slices(
        (tf.signal.frame(f, window + 1, stride, axis=0), tf.signal.frame(m, window + 1, stride)))))
    if shuffle:
        ds = ds.shuffle(4_096, seed=seed + 1, reshuffle_each_iteration=True)

    def split(f, m):
        f = tf.cast(f, tf.float32)
        return f[:, :-1], f[:, 1:], m[:, 1:]

    return ds.batch(batch_size, drop_remainder=drop_remainder).map(_plain(split)).prefetch(tf.data.AUTOTUNE)


def padded_piece_dataset(pieces: Sequence[np.ndarray], batch_size: int = 8):
    """Whole pieces (id arrays) as padded batches for evaluation: ``(x, y, weight)``, ``weight = (y != 0)``.

    Each piece becomes one row, ``x = ids[:-1]``, ``y = ids[1:]``, padded with 0 to the longest piece of
    its batch; order is kept (no shuffling), so per-piece scores line up with ``pieces``.
    See: notebooks/04_symbolic_music.ipynb §6.
    """
    import tensorflow as tf

    if not pieces:
        raise DatasetError("no pieces to batch")
    ragged = _ragged([np.asarray(p, dtype=np.int32) for p in pieces])

    def split(ids):
        y = ids[1:]
        return ids[:-1], y, tf.cast(y != 0, tf.float32)

    ds = tf.data.Dataset.from_tensor_slices(ragged).map(_plain(split))
    return ds.padded_batch(batch_size, padded_shapes=([None], [None], [None])).prefetch(tf.data.AUTOTUNE)
