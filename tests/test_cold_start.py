"""Every pytest session (the nbval run of the notebooks included) starts cold: the root conftest.py points music21's
scratch folder and the course cache at new, empty folders, which the notebook kernels inherit.

References: music21's own report of its scratch folder, in a fresh process as a kernel would be.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from mgtutor import config


def _session() -> Path:
    return Path(os.environ["MGTUTOR_TEST_SESSION_DIR"])


def test_the_session_folders_are_new_temporary_folders():
    session = _session()
    assert session.is_dir() and session.name.startswith("mgtutor-tests-")
    assert Path(os.environ["TMPDIR"]) == session / "tmp" and Path(tempfile.gettempdir()) == session / "tmp"
    assert config.cache_dir() == session / "cache"
    assert config.cache_dir() != Path.home() / ".cache" / "mgtutor" / "cache"
    start = float(os.environ["MGTUTOR_TEST_SESSION_START"])
    assert session.stat().st_mtime >= start - 5  # made by this session, not left from an earlier one
    for folder in (session / "cache", session / "tmp" / "music21"):  # nothing in them predates the session
        assert all(f.stat().st_mtime >= start - 1 for f in folder.rglob("*")) if folder.exists() else True


def test_music21_in_a_new_process_uses_the_session_scratch_folder():
    code = ("from music21 import environment; from mgtutor import config; "
            "print(environment.Environment().getRootTempDir()); print(config.cache_dir())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    scratch, cache = (Path(line) for line in out.stdout.split())
    assert scratch == _session() / "tmp" / "music21"
    assert cache == _session() / "cache"
