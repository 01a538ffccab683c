"""What a crawl or refresh tells its user at the end: the summary, the problems, the exit code."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ficindex.progress import CrawlStats
from ficindex.wording import plural

#: Failures named one by one in the summary; the rest are counted (all are in ``crawl_works``).
SHOWN_FAILURES = 20
#: Exit code of a run stopped by Ctrl-C or SIGTERM (the shell's convention for SIGINT).
EXIT_INTERRUPTED = 130


@dataclass(slots=True)
class CrawlResult:
    """One crawl's counts, whether Ctrl-C stopped it, and the warnings it gathered."""

    stats: CrawlStats
    interrupted: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return exit_code_of(self.interrupted, self.stats.failures)

    def summary(self, command: str = "crawl") -> list[str]:
        """The closing lines: totals, then each failure (the first SHOWN_FAILURES of them)."""
        s = self.stats
        counts = ", ".join(f"{n} {name}" for name, n in s.outcomes.items() if n)
        verb = "interrupted" if self.interrupted else "finished"
        lines = [
            f"{command} {verb}: {plural(s.works, 'work')} ({counts or 'none'}), "
            f"{plural(s.blurbs, 'blurb')}, {plural(s.pages, 'listing page')}, "
            f"{plural(s.requests, 'request')}, {plural(s.retries, 'retry')}, "
            f"{s.throttled} x 429, {s.elapsed():.1f} s"
        ]
        return lines + problem_lines(self.interrupted, self.warnings, s.failures)


def exit_code_of(interrupted: bool, failures: Sequence[object]) -> int:
    """SPEC exit codes: 0 all done, 1 some items failed; 130 when stopped by Ctrl-C."""
    if interrupted:
        return EXIT_INTERRUPTED
    return 1 if failures else 0


def problem_lines(
    interrupted: bool, warnings: Sequence[str], failures: Sequence[tuple[str, str]]
) -> list[str]:
    """How to resume, the warnings, then each failure (the first SHOWN_FAILURES of them)."""
    lines = []
    if interrupted:
        lines.append("run the same command again to continue where this run stopped")
    lines += [f"warning: {w}" for w in warnings]
    for what, why in failures[:SHOWN_FAILURES]:
        lines.append(f"failed: {what}: {why}")
    if len(failures) > SHOWN_FAILURES:
        lines.append(
            f"... and {len(failures) - SHOWN_FAILURES} more "
            "(SELECT * FROM crawl_works WHERE state = 'failed')"
        )
    return lines
