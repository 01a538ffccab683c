"""``ficindex crawl DB TARGET...``: fetch works and listings from AO3 into the index."""

from __future__ import annotations

import logging
import sys

import click

from ficindex.cli.fetch_options import fetch_config, fetch_options, kinds_option, with_option
from ficindex.cli.logs import log_file_option, logging_to, quiet
from ficindex.crawl.crawler import CrawlOptions, run_crawl
from ficindex.crawl.targets import parse_target
from ficindex.errors import FicindexError
from ficindex.progress import DISPLAYED, Progress

log = logging.getLogger(__name__)


@click.command(name="crawl")
@click.argument("db", type=click.Path(dir_okay=False))
@click.argument("targets", nargs=-1, required=True)
@fetch_options
@click.option(
    "--metadata-only",
    is_flag=True,
    help="Index the blurbs of listing pages (20 works per request) without fetching the works.",
)
@click.option("--max-works", type=click.IntRange(min=1), help="Fetch at most this many works.")
@click.option(
    "--max-pages", type=click.IntRange(min=1), help="Fetch at most this many listing pages."
)
@with_option
@click.option("--silent", is_flag=True, help="No progress and no summary; the exit code tells.")
@log_file_option
def crawl_command(
    db: str,
    targets: tuple[str, ...],
    rate: float,
    concurrency: int,
    user_agent: str | None,
    max_retries: int,
    base_url: str,
    metadata_only: bool,
    max_works: int | None,
    max_pages: int | None,
    with_kinds: str | None,
    silent: bool,
    log_file: str | None,
) -> None:
    """Fetch TARGETs from AO3 into the index DB, politely, resumably.

    TARGET is a work id, a work or chapter URL, or a listing URL: tag works,
    user or pseud works, collection works, a series, bookmarks, search
    results. Listings are followed page by page and every work found is
    fetched once, whole (view_full_work=true&view_adult=true); with --with,
    also its kudos, comment and/or bookmark pages.

    Stop it at any time (Ctrl-C finishes the works in hand); run the same
    command again to continue. Exit codes: 0 done, 1 some items failed (named
    in the summary), 2 bad input, 3 could not start (the site cannot be reached,
    or the index is in use by another run), 130 interrupted.

    \b
    Example:
      ficindex crawl fics.db https://archiveofourown.org/tags/Fluff/works --max-works 100
    """
    config = fetch_config(
        rate=rate,
        concurrency=concurrency,
        user_agent=user_agent,
        max_retries=max_retries,
        base_url=base_url,
    )
    parsed = [parse_target(t, config) for t in targets]
    options = CrawlOptions(
        metadata_only=metadata_only,
        max_works=max_works,
        max_pages=max_pages,
        with_kinds=kinds_option(with_kinds),
    )
    silent = silent or quiet()
    with logging_to(log_file, "crawl"):
        try:
            result = run_crawl(db, parsed, config, options, progress=Progress(silent=silent))
        except FicindexError as exc:
            log.error("Error: %s", exc, extra=DISPLAYED)
            raise
        for line in result.summary("crawl"):
            log.info(line, extra=None if silent else DISPLAYED)
            if not silent:
                click.echo(line, err=True)
    sys.exit(result.exit_code)
