"""The course's exception types.

Every error the package raises on bad input is a subclass of :class:`MgtutorError` and of
the matching built-in (``ValueError`` mostly), so ``except ValueError`` keeps working while
``except mgtutor.MgtutorError`` catches only the course's own errors. Messages say what was
wrong, what was expected and how to fix it, and name the file when there is one: file names
through :func:`display_path` and bad values through :func:`short_repr`, so every message stays one
short line whatever the file holds.
"""

from __future__ import annotations

import os
import reprlib
import unicodedata

SHORT_REPR_CHARS = 80
"""Longest value :func:`short_repr` shows in a message."""
_UNSAFE = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})  # Unicode categories display_path escapes


class MgtutorError(Exception):
    """Base class of every error raised by mgtutor."""


class ConfigError(MgtutorError, ValueError):
    """A setting (environment variable, argument) has a value the course does not accept."""


class DatasetError(MgtutorError, ValueError):
    """A dataset request or file is malformed (bad split fractions, a bad cache or pickle file, ...)."""


class GenerationError(MgtutorError, ValueError):
    """A sampling or generation setting is out of range, or a model cannot be generated from."""


class TrainError(MgtutorError, ValueError):
    """A training setting or corpus cannot be used (the message says which and how to fix it)."""


class DistributeError(MgtutorError, ValueError):
    """A distribution setting that cannot work (the message says which and how to fix it)."""


class MetricError(MgtutorError, ValueError):
    """Arrays a metric cannot score (shapes that do not match, nothing to score)."""


class CheckpointWarning(UserWarning):
    """A checkpoint could not be used (missing, checksum mismatch, unreadable); training resumes from the one
    before. The command line prints it as one line."""


class RunVersionWarning(UserWarning):
    """A run directory was made by another mgtutor version: a setting it names is unknown here and is ignored. The
    command line prints it as one line."""


def display_path(path: str | os.PathLike) -> str:
    """A file name as a message can print it on one line: control characters escaped as in ``repr``.

    Rule: every character of Unicode category Cc (``\\n``, ``\\t``, the ESC of terminal colour codes), Cf
    (invisible format characters such as right-to-left overrides), Zl, Zp (line and paragraph separators) or
    Cs (the lone surrogates that stand for undecodable bytes) becomes its ``\\n``/``\\x1b``/``\\u202e``
    escape; everything else, spaces and accents included, is kept.
    """
    text = os.fspath(path)
    text = text if isinstance(text, str) else os.fsdecode(text)
    return "".join(c.encode("unicode_escape").decode("ascii") if unicodedata.category(c) in _UNSAFE else c
                   for c in text)


class _ShortRepr(reprlib.Repr):
    """``reprlib`` limits, plus byte strings cut before they are repr'd (``reprlib`` repr's them whole)."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel = 2
        self.maxstring = self.maxother = self.maxlong = SHORT_REPR_CHARS

    def repr_bytes(self, x, level):
        return self.repr_str(x, level)

    repr_bytearray = repr_bytes


def short_repr(value) -> str:
    """``repr(value)`` in at most :data:`SHORT_REPR_CHARS` characters, for an error message about a bad value.

    Safe on what a malformed file can hold: a 20 MB string, a list nested 100,000 deep (only two levels are
    shown) or an integer too long to print (shown by its type).
    """
    try:
        text = _ShortRepr().repr(value)
    except (ValueError, RecursionError):  # an int beyond sys.get_int_max_str_digits(), a deep custom object
        text = f"<{type(value).__name__}>"
    return text if len(text) <= SHORT_REPR_CHARS else text[:SHORT_REPR_CHARS - 3] + "..."
