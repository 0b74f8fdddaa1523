"""Fixtures for every test: each test starts with no failed exercise attempts (the hint tier is per session), and
leaves the environment's mode as it found it (the notebook kernels started after it inherit this process's
environment: a test that drops ``MGTUTOR_MODE`` would run every later notebook in full mode). The run locks a test
leaves held (a run it prepared and left unfinished on purpose, as a killed process would) are let go after it."""

import os

import pytest

from mgtutor import checks, runs


@pytest.fixture(autouse=True)
def fresh_hint_tiers():
    checks.FAILURES.clear()
    yield
    checks.FAILURES.clear()


@pytest.fixture(autouse=True)
def mode_unchanged():
    before = os.environ.get("MGTUTOR_MODE")
    yield
    assert os.environ.get("MGTUTOR_MODE") == before, (
        f"the test changed MGTUTOR_MODE from {before!r} to {os.environ.get('MGTUTOR_MODE')!r}; use monkeypatch.setenv")


@pytest.fixture(autouse=True)
def run_locks_let_go():
    yield
    for path in list(runs._HELD):
        runs.RunDir(path).release()
