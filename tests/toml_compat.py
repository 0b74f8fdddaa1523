"""TOML reading on every Python the course admits (``requires-python = ">=3.10"``): the standard library's
``tomllib`` from Python 3.11, before that the ``tomli`` package it was taken from (the same API; pyproject's [test]
extra installs it there), so no test that reads pyproject.toml is skipped on Python 3.10."""

import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover (Python 3.10)
    import tomli as tomllib

__all__ = ["tomllib"]
