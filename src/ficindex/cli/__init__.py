"""The ``ficindex`` command group: a thin click layer over the library.

Each command lives in its own module under ``ficindex.cli`` and is added to the
group below. Errors raised as :class:`ficindex.errors.FicindexError` become one
line on stderr and the SPEC's exit code; nothing reaches the user as a traceback.
"""

from __future__ import annotations

import importlib
import os
import sqlite3
import sys
from typing import Any

import click

from ficindex import __version__
from ficindex.errors import FicindexError

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
        return getattr(importlib.import_module(f"ficindex.cli.{module}"), attr)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
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
        except (click.exceptions.Exit, click.ClickException, click.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:  # the last guard: one line, and how to get the details
            if os.environ.get("FICINDEX_DEBUG"):
                raise
            _fail(
                f"internal error: {type(exc).__name__}: {exc} "
                "(rerun with FICINDEX_DEBUG=1 for the traceback, and please report it)",
                1,
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


def _fail(message: str, code: int) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


@click.group(cls=FicindexGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ficindex")
def cli() -> None:
    """Crawl Archive of Our Own politely, parse pages into records, and keep a
    SQLite index with full-text search.

    \b
    Start here:
      ficindex crawl fics.db https://archiveofourown.org/tags/TAG/works
      ficindex search fics.db "enemies to lovers" --fandom "Good Omens"
      ficindex datasette-config fics.db -o metadata.json && datasette fics.db -m metadata.json

    Every command that touches an index takes the database file as its first
    argument; it is created on first use.
    """
