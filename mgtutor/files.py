"""Atomic file writes: a reader never sees half a file, and a failure leaves nothing behind.

Part of mgtutor. Used for every file the course writes that someone may read while it is
being written or after a crash: WAV files, corpus caches, vocabularies, run directories
(weights, config, the completion marker) and saved datasets. Downloads have their own
resumable variant in :mod:`mgtutor.fetch`. :class:`FileLock` is the one exclusive lock the course takes
(a download, an extraction, a run directory while it trains), and :func:`sha256_file` the one file hash (a
download's checksum, a checkpoint's).

The rule: write to a temporary file in the *same folder* (so the final rename stays on one
file system, where ``os.replace`` is atomic), give it the permissions a plain ``open`` would
(``0o666`` minus the umask, not ``mkstemp``'s private ``0o600``), then rename it over the
destination. On any exception the temporary file is removed and the destination is untouched.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _umasked_mode() -> int:
    mask = os.umask(0)  # the umask can only be read by setting it: done once, at import, and put back at once
    os.umask(mask)
    return 0o666 & ~mask


DEFAULT_FILE_MODE = _umasked_mode()
"""The mode ``open(path, "w")`` gives a new file: ``0o666`` minus the process umask (read at import)."""


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
        os.chmod(tmp, DEFAULT_FILE_MODE)
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


def sha256_file(path: str | os.PathLike) -> str:
    """SHA-256 of a file's bytes as lower-case hex, read in 1 MiB blocks.

    Returns:
        64 hex digits, equal to ``hashlib.sha256(data).hexdigest()`` and to ``sha256sum``.
    Raises:
        FileNotFoundError: the file does not exist.
    """
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class FileLock:
    """An exclusive lock on the file ``path`` (``fcntl.flock``; ``msvcrt.locking`` on Windows), held by one process.

    The holder writes its PID into the file (:attr:`holder` reads it back for a message) and deletes the file when it
    releases the lock. A process that locked a file the previous holder had just deleted sees that its inode is no
    longer the one at ``path`` and locks anew, so deleting on release never lets two holders in at once. The lock is
    the operating system's: it goes with the process, so a killed holder leaves no stale lock (at most the file,
    which the next holder reuses). A symbolic link at ``path`` is never followed (``OSError``).
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._fd is not None

    def try_acquire(self) -> bool:
        """Take the lock if it is free; return whether this object now holds it."""
        if self._fd is not None:
            return True
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
            if not _try_lock(fd):
                os.close(fd)
                return False
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            _unlock(fd)
            os.close(fd)  # the file we locked was removed by the previous holder: lock anew
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def acquire(self, timeout: float, poll: float = 0.05) -> bool:
        """Take the lock, waiting up to ``timeout`` seconds for its holder; return whether it was taken."""
        deadline = time.monotonic() + timeout
        while not self.try_acquire():
            if time.monotonic() >= deadline:
                return False
            time.sleep(poll)
        return True

    def release(self) -> None:
        """Delete the lock file and let the lock go (nothing happens when this object does not hold it)."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):
            os.unlink(self.path)
        _unlock(fd)
        os.close(fd)

    @property
    def holder(self) -> int | None:
        """The PID written by the lock's holder, or None when the file is gone or holds none."""
        try:
            return int(self.path.read_text(encoding="ascii").strip())
        except (OSError, ValueError):
            return None


def _try_lock(fd: int) -> bool:
    try:
        if os.name == "nt":  # pragma: no cover - exercised on Windows only
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def _unlock(fd: int) -> None:
    with contextlib.suppress(OSError):
        if os.name == "nt":  # pragma: no cover
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_UN)
