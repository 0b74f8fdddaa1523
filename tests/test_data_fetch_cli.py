"""Tests for the command line ``python data_fetch.py``: output, one-line errors, exit codes.

Downloads go to a loopback server on 127.0.0.1 (threaded, time-bounded, self-stopping) through
a temporary registry entry; nothing leaves this machine.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import random
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from http_fixtures import LoopbackServer, closed_port

from mgtutor import fetch
from mgtutor.fetch import Dataset, RemoteFile

pytestmark = pytest.mark.timeout(30)

ROOT = Path(__file__).resolve().parent.parent
DATA = random.Random(1).randbytes(50_000)
SHA = hashlib.sha256(DATA).hexdigest()


def load_cli():
    spec = importlib.util.spec_from_file_location("data_fetch", ROOT / "data_fetch.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


cli = load_cli()


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture()
def server():
    with LoopbackServer(lifetime=30) as srv:
        srv.add("data.bin", DATA)
        yield srv


def register(monkeypatch, url: str, sha256: str | None = SHA, name: str = "data.bin",
             extract_to: str | None = None) -> None:
    ds = Dataset(
        name="toy", title="Toy set", files=(RemoteFile(name, (url,), None, sha256, "test", extract_to=extract_to),),
        approx_size="50 kB", licence="CC0 1.0", citation="none", homepage="https://example.org",
        used_for="tests", how_to_load="open()", licence_short="CC0",
    )
    monkeypatch.setitem(fetch.REGISTRY, "toy", ds)


def test_list_shows_every_entry_with_its_licence(capsys, tmp_path):
    code, out, err = run(capsys, "list", "--dest", str(tmp_path))
    assert code == 0 and err == ""
    for ds in fetch.REGISTRY.values():
        line = next(line for line in out.splitlines() if line.startswith(ds.name + " "))
        assert ds.licence_short in line
    assert "CC BY-NC-SA 4.0" in out and str(tmp_path) in out


def test_info_shows_urls_checksum_and_its_source(capsys):
    code, out, _ = run(capsys, "info", "maestro_v3_midi")
    assert code == 0
    entry = fetch.REGISTRY["maestro_v3_midi"].files[0]
    assert entry.sha256 in out and entry.urls[0] in out and "source:" in out and "how to load:" in out
    code, out, _ = run(capsys, "info", "nsynth_test")
    assert code == 0 and "sha256:    none published" in out


def test_unknown_name_is_one_line_and_exit_2(capsys, tmp_path):
    code, out, err = run(capsys, "--dest", str(tmp_path), "get", "jsb_chorale")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("data_fetch: error: no dataset called 'jsb_chorale'")
    assert "Did you mean jsb_chorales" in err
    assert list(tmp_path.iterdir()) == []


def test_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["frobnicate"])
    assert info.value.code == 2
    capsys.readouterr()


def test_get_verify_path_remove_round_trip(capsys, monkeypatch, server, tmp_path):
    register(monkeypatch, server.url("ok", "data.bin"))
    code, out, err = run(capsys, "get", "toy", "--dest", str(tmp_path))
    assert (code, err) == (0, "") and "toy: ready in" in out
    assert (tmp_path / "toy" / "data.bin").read_bytes() == DATA
    code, out, _ = run(capsys, "--dest", str(tmp_path), "verify")
    assert code == 0 and "toy/data.bin: ok" in out
    code, out, _ = run(capsys, "path", "toy", "--dest", str(tmp_path))
    assert code == 0 and out.strip() == str(tmp_path / "toy")
    (tmp_path / "toy" / "data.bin").write_bytes(b"tampered")
    code, out, _ = run(capsys, "verify", "toy", "--dest", str(tmp_path))
    assert code == 1 and "mismatch" in out
    code, out, _ = run(capsys, "remove", "toy", "--dest", str(tmp_path))
    assert code == 0 and not (tmp_path / "toy").exists()
    code, out, err = run(capsys, "path", "toy", "--dest", str(tmp_path))
    assert code == 1 and "not fetched yet" in err


def test_offline_get_is_one_line_exit_4_and_points_to_the_bundled_corpus(capsys, monkeypatch, tmp_path):
    register(monkeypatch, f"http://127.0.0.1:{closed_port()}/data.bin")
    code, out, err = run(capsys, "get", "toy", "--dest", str(tmp_path), "--quiet")
    assert code == 4 and out == ""
    assert err.count("\n") == 1 and err.startswith("data_fetch: offline:")
    assert "bundled corpus" in err and "data_fetch.py import toy" in err
    assert not (tmp_path / "toy" / "data.bin").exists()


def test_http_404_exits_3(capsys, monkeypatch, server, tmp_path):
    register(monkeypatch, server.url("ok", "absent.bin"))
    code, _, err = run(capsys, "get", "toy", "--dest", str(tmp_path))
    assert code == 3 and "HTTP 404" in err and err.count("\n") == 1
    assert not (tmp_path / "toy" / "data.bin").exists()


def test_checksum_mismatch_exits_5_and_leaves_no_file(capsys, monkeypatch, server, tmp_path):
    register(monkeypatch, server.url("ok", "data.bin"), sha256="0" * 64)
    code, _, err = run(capsys, "get", "toy", "--dest", str(tmp_path))
    assert code == 5 and "does not match" in err and err.count("\n") == 1
    assert not (tmp_path / "toy").exists()


def test_unsafe_archive_exits_6(capsys, monkeypatch, server, tmp_path):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        info = tarfile.TarInfo("../escape.txt")
        info.size = 1
        tf.addfile(info, io.BytesIO(b"x"))
    server.add("evil.tar.gz", buf.getvalue())
    register(monkeypatch, server.url("ok", "evil.tar.gz"), sha256=hashlib.sha256(buf.getvalue()).hexdigest(),
             name="evil.tar.gz", extract_to="evil")
    code, _, err = run(capsys, "get", "toy", "--dest", str(tmp_path))
    assert code == 6 and "contains '..'" in err
    assert not (tmp_path / "toy" / "evil").exists() and not (tmp_path / "escape.txt").exists()


def test_unverified_get_warns_on_stderr_and_import_works(capsys, monkeypatch, server, tmp_path):
    register(monkeypatch, server.url("ok", "data.bin"), sha256=None)
    code, _, err = run(capsys, "get", "toy", "--dest", str(tmp_path))
    assert code == 0 and "warning: data.bin: no published checksum" in err and SHA in err
    register(monkeypatch, "https://example.invalid/data.bin")
    hand = tmp_path / "by-hand.bin"
    hand.write_bytes(DATA)
    code, out, _ = run(capsys, "import", "toy", str(hand), "--dest", str(tmp_path / "other"))
    assert code == 0 and (tmp_path / "other" / "toy" / "data.bin").read_bytes() == DATA


def test_busy_lock_exits_7(capsys, monkeypatch, server, tmp_path):
    register(monkeypatch, server.url("ok", "data.bin"))
    (tmp_path / "toy").mkdir()
    with fetch._file_lock(tmp_path / "toy" / "data.bin", 1.0):
        code, _, err = run(capsys, "get", "toy", "--dest", str(tmp_path), "--wait", "0.2")
    assert code == 7 and "another process is fetching data.bin" in err
    assert server.requests_for("ok", "data.bin") == []


def test_exit_codes_are_documented():
    for code, phrase in ((0, "success"), (1, "``verify``"), (2, "usage"), (3, "download failed"),
                         (4, "offline"), (5, "checksum"), (6, "unsafe archive"), (7, "another process"),
                         (130, "interrupted")):
        assert re.search(rf"^    {code}\s+{re.escape(phrase)}", cli.__doc__, re.M), code


def test_script_runs_as_a_program(tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "data_fetch.py"), "--dest", str(tmp_path), "list"],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 0 and proc.stderr == ""
    assert "jsb_chorales" in proc.stdout and "CC BY 4.0" in proc.stdout
