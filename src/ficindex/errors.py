"""Errors ficindex reports to a user as one line, each with its exit code (SPEC section 1).

Library code raises these; the CLI turns them into ``Error: ...`` on stderr and
the exit code, never a traceback.
"""

from __future__ import annotations


class FicindexError(Exception):
    """Base class: a problem to report in one line. ``exit_code`` follows the SPEC."""

    exit_code = 2


class BadInput(FicindexError):
    """Usage or bad input: a malformed URL, an unreadable file, a broken FTS query (exit 2)."""


class ParseError(BadInput):
    """A page that cannot be read at all (binary junk, undecodable bytes)."""


class CannotStart(FicindexError):
    """The run could not start, for example the index is locked by another writer (exit 3)."""

    exit_code = 3
