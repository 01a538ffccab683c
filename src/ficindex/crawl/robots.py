"""robots.txt, read once per run and obeyed (as Scrapy's ROBOTSTXT_OBEY does).

AO3's robots.txt disallows ``/works?`` (the filtered works index) and the
search pages, and allows work pages with ``view_adult``/``view_full_work`` and
the tag, user, collection and series listings. A URL it disallows is reported
to the user and never fetched. A missing robots.txt (4xx) allows everything,
as the robots exclusion standard says; one that cannot be read at all (5xx or
network errors after retries) stops the run before it fetches anything else.
A ``Crawl-delay`` lowers the rate of the run, but no further than one request
per ``max_retry_after`` seconds: the same bound a ``Retry-After`` gets, so a
``Crawl-delay: 99999999`` cannot stall a run for years (it is capped, with a
warning).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from protego import Protego

from ficindex.crawl.fetcher import Fetcher
from ficindex.errors import CannotStart


@dataclass(slots=True)
class Robots:
    """The rules for our user agent; ``parser`` is None when everything is allowed."""

    parser: Protego | None
    user_agent: str
    #: The run's rate was lowered to honour a ``Crawl-delay``.
    slowed: bool = False
    #: The most ``crawl_delay`` may be (seconds); a longer one is capped.
    max_delay: float = math.inf
    #: Set when the ``Crawl-delay`` asked for was capped: one line for the user.
    warning: str | None = None

    def allowed(self, url: str) -> bool:
        return self.parser is None or bool(self.parser.can_fetch(url, self.user_agent))

    def crawl_delay(self) -> float | None:
        """The delay between requests this run obeys (the one asked for, at most ``max_delay``)."""
        asked = self.asked_delay()
        return None if asked is None else min(asked, self.max_delay)

    def asked_delay(self) -> float | None:
        """The ``Crawl-delay`` robots.txt gives for our user agent, as written."""
        if self.parser is None:
            return None
        delay = self.parser.crawl_delay(self.user_agent)
        return float(delay) if delay and 0 < float(delay) < math.inf else None


async def load_robots(fetcher: Fetcher) -> Robots:
    """Fetch ``/robots.txt`` from the configured host (unless the config says not to obey it).

    A ``Crawl-delay`` slower than the configured rate lowers the fetcher's rate
    (``slowed`` tells the caller).
    """
    config = fetcher.config
    if not config.obey_robots:
        return Robots(None, config.user_agent)
    result = await fetcher.get("/robots.txt")
    if result.error is not None or result.status is None or result.status >= 500:
        reason = result.error or f"HTTP {result.status}"
        raise CannotStart(
            f"could not read {config.base_url}/robots.txt ({reason}); "
            "the site may be down or throttling: try again later"
        )
    if result.status != 200:
        return Robots(None, config.user_agent)
    text = result.body.decode("utf-8", errors="replace")
    robots = Robots(Protego.parse(text), config.user_agent, max_delay=config.max_retry_after)
    delay, asked = robots.crawl_delay(), robots.asked_delay()
    if delay is not None and asked is not None and asked > delay:
        robots.warning = (
            f"robots.txt asks for a crawl delay of {asked:.10g} s; waiting {delay:.10g} s "
            "between requests instead (the most a Retry-After may pause a run)"
        )
    if delay and 1 / delay < fetcher.limiter.max_rate:
        fetcher.limiter.slow_to(1 / delay)
        robots.slowed = True
    return robots
