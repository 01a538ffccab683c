"""``ficindex refresh DB``: the cron command that keeps an index current."""

from __future__ import annotations

import logging
import sys
from datetime import timedelta

import click

from ficindex.cli.fetch_options import fetch_config, fetch_options, kinds_option, with_option
from ficindex.cli.logs import log_file_option, logging_to, quiet
from ficindex.crawl.engagement_plan import EngagementPlan, run_engagement_plan
from ficindex.crawl.refresh import (
    RefreshOptions,
    RefreshPlan,
    parse_age,
    run_plan,
    run_refresh,
)
from ficindex.errors import BadInput, FicindexError
from ficindex.progress import DISPLAYED, Progress
from ficindex.wording import plural

log = logging.getLogger(__name__)


@click.command(name="refresh")
@click.argument("db", type=click.Path(dir_okay=False))
@click.option(
    "--older-than",
    metavar="AGE",
    help="Also re-fetch works whose last full fetch is older than AGE (e.g. 7d; units "
    "s, m, h, d, w), oldest first.",
)
@click.option(
    "--all",
    "everything",
    is_flag=True,
    help="Walk every listing to its end and re-fetch every work of the index.",
)
@click.option(
    "--metadata-only",
    is_flag=True,
    help="Store listing blurbs (new works, changes, counters) and fetch no work.",
)
@click.option(
    "--max-works", type=click.IntRange(min=1), help="Fetch at most this many works in this run."
)
@click.option(
    "--max-pages", type=click.IntRange(min=1), help="Read at most this many listing pages."
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Read the listing pages (no works), write nothing, and print what would be fetched "
    "and how many requests the refresh would cost.",
)
@fetch_options
@with_option
@click.option("--silent", is_flag=True, help="Print nothing but warnings and failures.")
@log_file_option
def refresh_command(
    db: str,
    older_than: str | None,
    everything: bool,
    metadata_only: bool,
    max_works: int | None,
    max_pages: int | None,
    dry_run: bool,
    rate: float,
    concurrency: int,
    user_agent: str | None,
    max_retries: int,
    base_url: str,
    with_kinds: str | None,
    silent: bool,
    log_file: str | None,
) -> None:
    """Bring the index DB up to date with AO3, cheaply enough to run every night.

    Re-walks every listing crawled into DB, newest first, up to the first page
    of works that are known and unchanged; fetches works that are new or whose
    update date or chapter count changed; stores the kudos, hits, comments and
    bookmarks shown on listing pages (a stats_history row per change). A work
    that answers 404 is marked deleted, one behind the login wall restricted;
    their data is kept. Engagement pages (crawl --with) are fetched again only
    when those counts moved, and only the pages that can have changed.

    Quiet unless something needs attention: on a terminal a progress bar, then
    one summary line (new, updated, unchanged, deleted, restricted, failed,
    requests, duration). Exit codes: 0 done, 1 some items failed (named on
    stderr), 2 bad input, 3 could not start (the site cannot be reached, or the
    index is being written by another crawl or refresh), 130 interrupted (run it
    again to continue).

    \b
    Example (crontab, every night at 03:17):
      17 3 * * * ficindex refresh /data/fics.db --older-than 30d --log-file /data/refresh.log
    """
    config = fetch_config(
        rate=rate,
        concurrency=concurrency,
        user_agent=user_agent,
        max_retries=max_retries,
        base_url=base_url,
    )
    options = RefreshOptions(
        older_than=_age(older_than) if older_than is not None else None,
        everything=everything,
        metadata_only=metadata_only,
        max_works=max_works,
        max_pages=max_pages,
        with_kinds=kinds_option(with_kinds),
    )
    if dry_run:
        plan = run_plan(db, config, options)
        engage = run_engagement_plan(db, list(plan.fetch), options.with_kinds, plan.listed)
        _print_plan(plan, options, engage)
        return
    silent = silent or quiet()
    with logging_to(log_file, "refresh"):
        # On a terminal a bar; in cron nothing on stderr but what needs attention.
        progress = Progress(silent=silent, lines=False)
        try:
            result = run_refresh(db, config, options, progress=progress)
        except FicindexError as exc:
            log.error("Error: %s", exc, extra=DISPLAYED)
            raise
        log.info(result.summary(), extra=None if silent else DISPLAYED)
        if not silent:
            click.echo(result.summary(), err=True)
        for line in result.problems():
            log.warning(line, extra=DISPLAYED)
            click.echo(line, err=True)
    sys.exit(result.exit_code)


def _print_plan(plan: RefreshPlan, options: RefreshOptions, engage: EngagementPlan) -> None:
    """The dry run's answer on stdout: one line per work, then the totals."""
    for work_id, why in plan.fetch.items():
        click.echo(f"fetch work {work_id}: {why}{_engagement(engage, work_id)}")
    for work_id, why in engage.why.items():
        click.echo(f"engagement of work {work_id}: {why}{_engagement(engage, work_id)}")
    reasons: dict[str, int] = {}
    for why in plan.fetch.values():
        key = why if not why.startswith(("last fetched", "never fetched")) else "due"
        reasons[key] = reasons.get(key, 0) + 1
    detail = ", ".join(f"{n} {why}" for why, n in reasons.items())
    stored = plural(plan.blurbs, "blurb") + ("" if options.metadata_only else " (counters)")
    works = plural(len(plan.fetch), "work")
    click.echo(
        f"dry run: would fetch {works}{f' ({detail})' if detail else ''} and "
        f"store {stored}; "
        f"the refresh would cost about {plural(plan.cost, 'request')} "
        f"(1 robots.txt, {plural(plan.pages, 'listing page')}, {works}; retries not counted). "
        f"This dry run made {plural(plan.requests, 'request')} and wrote nothing."
    )
    if engage.asked:
        click.echo(
            f"engagement pages (--with): about {plural(engage.total, 'more request')} "
            f"for {plural(len(engage.requests), 'work')}, from the counts on the listing "
            "pages and in the index (not foreseeable: a reply to an old thread makes a "
            "comments pass read every page again)"
        )
    for warning in plan.warnings:
        click.echo(f"warning: {warning}", err=True)


def _engagement(engage: EngagementPlan, work_id: int) -> str:
    """A dry-run line's engagement clause: which passes, and their requests."""
    if work_id not in engage.requests:
        return ""
    requests = engage.requests[work_id]
    return f"; engagement: {engage.reasons[work_id]}, {plural(requests, 'more request')}"


def _age(text: str) -> timedelta:
    """``--older-than``'s value; the library's message gains the option's name."""
    try:
        return parse_age(text)
    except BadInput as exc:
        raise BadInput(f"--older-than {exc}") from exc
