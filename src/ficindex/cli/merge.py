"""``ficindex merge DB OTHER...``: indexes built elsewhere, merged into DB with the import rules."""

from __future__ import annotations

import click

from ficindex.cli.logs import quiet
from ficindex.cli.outcomes import Tally, report, tally
from ficindex.exchange.merge import (
    check_crawl_version,
    check_mergeable,
    merge_tables,
    raw_page_count,
    replay_pages,
)
from ficindex.index import readable_index, writable_index
from ficindex.wording import plural


@click.command("merge")
@click.argument("db", type=click.Path(dir_okay=False))
@click.argument("others", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--silent", is_flag=True, help="No progress and no summary (failures still print).")
def merge_command(db: str, others: tuple[str, ...], silent: bool) -> None:
    """Merge the indexes OTHER... (crawled on other machines) into DB (created if missing).

    Each OTHER's raw pages are replayed oldest first through the same rules as
    'import' (the newer page wins, chapters are kept, statuses follow status
    pages); counter history, statuses without a page, and crawl targets with
    their progress are merged too, so 'refresh DB' covers every crawl. Merging
    the same index again changes nothing. An OTHER that is not a ficindex index,
    or comes from a newer ficindex, is refused (exit 2) before anything is written.

    \b
    Example:
      ficindex merge lab.db alice.db bob.db && ficindex refresh lab.db
    """
    silent = silent or quiet()
    for other in others:
        check_mergeable(db, other)
        with readable_index(other) as source:
            check_crawl_version(source, other)
    total = Tally()
    with writable_index(db) as index:
        for other in others:
            with readable_index(other) as source:
                result = tally(
                    replay_pages(index, source),
                    total=raw_page_count(source),
                    label=f"Merging {other}",
                    silent=silent,
                )
                tables = merge_tables(index, source)
            total.counts.update(result.counts)
            total.failures += result.failures
            if not silent:
                crawl = sum(tables.crawl_rows.values())
                present = result.counts["present"]
                click.echo(
                    f"{other}: {plural(present, 'raw page')} already present, "
                    f"{sum(result.counts.values()) - present} merged; "
                    f"{plural(tables.works_from_rows, 'work')} from rows, "
                    f"{plural(tables.stats_history, 'history row')}, "
                    f"{plural(sum(tables.engagement.values()), 'engagement row')}, "
                    f"{plural(tables.statuses, 'status', 'statuses')}, "
                    f"{plural(crawl, 'crawl row')}",
                    err=True,
                )
    report(
        total,
        silent=silent,
        summary=f"Merged {plural(len(others), 'index')} into {db}",
        failed="some raw pages could not be merged",
    )
