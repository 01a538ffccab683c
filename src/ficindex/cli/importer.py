"""``ficindex import DB PATH...``: saved pages (files, directories) into the index."""

from __future__ import annotations

import sys
from collections import Counter
from contextlib import nullcontext

import click

from ficindex.index import open_index, sqlite_errors
from ficindex.index.loader import PAGE_SUFFIXES, Outcome, collect_files, import_file
from ficindex.lock import index_lock


@click.command("import")
@click.argument("db", type=click.Path(dir_okay=False))
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option(
    "--silent", is_flag=True, help="No progress bar and no summary (failures still print)."
)
def import_command(db: str, paths: tuple[str, ...], silent: bool) -> None:
    """Parse saved pages into the index DB (created if missing).

    PATH is a saved page (AO3 HTML or a plain-text copy of a work page) or a
    directory, searched recursively for *.html, *.htm, *.xhtml and *.txt. Each
    page is stored in its own transaction, with its raw bytes for 'reparse'.
    Importing the same pages again leaves the index unchanged. A page that
    cannot be stored is named on stderr and the run exits 1 at the end.

    \b
    Example:
      ficindex import fics.db saved-pages/ one-more-work.html
    """
    files = list(collect_files(paths))
    if not files:
        raise click.UsageError(
            f"no page files ({', '.join(PAGE_SUFFIXES)}) under {', '.join(paths)}"
        )
    show_bar = not silent and sys.stderr.isatty()
    failures: list[Outcome] = []
    counts: Counter[str] = Counter()
    with index_lock(db):
        index = open_index(db)
        with (
            sqlite_errors(db),
            click.progressbar(files, label="Importing", file=sys.stderr, show_pos=True)
            if show_bar
            else nullcontext(files) as items,
        ):
            for path in items:
                outcome = import_file(index, path)
                if outcome.error:
                    failures.append(outcome)
                else:
                    counts[outcome.result or "skipped"] += 1
    if not silent:
        done = ", ".join(f"{n} {what}" for what, n in sorted(counts.items()))
        click.echo(
            f"Imported {len(files) - len(failures)} of {len(files)} pages ({done or 'none'})",
            err=True,
        )
    if failures:
        click.echo(f"Error: {len(failures)} of {len(files)} pages could not be stored:", err=True)
        for outcome in failures:
            click.echo(f"  {outcome.name}: {outcome.error}", err=True)
        sys.exit(1)
