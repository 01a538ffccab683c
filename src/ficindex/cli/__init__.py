"""The ``ficindex`` program: its entry point, its stop signals and its one-line errors.

The click command group lives in :mod:`ficindex.cli.group` (``ficindex.cli.cli``
names it too); each command in its own module under ``ficindex.cli``. Errors
raised as :class:`ficindex.errors.FicindexError` become one line on stderr and
the SPEC's exit code; nothing reaches the user as a traceback.

:func:`main` first offers the command line to :mod:`ficindex.cli.fast`, which
runs the common forms of ``search`` and ``query`` without importing click
(30 ms of a 35 ms search); anything it does not read goes to the click group.
This module imports nothing heavy, so that start stays cheap.

Ctrl-C (or SIGTERM) is the SPEC's exit 130 with one line wherever it lands: while
the program is still importing (the handler below is installed before anything
heavy is imported), while a command opens its index or reads robots.txt, or
later in a command that does not handle it itself (``crawl`` and ``refresh``
finish the works in hand first). Click's own answer, "Aborted!" with exit 1,
would read as "finished, some items failed".
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import signal
    from types import FrameType
    from typing import Any
else:  # the C module under :mod:`signal`: the same functions without building its three enums
    import _signal as signal  # (0.7 ms of a 30 ms search)

#: Exit code of a command stopped by Ctrl-C or SIGTERM (the shell's convention for SIGINT).
EXIT_INTERRUPTED = 130
#: The one line a command stopped by Ctrl-C or SIGTERM leaves on stderr.
INTERRUPTED = "Interrupted: run the same command again to continue"
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _stop_while_starting(signum: int, frame: FrameType | None) -> None:
    """Ctrl-C while the program imports or parses its arguments: nothing to unwind yet."""
    sys.stderr.write(INTERRUPTED + "\n")
    sys.stderr.flush()
    raise SystemExit(EXIT_INTERRUPTED)


def running_as_program() -> bool:
    """Whether this process is the ``ficindex`` program (not a library importing the CLI)."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and spec.name == "ficindex.__main__":
        return True
    return bool(sys.argv) and os.path.splitext(os.path.basename(sys.argv[0]))[0] == "ficindex"


if running_as_program():  # before importing click, so an early Ctrl-C is covered too
    for _sig in _STOP_SIGNALS:
        signal.signal(_sig, _stop_while_starting)

import sqlite3  # noqa: E402

from ficindex.errors import FicindexError  # noqa: E402

__all__ = [
    "COMMANDS",
    "EXIT_INTERRUPTED",
    "FORCE_CLICK",
    "INTERRUPTED",
    "FicindexGroup",
    "cli",
    "main",
]


#: Set (to anything) to send every command line to click (the tests compare both readings).
FORCE_CLICK = "FICINDEX_CLICK"


def main() -> None:
    """The ``ficindex`` program: the fast start when it reads the command line, else click.

    ``ficindex --version`` (or ``-V``) alone is answered first, from the version written in
    :mod:`ficindex`: neither click nor package metadata is needed for it.
    """
    if sys.argv[1:] in (["--version"], ["-V"]) and FORCE_CLICK not in os.environ:
        from ficindex import __version__

        sys.stdout.write(f"ficindex, version {__version__}\n")
        sys.exit(0)
    from ficindex.cli.fast import leave, run

    code = run(sys.argv[1:])
    if code is not None:
        leave(code)
    from ficindex.cli.group import cli

    cli()


def __getattr__(name: str) -> Any:
    """The click group and its parts, imported (with click) on first use."""
    if name in ("COMMANDS", "FicindexGroup", "cli", "show_envvars"):
        from ficindex.cli import group

        return getattr(group, name)
    raise AttributeError(f"module 'ficindex.cli' has no attribute {name!r}")


def raise_on_stop_signals() -> None:
    """From here on Ctrl-C and SIGTERM raise KeyboardInterrupt, so that open files, locks and
    transactions unwind; the command turns it into one line and exit 130.

    Only replaces the start-up handler: a program that imports the CLI keeps its own handlers.
    """
    for sig in _STOP_SIGNALS:
        if signal.getsignal(sig) is _stop_while_starting:
            signal.signal(sig, signal.default_int_handler)


def failure(exc: BaseException) -> tuple[str, int] | None:
    """The one ``Error:`` line (without the prefix) and exit code of ``exc``; None when
    ``exc`` is no failure the user can act on (a bug: the caller reports it as one)."""
    if isinstance(exc, FicindexError):
        return str(exc), exc.exit_code
    if isinstance(exc, sqlite3.DatabaseError):
        return _describe_sqlite_error(exc), 2
    if isinstance(exc, OSError) and not isinstance(exc, BrokenPipeError):
        return f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), 2
    return None


def internal_error(exc: Exception) -> str:
    """The line for an unexpected exception (re-raised instead under ``FICINDEX_DEBUG``)."""
    if os.environ.get("FICINDEX_DEBUG"):
        raise exc
    return (
        f"internal error: {type(exc).__name__}: {exc} "
        "(rerun with FICINDEX_DEBUG=1 for the traceback, and please report it)"
    )


def _describe_sqlite_error(exc: sqlite3.DatabaseError) -> str:
    text = str(exc)
    if "file is not a database" in text or "malformed" in text:
        return f"{text}: the index file is not a ficindex SQLite database (or it is corrupt)"
    if "locked" in text or "busy" in text:
        return f"{text}: another process is writing the index; wait for it and try again"
    if "readonly" in text:
        return f"{text}: the index is read-only; copy it somewhere writable or fix its permissions"
    if "disk I/O error" in text or "disk is full" in text:
        return f"{text}: the disk may be full; free some space and run the command again"
    return text
