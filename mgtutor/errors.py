"""The course's exception types.

Every error the package raises on bad input is a subclass of :class:`MgtutorError` and of
the matching built-in (``ValueError`` mostly), so ``except ValueError`` keeps working while
``except mgtutor.MgtutorError`` catches only the course's own errors. Messages say what was
wrong, what was expected and how to fix it, and name the file when there is one.
"""

from __future__ import annotations


class MgtutorError(Exception):
    """Base class of every error raised by mgtutor."""


class ConfigError(MgtutorError, ValueError):
    """A setting (environment variable, argument) has a value the course does not accept."""


class DatasetError(MgtutorError, ValueError):
    """A dataset request or file is malformed (bad split fractions, a bad cache or pickle file, ...)."""


class CheckpointWarning(UserWarning):
    """A checkpoint could not be used (missing, checksum mismatch, unreadable); training resumes from the one
    before. The command line prints it as one line."""


class RunVersionWarning(UserWarning):
    """A run directory was made by another mgtutor version: a setting it names is unknown here and is ignored. The
    command line prints it as one line."""
