"""Tests for mgtutor.fetch: registry shape, downloads against a loopback server, safe extraction.

Every server binds 127.0.0.1, runs in a thread and stops itself; every test is time-bounded.
Checksums are compared with hashlib on the served bytes (an independent reference).
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import re
import subprocess
import sys
import tarfile
import threading
import warnings
import zipfile
from pathlib import Path

import pytest
from http_fixtures import LoopbackServer, closed_port

from mgtutor import fetch
from mgtutor.errors import MgtutorError
from mgtutor.fetch import (
    ArchiveError,
    ChecksumError,
    Dataset,
    DownloadError,
    LockTimeoutError,
    OfflineError,
    RemoteFile,
    UnknownDatasetError,
    UnsafeArchiveError,
    UnverifiedDownloadWarning,
)

pytestmark = pytest.mark.timeout(20)

DATA = random.Random(0).randbytes(102_400)  # incompressible, so real archives stay below the ratio cap
SHA = hashlib.sha256(DATA).hexdigest()
FAST = {"timeout": (1.0, 1.0), "backoff": 0.01, "quiet": True}


@pytest.fixture()
def server():
    with LoopbackServer(lifetime=30) as srv:
        srv.add("data.bin", DATA)
        yield srv


def only_files(folder: Path) -> list[str]:
    """Everything left in a folder (names, recursive), hidden files included."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


# --------------------------------------------------------------------------- registry


def test_registry_shape_every_field_present_https_and_honest_checksums():
    assert len(fetch.REGISTRY) >= 7
    for key, ds in fetch.REGISTRY.items():
        assert key == ds.name and re.fullmatch(r"[a-z0-9_]+", key)
        for field in ("title", "approx_size", "licence", "licence_short", "citation", "homepage",
                      "used_for", "how_to_load"):
            assert getattr(ds, field).strip(), f"{key}: empty {field}"
        assert ds.homepage.startswith("https://"), key
        assert ds.files, key
        for f in ds.files:
            assert "/" not in f.name and "\\" not in f.name and f.name.strip() == f.name
            assert f.urls and all(u.startswith("https://") for u in f.urls), f"{key}: {f.urls}"
            assert f.size is None or (isinstance(f.size, int) and f.size > 0)
            assert f.sha256 is None or re.fullmatch(r"[0-9a-f]{64}", f.sha256), key
            assert f.checksum_source.strip(), f"{key}: no checksum source"
            if f.sha256 is None:  # an entry without a hash says so
                assert f.checksum_source.startswith("none"), key
            assert f.max_files > 0 and f.max_bytes > 0 and f.max_ratio >= 1


def test_registry_has_the_datasets_the_course_needs():
    names = set(fetch.REGISTRY)
    assert {"jsb_chorales", "nottingham", "musedata", "piano_midi", "maestro_v3_midi"} <= names
    assert any(n.startswith("lakh") for n in names)
    assert any(ds.kind == "audio" for ds in fetch.REGISTRY.values())
    maestro = fetch.REGISTRY["maestro_v3_midi"].files[0]
    assert maestro.sha256 and maestro.size == 58_416_533 and "midi" in maestro.name


def test_offline_message_of_a_real_entry_is_one_actionable_line(tmp_path):
    message = fetch.offline_message("jsb_chorales", tmp_path)
    assert "\n" not in message and message.startswith("offline: could not reach web.archive.org")
    assert "bundled corpus" in message and "python data_fetch.py import jsb_chorales <file>" in message
    assert str(tmp_path / "jsb_chorales" / "JSB Chorales.pickle") in message


def test_get_dataset_suggests_close_names_and_is_a_value_error():
    assert fetch.get_dataset("JSB-Chorales").name == "jsb_chorales"
    with pytest.raises(UnknownDatasetError, match="Did you mean jsb_chorales") as info:
        fetch.get_dataset("jsb")
    assert isinstance(info.value, ValueError) and isinstance(info.value, MgtutorError)


# --------------------------------------------------------------------------- downloads


def test_happy_path_verifies_and_leaves_only_the_file(server, tmp_path):
    out = fetch.download(server.url("ok", "data.bin"), tmp_path / "d" / "data.bin", sha256=SHA,
                         size=len(DATA), **FAST)
    assert out.read_bytes() == DATA
    assert hashlib.sha256(out.read_bytes()).hexdigest() == SHA
    assert only_files(tmp_path / "d") == ["data.bin"]
    # a second call finds it in place and does not download again
    fetch.download(server.url("ok", "data.bin"), out, sha256=SHA, size=len(DATA), **FAST)
    assert len(server.requests_for("ok", "data.bin")) == 1


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("tty,quiet,shown", [(True, False, True), (True, True, False), (False, False, False)])
def test_progress_bar_only_on_a_terminal_and_not_when_quiet(server, tmp_path, monkeypatch, tty, quiet, shown):
    import tqdm  # noqa: F401  (imported while TQDM_DISABLE=1 from conftest: the bar must follow the env at call time)

    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    err = FakeTerminal() if tty else io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    fetch.download(server.url("ok", "data.bin"), tmp_path / "data.bin", sha256=SHA, timeout=(1, 1),
                   quiet=quiet)
    assert ("data.bin" in err.getvalue() and "100" in err.getvalue()) == shown


def test_404_is_permanent_and_leaves_nothing(server, tmp_path):
    sleeps = []
    with pytest.raises(DownloadError, match="HTTP 404"):
        fetch.download(server.url("ok", "missing.bin"), tmp_path / "missing.bin", retries=3,
                       sleep=sleeps.append, **FAST)
    assert sleeps == [] and only_files(tmp_path) == []


def test_500_then_success_retries_with_backoff(server, tmp_path):
    server.set_fail_first(2)
    sleeps: list[float] = []
    out = fetch.download(server.url("flaky", "data.bin"), tmp_path / "data.bin", sha256=SHA, retries=3,
                         sleep=sleeps.append, **FAST)
    assert out.read_bytes() == DATA
    assert len(server.requests_for("flaky", "data.bin")) == 3
    assert sleeps == pytest.approx([0.01, 0.02])


def test_500_forever_gives_up_with_a_clear_message(server, tmp_path):
    server.set_fail_first(100)
    with pytest.raises(DownloadError, match=r"every mirror failed .*HTTP 500"):
        fetch.download(server.url("flaky", "data.bin"), tmp_path / "data.bin", sha256=SHA, retries=1, **FAST)
    assert only_files(tmp_path) == []


def test_slow_server_times_out_quickly(server, tmp_path):
    with pytest.raises(DownloadError, match=r"no (data|answer) .*0\.3 s"):  # the 0.3 s read timeout fired
        fetch.download(server.url("slow", "data.bin"), tmp_path / "data.bin", sha256=SHA, retries=1,
                       timeout=(1.0, 0.3), backoff=0.01, quiet=True)
    assert only_files(tmp_path) == []


def test_connection_cut_mid_file_is_resumed_with_range(server, tmp_path):
    out = fetch.download(server.url("cut", "data.bin"), tmp_path / "data.bin", sha256=SHA, retries=2, **FAST)
    assert out.read_bytes() == DATA
    half = len(DATA) // 2
    assert server.requests_for("cut", "data.bin") == [None, f"bytes={half}-"]


def test_interrupted_download_keeps_only_the_part_file_then_resumes(server, tmp_path):
    target = tmp_path / "data.bin"
    with pytest.raises(DownloadError, match="run again to resume"):
        fetch.download(server.url("cut", "data.bin"), target, sha256=SHA, retries=0, **FAST)
    assert not target.exists()
    assert only_files(tmp_path) == ["data.bin.part"]
    assert (tmp_path / "data.bin.part").stat().st_size == len(DATA) // 2
    fetch.download(server.url("cut", "data.bin"), target, sha256=SHA, retries=0, **FAST)
    assert target.read_bytes() == DATA and only_files(tmp_path) == ["data.bin"]


def test_server_without_range_support_restarts_from_zero(server, tmp_path):
    (tmp_path / "data.bin.part").write_bytes(DATA[:1000])
    out = fetch.download(server.url("norange", "data.bin"), tmp_path / "data.bin", sha256=SHA, **FAST)
    assert out.read_bytes() == DATA
    assert server.requests_for("norange", "data.bin") == ["bytes=1000-"]  # asked, got a 200, restarted


def test_stale_partial_file_is_discarded_after_a_failed_check(server, tmp_path):
    (tmp_path / "data.bin.part").write_bytes(b"\xff" * 1000)  # not the start of DATA
    out = fetch.download(server.url("ok", "data.bin"), tmp_path / "data.bin", sha256=SHA, **FAST)
    assert out.read_bytes() == DATA
    assert server.requests_for("ok", "data.bin") == ["bytes=1000-", None]


def test_partial_file_longer_than_the_resource_gets_416_then_restarts(server, tmp_path):
    (tmp_path / "data.bin.part").write_bytes(b"\x00" * (len(DATA) + 10))
    out = fetch.download(server.url("ok", "data.bin"), tmp_path / "data.bin", sha256=SHA, **FAST)
    assert out.read_bytes() == DATA
    assert server.requests_for("ok", "data.bin") == [f"bytes={len(DATA) + 10}-", None]


def test_wrong_sized_file_in_place_and_force_download_again(server, tmp_path):
    target = tmp_path / "data.bin"
    target.write_bytes(b"truncated")
    fetch.download(server.url("ok", "data.bin"), target, sha256=SHA, size=len(DATA), **FAST)
    assert target.read_bytes() == DATA
    fetch.download(server.url("ok", "data.bin"), target, sha256=SHA, size=len(DATA), force=True, **FAST)
    assert len(server.requests_for("ok", "data.bin")) == 2 and only_files(tmp_path) == ["data.bin"]


def test_checksum_mismatch_deletes_everything(server, tmp_path):
    wrong = hashlib.sha256(b"something else").hexdigest()
    with pytest.raises(ChecksumError, match="does not match") as info:
        fetch.download(server.url("ok", "data.bin"), tmp_path / "data.bin", sha256=wrong, **FAST)
    assert "deleted" in str(info.value)
    assert only_files(tmp_path) == []


def test_size_mismatch_is_caught_before_downloading(server, tmp_path):
    with pytest.raises(ChecksumError, match="server offers 102,400 bytes"):
        fetch.download(server.url("ok", "data.bin"), tmp_path / "data.bin", size=len(DATA) + 1, **FAST)
    assert only_files(tmp_path) == []


def test_unverified_download_warns_and_records_the_hash(server, tmp_path):
    with pytest.warns(UnverifiedDownloadWarning, match=SHA):
        out = fetch.download(server.url("ok", "data.bin"), tmp_path / "data.bin", **FAST)
    assert (tmp_path / "data.bin.sha256").read_text().split()[0] == SHA
    assert out.read_bytes() == DATA


def test_second_mirror_is_used_when_the_first_fails(server, tmp_path):
    urls = [server.url("ok", "gone.bin"), f"http://127.0.0.1:{closed_port()}/x", server.url("ok", "data.bin")]
    out = fetch.download(urls, tmp_path / "data.bin", sha256=SHA, **FAST)
    assert out.read_bytes() == DATA


def test_no_network_raises_offline_with_the_bundled_corpus_hint(tmp_path):
    url = f"http://127.0.0.1:{closed_port()}/data.bin"
    with pytest.raises(OfflineError, match="could not reach any mirror"):
        fetch.download(url, tmp_path / "data.bin", sha256=SHA, **FAST)
    ds = toy_dataset(url)
    with pytest.raises(OfflineError) as info:
        fetch.get(ds, tmp_path, **FAST)
    message = str(info.value)
    assert "\n" not in message and "bundled corpus" in message
    assert "data_fetch.py import toy" in message and "data_fetch.py verify toy" in message
    assert only_files(tmp_path) == []  # no file, and no empty dataset folder left for verify to trip on


def test_two_concurrent_fetches_do_not_corrupt_each_other(server, tmp_path):
    target, results, errors = tmp_path / "data.bin", [], []

    def worker():
        try:
            results.append(fetch.download(server.url("drip", "data.bin"), target, sha256=SHA, **FAST))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(15)
    assert errors == [] and len(results) == 2
    assert target.read_bytes() == DATA and only_files(tmp_path) == ["data.bin"]
    assert len(server.requests_for("drip", "data.bin")) == 1  # the second waited, then found it done


def test_two_processes_fetching_the_same_file_share_one_download(server, tmp_path):
    target = tmp_path / "data.bin"
    server.set_drip_pause(0.05)  # ~1.3 s of transfer, so the two processes overlap
    code = ("import sys; from mgtutor import fetch; "
            "fetch.download(sys.argv[1], sys.argv[2], sha256=sys.argv[3], quiet=True, timeout=(2, 5))")
    procs = [subprocess.Popen([sys.executable, "-c", code, server.url("drip", "data.bin"), str(target), SHA],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    outputs = [p.communicate(timeout=15) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert target.read_bytes() == DATA and only_files(tmp_path) == ["data.bin"]
    assert len(server.requests_for("drip", "data.bin")) == 1


def test_lock_held_elsewhere_times_out_with_a_message(server, tmp_path):
    target = tmp_path / "data.bin"
    with fetch._file_lock(target, 1.0):
        with pytest.raises(LockTimeoutError, match="another process is fetching data.bin"):
            fetch.download(server.url("ok", "data.bin"), target, sha256=SHA, lock_timeout=0.2, **FAST)
    assert only_files(tmp_path) == []


def test_no_url_and_bad_scheme_are_clear_errors(tmp_path):
    with pytest.raises(DownloadError, match="no URL given"):
        fetch.download([], tmp_path / "x")
    with pytest.raises(DownloadError, match="unsupported URL"):
        fetch.download("ftp://127.0.0.1/x", tmp_path / "x", **FAST)


# --------------------------------------------------------------------------- extraction


def make_tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]], mode: str = "w:gz") -> Path:
    with tarfile.open(path, mode) as tf:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tf.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def tar_member(name: str, kind: bytes = tarfile.REGTYPE, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mode = kind, linkname, 0o644
    return info


def make_zip(path: Path, members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def assert_nothing_extracted(tmp_path: Path, archive: Path) -> None:
    assert only_files(tmp_path) == [archive.name], "a temporary or target folder was left behind"


@pytest.mark.parametrize("suffix,mode", [(".tar.gz", "w:gz"), (".tar.bz2", "w:bz2"), (".tar.xz", "w:xz"),
                                         (".tar", "w")])
def test_tar_extracts_into_place(tmp_path, suffix, mode):
    archive = make_tar(tmp_path / f"a{suffix}", [(tar_member("pkg/x.txt"), b"hello"),
                                                 (tar_member("pkg/sub/y.bin"), DATA)], mode)
    out = fetch.extract_archive(archive, tmp_path / "out")
    assert (out / "pkg" / "x.txt").read_bytes() == b"hello"
    assert (out / "pkg" / "sub" / "y.bin").read_bytes() == DATA
    assert sorted(os.listdir(tmp_path)) == [archive.name, "out"]


def test_zip_extracts_into_place_and_refuses_an_existing_target(tmp_path):
    archive = make_zip(tmp_path / "a.zip", {"pkg/x.txt": b"hello", "pkg/y.bin": DATA})
    out = fetch.extract_archive(archive, tmp_path / "out")
    assert (out / "pkg" / "y.bin").read_bytes() == DATA
    with pytest.raises(ArchiveError, match="already exists; pass force=True"):
        fetch.extract_archive(archive, tmp_path / "out")
    fetch.extract_archive(archive, tmp_path / "out", force=True)
    assert sorted(os.listdir(tmp_path)) == ["a.zip", "out"]


@pytest.mark.parametrize("member,phrase", [
    (tar_member("/abs/evil.txt"), "absolute path"),
    (tar_member("../evil.txt"), "contains '..'"),
    (tar_member("pkg/../../evil.txt"), "contains '..'"),
    (tar_member("link", tarfile.SYMTYPE, "../../outside"), "outside the target folder"),
    (tar_member("link", tarfile.SYMTYPE, "/etc/passwd"), "outside the target folder"),
    (tar_member("hard", tarfile.LNKTYPE, "../outside"), "contains '..'|outside the target folder"),
    (tar_member("dev", tarfile.CHRTYPE), "device or FIFO"),
    (tar_member("fifo", tarfile.FIFOTYPE), "device or FIFO"),
])
def test_malicious_tar_members_are_rejected(tmp_path, member, phrase):
    data = b"x" if member.type == tarfile.REGTYPE else None
    archive = make_tar(tmp_path / "evil.tar.gz", [(tar_member("fine.txt"), b"ok"), (member, data)])
    with pytest.raises(UnsafeArchiveError, match=phrase) as info:
        fetch.extract_archive(archive, tmp_path / "out")
    assert "refusing to extract" in str(info.value) or "rejected" in str(info.value)
    assert_nothing_extracted(tmp_path, archive)
    assert not (tmp_path.parent / "evil.txt").exists()


def test_hardlink_to_a_member_that_is_not_there_fails_cleanly(tmp_path):
    archive = make_tar(tmp_path / "odd.tar", [(tar_member("hard", tarfile.LNKTYPE, "etc/passwd"), None)], "w")
    with pytest.raises(ArchiveError, match="extraction failed.*not found"):
        fetch.extract_archive(archive, tmp_path / "out")
    assert_nothing_extracted(tmp_path, archive)


@pytest.mark.parametrize("name,phrase", [("../evil.txt", "contains '..'"), ("/abs/evil.txt", "absolute path"),
                                         ("C:/evil.txt", "absolute path")])
def test_malicious_zip_names_are_rejected(tmp_path, name, phrase):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("fine.txt", b"ok")
        zf.writestr(zipfile.ZipInfo(name), b"evil")
    with pytest.raises(UnsafeArchiveError, match=phrase):
        fetch.extract_archive(archive, tmp_path / "out")
    assert_nothing_extracted(tmp_path, archive)


@pytest.mark.parametrize("mode,phrase", [(0o120777, "symbolic link"), (0o020644, "not a regular file")])
def test_zip_links_and_devices_are_rejected(tmp_path, mode, phrase):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        info = zipfile.ZipInfo("link")
        info.external_attr = mode << 16
        zf.writestr(info, b"/etc/passwd")
    with pytest.raises(UnsafeArchiveError, match=phrase):
        fetch.extract_archive(archive, tmp_path / "out")
    assert_nothing_extracted(tmp_path, archive)


def test_zip_bomb_is_rejected_by_ratio(tmp_path):
    archive = make_zip(tmp_path / "bomb.zip", {"zeros.bin": bytes(4 << 20)})
    assert archive.stat().st_size < 40_000  # 4 MiB of zeros squeeze to a few kB
    with pytest.raises(ArchiveError, match="zip bomb"):
        fetch.extract_archive(archive, tmp_path / "out", max_ratio=100)
    assert_nothing_extracted(tmp_path, archive)


def test_tar_bomb_is_rejected_by_ratio_without_extracting(tmp_path):
    archive = make_tar(tmp_path / "bomb.tar.gz", [(tar_member("zeros.bin"), bytes(4 << 20))])
    with pytest.raises(ArchiveError, match="compression ratio"):
        fetch.extract_archive(archive, tmp_path / "out", max_ratio=100)
    assert_nothing_extracted(tmp_path, archive)


@pytest.mark.parametrize("kind", ["zip", "tar"])
def test_too_many_files_and_too_many_bytes_are_rejected(tmp_path, kind):
    files = {f"f{i:03d}.txt": bytes([i]) * 50 for i in range(40)}
    if kind == "zip":
        archive = make_zip(tmp_path / "many.zip", files, zipfile.ZIP_STORED)
    else:
        archive = make_tar(tmp_path / "many.tar", [(tar_member(n), d) for n, d in files.items()], "w")
    with pytest.raises(ArchiveError, match="cap of 10 files"):
        fetch.extract_archive(archive, tmp_path / "out", max_files=10)
    assert_nothing_extracted(tmp_path, archive)
    with pytest.raises(ArchiveError, match="cap of 1,000 bytes"):
        fetch.extract_archive(archive, tmp_path / "out", max_bytes=1000)
    assert_nothing_extracted(tmp_path, archive)


def test_not_an_archive_and_corrupt_archives_are_clear_errors(tmp_path):
    plain = tmp_path / "notes.txt"
    plain.write_text("hi")
    with pytest.raises(ArchiveError, match="not a .zip or .tar"):
        fetch.extract_archive(plain, tmp_path / "out")
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 definitely not a zip")
    with pytest.raises(ArchiveError, match="not a readable zip"):
        fetch.extract_archive(broken, tmp_path / "out")
    broken_tar = tmp_path / "broken.tar.gz"
    broken_tar.write_bytes(b"\x1f\x8b garbage")
    with pytest.raises(ArchiveError, match="tar"):
        fetch.extract_archive(broken_tar, tmp_path / "out")
    assert sorted(os.listdir(tmp_path)) == ["broken.tar.gz", "broken.zip", "notes.txt"]


def test_corrupt_zip_member_and_unwritable_member_fail_cleanly(tmp_path):
    archive = make_zip(tmp_path / "crc.zip", {"a.bin": DATA}, zipfile.ZIP_STORED)
    raw = bytearray(archive.read_bytes())
    raw[100] ^= 0xFF  # inside the stored data: the CRC no longer matches
    archive.write_bytes(bytes(raw))
    with pytest.raises(ArchiveError, match="'a.bin' is corrupt"):
        fetch.extract_archive(archive, tmp_path / "out")
    clash = make_zip(tmp_path / "clash.zip", {"x": b"file", "x/y": b"under a file"})
    with pytest.raises(ArchiveError, match="could not write member 'x/y'"):
        fetch.extract_archive(clash, tmp_path / "out")
    assert sorted(os.listdir(tmp_path)) == ["clash.zip", "crc.zip"]


# --------------------------------------------------------------------------- datasets end to end


def toy_dataset(url: str, *, sha256: str | None = SHA, name: str = "data.bin", extract_to: str | None = None,
                size: int | None = None) -> Dataset:
    return Dataset(
        name="toy", title="Toy", files=(RemoteFile(name, (url,), size, sha256, "test", extract_to=extract_to),),
        approx_size="1 kB", licence="CC0", citation="none", homepage="https://example.org",
        used_for="tests", how_to_load="open()", licence_short="CC0",
    )


def test_get_downloads_verifies_extracts_and_verify_remove_work(server, tmp_path):
    archive = make_zip(tmp_path / "src.zip", {"toy/a.txt": b"a", "toy/b.bin": DATA})
    server.add("toy.zip", archive.read_bytes())
    ds = toy_dataset(server.url("ok", "toy.zip"), name="toy.zip", extract_to="toy-files",
                     sha256=hashlib.sha256(archive.read_bytes()).hexdigest(), size=archive.stat().st_size)
    dest = tmp_path / "dest"
    root = fetch.get(ds, dest, **FAST)
    assert root == dest / "toy" and fetch.is_fetched(ds, dest)
    assert (root / "toy-files" / "toy" / "b.bin").read_bytes() == DATA
    assert sorted(os.listdir(root)) == ["toy-files", "toy.zip"]
    assert [r.status for r in fetch.verify(ds, dest)] == ["ok"]
    fetch.get(ds, dest, **FAST)  # already there: nothing downloaded again
    assert len(server.requests_for("ok", "toy.zip")) == 1
    with open(root / "toy.zip", "r+b") as fh:  # flip one byte
        fh.seek(10)
        byte = fh.read(1)
        fh.seek(10)
        fh.write(bytes([byte[0] ^ 1]))
    assert [r.status for r in fetch.verify(ds, dest)] == ["mismatch"]
    assert fetch.remove(ds, dest) and not root.exists() and not fetch.remove(ds, dest)
    assert [r.status for r in fetch.verify(ds, dest)] == ["missing"]


def test_get_with_an_unsafe_archive_leaves_no_extracted_folder(server, tmp_path):
    archive = make_tar(tmp_path / "src.tar.gz", [(tar_member("../evil.txt"), b"x")])
    server.add("evil.tar.gz", archive.read_bytes())
    ds = toy_dataset(server.url("ok", "evil.tar.gz"), name="evil.tar.gz", extract_to="evil",
                     sha256=hashlib.sha256(archive.read_bytes()).hexdigest())
    with pytest.raises(UnsafeArchiveError, match="contains '..'"):
        fetch.get(ds, tmp_path / "dest", **FAST)
    assert only_files(tmp_path / "dest") == ["toy", "toy/evil.tar.gz"]
    assert not (tmp_path / "dest" / "evil.txt").exists()


def test_verify_of_an_unverified_file_uses_the_recorded_hash(server, tmp_path):
    ds = toy_dataset(server.url("ok", "data.bin"), sha256=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnverifiedDownloadWarning)
        root = fetch.get(ds, tmp_path, **FAST)
    [result] = fetch.verify(ds, tmp_path)
    assert result.status == "unverified" and "same as when fetched" in result.detail and result.good
    (root / "data.bin").write_bytes(DATA[::-1])
    [result] = fetch.verify(ds, tmp_path)
    assert result.status == "mismatch" and "changed since it was fetched" in result.detail


def test_import_file_checks_before_placing(tmp_path):
    ds = toy_dataset("https://example.invalid/data.bin", size=len(DATA))
    good, bad = tmp_path / "downloaded.bin", tmp_path / "other.bin"
    good.write_bytes(DATA)
    bad.write_bytes(DATA[:-1] + b"\x00")
    dest = tmp_path / "dest"
    with pytest.raises(ChecksumError, match="does not match"):
        fetch.import_file(ds, bad, dest)
    assert not dest.exists() and bad.read_bytes() == DATA[:-1] + b"\x00"  # no folder left, the file kept
    root = fetch.import_file(ds, good, dest)
    assert (root / "data.bin").read_bytes() == DATA and good.exists()
    with pytest.raises(fetch.FetchError, match="already exists"):
        fetch.import_file(ds, good, dest)
    with pytest.raises(FileNotFoundError, match="no such file"):
        fetch.import_file(ds, tmp_path / "nope.bin", dest)


@pytest.mark.parametrize("bad, phrase", [(DATA[:-1], "got 102,399 bytes, expected 102,400"),
                                         (DATA[:-1] + b"\x00", "does not match the expected")])
def test_failed_import_says_the_file_is_kept_and_leaves_no_folder(tmp_path, bad, phrase):
    ds = toy_dataset("https://example.invalid/data.bin", size=len(DATA))
    src = tmp_path / "downloaded.bin"
    src.write_bytes(bad)
    (tmp_path / "dest").mkdir()
    with pytest.raises(ChecksumError) as info:
        fetch.import_file(ds, src, tmp_path / "dest")
    message = str(info.value)
    assert phrase in message and str(src) in message
    assert "untouched" in message and "nothing was imported" in message
    assert not re.search(r"server|proxy|mirror|download was|was deleted", message)
    assert src.read_bytes() == bad and only_files(tmp_path / "dest") == []


def test_import_interrupted_while_copying_leaves_no_part_file_and_no_folder(tmp_path, monkeypatch):
    ds = toy_dataset("https://example.invalid/data.bin", size=len(DATA))
    src = tmp_path / "downloaded.bin"
    src.write_bytes(DATA)

    def copy_half(a, b):
        Path(b).write_bytes(Path(a).read_bytes()[:1000])
        raise KeyboardInterrupt

    monkeypatch.setattr(fetch.shutil, "copyfile", copy_half)
    with pytest.raises(KeyboardInterrupt):
        fetch.import_file(ds, src, tmp_path / "dest")
    assert not (tmp_path / "dest").exists() and src.read_bytes() == DATA


def fetched_toy_with_archive(tmp_path: Path) -> tuple[Dataset, Path]:
    """An unverified one-archive toy dataset imported into ``tmp_path/dest``, with a crash's leftovers beside it."""
    archive = make_zip(tmp_path / "toy.zip", {"a.txt": b"a", "sub/b.bin": DATA})
    ds = toy_dataset("https://example.invalid/toy.zip", name="toy.zip", extract_to="toy-files", sha256=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnverifiedDownloadWarning)
        root = fetch.import_file(ds, archive, tmp_path / "dest")
    (root / "toy.zip.part").write_bytes(b"partial")
    (root / ".toy.zip.lock").touch()
    (root / ".toy-files.lock").touch()
    (root / ".toy-files.extract-x1y2").mkdir()
    return ds, root


def test_remove_deletes_the_datasets_own_files_and_its_folder(tmp_path):
    ds, root = fetched_toy_with_archive(tmp_path)
    outside = tmp_path / "mine"
    outside.mkdir()
    (outside / "keep.txt").write_text("mine")
    (root / "toy-files" / "link").symlink_to(outside)  # a link inside the extracted folder is not followed
    assert set(os.listdir(root)) == {"toy.zip", "toy.zip.sha256", "toy.zip.part", ".toy.zip.lock", "toy-files",
                                     ".toy-files.lock", ".toy-files.extract-x1y2"}
    assert fetch.remove(ds, tmp_path / "dest") is True
    assert os.listdir(tmp_path / "dest") == [] and (outside / "keep.txt").read_text() == "mine"
    assert fetch.remove(ds, tmp_path / "dest") is False


def link_in_place_of_the_extracted_folder(root: Path, outside: Path) -> None:
    (root / "toy-files").rename(outside / "moved")
    (root / "toy-files").symlink_to(outside)


@pytest.mark.parametrize("make, named", [
    (lambda root, outside: (root / "diary.txt").write_text("my diary"), "diary.txt"),
    (lambda root, outside: (root / "notes").mkdir(), "notes/"),
    (lambda root, outside: (root / ".toy.zip.sha256").write_text("x"), ".toy.zip.sha256"),
    (link_in_place_of_the_extracted_folder, "toy-files"),
])
def test_remove_refuses_a_folder_holding_anything_else_and_deletes_nothing(tmp_path, make, named):
    ds, root = fetched_toy_with_archive(tmp_path)
    outside = tmp_path / "mine"
    outside.mkdir()
    (outside / "keep.txt").write_text("mine")
    make(root, outside)
    before = only_files(root)
    with pytest.raises(fetch.FetchError, match=re.escape(f"({named}); nothing was removed")):
        fetch.remove(ds, tmp_path / "dest")
    assert only_files(root) == before and (outside / "keep.txt").read_text() == "mine"


def test_remove_names_at_most_five_foreign_files(tmp_path):
    ds, root = fetched_toy_with_archive(tmp_path)
    for i in range(8):
        (root / f"mine{i}.txt").touch()
    with pytest.raises(fetch.FetchError, match=r"\(mine0.txt, mine1.txt, mine2.txt, mine3.txt, mine4.txt and 3 more\)"):
        fetch.remove(ds, tmp_path / "dest")
    assert (root / "toy.zip").is_file() and len(only_files(root)) > 8
