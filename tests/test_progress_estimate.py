"""The time a whole listing takes, and a crawl's ETA: from plain numbers, and on the fake AO3
in virtual time."""

from __future__ import annotations

import asyncio
import io
import re
import time
from pathlib import Path

from ao3server import AO3Server, make_site
from ficindex.crawl.config import FetchConfig
from ficindex.crawl.crawler import CrawlOptions, crawl
from ficindex.crawl.fetcher import Fetcher
from ficindex.crawl.targets import parse_target
from ficindex.index import writable_index
from ficindex.progress import BAR, CrawlStats, Progress, about, whole_target_estimate
from virtualtime import FakeClock


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


# --- on the fake AO3, in virtual time -------------------------------------------------------

TAG = "/tags/Test%20Tag/works"
RATE = 0.2  # AO3's polite default: each request costs 5 virtual seconds


class _Recorder(Progress):
    """Draws a bar on a terminal-like stream, and notes each update's virtual time, works
    handled and ETA."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(_Tty())
        self.clock = clock
        self.trace: list[tuple[float, int, int | None, float | None]] = []

    def update(self, stats: CrawlStats, *, force: bool = False) -> None:
        left = stats.remaining_seconds()
        self.trace.append((self.clock.now, stats.handled, stats.expected, left))
        super().update(stats, force=True)


def crawl_in_virtual_time(server: AO3Server, db: Path, **kw: int | bool) -> _Recorder:
    """One crawl of the tag whose rate limiter and ETA run on a virtual clock: every request
    costs exactly 1/RATE virtual seconds, whatever the machine's load."""
    clock = FakeClock()
    recorder = _Recorder(clock)
    config = FetchConfig(base_url=server.url, rate=RATE, concurrency=1, backoff_initial=0.02)

    async def go() -> None:
        async with Fetcher(config, clock=clock.clock, sleep=clock.sleep) as fetcher:
            with writable_index(db) as index:
                target = parse_target(server.url + TAG, config)
                options = CrawlOptions(**kw)  # type: ignore[arg-type]
                await crawl(index, [target], config, options, fetcher=fetcher, progress=recorder)

    asyncio.run(go())
    return recorder


def eta_error_at(recorder: _Recorder, share: float) -> float:
    """How far the ETA shown once ``share`` of the run's works were handled is from the
    virtual time the run really took from there, as a fraction of the latter."""
    end = recorder.trace[-1][0]
    for now, handled, expected, left in recorder.trace:
        if expected and left is not None and handled >= share * expected:
            return abs(left - (end - now)) / (end - now)
    raise AssertionError("the run never got that far")


def bars(recorder: _Recorder) -> list[int]:
    stream = recorder.stream
    assert isinstance(stream, _Tty)
    return [b.count("#") for b in re.findall(rf"\[([#-]{{{BAR}}})\]", stream.getvalue())]


def test_the_eta_after_a_quarter_of_a_split_crawl_is_within_a_fifth_of_the_truth(
    tmp_path: Path,
) -> None:
    site = make_site(300, max_pages=5)  # split into date windows: probes first, then pages
    with AO3Server(site) as server:
        recorder = crawl_in_virtual_time(server, tmp_path / "i.db")
    assert recorder.trace[-1][1] == 300
    assert eta_error_at(recorder, 0.25) <= 0.2
    shown = bars(recorder)
    assert shown == sorted(shown) and shown[-1] == BAR  # never backwards, full at the end


def test_a_resumed_crawl_counts_what_earlier_runs_did(tmp_path: Path) -> None:
    site = make_site(300, max_pages=5)
    db = tmp_path / "i.db"
    with AO3Server(site) as server:
        first = crawl_in_virtual_time(server, db, max_works=200)
        assert first.trace[-1][1:3] == (200, 200)
        again = crawl_in_virtual_time(server, db)
    # what is left, not the whole listing: the ETA is not three times too long
    assert {expected for _, _, expected, _ in again.trace if expected} == {100}
    assert again.trace[-1][1] == 100
    assert eta_error_at(again, 0.25) <= 0.2
