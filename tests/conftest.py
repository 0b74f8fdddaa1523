"""Fixtures for every test: each test starts with no failed exercise attempts (the hint tier is per session), and
leaves the environment's mode as it found it (the notebook kernels started after it inherit this process's
environment: a test that drops ``MGTUTOR_MODE`` would run every later notebook in full mode)."""

import os

import pytest

from mgtutor import checks


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
