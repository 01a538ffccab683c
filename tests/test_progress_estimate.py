"""The time a whole listing takes, and a crawl's ETA, from plain numbers."""

from __future__ import annotations

import io
import re
import time

from ficindex.progress import BAR, CrawlStats, Progress, about, whole_target_estimate


def test_the_whole_target_estimate_at_the_default_rate() -> None:
    # 523,123 works x 1.05 requests (a work, and a 20th of a listing page) / 0.2 per s = 31.8
    # days; --metadata-only: 523,123 / 20 / 0.2 s = 1.51 days.
    assert whole_target_estimate(523_123, 0.2, 20) == (
        "~523,000 works: about 32 days at 0.2 requests/s; --metadata-only: about 1.5 days"
    )
    assert whole_target_estimate(300, 2.0, 20) == (
        "~300 works: about 3 minutes at 2 requests/s; --metadata-only: about 1 minute"
    )


def test_about_spans() -> None:
    assert about(3 * 86400) == "about 3.0 days"
    assert about(5 * 3600) == "about 5.0 hours"
    assert about(90) == "about 2 minutes"


def test_remaining_time_comes_from_the_listing_total_not_the_queue() -> None:
    stats = CrawlStats(expected=1000, started=time.monotonic() - 100)
    stats.outcomes["ok"] = 200  # 200 works in 100 s: 800 left at 2 works/s
    stats.queued = 5
    left = stats.remaining_seconds()
    assert left is not None and 395 <= left <= 405
    assert CrawlStats(expected=None).remaining_seconds() is None


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_bar_never_moves_backwards() -> None:
    out = _Tty()
    progress = Progress(out)
    stats = CrawlStats(expected=100)
    stats.outcomes["ok"] = 50
    progress.update(stats, force=True)
    stats.expected = 400  # a second listing's total arrives: the share done drops to 1/8
    progress.update(stats, force=True)
    bars = re.findall(rf"\[([#-]{{{BAR}}})\]", out.getvalue())
    assert len(bars) == 2 and bars[-1].count("#") == BAR // 2 == bars[0].count("#")
