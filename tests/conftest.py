"""Fixtures for every test: each test starts with no failed exercise attempts (the hint tier is per session)."""

import pytest

from mgtutor import checks


@pytest.fixture(autouse=True)
def fresh_hint_tiers():
    checks.FAILURES.clear()
    yield
    checks.FAILURES.clear()
