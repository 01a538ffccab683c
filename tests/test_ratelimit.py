"""The request clock, exactly: spacing, shared pauses, Retry-After, 429 slow-down and backoff.

Time is virtual here (``virtualtime``): the limiter reads the loop's clock and
sleeps on it, so every start time is known to the microsecond and no test
waits. The arithmetic of the slow-down and the backoff is checked with plain
numbers, as Scrapy checks AutoThrottle's. ``test_fetcher_waits`` drives the
real fetcher against the loopback fake AO3 with a fake clock: the server's
answers are real, the waits they cause are recorded instead of slept.
"""

from __future__ import annotations

import asyncio

import pytest

from ao3server import AO3Server, Site
from ficindex.crawl.config import FetchConfig
from ficindex.crawl.fetcher import Fetcher, FetchResult
from ficindex.crawl.ratelimit import (
    MIN_RATE_FACTOR,
    RECOVERY_STEP,
    Backoff,
    RateLimiter,
    parse_retry_after,
)
from ficindex.crawl.targets import work_path
from virtualtime import FakeClock, run_virtual

START = 1000.0  # the virtual clock's reading when a test begins


def limiter(rate: float, **kw: float) -> RateLimiter:
    """A limiter on the running (virtual) loop's clock."""
    return RateLimiter(rate, clock=asyncio.get_running_loop().time, **kw)


# --- spacing -------------------------------------------------------------------------------------


def test_concurrent_starts_are_exactly_one_over_rate_apart() -> None:
    async def go() -> list[float]:
        lim = limiter(4.0)
        return sorted(await asyncio.gather(*(lim.acquire() for _ in range(12))))

    starts, elapsed = run_virtual(go())
    assert starts == pytest.approx([START + i / 4 for i in range(12)], abs=1e-9)
    assert elapsed == pytest.approx(11 / 4, abs=1e-9)


def test_an_idle_spell_earns_no_burst() -> None:
    """Unlike a token bucket, ten quiet seconds do not let the next requests through together."""

    async def go() -> list[float]:
        lim = limiter(2.0)
        await lim.acquire()
        await asyncio.sleep(10)
        return [await lim.acquire() for _ in range(4)]

    starts, _ = run_virtual(go())
    assert starts == pytest.approx([START + 10 + i / 2 for i in range(4)], abs=1e-9)


def test_on_wire_keeps_its_own_spacing() -> None:
    """The second gate (headers leaving) spaces sends even when turns were taken early."""

    async def go() -> list[float]:
        lim = limiter(5.0)
        return sorted(await asyncio.gather(*(lim.on_wire() for _ in range(6))))

    sends, _ = run_virtual(go())
    assert sends == pytest.approx([START + i / 5 for i in range(6)], abs=1e-9)


def test_a_pause_holds_every_waiter_then_spacing_resumes() -> None:
    async def go() -> tuple[list[float], list[float]]:
        lim = limiter(10.0)
        first = await lim.acquire()
        lim.pause(3.0)  # a Retry-After: 3, seen by one worker
        rest = await asyncio.gather(*(lim.acquire() for _ in range(5)), lim.on_wire())
        return [first], sorted(rest)

    (first, rest), _ = run_virtual(go())
    assert first == [START]
    # Nobody starts before the pause ends, then they go 1/rate apart again; on_wire's own
    # clock is held by the same pause.
    assert rest == pytest.approx(
        [START + 3, START + 3, START + 3.1, START + 3.2, START + 3.3, START + 3.4], abs=1e-9
    )


def test_a_shorter_pause_does_not_cut_a_longer_one() -> None:
    async def go() -> float:
        lim = limiter(10.0)
        lim.pause(5.0)
        lim.pause(1.0)
        return await lim.acquire()

    start, _ = run_virtual(go())
    assert start == pytest.approx(START + 5, abs=1e-9)


# --- 429: pause, halving, recovery ----------------------------------------------------------------


def test_429_halves_the_rate_down_to_a_floor() -> None:
    async def go() -> list[float]:
        lim = limiter(8.0)
        rates = []
        for _ in range(6):
            lim.throttled(1.0, cap=900)
            rates.append(lim.rate)
        return rates

    rates, _ = run_virtual(go())
    assert rates == [4.0, 2.0, 1.0, 0.5, 8.0 * MIN_RATE_FACTOR, 8.0 * MIN_RATE_FACTOR]


def test_recovery_steps_back_to_the_configured_rate_and_no_further() -> None:
    async def go() -> list[float]:
        lim = limiter(10.0)
        lim.throttled(1.0, cap=900)
        rates = [lim.rate]
        for _ in range(30):
            lim.succeeded()
            rates.append(lim.rate)
        return rates

    rates, _ = run_virtual(go())
    step = 10.0 * RECOVERY_STEP
    steps = round(5.0 / step)
    assert steps == 25
    assert rates[: steps + 1] == pytest.approx([5.0 + i * step for i in range(steps + 1)])
    assert rates[steps + 1 :] == [10.0] * (30 - steps)  # (float steps may need one more to land)


def test_after_a_429_the_halved_rate_spaces_the_starts() -> None:
    async def go() -> list[float]:
        lim = limiter(4.0)
        await lim.acquire()
        assert lim.throttled(2.0, cap=900) == 2.0
        return [await lim.acquire() for _ in range(3)]

    starts, _ = run_virtual(go())
    assert starts == pytest.approx([START + 2, START + 2.5, START + 3], abs=1e-9)


@pytest.mark.parametrize(
    ("retry_after", "cap", "pause"),
    [(7.0, 900.0, 7.0), (99_999_999.0, 900.0, 900.0), (0.0, 900.0, 0.0), (30.0, 10.0, 10.0)],
)
def test_retry_after_pause_is_capped(retry_after: float, cap: float, pause: float) -> None:
    async def go() -> tuple[float, float]:
        lim = limiter(100.0)
        await lim.acquire()
        granted = lim.throttled(retry_after, cap=cap)
        return granted, await lim.acquire()

    (granted, start), _ = run_virtual(go())
    assert granted == pause
    assert start == pytest.approx(START + max(pause, 1 / 50), abs=1e-9)


def test_429_without_retry_after_doubles_the_pause_up_to_the_caps() -> None:
    async def go() -> list[float]:
        lim = limiter(10.0, backoff_initial=2.0, backoff_max=20.0)
        pauses = [lim.throttled(None, cap=900) for _ in range(6)]
        lim.succeeded()  # the streak is over: the next pause starts small again
        pauses.append(lim.throttled(None, cap=900))
        pauses.append(lim.throttled(None, cap=3.0))
        return pauses

    pauses, _ = run_virtual(go())
    assert pauses == [2.0, 4.0, 8.0, 16.0, 20.0, 20.0, 2.0, 3.0]


def test_slow_to_lowers_both_rates_and_never_raises_them() -> None:
    async def go() -> tuple[float, float, list[float]]:
        lim = limiter(10.0)
        lim.slow_to(0.5)
        lim.slow_to(50.0)
        return lim.max_rate, lim.rate, [await lim.acquire() for _ in range(3)]

    (max_rate, rate, starts), _ = run_virtual(go())
    assert (max_rate, rate) == (0.5, 0.5)
    assert starts == pytest.approx([START, START + 2, START + 4], abs=1e-9)


# --- Retry-After values ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 3 ", 3.0),
        ("0", 0.0),
        ("-5", 0.0),
        ("1.5", 1.5),
        ("soon", None),
        ("", None),
        (None, None),
        ("nan", None),
    ],
)
def test_parse_retry_after_seconds(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=0.0) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Tue, 14 Nov 2023 22:15:00 GMT", 100.0),  # 100 s after now
        ("Tue, 14 Nov 2023 22:13:20 GMT", 0.0),  # exactly now
        ("Tue, 14 Nov 2023 22:00:00 GMT", 0.0),  # in the past: go now
        ("Tue, 14 Nov 2023 25:99:00 GMT", None),  # not a time
        ("Fri, 31 Dec 99999 23:59:59 GMT", None),
    ],
)
def test_parse_retry_after_http_date(value: str, expected: float | None) -> None:
    now = 1_700_000_000.0  # Tue, 14 Nov 2023 22:13:20 GMT
    assert parse_retry_after(value, now=now) == expected


# --- backoff between retries of one URL ----------------------------------------------------------


def test_backoff_doubles_from_initial_plus_jitter_under_the_maximum() -> None:
    low = Backoff(2.0, 60.0, random=lambda: 0.0)
    high = Backoff(2.0, 60.0, random=lambda: 0.999)
    assert [low.delay(n) for n in range(1, 8)] == [2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
    assert [high.delay(n) for n in range(1, 6)] == pytest.approx(
        [3.998, 5.998, 9.998, 17.998, 33.998]
    )
    assert high.delay(6) == 60.0
    assert Backoff(2.0, 60.0, random=lambda: 0.5).delay(10_000) == 60.0  # no overflow


# --- the fetcher's waits, on a fake clock, against the loopback server --------------------------


def fetch_on_fake_clock(
    server: AO3Server, clock: FakeClock, **kw: object
) -> tuple[FetchResult, Fetcher]:
    settings: dict[str, object] = {
        "base_url": server.url,
        "rate": 1.0,
        "concurrency": 1,
        "max_retries": 4,
        "backoff_initial": 2.0,
        "backoff_max": 10.0,
        "max_retry_after": 900.0,
        **kw,
    }
    cfg = FetchConfig(**settings)  # type: ignore[arg-type]

    async def go() -> tuple[FetchResult, Fetcher]:
        async with Fetcher(
            cfg,
            clock=clock.clock,
            sleep=clock.sleep,
            wall_clock=lambda: 1_700_000_000.0,
            random=lambda: 0.5,
        ) as fetcher:
            return await asyncio.wait_for(fetcher.get(work_path(1001)), timeout=30), fetcher

    return asyncio.run(go())


def test_fetcher_backs_off_exponentially_between_retries(site: Site, ao3: AO3Server) -> None:
    site.add_fault("/works/1001", "status", status=503, count=4)
    clock = FakeClock()
    result, fetcher = fetch_on_fake_clock(ao3, clock)
    assert result.status == 200 and result.attempts == 5
    assert [e.status for e in ao3.log] == [503, 503, 503, 503, 200]
    # initial * 2**(n-1) + initial * 0.5, at most backoff_max; the limiter never had to wait
    # on top (each retry is far more than 1/rate after the last start).
    assert clock.waits == [3.0, 5.0, 9.0, 10.0]
    assert fetcher.stats.retries == 4


@pytest.mark.parametrize(
    ("retry_after", "wait"),
    [
        ("7", 7.0),
        ("Tue, 14 Nov 2023 22:15:00 GMT", 100.0),  # 100 s after the injected wall clock
        ("99999999", 900.0),  # capped at max_retry_after
    ],
)
def test_fetcher_waits_out_retry_after(
    site: Site, ao3: AO3Server, retry_after: str, wait: float
) -> None:
    site.add_fault("/works/1001", "status", status=429, retry_after=retry_after)
    clock = FakeClock()
    result, fetcher = fetch_on_fake_clock(ao3, clock)
    assert result.status == 200 and result.attempts == 2
    assert [e.status for e in ao3.log] == [429, 200]
    assert clock.waits == [wait]  # the shared pause, and no backoff on top of it
    assert fetcher.limiter.rate == pytest.approx(0.5 + RECOVERY_STEP)  # halved, one step back


def test_fetcher_pauses_for_retry_after_on_a_503(site: Site, ao3: AO3Server) -> None:
    site.add_fault("/works/1001", "status", status=503, retry_after="42")
    clock = FakeClock()
    result, fetcher = fetch_on_fake_clock(ao3, clock)
    assert result.status == 200 and clock.waits == [42.0]
    assert fetcher.limiter.rate == 1.0  # a 503 pauses but does not slow the run down
