"""The ``ficindex`` click command group: a thin click layer over the library.

Each command lives in its own module under ``ficindex.cli`` and is loaded when
it is named. Errors become one line on stderr and the SPEC's exit code
(:func:`ficindex.cli.failure`); nothing reaches the user as a traceback.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from ficindex.cli import (
    EXIT_INTERRUPTED,
    INTERRUPTED,
    failure,
    internal_error,
    raise_on_stop_signals,
)
from ficindex.cli.logs import configure

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
        raise_on_stop_signals()
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo(INTERRUPTED, err=True)
            sys.exit(EXIT_INTERRUPTED)
        except BrokenPipeError:
            # The reader went away (``| head``): not an error worth a message. Point stdout at
            # /dev/null so the interpreter's final flush cannot raise again on the way out.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:  # every failure in one line; a bug says how to get details
            known = failure(exc)
            _fail(*(known or (internal_error(exc), 1)))


def show_envvars(command: click.Command) -> None:
    """Name, in ``--help``, the ``FICINDEX_*`` variable each option of ``command`` also reads.

    Done here, once, rather than on every option of every module: the group's
    ``auto_envvar_prefix`` gives every option a variable, so every option shows it.
    """
    for param in command.params:
        if isinstance(param, click.Option) and param.name not in ("help", "version"):
            param.show_envvar = True


def _version(ctx: click.Context, wanted: bool) -> None:
    """``--version`` with other arguments (alone it is answered by :func:`ficindex.cli.main`)."""
    if not wanted or ctx.resilient_parsing:
        return
    from ficindex import __version__

    click.echo(f"ficindex, version {__version__}")
    ctx.exit()


def _fail(message: str, code: int) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


@click.group(
    cls=FicindexGroup,
    context_settings={"help_option_names": ["-h", "--help"], "auto_envvar_prefix": "FICINDEX"},
)
@click.option(
    "-V",
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=lambda ctx, param, value: _version(ctx, value),
    help="Show the version and exit.",
)
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
