"""Page-by-page runs of ``import`` and ``reparse``: the progress bar, the tally, the report.

Both commands store pages one at a time, each with an :class:`Outcome`, and
answer the same way: a progress bar only on a terminal, a count of each
result, every page that failed named on stderr, and exit 1 when any did.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field

import click

from ficindex.loader import Outcome


@dataclass(slots=True)
class Tally:
    """What a run did: how many pages ended in each result, and the pages that failed."""

    counts: Counter[str] = field(default_factory=Counter)
    failures: list[Outcome] = field(default_factory=list)


def tally(
    outcomes: Iterable[Outcome], *, total: int, label: str, silent: bool, show_pos: bool = False
) -> Tally:
    """Consume ``outcomes`` (``total`` of them), behind a progress bar when stderr is a terminal."""
    result = Tally()
    show_bar = not silent and sys.stderr.isatty()
    with (
        click.progressbar(outcomes, length=total, label=label, file=sys.stderr, show_pos=show_pos)
        if show_bar
        else nullcontext(outcomes) as items
    ):
        for outcome in items:
            if outcome.error:
                result.failures.append(outcome)
            else:
                result.counts[outcome.result or "skipped"] += 1
    return result


def report(result: Tally, *, silent: bool, summary: str, failed: str) -> None:
    """Print ``summary`` with the counts (unless silent), then name each failure and exit 1.

    ``failed`` heads the failure list: ``Error: <failed>:``.
    """
    if not silent:
        done = ", ".join(f"{n} {what}" for what, n in sorted(result.counts.items()))
        click.echo(f"{summary} ({done or 'none'})", err=True)
    if result.failures:
        click.echo(f"Error: {failed}:", err=True)
        for outcome in result.failures:
            click.echo(f"  {outcome.name}: {outcome.error}", err=True)
        sys.exit(1)
