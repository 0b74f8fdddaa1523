"""``python -m mgtutor data …``: the dataset commands in-process, their exit codes, and the thin ``data_fetch.py``.

Downloads go to a loopback server on 127.0.0.1 through a temporary registry entry; nothing
leaves this machine.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import random
import re
from pathlib import Path

import pytest
from http_fixtures import LoopbackServer, closed_port

from mgtutor import cli, fetch
from mgtutor.fetch import Dataset, RemoteFile

pytestmark = pytest.mark.timeout(30)

ROOT = Path(__file__).resolve().parent.parent
DATA = random.Random(2).randbytes(20_000)
SHA = hashlib.sha256(DATA).hexdigest()


def data(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(["data", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def load_script():
    spec = importlib.util.spec_from_file_location("data_fetch", ROOT / "data_fetch.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture()
def server():
    with LoopbackServer(lifetime=30) as srv:
        srv.add("data.bin", DATA)
        yield srv


def register(monkeypatch, url: str, sha256: str | None = SHA) -> None:
    ds = Dataset(
        name="toy", title="Toy set", files=(RemoteFile("data.bin", (url,), None, sha256, "test"),),
        approx_size="20 kB", licence="CC0 1.0", citation="none", homepage="https://example.org",
        used_for="tests", how_to_load="open()", licence_short="CC0",
    )
    monkeypatch.setitem(fetch.REGISTRY, "toy", ds)


def test_list_and_info(capsys, tmp_path):
    code, out, err = data(capsys, "list", "--dest", str(tmp_path))
    assert (code, err) == (0, "")
    assert all(re.search(rf"^{name} ", out, re.M) for name in fetch.REGISTRY) and str(tmp_path) in out
    code, out, err = data(capsys, "info", "jsb_chorales")
    entry = fetch.REGISTRY["jsb_chorales"].files[0]
    assert (code, err) == (0, "") and entry.urls[0] in out and "how to load:" in out


def test_get_verify_path_remove_round_trip(capsys, monkeypatch, server, tmp_path):
    register(monkeypatch, server.url("ok", "data.bin"))
    code, out, err = data(capsys, "--dest", str(tmp_path), "get", "toy")  # options before the command
    assert (code, err) == (0, "") and "toy: ready in" in out
    assert (tmp_path / "toy" / "data.bin").read_bytes() == DATA
    code, out, _ = data(capsys, "verify", "--dest", str(tmp_path))  # ... and after it
    assert code == 0 and "toy/data.bin: ok" in out
    code, out, _ = data(capsys, "path", "toy", "--dest", str(tmp_path))
    assert code == 0 and out.strip() == str(tmp_path / "toy")
    (tmp_path / "toy" / "data.bin").write_bytes(b"tampered")
    code, out, _ = data(capsys, "verify", "toy", "--dest", str(tmp_path), "--quiet")
    assert code == cli.EXIT_VERIFY == 1 and "mismatch" in out
    code, out, _ = data(capsys, "remove", "toy", "--dest", str(tmp_path))
    assert code == 0 and f"removed {tmp_path / 'toy'}" in out and not (tmp_path / "toy").exists()


def test_path_of_a_dataset_not_fetched_exits_1_with_a_hint(capsys, tmp_path):
    code, out, err = data(capsys, "path", "jsb_chorales", "--dest", str(tmp_path))
    assert code == 1 and out.strip() == str(tmp_path / "jsb_chorales")
    assert err == ("mgtutor: error: jsb_chorales is not fetched yet; "
                   "run `python -m mgtutor data get jsb_chorales`\n")


def test_unknown_name_is_one_line_and_exit_2(capsys, tmp_path):
    code, out, err = data(capsys, "get", "jsb_chorale", "--dest", str(tmp_path))
    assert code == cli.EXIT_USAGE == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("mgtutor: error: no dataset called 'jsb_chorale'")
    assert list(tmp_path.iterdir()) == []


def test_bad_sub_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["data", "frobnicate"])
    assert info.value.code == 2 and "mgtutor data: error:" in capsys.readouterr().err


def test_offline_exits_4(capsys, monkeypatch, tmp_path):
    register(monkeypatch, f"http://127.0.0.1:{closed_port()}/data.bin")
    code, out, err = data(capsys, "get", "toy", "--dest", str(tmp_path), "--quiet")
    assert code == cli.EXIT_OFFLINE == 4 and out == ""
    assert err.count("\n") == 1 and err.startswith("mgtutor: offline:") and "bundled corpus" in err


def test_checksum_mismatch_exits_5(capsys, monkeypatch, server, tmp_path):
    register(monkeypatch, server.url("ok", "data.bin"), sha256="0" * 64)
    code, _, err = data(capsys, "get", "toy", "--dest", str(tmp_path))
    assert code == cli.EXIT_CHECKSUM == 5 and err.count("\n") == 1 and err.startswith("mgtutor: error:")
    assert "does not match" in err and not (tmp_path / "toy").exists()


def test_unverified_download_warns_in_one_line(capsys, monkeypatch, server, tmp_path):
    register(monkeypatch, server.url("ok", "data.bin"), sha256=None)
    code, _, err = data(capsys, "get", "toy", "--dest", str(tmp_path), "--quiet")
    assert code == 0 and err.startswith("mgtutor: warning: data.bin: no published checksum") and SHA in err


@pytest.mark.parametrize("front", ["mgtutor", "data_fetch"])
def test_ctrl_c_mid_download_keeps_the_part_file_and_the_next_run_resumes_it(capsys, monkeypatch, server, tmp_path,
                                                                             front):
    """Ctrl-C while the download waits for its third block: exit 130 with one line, the two blocks received kept in
    data.bin.part, and the next run asks only for the rest and ends with the published SHA-256."""
    import http.client

    register(monkeypatch, server.url("ok", "data.bin"))
    block = 4096
    monkeypatch.setattr(fetch, "CHUNK", block)
    read, reads = http.client.HTTPResponse.read, []

    def read_until_ctrl_c(self, amt=None):
        reads.append(amt)
        if len(reads) == 3:
            raise KeyboardInterrupt  # what Python raises in the main thread when SIGINT arrives during a read
        return read(self, amt)

    monkeypatch.setattr(http.client.HTTPResponse, "read", read_until_ctrl_c)
    argv = ["get", "toy", "--dest", str(tmp_path)]
    main = cli.main if front == "mgtutor" else load_script().main
    code = main(["data", *argv] if front == "mgtutor" else argv)
    out, err = capsys.readouterr()
    assert code == cli.EXIT_INTERRUPTED == 130 and out == ""
    assert err == f"{front}: interrupted; a partial download is kept and resumed next time\n"
    folder = tmp_path / "toy"
    assert not (folder / "data.bin").exists()
    assert (folder / "data.bin.part").read_bytes() == DATA[:2 * block]

    monkeypatch.setattr(http.client.HTTPResponse, "read", read)
    code = main(["data", *argv] if front == "mgtutor" else argv)
    assert code == 0, capsys.readouterr().err
    assert server.requests_for("ok", "data.bin") == [None, f"bytes={2 * block}-"]
    assert hashlib.sha256((folder / "data.bin").read_bytes()).hexdigest() == SHA
    assert not (folder / "data.bin.part").exists()


def test_every_exception_maps_to_its_documented_code():
    cases = {fetch.UnknownDatasetError: 2, fetch.DownloadError: 3, fetch.OfflineError: 4, fetch.ChecksumError: 5,
             fetch.ArchiveError: 6, fetch.UnsafeArchiveError: 6, fetch.LockTimeoutError: 7, fetch.FetchError: 2,
             FileNotFoundError: 2}
    for exc, expected in cases.items():
        assert next(code for cls, code in cli._DATA_ERROR_CODES if issubclass(exc, cls)) == expected, exc


def test_help_lists_data_and_its_exit_codes(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["--help"])
    assert info.value.code == 0 and re.search(r"^\s+data\s+fetch, verify", capsys.readouterr().out, re.M)
    with pytest.raises(SystemExit):
        cli.main(["data", "--help"])
    out = capsys.readouterr().out
    for code, text in cli.DATA_EXIT_CODES:
        assert re.search(rf"^  {code}\s+{re.escape(text)}$", out, re.M), code


def test_data_fetch_docstring_lists_the_same_exit_codes():
    doc = load_script().__doc__
    for code, text in cli.DATA_EXIT_CODES:
        assert re.search(rf"^    {code}\s+{re.escape(text)}$", doc.replace("``", ""), re.M), code


def test_fetch_holds_no_command_line_code():
    tree = ast.parse((ROOT / "mgtutor" / "fetch.py").read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {(node.module or "").split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert "argparse" not in imported and "mgtutor.cli" not in (ROOT / "mgtutor" / "fetch.py").read_text()


def test_remove_keeps_a_users_folder_and_names_the_files(capsys, monkeypatch, tmp_path):
    register(monkeypatch, "https://example.invalid/data.bin")
    diary = tmp_path / "userhome" / "toy" / "diary.txt"
    diary.parent.mkdir(parents=True)
    diary.write_text("my diary")
    code, out, err = data(capsys, "remove", "toy", "--dest", str(tmp_path / "userhome"))
    assert code == cli.EXIT_USAGE and out == "" and err.count("\n") == 1 and err.startswith("mgtutor: error:")
    assert "(diary.txt); nothing was removed" in err and diary.read_text() == "my diary"


@pytest.mark.parametrize("kind", ["symlink", "file"])
def test_remove_of_a_link_or_a_file_in_place_of_the_folder_is_one_line_and_touches_nothing(
        capsys, monkeypatch, tmp_path, kind):
    register(monkeypatch, "https://example.invalid/data.bin")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "data.bin").write_bytes(DATA)
    root = tmp_path / "dest" / "toy"
    root.parent.mkdir()
    if kind == "symlink":
        root.symlink_to(mine)
    else:
        root.write_text("a file")
    code, out, err = data(capsys, "remove", "toy", "--dest", str(tmp_path / "dest"))
    assert code == cli.EXIT_USAGE and out == "" and err.count("\n") == 1
    assert err.startswith(f"mgtutor: error: {root} is a {'symbolic link' if kind == 'symlink' else 'file'}")
    assert (mine / "data.bin").read_bytes() == DATA
    assert root.is_symlink() if kind == "symlink" else root.read_text() == "a file"


def test_failed_import_leaves_no_folder_so_verify_stays_clean(capsys, monkeypatch, tmp_path):
    register(monkeypatch, "https://example.invalid/data.bin")
    bad = tmp_path / "in" / "data.bin"
    bad.parent.mkdir()
    bad.write_bytes(DATA[::-1])
    dest = tmp_path / "dest"
    dest.mkdir()
    code, _, err = data(capsys, "import", "toy", str(bad), "--dest", str(dest))
    assert code == cli.EXIT_CHECKSUM and err.count("\n") == 1 and "nothing was imported" in err
    assert "mirror" not in err and "server" not in err and bad.read_bytes() == DATA[::-1]
    assert list(dest.iterdir()) == []
    code, out, _ = data(capsys, "verify", "--dest", str(dest))
    assert code == cli.EXIT_OK and "nothing fetched" in out


@pytest.mark.parametrize("command", ["import", "get"])
@pytest.mark.parametrize("blocked", ["dest", "dest/toy"])
def test_a_file_in_the_way_of_the_dataset_folder_is_one_line_and_exit_2(capsys, monkeypatch, tmp_path, command,
                                                                         blocked):
    register(monkeypatch, f"http://127.0.0.1:{closed_port()}/data.bin")
    src = tmp_path / "data.bin"
    src.write_bytes(DATA)
    in_the_way = tmp_path / blocked
    in_the_way.parent.mkdir(exist_ok=True)
    in_the_way.write_text("mine")
    args = ["toy", str(src)] if command == "import" else ["toy"]
    code, out, err = data(capsys, command, *args, "--dest", str(tmp_path / "dest"))
    assert code == cli.EXIT_USAGE and err.count("\n") == 1
    assert err.startswith(f"mgtutor: error: {in_the_way} is a file, not a folder")
    assert in_the_way.read_text() == "mine" and src.read_bytes() == DATA
