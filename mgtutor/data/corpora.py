"""Offline corpora: music21's Bach chorales and folk songs, their shipped bundle and their disk cache.

Part of mgtutor. See notebooks/04_symbolic_music.ipynb §3.

Corpora come from the corpus bundled with music21, so they work offline:

* :func:`chorales` — the 350 distinct four-part Bach chorales (371 with repeats) as
  :class:`~mgtutor.symbolic.Piece` objects;
  :func:`chorale_melodies` — their soprano lines as melody-grid tokens (one token per sixteenth);
  :func:`chorale_piano_rolls` — all four voices as (T, 88) piano rolls (quarter-note steps = the
  JSB-chorale benchmark layout).
* :func:`folk_songs` / :func:`folk_melodies` — Essen folk songs (and O'Neill's Irish tunes) from
  abc files, one melody each.

Parsing with music21 is slow (about 0.1–0.2 s a piece, and music21 first parses each score into its
own scratch folder), so a fresh install would spend minutes before its first chorale. Two layers
avoid that:

* **The shipped bundle** (package data ``corpus_bundle.json.gz``, 0.40 MB): the 350 distinct
  chorales (:func:`chorale_names`) and :data:`BUNDLE_EXTRA_CHORALES`, and every tune of the folk-song
  files in :data:`BUNDLE_FOLK_FILES` (the first 313 Essen songs and the first 200 of O'Neill's tunes,
  more than any notebook uses in either mode), already parsed, in
  :meth:`~mgtutor.symbolic.Piece.to_dict` form. Each entry records its source file's name, size and
  SHA-256; an entry is used only when the installed music21 corpus file matches it and the bundle was
  made with this :data:`CACHE_VERSION` (another music21 release with changed files falls back to
  parsing and caching). A bundle entry is exactly what a fresh parse gives
  (tests/test_corpus_bundle.py parses a sample and compares). Rebuild it after changing the parsing
  rules or music21's corpus::

      python -m mgtutor.data.corpora --write-bundle

* **The disk cache** for everything else: each parsed source file is cached as JSON under
  ``config.cache_dir()/symbolic-v<N>/`` (versioned key: bump :data:`CACHE_VERSION`
  when the parsing rules change; the folder is always safe to delete). Writes are atomic
  (temporary file + ``os.replace``), so two processes filling the cache at once never leave a
  half-written file: both parse, the last rename wins, both results are identical.

In smoke mode (``MGTUTOR_MODE=smoke``) the corpora are a small deterministic subset
(the first pieces in corpus order) chosen with ``config.pick``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
from collections.abc import Callable, Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from mgtutor import config
from mgtutor.errors import DatasetError
from mgtutor.files import atomic_write_text, sha256_file
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
BUNDLE_FILE = "corpus_bundle.json.gz"
"""The shipped bundle of parsed chorales and folk songs (package data of ``mgtutor.data``)."""
BUNDLE_EXTRA_CHORALES = ("bach/bwv66.6",)
"""Chorales the bundle holds besides the 350 of :func:`chorale_names` (bwv66.6 is not in music21's Riemenschneider
list; :func:`chorale_excerpt` plays it in notebooks 02 and 03)."""
BUNDLE_FOLK_FILES = ("essenFolksong/altdeu10.abc", "oneills1850/0001-0050.abc", "oneills1850/0051-0100.abc",
                     "oneills1850/0101-0200.abc")
"""The folk-song files whose tunes the bundle holds: the first 313 Essen songs and the first 200 O'Neill tunes
(notebook 04 shows up to 200 of each collection, the melody tasks 40 Essen songs in smoke mode)."""


# --------------------------------------------------------------------------- cache
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


# --------------------------------------------------------------------------- shipped bundle
USE_BUNDLE = os.environ.get("MGTUTOR_CORPUS_BUNDLE", "1").strip() != "0"
"""False makes every loader parse (or read the disk cache) as if no bundle were shipped (tests, rebuilding it);
``MGTUTOR_CORPUS_BUNDLE=0`` in the environment sets it for a new process."""


@lru_cache(maxsize=1)
def _bundle() -> dict:
    """The shipped bundle as read from package data (``{}`` if missing, unreadable or of another cache version)."""
    try:
        raw = resources.files("mgtutor.data").joinpath(BUNDLE_FILE).read_bytes()
        data = json.loads(gzip.decompress(raw))
    except (OSError, ValueError, EOFError):
        return {}
    return data if data.get("version") == CACHE_VERSION else {}


@lru_cache(maxsize=1024)
def _file_digest(path: str, stamp: str) -> str:
    """SHA-256 of a corpus file (memoised per size and modification time)."""
    return sha256_file(path)


def _source_record(source: Path) -> dict:
    """What a bundle entry records about its source file: name, size and SHA-256."""
    return {"file": source.name, "size": source.stat().st_size, "sha256": _file_digest(str(source), _stamp(source))}


def _matches(entry: dict, source: Path) -> bool:
    """True when a bundle entry was made from exactly this file (name, size, then content hash)."""
    try:
        if entry.get("file") != source.name or entry.get("size") != source.stat().st_size:
            return False
        return entry.get("sha256") == _file_digest(str(source), _stamp(source))
    except OSError:
        return False


def _bundled(section: str, key: str, source: Path) -> list[Piece] | None:
    """The bundle's pieces for ``key`` when the bundle is in use and was made from this ``source``, else None."""
    if not USE_BUNDLE:
        return None
    entry = _bundle().get(section, {}).get(key)
    if entry is None or not _matches(entry, source):
        return None
    return [Piece.from_dict(d) for d in entry["pieces"]]


def _folk_file(relative: str) -> Path:
    """The corpus file of a ``"<collection>/<file>.abc"`` name."""
    from music21 import common

    return Path(common.getCorpusFilePath()) / relative


def _parse_chorale(name: str, source: Path) -> list[Piece]:
    def build():
        from music21 import converter

        from mgtutor.symbolic import piece_from_music21

        score = converter.parse(source)
        return [piece_from_music21(score, name=name, parts=_chorale_parts(score))]

    return _cached_pieces(f"chorale-{_key(name)}", source, build)


def _parse_folk_file(path: Path, tunes: list[str], take: int) -> list[Piece]:
    stem = f"folk-{_key(f'{path.parent.name}/{path.name}')}"
    # a partial file (smoke mode, a limit) is served by the complete entry when there is one
    pieces = _read_cache(f"{stem}-{len(tunes)}of{len(tunes)}", path) if take < len(tunes) else None
    if pieces is None:
        pieces = _cached_pieces(f"{stem}-{take}of{len(tunes)}", path, lambda: _parse_abc_tunes(path, tunes[:take]))
    return pieces


def build_bundle() -> dict:
    """Parse (or read from the disk cache) the distinct chorales, :data:`BUNDLE_EXTRA_CHORALES` and the folk files
    of :data:`BUNDLE_FOLK_FILES`.

    Returns:
        ``{"version", "music21", "chorales": {name: entry}, "folk": {"<collection>/<file>": entry}}``, each entry
        ``{"file", "size", "sha256", "pieces": [Piece.to_dict(), ...]}`` — what :func:`write_bundle` stores.
    See: the module docstring.
    """
    import music21

    chorale_entries = {}
    for name in [*chorale_names(), *BUNDLE_EXTRA_CHORALES]:
        source = chorale_file(name)
        pieces = _parse_chorale(name, source)
        chorale_entries[name] = {**_source_record(source), "pieces": [p.to_dict() for p in pieces]}
    folk_entries = {}
    for relative in BUNDLE_FOLK_FILES:
        path = _folk_file(relative)
        tunes = _split_abc(path.read_text(encoding="latin-1"))
        pieces = _parse_folk_file(path, tunes, len(tunes))
        folk_entries[relative] = {**_source_record(path), "pieces": [p.to_dict() for p in pieces]}
    return {"version": CACHE_VERSION, "music21": music21.__version__, "chorales": chorale_entries,
            "folk": folk_entries}


def write_bundle(path: str | Path | None = None) -> Path:
    """Build the bundle (:func:`build_bundle`, the shipped bundle itself unused) and write it gzip'd.

    Run as ``python -m mgtutor.data.corpora --write-bundle`` (about two minutes with an empty cache). The gzip
    header carries no time stamp, so the same corpus gives the same bytes.
    Returns:
        The written path (default: the package's ``mgtutor/data/corpus_bundle.json.gz``).
    See: the module docstring.
    """
    global USE_BUNDLE
    target = Path(path) if path is not None else Path(__file__).with_name(BUNDLE_FILE)
    saved, USE_BUNDLE = USE_BUNDLE, False
    try:
        bundle = build_bundle()
    finally:
        USE_BUNDLE = saved
    text = json.dumps(bundle, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
    target.write_bytes(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0))
    _bundle.cache_clear()
    return target


# --------------------------------------------------------------------------- chorales
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


_FOLDER_FILES: dict[str, dict[str, list[Path]]] = {}


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
    return [chorale(name) for name in names[: limit if limit is not None else len(names)]]


def chorale(name: str) -> Piece:
    """One Bach chorale by its corpus name (``"bach/bwv66.6"``), four voices: from the shipped bundle when it
    holds this name and music21's file matches it, else parsed once and cached (see the module docstring).

    Raises:
        DatasetError: no such chorale.
    See: notebooks/04_symbolic_music.ipynb §3.
    """
    source = chorale_file(name)
    pieces = _bundled("chorales", name, source)
    return (pieces if pieces is not None else _parse_chorale(name, source))[0]


def chorale_excerpt(name: str = "bach/bwv66.6", seconds: float = 8.0,
                    qpm: float = 100.0) -> list[tuple[int, float, float, int]]:
    """The notes of a chorale's first ``seconds`` at ``qpm``, as ``(pitch, start_s, end_s, velocity)`` tuples.

    What :func:`mgtutor.audio.render_notes` takes, so notebooks 02–03 can analyse real music before
    notebook 04 teaches symbolic data. Notes that start before ``seconds`` are kept whole.
    Raises:
        DatasetError: no such chorale, or ``seconds`` ≤ 0.
    See: notebooks/02_stft.ipynb §7; notebooks/03_mel_mfcc.ipynb §1.
    """
    from mgtutor.symbolic import notes_to_seconds

    if not seconds > 0:
        raise DatasetError(f"seconds must be > 0, got {seconds!r}")
    return [n for n in notes_to_seconds(chorale(name).notes, qpm=qpm) if n[1] < seconds]


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
        SequenceTooLongError: more than :data:`~mgtutor.symbolic.MAX_GRID_STEPS` tokens (checked before any
            token is made).
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


# --------------------------------------------------------------------------- folk songs
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
        Pieces named ``"<collection>/<file>#<tune index>"``. The files of :data:`BUNDLE_FOLK_FILES` come from the
        shipped bundle when music21's file matches it; the others are parsed once and cached.
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
        pieces = _bundled("folk", f"{path.parent.name}/{path.name}", path)
        if pieces is None:
            pieces = _parse_folk_file(path, tunes, take)
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


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m mgtutor.data.corpora --write-bundle [PATH]``: rebuild the shipped bundle."""
    parser = argparse.ArgumentParser(prog="python -m mgtutor.data.corpora", description=main.__doc__)
    parser.add_argument("--write-bundle", nargs="?", const="", metavar="PATH", required=True,
                        help="write the bundle (default: the package's own corpus_bundle.json.gz)")
    args = parser.parse_args(argv)
    target = write_bundle(args.write_bundle or None)
    bundle = json.loads(gzip.decompress(target.read_bytes()))
    print(f"{target}: {target.stat().st_size / 1e6:.2f} MB, {len(bundle['chorales'])} chorales, "
          f"{sum(len(e['pieces']) for e in bundle['folk'].values())} folk tunes (music21 {bundle['music21']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
