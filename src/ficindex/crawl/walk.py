"""The walk of a listing: fetch its pages in turn, let a policy judge each, follow its next link.

One walk serves both the crawl (which stores what each page says and queues its
works) and refresh's dry run (which only counts): both go through
:class:`ListingWalk`, so both read the same pages, stop at the same one and
refuse the same next links. What to do with a page is the caller's
(``on_page``); whether to fetch another is the caller's too (``may_go_on``:
the crawl stays a few pages ahead of its fetchers and within its budgets).
"""

from __future__ import annotations

import json
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import sqlite_utils

from ficindex.crawl.fetcher import Fetcher, FetchResult
from ficindex.crawl.judge import describe
from ficindex.crawl.robots import Robots
from ficindex.crawl.targets import Target
from ficindex.errors import ParseError
from ficindex.parser import parse_page
from ficindex.parser.listing import PER_PAGE, unreachable_works
from ficindex.record import Listing, Record


@dataclass(slots=True)
class PageDecision:
    """What to do with one listing page.

    ``fetch``: work ids to queue (``force`` re-queues works already done);
    ``blurbs``: blurb records to store as they are; ``stop``: walk no further.
    """

    fetch: list[int] = field(default_factory=list)
    blurbs: list[Record] = field(default_factory=list)
    stop: bool = False
    force: bool = False


class ListingPolicy(Protocol):
    """Decides per listing page; may read the index (``db``) but must not write it."""

    def on_page(self, db: sqlite_utils.Database, target: Target, page: Record) -> PageDecision: ...


@dataclass(slots=True)
class CrawlPolicy:
    """``crawl``: queue every listed work, or store the blurbs with ``metadata_only``."""

    metadata_only: bool = False

    def on_page(self, db: sqlite_utils.Database, target: Target, page: Record) -> PageDecision:
        works = page.listing.works if page.listing else []
        if self.metadata_only:
            return PageDecision(blurbs=[w for w in works if w.work_id and w.kind == "work"])
        return PageDecision(fetch=[w.work_id for w in works if w.work_id and w.kind == "work"])


def read_listing(result: FetchResult) -> Record | str:
    """The listing record of a fetched listing page, or why the page is not one.

    Goes through :func:`~ficindex.parser.parse_page`, so a page cut off in
    transfer (kind ``error_page``) is a failure, never a short last page.
    """
    if result.error is not None:
        return f"{result.url}: {result.error}"
    if result.status != 200:
        return f"{result.url}: HTTP {result.status}"
    try:
        page = parse_page(result.body, result.final_url, result.content_type)
    except ParseError as exc:
        return f"{result.url} is not a listing page ({exc})"
    except Exception as exc:  # whatever the page holds, it ends this listing's walk only
        return f"{result.url}: unreadable page ({describe(exc)})"
    if page.kind != "listing" or page.listing is None:
        return f"{result.url} is not a listing page (got a page of kind {page.kind!r})"
    return page


async def get_listing_page(
    fetcher: Fetcher, robots: Robots, url: str
) -> tuple[FetchResult | None, Record | str]:
    """Fetch one listing page if robots.txt allows: (the fetch or None, its record or why not)."""
    try:
        url = fetcher.url(url)
        if not robots.allowed(url):
            return None, f"robots.txt disallows {url}"
        result = await fetcher.get(url)
    except Exception as exc:  # whatever the server sent, it ends this listing's walk only
        return None, f"{url}: fetch failed: {describe(exc)}"
    return result, read_listing(result)


@dataclass(slots=True)
class PageStep:
    """Where a listing walk goes after one page.

    ``ids``: the page's work ids; ``following``: the next page to fetch (None:
    the walk ends here); ``repeated``: the page repeats the one before (AO3
    clamps pages past its result cap to the last one); ``off_host``: why a next
    link that leaves the host was not followed.
    """

    ids: list[int]
    following: str | None
    repeated: bool = False
    off_host: str | None = None


def next_page(
    fetcher: Fetcher, listing: Listing, last_ids: list[int] | None, *, stop: bool
) -> PageStep:
    """The walk's step from one listing page (``stop``: the policy ends the walk here)."""
    ids = [w.work_id for w in listing.works if w.work_id]
    step = PageStep(ids, None if stop else listing.next_url)
    if ids and ids == last_ids:
        step.following, step.repeated = None, True  # a repeat means the end
    if step.following and not fetcher.on_host(step.following):
        step.off_host = f"next page link leaves {fetcher.config.host}: {step.following}"
        step.following = None
    return step


def url_path(url: str) -> str:
    """Path and query of a URL on the configured host (the frontier stores no host)."""
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


@dataclass(slots=True)
class WalkPosition:
    """Where a listing's walk stands: the next page (None: at its end), the ids and the
    heading total of the page before it (to notice a repeat, and works that left the
    listing behind the walk) and how many pages it has walked."""

    url: str | None
    last_ids: list[int] | None = None
    pages: int = 0
    total: int | None = None  # the heading total of the page before, if any

    @classmethod
    def of_target(cls, row: dict[str, Any]) -> WalkPosition:
        """The position a ``crawl_targets`` row records (earlier runs included)."""
        last = row["last_page_ids"]
        before = json.loads(last) if last else None
        total = row["total"] if before is not None else None
        return cls(row["next_url"], before, row["pages_done"], total)


def slid_back(position: WalkPosition, total: int | None, stop: bool) -> int:
    """How many works may have slid back onto pages already read: the fall of the heading
    total since the page before (0 on a walk's first page, on a rise, or when it stops)."""
    if stop or position.last_ids is None or position.total is None or total is None:
        return 0
    return max(position.total - total, 0)


def page_url(url: str, number: int) -> str:
    """``url`` with its ``page`` parameter set to ``number`` (the other parameters kept)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "page"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("page", str(number))])))


@dataclass(slots=True)
class WalkedPage:
    """One listing page walked: its fetch, its listing, the policy's decision, the next step."""

    target: Target
    result: FetchResult
    listing: Listing
    decision: PageDecision
    step: PageStep
    number: int  # the page's number (AO3's, else its place in the walk)

    @property
    def unreachable(self) -> int:
        """Works this listing counts past AO3's result cap, if the walk ended here because of it.

        The walk ended (no next link, or AO3 repeated a clamped page) although
        the policy did not stop it: the results past this page, if its total
        needs more pages, are beyond AO3's cap.
        """
        step, total = self.step, self.listing.total
        if step.following is not None or self.decision.stop or step.off_host or not total:
            return 0
        return unreachable_works(total, self.number)


@dataclass(slots=True)
class ListingWalk:
    """Walks listings for one run; the callbacks are the run's.

    ``may_go_on()`` before each page (False: the run walks no further);
    ``on_page(page)`` after each (False: this listing's walk ends there);
    ``on_failure(target, why, fetch)`` when a page could not be had or used,
    which ends that listing's walk. ``last``: the last page walked of each
    listing in this run (how its walk ended, and the dates on its last page).
    """

    fetcher: Fetcher
    robots: Robots
    db: sqlite_utils.Database
    policy: ListingPolicy
    may_go_on: Callable[[], Awaitable[bool]]
    on_page: Callable[[WalkedPage], bool]
    on_failure: Callable[[Target, str, FetchResult | None], None]
    last: dict[str, WalkedPage] = field(default_factory=dict)

    async def walk(
        self,
        target: Target,
        position: WalkPosition,
        first: tuple[FetchResult, Record] | None = None,
    ) -> bool:
        """Walk ``target`` from ``position`` (kept up to date); False once ``may_go_on`` says no.

        ``first``: the page at ``position`` fetched already (a date window's probe), used
        instead of fetching it again.
        """
        while position.url:
            if not await self.may_go_on():
                return False
            fetched: tuple[FetchResult | None, Record | str]
            if first is not None:
                fetched, first = first, None
            else:
                fetched = await get_listing_page(self.fetcher, self.robots, position.url)
            result, page = fetched
            if isinstance(page, str):
                self.on_failure(target, page, result)
                return True
            assert result is not None and page.listing is not None
            position.pages += 1
            try:
                decision = self.policy.on_page(self.db, target, page)
                step = next_page(self.fetcher, page.listing, position.last_ids, stop=decision.stop)
            except Exception as exc:
                self.on_failure(target, f"{result.url}: unusable page ({describe(exc)})", result)
                return True
            number = page.listing.page or position.pages
            dropped = slid_back(position, page.listing.total, decision.stop)
            if dropped and not await self._reread(target, result.final_url, number, dropped):
                return False
            walked = WalkedPage(target, result, page.listing, decision, step, number)
            if not self.on_page(walked):
                return True
            self.last[target.key] = walked
            position.last_ids, position.url = step.ids, step.following
            position.total = page.listing.total
        return True

    async def _reread(self, target: Target, url: str, number: int, dropped: int) -> bool:
        """Read again the pages before page ``number`` that ``dropped`` works slid back onto.

        AO3-MARKUP 8.5 step 4: ``dropped`` works left the listing since the page
        before was read (an update moves a work to the newest window), so the
        works after them moved up, and the first ``dropped`` of this page are now
        at the end of the pages already read. Each page read again is stored like
        any (its works are simply known by then) and leads back to page
        ``number`` (so a run killed here reads it again). A page that cannot be had
        is this listing's failure, and the walk goes on. False once ``may_go_on``
        says no.
        """
        back = math.ceil(dropped / PER_PAGE)
        for n in range(max(1, number - back), number):
            if not await self.may_go_on():
                return False
            result, page = await get_listing_page(self.fetcher, self.robots, page_url(url, n))
            if isinstance(page, str):
                self.on_failure(target, page, result)
                continue
            assert result is not None and page.listing is not None
            decision = self.policy.on_page(self.db, target, page)
            decision.stop = False  # the walk goes on from page ``number``
            step = PageStep([w.work_id for w in page.listing.works if w.work_id], url)
            self.on_page(WalkedPage(target, result, page.listing, decision, step, n))
        return True
