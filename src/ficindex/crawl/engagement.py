"""A work's engagement pages: what they are, where they are, and what they cost (issue 17).

Opt-in (``--with kudos,comments,bookmarks``) because it costs requests: one
page per 20 comment threads, 50 kudos logins and 20 bookmarks (AO3-MARKUP
7.1). :func:`cost` states it before a run; the crawl job pays it
(:mod:`.engagement_job`), through the run's own
:class:`~ficindex.crawl.fetcher.Fetcher` (so the rate limit, retries and host
lock apply to every page) and its robots rules, one stored page at a time.

What is saved a request:

* comments: the work is fetched with ``show_comments=true``, so the first page
  of threads *is* the work page (:func:`work_fetch_path`); a work with up to 20
  threads costs nothing more. Later pages and each "N more comments in this
  thread" page (``/comments/CID``) cost one each.
* kudos: when the work page's paragraph already names every login (users +
  guests = the kudos stat), the kudos index is not fetched.
* bookmarks: not fetched when the stat says there are none.

A page that fails ends that kind for the work (what came before is kept) and
is reported as that work's failure, never the crawl's.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from urllib.parse import urlsplit

from ficindex.crawl.fetcher import FetchResult
from ficindex.crawl.targets import work_path
from ficindex.errors import BadInput
from ficindex.index.engagement import KUDOS_PER_PAGE

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
