"""A crawl's engagement passes: each work's kudos, comment and bookmark pages, one page per step.

:mod:`.engagement` says what the pages are and what they cost; this module
fetches them inside a crawl job, so that a run killed at any moment loses at
most the page in flight: every page's rows are stored in the transaction that
moves the work's cursor (:mod:`.engagement_queue`) and logs the fetch.

When a pass runs (:func:`~ficindex.crawl.engagement_queue.due`): the first
time a kind is asked for (``all``: every page), and again whenever the work's
stat for that kind (kudos, comments or bookmarks, as the listing blurb or the
work page shows it) has risen since the last complete pass (``new``; one
that fell is read whole again, ``all``):

* kudos and bookmarks are listed newest first, so a ``new`` pass reads page 1
  on and stops after the first page that holds an item already stored: every
  item after it is older and was stored by the last pass.
* comment threads are listed oldest first, so new threads are on the last
  page or after it: a ``new`` pass starts on the page where the stored threads
  end and follows the next links. A reply can land in any old thread, though;
  when the stored visible comments still fall short of the stat afterwards,
  the pass reads every page again (AO3-MARKUP 7.5).

A comment deleted without replies vanishes from AO3's pages. Once a pass has
read every page of a work's comments (page 1 on, every thread page), the
stored comments it did not see are marked ``removed``
(:func:`~ficindex.index.engagement.mark_removed`), so they no longer count as
visible. Kudos AO3 no longer lists end after every listed login
(:func:`~ficindex.index.engagement.save_kudos`); bookmarks (and kudos) no
longer listed at the last pass over every page have a ``last_seen`` older than
that pass's ``started_at`` in ``crawl_engagement``.

A pass whose page fails is recorded as that work's failure (never the
crawl's) and kept ``failed`` at that page; the next run retries from there.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import sqlite_utils

from ficindex.clock import utc_now
from ficindex.crawl import engagement_queue as queue
from ficindex.crawl.engagement import (
    KINDS,
    MAX_PAGES,
    comments_path,
    page_problem,
    paragraph_is_complete,
)
from ficindex.crawl.fetcher import Fetcher, FetchResult
from ficindex.crawl.frontier import log_result, work_state
from ficindex.crawl.judge import describe
from ficindex.crawl.robots import Robots
from ficindex.engagement_record import BookmarksPage, CommentsPage, KudosPage
from ficindex.errors import ParseError
from ficindex.index.engagement import (
    KUDOS_PER_PAGE,
    mark_removed,
    save_bookmarks,
    save_comments,
    save_kudos,
)
from ficindex.parser.comments import parse_comments_page
from ficindex.parser.engagement import parse_bookmarks_page, parse_kudos_page
from ficindex.record import Record

_Page = KudosPage | CommentsPage | BookmarksPage
_PARSERS: dict[str, Callable[[bytes, str | None], _Page]] = {
    "kudos": parse_kudos_page,
    "comments": parse_comments_page,
    "bookmarks": parse_bookmarks_page,
}


class EngagementRunner:
    """Runs the queued engagement passes of a crawl job's works, through its fetcher and robots.

    ``with_kinds``: the run's ``--with`` kinds, added to those each target
    remembers; ``failures``: the job's list of (what, why), where a failed pass
    adds ("work ID", why). Once ``stopping`` is set (Ctrl-C) a pass ends after
    the page in hand, its cursor kept for the next run: a work with hundreds of
    pages must not hold a stopped run for minutes. ``on_page`` is called after
    each page stored (the job's progress display, so a long pass shows it moves).
    """

    def __init__(
        self,
        db: sqlite_utils.Database,
        fetcher: Fetcher,
        robots: Robots,
        with_kinds: tuple[str, ...],
        failures: list[tuple[str, str]],
        stopping: asyncio.Event,
        on_page: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.fetcher = fetcher
        self.robots = robots
        self.with_kinds = with_kinds
        self.failures = failures
        self.stopping = stopping
        self.on_page = on_page

    # --- queueing -------------------------------------------------------------------------

    def kinds_for(self, target_key: str | None) -> tuple[str, ...]:
        """This run's kinds and those remembered with the target, in fetch order."""
        chosen = set(self.with_kinds) | set(queue.target_kinds(self.db, target_key))
        return tuple(kind for kind in KINDS if kind in chosen)

    def kinds_of_work(self, work_id: int) -> tuple[str, ...]:
        """The kinds of the target that queued the work."""
        return self.kinds_for(queue.work_target(self.db, work_id))

    def queue_listed(self, target_key: str, work_ids: list[int]) -> None:
        """Listed works that are not being fetched (inside the listing page's transaction):
        queue the passes their stored stats make due. A queued work decides after its fetch."""
        kinds = self.kinds_for(target_key)
        if not kinds:
            return
        for work_id in work_ids:
            stats = queue.counters(self.db, work_id)
            if stats is None or stats["status"] != "ok":
                continue
            if work_state(self.db, work_id) != "queued":
                self.queue_due(work_id, kinds, stats)

    def queue_due(self, work_id: int, kinds: tuple[str, ...], stats: dict[str, Any]) -> None:
        """Queue the passes ``stats`` make due (inside the caller's transaction)."""
        at = utc_now()
        for kind, mode, counter in queue.due(self.db, work_id, kinds, stats):
            queue.queue(self.db, work_id, kind, mode=mode, counter=counter, at=at)

    def on_work(
        self, work_id: int, kinds: tuple[str, ...], record: Record, result: FetchResult
    ) -> None:
        """A work was just stored (inside its transaction): queue what is due, and store the
        fetched page's threads, it being comments page 1 when fetched with its comments.

        Stored even when no comments pass is due or the pass starts on a later page: a
        reply on page 1 is then known, for free, when the pass counts what it has.
        """
        stats = {"kudos": record.kudos, "comments": record.comments, "bookmarks": record.bookmarks}
        self.queue_due(work_id, kinds, stats)
        if "comments" not in kinds or "show_comments=true" not in result.url:
            return
        try:
            page = parse_comments_page(result.body, result.final_url)
        except ParseError:
            return  # a pass at page 1 fetches it again and reports why it cannot be read
        cursor = next((c for c in queue.queued(self.db, work_id) if c.kind == "comments"), None)
        if cursor is not None and cursor.next_path == comments_path(work_id):
            self._store(cursor, page, result, logged=True)
        else:
            save_comments(self.db, work_id, page.comments, fetched_at=result.fetched_at)

    # --- running --------------------------------------------------------------------------

    async def run(self, work_id: int) -> None:
        """Every queued pass of the work, kudos, comments, bookmarks; stops early on abort.

        Whatever a page makes the parser or the store raise fails that pass only. A work
        no longer visible (deleted, locked or hidden since) has its unfinished passes
        dropped: its pages are gone, and if it comes back it is read whole again.
        """
        stats = queue.counters(self.db, work_id)
        if stats is None or stats["status"] != "ok":
            with self.db.atomic():
                queue.drop_unfinished(self.db, work_id)
            return
        for cursor in queue.queued(self.db, work_id):
            if self.fetcher.abort.is_set() or self.stopping.is_set():
                return
            try:
                await self._pass(cursor)
            except Exception as exc:
                self._fail(cursor, f"could not store a page: {describe(exc)}", None)

    async def _pass(self, cursor: queue.Cursor) -> None:
        """Fetch and store the pass's pages one by one, until it is over, failed or stopped."""
        if self._needs_no_request(cursor):
            return
        while not (self.fetcher.abort.is_set() or self.stopping.is_set()):
            path = cursor.next_path or (cursor.pending[0] if cursor.pending else None)
            if path is not None:
                if not await self._step(cursor, path):
                    return
            elif not self._short_of_comments(cursor):
                with self.db.atomic():
                    if cursor.kind == "comments" and cursor.mode == "all" and cursor.started_at:
                        mark_removed(self.db, cursor.work_id, seen_since=cursor.started_at)
                    queue.finish(self.db, cursor, at=utc_now())
                return

    async def _step(self, cursor: queue.Cursor, path: str) -> bool:
        """Fetch, read and store one page; False when the pass ends here (failed, abandoned)."""
        result, why = await self._get(cursor, path)
        if result is not None and result.error is not None and self.fetcher.abort.is_set():
            return False  # abandoned by a second Ctrl-C: the cursor still points at this page
        page = None
        if why is None and result is not None:
            page, why = _parse(cursor.kind, result)
        if self._past_the_end(cursor, page, result):
            return True
        if page is None or result is None:
            self._fail(cursor, f"{path}: {why}", result)
            return False
        self._store(cursor, page, result)
        return True

    def _needs_no_request(self, cursor: queue.Cursor) -> bool:
        """Finish a pass the work's own page or stats answer: all logins in its kudos
        paragraph, or a stat of 0 bookmarks or comments."""
        stats = queue.counters(self.db, cursor.work_id)
        if stats is None or cursor.pages or cursor.mode != "all":
            return False
        users: list[str] = []
        if cursor.kind == "kudos":
            users = list(json.loads(stats["kudos_users"] or "[]"))
            answered = paragraph_is_complete(stats["kudos"], users, stats["kudos_guests"])
        else:
            answered = stats[queue.COUNTER[cursor.kind]] == 0
        if not answered:
            return False
        with self.db.atomic():
            if users:
                save_kudos(self.db, cursor.work_id, users, fetched_at=utc_now())
            if cursor.kind == "comments":  # AO3 shows none: every stored one is gone
                mark_removed(self.db, cursor.work_id, seen_since=None)
            cursor.next_path, cursor.pending = None, []
            queue.finish(self.db, cursor, at=utc_now())
        return True

    def _short_of_comments(self, cursor: queue.Cursor) -> bool:
        """After a ``new`` comments pass: if replies landed in old threads, read every page."""
        if cursor.kind != "comments" or cursor.mode != "new" or cursor.counter is None:
            return False
        if queue.visible_comments(self.db, cursor.work_id) >= cursor.counter:
            return False
        self._read_whole(cursor, None)
        return True

    def _past_the_end(
        self, cursor: queue.Cursor, page: _Page | None, result: FetchResult | None
    ) -> bool:
        """A ``new`` comments pass whose first page shows no thread (or is a 404) started past
        the last page, threads having been deleted since: read every page instead."""
        if cursor.kind != "comments" or cursor.mode != "new" or cursor.pages or result is None:
            return False
        if result.status != 404 and not (isinstance(page, CommentsPage) and not page.comments):
            return False
        self._read_whole(cursor, result)
        return True

    def _read_whole(self, cursor: queue.Cursor, result: FetchResult | None) -> None:
        """Turn the pass into one over every page, from page 1 (logging ``result``)."""
        cursor.mode, cursor.next_path, cursor.pending = "all", comments_path(cursor.work_id), []
        with self.db.atomic():
            queue.advance(self.db, cursor)
            if result is not None:
                log_result(self.db, result)

    async def _get(self, cursor: queue.Cursor, path: str) -> tuple[FetchResult | None, str | None]:
        """The page's fetch and why it cannot be read (None: it can)."""
        url = self.fetcher.url(path)
        if cursor.pages >= MAX_PAGES:
            return None, f"more than {MAX_PAGES:,} pages: the site seems to loop"
        if not self.robots.allowed(url):
            return None, "robots.txt disallows it"
        try:
            result = await self.fetcher.get(url)
        except Exception as exc:  # a body that cannot be decoded: this pass's failure
            return None, f"fetch failed: {describe(exc)}"
        return result, page_problem(result)

    def _fail(self, cursor: queue.Cursor, why: str, result: FetchResult | None) -> None:
        with self.db.atomic():
            queue.finish(self.db, cursor, at=utc_now(), reason=why)
            if result is not None:
                log_result(self.db, result)
        self.failures.append((f"work {cursor.work_id}", f"{cursor.kind}: {why}"))

    def _store(
        self, cursor: queue.Cursor, page: _Page, result: FetchResult, *, logged: bool = False
    ) -> None:
        """One transaction: the page's rows, the cursor's next position, the fetch log row
        (``logged``: the work's own transaction writes it)."""
        at = result.fetched_at
        if cursor.mode == "all" and cursor.next_path == queue.start_path(
            self.db, cursor.work_id, cursor.kind, "all"
        ):
            cursor.started_at = at  # page 1 of a pass over every page
        with self.db.atomic():
            if isinstance(page, KudosPage):
                self._store_kudos(cursor, page, at)
            elif isinstance(page, BookmarksPage):
                self._store_bookmarks(cursor, page, at)
            else:
                self._store_comments(cursor, page, at)
            cursor.pages += 1
            queue.advance(self.db, cursor)
            if not logged:
                log_result(self.db, result)
        self.on_page()

    def _store_kudos(self, cursor: queue.Cursor, page: KudosPage, at: str) -> None:
        known = cursor.mode == "new" and queue.known_logins(self.db, cursor.work_id, page.users)
        start = (page.page - 1) * KUDOS_PER_PAGE
        save_kudos(self.db, cursor.work_id, page.users, start=start, fetched_at=at)
        cursor.next_path = None if known else _following(page.next_url, page.page, cursor)

    def _store_bookmarks(self, cursor: queue.Cursor, page: BookmarksPage, at: str) -> None:
        keys = [(b.user, b.pseud) for b in page.bookmarks]
        known = cursor.mode == "new" and queue.known_bookmarks(self.db, cursor.work_id, keys)
        save_bookmarks(self.db, cursor.work_id, page.bookmarks, fetched_at=at)
        cursor.next_path = None if known else _following(page.next_url, page.page, cursor)

    def _store_comments(self, cursor: queue.Cursor, page: CommentsPage, at: str) -> None:
        save_comments(self.db, cursor.work_id, page.comments, fetched_at=at)
        if cursor.next_path is None:  # a thread page (/comments/CID), not a page of threads
            cursor.pending.pop(0)
        else:
            cursor.next_path = _following(page.next_url, page.page, cursor)
        for cut in page.cuts:
            thread = f"/comments/{cut.comment_id}"
            if thread not in cursor.pending:
                cursor.pending.append(thread)


def _parse(kind: str, result: FetchResult) -> tuple[_Page | None, str | None]:
    try:
        return _PARSERS[kind](result.body, result.final_url), None
    except ParseError as exc:
        return None, str(exc)


def _following(href: str | None, page: int, cursor: queue.Cursor) -> str | None:
    """The next page's path and query: a later page of the same list, or None.

    A link back to this page or an earlier one (a looping site) ends the list.
    """
    if not href or cursor.next_path is None:
        return None
    parts = urlsplit(href)
    if parts.path != urlsplit(cursor.next_path).path:
        return None
    number = dict(parse_qsl(parts.query)).get("page", "")
    if not number.isdigit() or int(number) <= page:
        return None
    return parts.path + f"?{parts.query}"
