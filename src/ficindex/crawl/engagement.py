"""Fetching a work's engagement pages: every kudos, comment and bookmark page (issue 17).

Opt-in (``--with kudos,comments,bookmarks``) because it costs requests: one
page per 20 comment threads, 50 kudos logins and 20 bookmarks (AO3-MARKUP
7.1). :func:`cost` states it before a run; :func:`fetch_engagement` pays it,
through the run's own :class:`~ficindex.crawl.fetcher.Fetcher` (so the rate
limit, retries and host lock apply to every page) and its robots rules.

What is saved a request:

* comments: the work is fetched with ``show_comments=true``, so the first page
  of threads *is* the work page (:func:`work_fetch_path`); a work with up to 20
  threads costs nothing more. Later pages and each "N more comments in this
  thread" page (``/comments/CID``) cost one each.
* kudos: when the work page's paragraph already names every login (users +
  guests = the kudos stat), the kudos index is not fetched.
* bookmarks: not fetched when the stat says there are none.

A page that fails ends that kind for the work (what came before is kept) and
is reported in :attr:`Engagement.errors`; it never fails the work itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import urlsplit

from sqlite_utils import Database

from ficindex.clock import utc_now
from ficindex.crawl.fetcher import Fetcher, FetchResult
from ficindex.crawl.targets import work_path
from ficindex.engagement_record import Bookmark, Comment, CommentsPage
from ficindex.errors import BadInput, ParseError
from ficindex.index.engagement import KUDOS_PER_PAGE, save_bookmarks, save_comments, save_kudos
from ficindex.parser.comments import parse_comments_page
from ficindex.parser.engagement import parse_bookmarks_page, parse_kudos_page
from ficindex.record import Record

_Page = TypeVar("_Page")

#: The engagement kinds ``--with`` accepts, in the order they are fetched.
KINDS = ("kudos", "comments", "bookmarks")
#: Items per page (AO3 production: ITEMS_PER_PAGE 20; kudos: MAX_KUDOS_TO_SHOW 50).
THREADS_PER_PAGE = 20
BOOKMARKS_PER_PAGE = 20
#: No work has this many pages of one kind; a site that keeps saying "next" is looping.
MAX_PAGES = 10_000


def parse_kinds(text: str) -> tuple[str, ...]:
    """``"kudos,comments"`` -> ``("kudos", "comments")`` in fetch order; BadInput otherwise."""
    asked = {part.strip().lower() for part in text.split(",") if part.strip()}
    unknown = sorted(asked.difference(KINDS))
    if unknown or not asked:
        raise BadInput(
            f"engagement kinds are a comma-separated subset of {','.join(KINDS)}, "
            f"not {text!r}; e.g. kudos,comments"
        )
    return tuple(kind for kind in KINDS if kind in asked)


def work_fetch_path(work_id: int, kinds: Iterable[str] = ()) -> str:
    """The work's own fetch: with ``comments`` it is also the first page of threads."""
    if "comments" in kinds:
        return comments_path(work_id)
    return work_path(work_id)


def comments_path(work_id: int) -> str:
    """Page 1 of all chapters' threads, and the whole work (AO3-MARKUP 7.2)."""
    return f"/works/{work_id}?view_full_work=true&show_comments=true&view_adult=true"


def kudos_path(work_id: int) -> str:
    return f"/works/{work_id}/kudos"


def bookmarks_path(work_id: int) -> str:
    return f"/works/{work_id}/bookmarks"


def cost(
    kudos: int | None,
    comments: int | None,
    bookmarks: int | None,
    *,
    kudos_guests: int | None = None,
    kinds: Iterable[str] = KINDS,
) -> int:
    """Requests beyond the work's own fetch, from the work's stats (an upper bound).

    Comments: ceil(comments / 20) pages, the first being the work fetch; the stat
    counts replies too and pages go by thread, so this is a ceiling (cut threads,
    rare, add one each). Kudos: ceil(users / 50) pages, users = kudos − guests
    (all kudos when the guest count is unknown), none when the work page already
    shows every login (50 or fewer). Bookmarks: ceil(bookmarks / 20).
    """
    chosen = set(kinds)
    total = 0
    if "comments" in chosen and comments:
        total += math.ceil(comments / THREADS_PER_PAGE) - 1
    if "kudos" in chosen and kudos:
        users = max(kudos - (kudos_guests or 0), 0)
        total += math.ceil(users / KUDOS_PER_PAGE) if users > KUDOS_PER_PAGE else 0
    if "bookmarks" in chosen and bookmarks:
        total += math.ceil(bookmarks / BOOKMARKS_PER_PAGE)
    return total


@dataclass(slots=True)
class Engagement:
    """What one work's engagement pages gave, ready for :func:`save_engagement`."""

    work_id: int
    fetched_at: str
    #: None when kudos were not asked for (so the stored ones are left alone).
    kudos: list[str] | None = None
    kudos_guests: int | None = None
    comments: list[Comment] | None = None
    bookmarks: list[Bookmark] | None = None
    #: Requests this cost (retries aside), the first comments page not included.
    requests: int = 0
    #: "url: why" for each page that failed; the kinds before it are kept.
    errors: list[str] = field(default_factory=list)


async def fetch_engagement(
    fetcher: Fetcher,
    work_id: int,
    kinds: Iterable[str],
    *,
    record: Record | None = None,
    first_page: FetchResult | None = None,
    allowed: Callable[[str], bool] = lambda url: True,
) -> Engagement:
    """Fetch and parse every page of the kinds asked for.

    ``record`` is the work as just parsed (its stats and kudos paragraph can
    spare requests); ``first_page`` is the work fetch made with
    :func:`work_fetch_path`, used as comments page 1; ``allowed`` is the run's
    robots rule, asked before every request.
    """
    run = _Run(fetcher, work_id, allowed)
    found = Engagement(work_id, fetched_at=first_page.fetched_at if first_page else "")
    chosen = set(kinds)
    if "kudos" in chosen:
        found.kudos, found.kudos_guests = await run.kudos(record)
    if "comments" in chosen:
        found.comments = await run.comments(first_page)
    if "bookmarks" in chosen:
        found.bookmarks = await run.bookmarks(record)
    found.requests, found.errors = run.requests, run.errors
    found.fetched_at = run.last_fetched or found.fetched_at or utc_now()
    return found


def save_engagement(db: Database, found: Engagement) -> int:
    """Store every row ``found`` holds, in one transaction; returns how many."""
    at = found.fetched_at
    count = 0
    with db.atomic():
        if found.kudos is not None:
            count += save_kudos(db, found.work_id, found.kudos, fetched_at=at)
        if found.comments is not None:
            count += save_comments(db, found.work_id, found.comments, fetched_at=at)
        if found.bookmarks is not None:
            count += save_bookmarks(db, found.work_id, found.bookmarks, fetched_at=at)
    return count


class _Run:
    """The fetching of one work's pages: request count, errors, the pagination rules."""

    def __init__(self, fetcher: Fetcher, work_id: int, allowed: Callable[[str], bool]) -> None:
        self.fetcher = fetcher
        self.work_id = work_id
        self.allowed = allowed
        self.requests = 0
        self.errors: list[str] = []
        self.last_fetched = ""

    async def get(self, path: str) -> bytes | None:
        """One page's body, or None (and an error noted) when it cannot be had."""
        url = self.fetcher.url(path)
        if not self.allowed(url):
            self.errors.append(f"{url}: robots.txt disallows it")
            return None
        self.requests += 1
        result = await self.fetcher.get(url)
        return self.accept(result)

    def accept(self, result: FetchResult) -> bytes | None:
        why = page_problem(result)
        if why is not None:
            self.errors.append(f"{result.url}: {why}")
            return None
        self.last_fetched = max(self.last_fetched, result.fetched_at)
        return result.body

    def next_path(self, href: str | None, seen: set[str], kind_path: str) -> str | None:
        """The next page's path, if it is a new page of the same work's ``kind_path``."""
        if not href:
            return None
        parts = urlsplit(self.fetcher.url(href))
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if parts.path != urlsplit(kind_path).path or path in seen or len(seen) >= MAX_PAGES:
            return None
        return path

    async def kudos(self, record: Record | None) -> tuple[list[str] | None, int | None]:
        if record is not None and paragraph_is_complete(
            record.kudos, list(record.kudos_users), record.kudos_guests
        ):
            return list(record.kudos_users), record.kudos_guests
        users: list[str] = []
        guests: int | None = None
        path: str | None = kudos_path(self.work_id)
        seen: set[str] = set()
        while path is not None:
            seen.add(path)
            body = await self.get(path)
            page = _parsed(parse_kudos_page, body, self.fetcher.url(path), self.errors)
            if page is None:
                return (users or None), guests
            users.extend(page.users)
            guests = page.guests
            path = self.next_path(page.next_url, seen, kudos_path(self.work_id))
        return users, guests

    async def comments(self, first_page: FetchResult | None) -> list[Comment] | None:
        known: dict[int, Comment] = {}
        path: str | None = comments_path(self.work_id)
        seen: set[str] = set()
        cuts: list[str] = []
        body = self.accept(first_page) if first_page is not None else None
        while path is not None:
            seen.add(path)
            if body is None:
                body = await self.get(path)
            page = _parsed(parse_comments_page, body, self.fetcher.url(path), self.errors)
            body = None
            if page is None:
                break
            cuts.extend(_merge(known, page))
            path = self.next_path(page.next_url, seen, comments_path(self.work_id))
        while cuts and len(seen) < MAX_PAGES:
            thread = cuts.pop(0)
            if thread in seen:
                continue
            seen.add(thread)
            body = await self.get(thread)
            page = _parsed(parse_comments_page, body, None, self.errors)
            if page is not None:
                cuts.extend(_merge(known, page))
        return list(known.values()) if known or not self.errors else None

    async def bookmarks(self, record: Record | None) -> list[Bookmark] | None:
        if record is not None and not record.bookmarks:
            return []
        found: list[Bookmark] = []
        path: str | None = bookmarks_path(self.work_id)
        seen: set[str] = set()
        while path is not None:
            seen.add(path)
            body = await self.get(path)
            page = _parsed(parse_bookmarks_page, body, None, self.errors)
            if page is None:
                return found or None
            found.extend(page.bookmarks)
            path = self.next_path(page.next_url, seen, bookmarks_path(self.work_id))
        return found


def page_problem(result: FetchResult) -> str | None:
    """Why a fetched engagement page cannot be read, or None when it can."""
    if result.error is not None:
        return result.error
    if result.status != 200:
        return f"HTTP {result.status}"
    if urlsplit(result.final_url).path != urlsplit(result.url).path:
        # A restricted or hidden work sends guests to / (or the login page).
        return f"redirected to {urlsplit(result.final_url).path}: not visible to guests"
    return None


def paragraph_is_complete(kudos: int | None, users: list[str], guests: int | None) -> bool:
    """The work page named every login: users + guests account for the kudos stat."""
    if guests is None or kudos is None:
        return kudos == 0
    return len(users) + guests >= kudos


def _merge(known: dict[int, Comment], page: CommentsPage) -> list[str]:
    """Add the page's new comments; a thread page's repeated root keeps its first parent,
    and its replies join the root's thread. Returns the cut threads still to fetch."""
    for comment in page.comments:
        if comment.id in known:
            continue
        parent = known.get(comment.parent_id) if comment.parent_id is not None else None
        if parent is not None:
            comment.thread_id = parent.thread_id
        known[comment.id] = comment
    return [f"/comments/{cut.comment_id}" for cut in page.cuts]


def _parsed(
    parse: Callable[[bytes, str | None], _Page],
    body: bytes | None,
    url: str | None,
    errors: list[str],
) -> _Page | None:
    """``parse(body, url)``, or None: no body (its error is noted already) or unreadable."""
    if body is None:
        return None
    try:
        return parse(body, url)
    except ParseError as exc:
        errors.append(f"{url or 'page'}: {exc}")
        return None
