"""Page-by-page runs of ``import`` and ``reparse``: the progress bar, the tally, the report.

Import, reparse and merge store pages one at a time, each with an
:class:`Outcome`, and answer the same way: the progress display crawl and
refresh use (a bar on a terminal, a line a minute elsewhere), a count of each
result, every page that failed named on stderr, and exit 1 when any did.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import click

from ficindex.cli.logs import quiet
from ficindex.loader import Outcome
from ficindex.progress import Progress


@dataclass(slots=True)
class Tally:
    """What a run did: how many pages ended in each result, and the pages that failed."""

    counts: Counter[str] = field(default_factory=Counter)
    failures: list[Outcome] = field(default_factory=list)


def tally(
    outcomes: Iterable[Outcome],
    *,
    total: int,
    label: str,
    silent: bool,
    unit: str = "page",
) -> Tally:
    """Consume ``outcomes`` (``total`` of them), showing how far it got under ``label``."""
    result = Tally()
    progress = Progress(silent=silent or quiet(), label=label)
    done = 0
    try:
        for outcome in outcomes:
            if outcome.error:
                result.failures.append(outcome)
            else:
                result.counts[outcome.result or "skipped"] += 1
            done += 1
            progress.count(done, total, unit)
    finally:
        progress.clear()
    return result


def report(result: Tally, *, silent: bool, summary: str, failed: str) -> None:
    """Print ``summary`` with the counts (unless silent or ``-q``), then name each failure
    and exit 1.

    ``failed`` heads the failure list: ``Error: <failed>:``.
    """
    if not (silent or quiet()):
        done = ", ".join(f"{n} {what}" for what, n in sorted(result.counts.items()))
        click.echo(f"{summary} ({done or 'none'})", err=True)
    if result.failures:
        click.echo(f"Error: {failed}:", err=True)
        for outcome in result.failures:
            click.echo(f"  {outcome.name}: {outcome.error}", err=True)
        sys.exit(1)
