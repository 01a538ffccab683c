"""``ficindex import DB PATH...``: saved pages (files, directories) into the index."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import click

from ficindex.cli.outcomes import report, tally
from ficindex.exchange.commands import import_outcomes
from ficindex.index import writable_index
from ficindex.loader import PAGE_SUFFIXES, Outcome, collect_files
from ficindex.wording import plural


@click.command("import")
@click.argument("db", type=click.Path(dir_okay=False))
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option(
    "--silent", is_flag=True, help="No progress bar and no summary (failures still print)."
)
def import_command(db: str, paths: tuple[str, ...], silent: bool) -> None:
    """Parse saved pages into the index DB (created if missing).

    PATH is a saved page (AO3 HTML or a plain-text copy of a work page), a
    WARC file (*.warc, *.warc.gz: its AO3 pages are indexed, other sites'
    records counted and skipped), or a directory, searched recursively for
    *.html, *.htm, *.xhtml and *.txt. Each page is stored with its raw bytes
    for 'reparse'; pages are committed in batches, and a page is counted only
    once its batch is stored, so an interrupted import keeps every page it
    counted (run it again for the rest). Importing the same pages again leaves
    the index unchanged. A page that cannot be stored is named on stderr (the
    others are stored) and the run exits 1 at the end.

    \b
    Example:
      ficindex import fics.db saved-pages/ one-more-work.html
      ficindex import fics.db browsertrix-crawl.warc.gz
    """
    files = list(collect_files(paths))
    if not files:
        raise click.UsageError(
            f"no page files ({', '.join(PAGE_SUFFIXES)}) under {', '.join(paths)}"
        )
    with writable_index(db) as index:
        result = tally(
            _warned(import_outcomes(index, files)),
            total=len(files),
            label="Importing",
            silent=silent,
        )
    failed = len(result.failures)
    total = sum(result.counts.values()) + failed
    report(
        result,
        silent=silent,
        summary=f"Imported {total - failed} of {plural(total, 'page')}",
        failed=f"{failed} of {plural(total, 'page')} could not be stored",
    )


def _warned(outcomes: Iterable[Outcome]) -> Iterator[Outcome]:
    """Pass outcomes on, saying each page's warning on stderr as it happens (even if silent)."""
    for outcome in outcomes:
        if outcome.warning:
            click.echo(f"Warning: {outcome.name}: {outcome.warning}", err=True)
        yield outcome
