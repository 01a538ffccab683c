"""The ``ficindex`` command group: a thin click layer over the library.

Each command lives in its own module under ``ficindex.cli`` and is added to the
group below. Errors raised as :class:`ficindex.errors.FicindexError` become one
line on stderr and the SPEC's exit code; nothing reaches the user as a traceback.

Ctrl-C (or SIGTERM) is the SPEC's exit 130 with one line wherever it lands: while
the program is still importing (the handler below is installed before anything
heavy is imported), while a command opens its index or reads robots.txt, or
later in a command that does not handle it itself (``crawl`` and ``refresh``
finish the works in hand first). Click's own answer, "Aborted!" with exit 1,
would read as "finished, some items failed".
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from types import FrameType

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


def _running_as_program() -> bool:
    """Whether this process is the ``ficindex`` program (not a library importing the CLI)."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and spec.name == "ficindex.__main__":
        return True
    return bool(sys.argv) and Path(sys.argv[0]).stem == "ficindex"


if _running_as_program():  # before importing click, so an early Ctrl-C is covered too
    for _sig in _STOP_SIGNALS:
        signal.signal(_sig, _stop_while_starting)

import importlib  # noqa: E402 (after the handler above)
import os  # noqa: E402
import sqlite3  # noqa: E402
from typing import Any  # noqa: E402

import click  # noqa: E402

from ficindex import __version__  # noqa: E402
from ficindex.cli.logs import configure  # noqa: E402
from ficindex.errors import FicindexError  # noqa: E402

#: Command name -> (module under ``ficindex.cli``, click command in it). Loaded on first
#: use: ``ficindex parse`` should not pay for importing the crawler and sqlite-utils.
COMMANDS = {
    "parse": ("parse", "parse_command"),
    "import": ("importer", "import_command"),
    "crawl": ("crawl", "crawl_command"),
    "refresh": ("refresh", "refresh_command"),
    "reparse": ("reparse", "reparse_command"),
    "search": ("search", "search_command"),
    "export": ("export", "export_command"),
    "query": ("query", "query_command"),
    "merge": ("merge", "merge_command"),
    "schema": ("schema", "schema_command"),
    "datasette-config": ("datasette_config", "datasette_config_command"),
}


class FicindexGroup(click.Group):
    """A click group that loads commands lazily and reports errors in one line, not a traceback."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attr = COMMANDS[cmd_name]
        command: click.Command = getattr(importlib.import_module(f"ficindex.cli.{module}"), attr)
        show_envvars(command)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        _raise_on_stop_signals()
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo(INTERRUPTED, err=True)
            sys.exit(EXIT_INTERRUPTED)
        except FicindexError as exc:
            _fail(str(exc), exc.exit_code)
        except sqlite3.DatabaseError as exc:
            _fail(_describe_sqlite_error(exc), 2)
        except BrokenPipeError:
            # The reader went away (``| head``): not an error worth a message. Point stdout at
            # /dev/null so the interpreter's final flush cannot raise again on the way out.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
        except OSError as exc:
            _fail(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), 2)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:  # the last guard: one line, and how to get the details
            if os.environ.get("FICINDEX_DEBUG"):
                raise
            _fail(
                f"internal error: {type(exc).__name__}: {exc} "
                "(rerun with FICINDEX_DEBUG=1 for the traceback, and please report it)",
                1,
            )


def _raise_on_stop_signals() -> None:
    """From here on Ctrl-C and SIGTERM raise KeyboardInterrupt, so that open files, locks and
    transactions unwind; :meth:`FicindexGroup.invoke` turns it into one line and exit 130.

    Only replaces the start-up handler: a program that imports the CLI keeps its own handlers.
    """
    for sig in _STOP_SIGNALS:
        if signal.getsignal(sig) is _stop_while_starting:
            signal.signal(sig, signal.default_int_handler)


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


def show_envvars(command: click.Command) -> None:
    """Name, in ``--help``, the ``FICINDEX_*`` variable each option of ``command`` also reads.

    Done here, once, rather than on every option of every module: the group's
    ``auto_envvar_prefix`` gives every option a variable, so every option shows it.
    """
    for param in command.params:
        if isinstance(param, click.Option) and param.name not in ("help", "version"):
            param.show_envvar = True


def _fail(message: str, code: int) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


@click.group(
    cls=FicindexGroup,
    context_settings={"help_option_names": ["-h", "--help"], "auto_envvar_prefix": "FICINDEX"},
)
@click.version_option(__version__, "-V", "--version", prog_name="ficindex")
@click.option(
    "-v",
    "--verbose",
    count=True,
    show_envvar=True,
    help="Say more on stderr: -v each failure as it happens, -vv each work and page.",
)
@click.option(
    "-q",
    "--quiet",
    is_flag=True,
    show_envvar=True,
    help="Print only errors: no progress, no summary, no notices.",
)
def cli(verbose: int, quiet: bool) -> None:
    """Crawl Archive of Our Own politely, parse pages into records, and keep a
    SQLite index with full-text search.

    \b
    Start here:
      ficindex crawl fics.db https://archiveofourown.org/tags/TAG/works
      ficindex search fics.db "enemies to lovers" --fandom "Good Omens"
      ficindex datasette-config fics.db -o metadata.json && datasette fics.db -m metadata.json

    Every command that touches an index takes the database file as its first
    argument; it is created on first use.

    Every option can also come from the environment: FICINDEX_<COMMAND>_<OPTION>,
    e.g. FICINDEX_CRAWL_RATE=0.2 or FICINDEX_SEARCH_LIMIT=50 (each command's
    --help names its variables). An option given on the command line wins.
    """
    configure(verbose, quiet)
