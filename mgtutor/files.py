"""Atomic file writes: a reader never sees half a file, and a failure leaves nothing behind.

Part of mgtutor. Used for every file the course writes that someone may read while it is
being written or after a crash: WAV files, corpus caches, vocabularies, run directories
(weights, config, the completion marker) and saved datasets. Downloads have their own
resumable variant in :mod:`mgtutor.fetch`.

The rule: write to a temporary file in the *same folder* (so the final rename stays on one
file system, where ``os.replace`` is atomic), give it the permissions a plain ``open`` would
(``0o666`` minus the umask, not ``mkstemp``'s private ``0o600``), then rename it over the
destination. On any exception the temporary file is removed and the destination is untouched.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def default_file_mode() -> int:
    """The mode ``open(path, "w")`` would give a new file: ``0o666`` minus the process umask."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success move it into place, on failure delete it.

    Args:
        path: the destination; its folder is created if needed.
        suffix: the temporary file's suffix (some writers choose the format by it,
            e.g. Keras needs ``.weights.h5``).
    Yields:
        The temporary path to write to.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, default_file_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; returns the path."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; returns the path."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)
