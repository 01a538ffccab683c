"""The fake AO3's content: works, chapters, series, bookmarks, and the knobs tests turn.

:class:`Site` is the in-memory archive the pages are rendered from (see
``ao3pages``) on every request, so a test can change it between two crawls.
:class:`Fault` and :class:`Throttle` are the misbehaviours the server
(``ao3server``) applies. Nothing here speaks HTTP or HTML.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

PER_PAGE = 20
ADULT_RATINGS = ("Mature", "Explicit")

ROBOTS_TXT = """\
User-agent: *
Disallow: /works? # cruel but efficient
Disallow: /autocomplete/
Disallow: /downloads/
Disallow: /external_works/
# disallow indexing of search results
Disallow: /bookmarks/search?
Disallow: /people/search?
Disallow: /tags/search?
Disallow: /works/search?
"""


@dataclass
class SiteChapter:
    chapter_id: int
    text: str
    title: str | None = None
    summary: str | None = None
    notes: str | None = None
    end_notes: str | None = None


@dataclass
class SiteWork:
    """One work as AO3 stores it; the server renders it into pages on every request."""

    id: int
    title: str
    user: str = "author"
    pseud: str | None = None
    anonymous: bool = False
    rating: str = "Teen And Up Audiences"
    warnings: list[str] = field(default_factory=lambda: ["No Archive Warnings Apply"])
    categories: list[str] = field(default_factory=lambda: ["Gen"])
    fandoms: list[str] = field(default_factory=lambda: ["Test Fandom"])
    relationships: list[str] = field(default_factory=list)
    characters: list[str] = field(default_factory=list)
    freeforms: list[str] = field(default_factory=list)
    language: str = "English"
    summary: str | None = None
    notes: str | None = None
    end_notes: str | None = None
    published: str = "2024-01-01"
    updated: str | None = None
    chapters: list[SiteChapter] = field(default_factory=list)
    chapters_total: int | None = 1
    comments: int = 0
    kudos: int = 0
    bookmarks: int = 0
    hits: int = 0
    collections: list[str] = field(default_factory=list)
    series: list[tuple[int, int]] = field(default_factory=list)  # (series id, position)
    restricted: bool = False
    deleted: bool = False
    unrevealed: bool = False
    hidden: bool = False  # hidden by an admin: guests get a login redirect without restricted=true

    @property
    def pseud_name(self) -> str:
        return self.pseud or self.user

    @property
    def words(self) -> int:
        return sum(len(c.text.split()) for c in self.chapters)

    @property
    def last_date(self) -> str:
        return self.updated or self.published

    @property
    def chaptered(self) -> bool:
        """AO3's ``chaptered?``: the expected chapter count is not 1 (``N/?`` counts)."""
        return self.chapters_total != 1

    @property
    def complete(self) -> bool:
        return self.chapters_total is not None and len(self.chapters) >= self.chapters_total

    @property
    def adult(self) -> bool:
        return self.rating in ADULT_RATINGS or "Choose Not To Use Archive Warnings" in self.warnings

    @property
    def tags(self) -> list[str]:
        return [
            self.rating,
            *self.warnings,
            *self.categories,
            *self.fandoms,
            *self.relationships,
            *self.characters,
            *self.freeforms,
        ]


@dataclass
class Fault:
    """A misbehaviour injected for requests whose path+query contains ``match``.

    ``kind``: ``status`` (answer ``status`` with a small HTML body, ``retry_after``
    header if set), ``cloudflare`` (403 challenge page), ``cf525``, ``slow``
    (wait ``delay`` then answer normally), ``drop`` (send half the body then
    close), ``truncate`` (a whole response, Content-Length right, whose page is cut off
    halfway, before ``</html>``), ``hang`` (send nothing for ``delay`` seconds), ``redirect_loop``,
    ``redirect_offhost``, ``not_html`` (a PNG), ``oversize`` (``size`` bytes of HTML).
    Hostile answers: ``gzip``/``deflate`` (the page, compressed: not hostile, the control),
    ``gzip_corrupt`` (declared gzip, garbage after the header), ``bad_location`` (a redirect
    to ``location``, by default the malformed ``http://[::1``), ``bomb`` (``size`` zero bytes
    gzipped: about a thousandth of that on the wire), ``stacked_bomb`` (the same gzipped again,
    sent as ``Content-Encoding: gzip, gzip``: a few KB), ``drip`` (a 200 whose ``size``-byte
    body comes one byte every ``delay`` seconds), ``recoded`` (the page in ``charset``, its meta
    charset removed: only the Content-Type header names the encoding).
    ``count`` is how many matching requests get it (None: all of them). With ``http_date``
    a ``retry_after`` in seconds is sent as the HTTP date that many seconds after the answer.
    """

    match: str
    kind: str
    count: int | None = 1
    status: int = 503
    retry_after: str | None = None
    http_date: bool = False
    delay: float = 0.0
    size: int = 0
    location: str = "http://[::1"
    charset: str = "shift_jis"
    applied: int = 0


@dataclass
class Trigger:
    """Call ``action(path)`` (it may change the site) when the first request whose path+query
    contains ``match`` arrives, before it is answered: a work updated mid-crawl, on cue."""

    match: str
    action: Callable[[str], None]
    fired: bool = False


@dataclass
class Throttle:
    """Rack::Attack's fixed-window throttle: ``limit`` requests per ``period`` seconds."""

    limit: int
    period: float
    http_date: bool = False  # Retry-After as an HTTP date instead of seconds


class Site:
    """AO3's content and behaviour knobs. Mutate it between runs; every page is rebuilt."""

    def __init__(self, *, max_pages: int = 5000) -> None:
        self.lock = threading.RLock()
        self.works: dict[int, SiteWork] = {}
        self.series_titles: dict[int, str] = {}
        #: user -> work ids (a negative id: the series -id), newest bookmark first
        self.bookmarks: dict[str, list[int]] = {}
        self.max_pages = max_pages
        #: Show a "Next" link on the last reachable page of a capped listing, so that following
        #: it returns the same (clamped) page again: the repeat a crawler must notice.
        self.clamp_keeps_next = False
        #: Ignore ``work_search[date_from]``/``[date_to]`` on tag listings (a filter AO3 dropped).
        self.ignore_date_filters = False
        #: Synonym tag -> canonical tag: its listing redirects there without the query string.
        self.synonyms: dict[str, str] = {}
        self.faults: list[Fault] = []
        #: Changes to make when a request arrives (a work updated while a crawl reads a page).
        self.triggers: list[Trigger] = []
        self.throttle: Throttle | None = None
        self.latency = 0.0
        self.robots_txt: str | None = ROBOTS_TXT
        self._next_chapter_id = 500000  # far from work ids, like AO3's

    # --- building content -------------------------------------------------------------------

    def add_work(self, id: int, title: str | None = None, *, chapters: int = 1, **kw) -> SiteWork:
        """Add a work with ``chapters`` generated chapters (text from the id, stable per run)."""
        with self.lock:
            kw.setdefault("chapters_total", chapters)
            work = SiteWork(id=id, title=title or f"Work {id}", **kw)
            for n in range(1, chapters + 1):
                work.chapters.append(self._chapter(id, n))
            if chapters > 1 and work.updated is None:
                work.updated = work.published
            self.works[id] = work
            return work

    def post_chapter(self, work_id: int, *, on: str) -> SiteChapter:
        """Post one more chapter dated ``on`` (YYYY-MM-DD), as an author would."""
        with self.lock:
            work = self.works[work_id]
            chapter = self._chapter(work_id, len(work.chapters) + 1)
            work.chapters.append(chapter)
            if work.chapters_total is not None and work.chapters_total < len(work.chapters):
                work.chapters_total = None
            work.updated = on
            return chapter

    def _chapter(self, work_id: int, n: int) -> SiteChapter:
        self._next_chapter_id += 1
        text = "\n".join(
            f"Paragraph {p} of chapter {n} of work {work_id}, with some words in it."
            for p in range(1, 4)
        )
        return SiteChapter(chapter_id=self._next_chapter_id, text=text)

    def add_fault(self, match: str, kind: str, **kw) -> Fault:
        fault = Fault(match=match, kind=kind, **kw)
        with self.lock:
            self.faults.append(fault)
        return fault

    # --- queries the pages need ---------------------------------------------------------------

    def visible(self) -> list[SiteWork]:
        """Works a guest sees in listings, newest update first (AO3's default sort)."""
        works = [
            w
            for w in self.works.values()
            if not (w.deleted or w.restricted or w.unrevealed or w.hidden)
        ]
        return sorted(works, key=lambda w: (w.last_date, w.id), reverse=True)

    def search_filters(self, works: list[SiteWork], query: dict[str, str]) -> list[SiteWork]:
        """The ``work_search`` filters a works listing honours (tag, user, pseud, collection).

        ``date_from``/``date_to``: inclusive UTC days of the last update;
        ``words_from``/``words_to``: inclusive word counts. An unparseable date drops
        that filter silently, as AO3 does; a word bound keeps its digits (AO3 deletes
        ``,._`` and takes ``to_i``). ``ignore_date_filters`` drops them all (a server that
        does not honour them).
        """
        if self.ignore_date_filters:
            return works
        start = _day(query.get("work_search[date_from]"))
        end = _day(query.get("work_search[date_to]"))
        low = _count(query.get("work_search[words_from]"))
        high = _count(query.get("work_search[words_to]"))
        return [
            w
            for w in works
            if (start is None or dt.date.fromisoformat(w.last_date) >= start)
            and (end is None or dt.date.fromisoformat(w.last_date) <= end)
            and (low is None or w.words >= low)
            and (high is None or w.words <= high)
        ]

    def on_request(self, path: str) -> None:
        """Run the triggers whose ``match`` the request's path+query contains (each once)."""
        with self.lock:
            due = [t for t in self.triggers if not t.fired and t.match in path]
            for trigger in due:
                trigger.fired = True
                trigger.action(path)

    def take_fault(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.match in path and (fault.count is None or fault.applied < fault.count):
                    fault.applied += 1
                    return fault
        return None


def _day(text: str | None) -> dt.date | None:
    """A ``YYYY-MM-DD`` filter value, or None for a missing or unparseable one."""
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _count(text: str | None) -> int | None:
    """A word-count filter value: AO3 drops blank and "0" values, else ``to_i``s the digits."""
    if not text or text == "0":
        return None
    digits = text.replace(",", "").replace(".", "").replace("_", "")
    lead = len(digits) - len(digits.lstrip("0123456789"))
    return int(digits[:lead]) if lead else 0


def make_site(
    works: int = 45,
    *,
    tag: str = "Test Tag",
    first_id: int = 1001,
    multi_chapter_every: int = 5,
    adult_every: int = 4,
    max_pages: int = 5000,
) -> Site:
    """A site with ``works`` works all tagged ``tag``, a mix of single/multi-chapter and adult."""
    site = Site(max_pages=max_pages)
    base = dt.date(2024, 1, 1)
    for i in range(works):
        wid = first_id + i
        chapters = 3 if multi_chapter_every and i % multi_chapter_every == 1 else 1
        rating = "Explicit" if adult_every and i % adult_every == 2 else "Teen And Up Audiences"
        day = (base + dt.timedelta(days=i)).isoformat()
        site.add_work(
            wid,
            f"Work number {wid}",
            chapters=chapters,
            user=f"writer{i % 7}",
            rating=rating,
            freeforms=[tag],
            summary=f"Summary of work {wid}.",
            published=day,
            kudos=i * 3,
            hits=i * 40 + 7,
            comments=i % 4,
            bookmarks=i % 3,
        )
    return site
