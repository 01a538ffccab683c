"""``ficindex reparse DB``: rebuild every record from the raw pages kept in the index."""

from __future__ import annotations

import sys
from collections import Counter
from contextlib import nullcontext

import click

from ficindex.index import open_index, sqlite_errors
from ficindex.index.loader import Outcome, reparse_pages
from ficindex.lock import index_lock


@click.command("reparse")
@click.argument("db", type=click.Path(dir_okay=False))
@click.option("--silent", is_flag=True, help="No progress and no summary (failures still print).")
def reparse_command(db: str, silent: bool) -> None:
    """Parse every raw page kept in DB again, without the network (after a parser upgrade).

    Pages are replayed oldest first through the same merge as a crawl, so each
    work ends as its newest pages describe it. Exits 1 if a page could not be read.

    \b
    Example:
      ficindex reparse fics.db
    """
    failures: list[Outcome] = []
    counts: Counter[str] = Counter()
    with index_lock(db):
        index = open_index(db, create=False)
        total = index.execute("SELECT count(*) FROM raw_pages").fetchone()[0]
        show_bar = not silent and sys.stderr.isatty()
        with (
            sqlite_errors(db),
            click.progressbar(
                reparse_pages(index), length=total, label="Reparsing", file=sys.stderr
            )
            if show_bar
            else nullcontext(reparse_pages(index)) as outcomes,
        ):
            for outcome in outcomes:
                if outcome.error:
                    failures.append(outcome)
                else:
                    counts[outcome.result or "skipped"] += 1
    if not silent:
        done = ", ".join(f"{n} {what}" for what, n in sorted(counts.items()))
        click.echo(f"Reparsed {total} raw pages ({done or 'none'})", err=True)
    if failures:
        click.echo(f"Error: {len(failures)} raw pages could not be parsed:", err=True)
        for outcome in failures:
            click.echo(f"  {outcome.name}: {outcome.error}", err=True)
        sys.exit(1)
