"""``ficindex reparse DB``: rebuild every record from the raw pages kept in the index."""

from __future__ import annotations

import click

from ficindex.cli.outcomes import report, tally
from ficindex.index import writable_index
from ficindex.loader import reparse_pages
from ficindex.wording import plural


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
    with writable_index(db, create=False) as index:
        total = index.execute("SELECT count(*) FROM raw_pages").fetchone()[0]
        result = tally(reparse_pages(index), total=total, label="Reparsing", silent=silent)
    report(
        result,
        silent=silent,
        summary=f"Reparsed {plural(total, 'raw page')}",
        failed=f"{plural(len(result.failures), 'raw page')} could not be parsed",
    )
