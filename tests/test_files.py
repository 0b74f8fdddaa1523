import hashlib
import os
import stat

import pytest

from mgtutor.files import DEFAULT_FILE_MODE, atomic_path, atomic_write_bytes, atomic_write_text, sha256_file


def test_writes_with_the_mode_open_would_give(tmp_path):
    path = atomic_write_text(tmp_path / "sub" / "a.txt", "héllo")
    assert path.read_text(encoding="utf-8") == "héllo"
    assert stat.S_IMODE(path.stat().st_mode) == DEFAULT_FILE_MODE
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    assert stat.S_IMODE(plain.stat().st_mode) == DEFAULT_FILE_MODE


def test_replaces_and_leaves_no_temporary_files(tmp_path):
    atomic_write_bytes(tmp_path / "b.bin", b"old")
    atomic_write_bytes(tmp_path / "b.bin", b"new")
    assert (tmp_path / "b.bin").read_bytes() == b"new"
    assert os.listdir(tmp_path) == ["b.bin"]


def test_failure_keeps_the_old_file_and_removes_the_temporary(tmp_path):
    target = atomic_write_text(tmp_path / "c.txt", "intact")
    with pytest.raises(RuntimeError, match="crash"):
        with atomic_path(target, suffix=".weights.h5") as tmp:
            assert tmp.name.endswith(".weights.h5") and tmp.parent == tmp_path
            tmp.write_text("half")
            raise RuntimeError("crash")
    assert target.read_text() == "intact"
    assert os.listdir(tmp_path) == ["c.txt"]


def test_sha256_file_hashes_every_block(tmp_path):
    data = os.urandom((1 << 20) + 123)  # more than one read block
    (tmp_path / "f.bin").write_bytes(data)
    assert sha256_file(tmp_path / "f.bin") == hashlib.sha256(data).hexdigest()
    (tmp_path / "empty").write_bytes(b"")
    assert sha256_file(str(tmp_path / "empty")) == hashlib.sha256(b"").hexdigest()
    with pytest.raises(FileNotFoundError):
        sha256_file(tmp_path / "missing")
