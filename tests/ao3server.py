"""A fake Archive of Our Own on loopback, for crawler, refresh and fault tests.

It is a real HTTP/1.1 server (``http.server`` in a background thread, random free
port on 127.0.0.1) that renders pages from an in-memory :class:`Site` with
AO3's own markup (the structure of the real pages in ``../shared/fixtures``,
see AO3-MARKUP.md), so the real parser reads them. Because pages are generated
from the model on every request, a test can change the site between two runs
(raise kudos, post a chapter, delete or lock a work) and crawl again.

What it reproduces from AO3:

* ``/works/ID``: 404 for unknown or deleted works; a 302 to
  ``/users/login?restricted=true&return_to=...`` for registered-users-only
  works; a 302 to the first chapter for chaptered works without
  ``view_full_work=true``; the "Mystery Work" notice for unrevealed works; the
  adult interstitial for Mature/Explicit/unchosen-warning works without
  ``view_adult=true``; otherwise the work page (full view or chapter view).
* Listings (pagy pagination, 20 per page, newest update first): tag works,
  user and pseud works, collection works, user bookmarks; will_paginate on
  series pages and search results. Pages past ``Site.max_pages`` (AO3: 5,000)
  are clamped to the last page, as AO3's search-backed listings are.
* ``robots.txt`` (AO3-like: ``/works?`` and ``/works/search?`` disallowed).
* A Rack::Attack-like throttle (429 + ``Retry-After`` in seconds or as an HTTP date).
* Injected :class:`Fault` s by path and count, and a global latency.
* A thread-safe request log (:class:`LogEntry`) to assert on.

Use it with the ``ao3`` fixture from ``conftest.py`` or directly::

    site = make_site(works=45, tag="Fluff")
    with AO3Server(site) as server:
        ...  # crawl server.url + "/tags/Fluff/works"
        assert len(server.requests("/works/")) == 45
"""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import html
import math
import re
import socket
import struct
import sys
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

PER_PAGE = 20
ADULT_RATINGS = ("Mature", "Explicit")

_RATING_CSS = {
    "General Audiences": "rating-general-audience",
    "Teen And Up Audiences": "rating-teen",
    "Mature": "rating-mature",
    "Explicit": "rating-explicit",
    "Not Rated": "rating-notrated",
}
_CATEGORY_CSS = {
    "F/F": "category-femslash",
    "F/M": "category-het",
    "Gen": "category-gen",
    "M/M": "category-slash",
    "Multi": "category-multi",
    "Other": "category-other",
}

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

CLOUDFLARE_CHALLENGE = (
    '<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>'
    '<meta http-equiv="refresh" content="390"></head><body><div class="main-wrapper">'
    "<h1>archiveofourown.org</h1><h2>Verifying you are human. This may take a few seconds."
    "</h2><noscript>Enable JavaScript and cookies to continue</noscript></div>"
    '<script src="/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1"></script>'
    "</body></html>"
)
CLOUDFLARE_525 = (
    "<!DOCTYPE html><html><head><title>archiveofourown.org | 525: SSL handshake failed"
    "</title></head><body><h1>SSL handshake failed</h1><span>Error code 525</span>"
    "<p>Cloudflare Ray ID: 0123456789abcdef</p></body></html>"
)


# ---------------------------------------------------------------------------------------------
# The site model
# ---------------------------------------------------------------------------------------------


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
    body comes one byte every ``delay`` seconds).
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
    applied: int = 0


@dataclass
class Throttle:
    """Rack::Attack's fixed-window throttle: ``limit`` requests per ``period`` seconds."""

    limit: int
    period: float
    http_date: bool = False  # Retry-After as an HTTP date instead of seconds


@dataclass
class LogEntry:
    """One request as the server saw it. ``t`` is ``time.monotonic()`` at arrival.

    Logged on arrival; ``status`` is filled in once answered (0: no answer was sent).
    """

    t: float
    method: str
    path: str  # path and query, as sent
    status: int
    headers: dict[str, str]


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
        self.faults: list[Fault] = []
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

    def take_fault(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.match in path and (fault.count is None or fault.applied < fault.count):
                    fault.applied += 1
                    return fault
        return None


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


# ---------------------------------------------------------------------------------------------
# Rendering (AO3 markup, see AO3-MARKUP.md sections 1-3)
# ---------------------------------------------------------------------------------------------

e = html.escape


def tag_href(name: str) -> str:
    """AO3's tag URL escaping: ``/ & . ? #`` become ``*s* *a* *d* *q* *h*``, then %-encoding."""
    for char, code in (("/", "*s*"), ("&", "*a*"), (".", "*d*"), ("?", "*q*"), ("#", "*h*")):
        name = name.replace(char, code)
    return "/tags/" + quote(name, safe="*") + "/works"


def tag_from_path(segment: str) -> str:
    name = unquote(segment)
    for char, code in (("/", "*s*"), ("&", "*a*"), (".", "*d*"), ("?", "*q*"), ("#", "*h*")):
        name = name.replace(code, char)
    return name


def _page(title: str, main_class: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8" />\n'
        f"<title>\n{e(title)}\n</title>\n</head>\n<body>\n"
        '<div id="outer" class="wrapper">\n<div id="header" class="region"><h1 class="heading">'
        '<a href="/">Archive of Our Own</a></h1></div>\n'
        '<div id="inner" class="wrapper">\n'
        f'<div id="main" class="{main_class}" role="main">\n<div class="flash"></div>\n'
        f"{body}\n</div>\n<!-- END main -->\n</div>\n"
        '<div id="footer" role="contentinfo" class="region"><h3 class="landmark heading">'
        "Footer</h3></div>\n</div>\n</body>\n</html>\n"
    )


def _paragraphs(text: str | None) -> str:
    return "".join(f"<p>{e(line)}</p>" for line in (text or "").split("\n") if line.strip())


def _byline(work: SiteWork) -> str:
    if work.anonymous:
        return "Anonymous"
    byline = work.pseud_name if work.pseud_name == work.user else f"{work.pseud_name} ({work.user})"
    href = f"/users/{quote(work.user)}/pseuds/{quote(work.pseud_name)}"
    return f'<a rel="author" href="{href}">{e(byline)}</a>'


def _tag_list(names: list[str]) -> str:
    return "".join(f'<li><a class="tag" href="{tag_href(n)}">{e(n)}</a></li>' for n in names)


def _meta_pair(css: str, label: str, inner: str) -> str:
    return f'<dt class="{css}">\n{label}\n</dt>\n<dd class="{css}">\n{inner}\n</dd>\n'


def _work_stats(work: SiteWork) -> str:
    total = "?" if work.chapters_total is None else str(work.chapters_total)
    parts = [f'<dt class="published">Published:</dt><dd class="published">{work.published}</dd>']
    if work.chaptered:
        label = "Completed:" if work.complete else "Updated:"
        parts.append(f'<dt class="status">{label}</dt><dd class="status">{work.last_date}</dd>')
    parts.append(f'<dt class="words">Words:</dt><dd class="words">{work.words:,}</dd>')
    parts.append(
        f'<dt class="chapters">Chapters:</dt><dd class="chapters">{len(work.chapters)}/{total}</dd>'
    )
    if work.comments:
        parts.append(
            f'<dt class="comments">Comments:</dt><dd class="comments">{work.comments:,}</dd>'
        )
    if work.kudos:
        parts.append(f'<dt class="kudos">Kudos:</dt><dd class="kudos">{work.kudos:,}</dd>')
    if work.bookmarks:
        parts.append(
            '<dt class="bookmarks">Bookmarks:</dt><dd class="bookmarks">'
            f'<a href="/works/{work.id}/bookmarks">{work.bookmarks:,}</a></dd>'
        )
    parts.append(f'<dt class="hits">Hits:</dt><dd class="hits">{work.hits:,}</dd>')
    return '<dl class="stats">' + "".join(parts) + "</dl>"


def _series_spans(site: Site, work: SiteWork) -> str:
    spans = []
    for sid, position in work.series:
        title = e(site.series_titles.get(sid, f"Series {sid}"))
        spans.append(
            f'<span class="series"><span class="position">Part {position} of '
            f'<a href="/series/{sid}">{title}</a></span></span>'
        )
    return ", ".join(spans)


def render_work(site: Site, work: SiteWork, chapter: SiteChapter | None = None) -> str:
    """The work page: full view when ``chapter`` is None, else that chapter's view."""
    meta = []
    for css, label, names in (
        ("rating tags", "Rating:", [work.rating]),
        ("warning tags", '<a href="/tos_faq#tags">Archive Warning</a>:', work.warnings),
        ("category tags", "Category:", work.categories),
        ("fandom tags", "Fandom:", work.fandoms),
        ("relationship tags", "Relationship:", work.relationships),
        ("character tags", "Characters:", work.characters),
        ("freeform tags", "Additional Tags:", work.freeforms),
    ):
        if names:
            meta.append(_meta_pair(css, label, f'<ul class="commas">{_tag_list(names)}</ul>'))
    meta.append(
        f'<dt class="language">\nLanguage:\n</dt>\n<dd class="language" lang="en">\n'
        f"{e(work.language)}\n</dd>\n"
    )
    if work.series:
        meta.append(_meta_pair("series", "Series:", _series_spans(site, work)))
    if work.collections:
        links = ", ".join(f'<a href="/collections/{quote(c)}">{e(c)}</a>' for c in work.collections)
        meta.append(_meta_pair("collections", "Collections: ", links))
    meta.append(f'<dt class="stats">Stats:</dt>\n<dd class="stats">\n{_work_stats(work)}\n</dd>\n')

    first = chapter is None or chapter is work.chapters[0]
    preface = [f'<h2 class="title heading">\n{e(work.title)}\n</h2>']
    preface.append(f'<h3 class="byline heading">\n{_byline(work)}\n</h3>')
    if first and work.summary:
        preface.append(
            '<div class="summary module">\n<h3 class="heading">Summary:</h3>\n'
            f'<blockquote class="userstuff">{_paragraphs(work.summary)}</blockquote>\n</div>'
        )
    if first and work.notes:
        preface.append(
            '<div class="notes module">\n<h3 class="heading">Notes:</h3>\n'
            f'<blockquote class="userstuff">{_paragraphs(work.notes)}</blockquote>\n</div>'
        )

    if not work.chaptered:
        body = (
            '<div id="chapters" role="article">\n<h3 class="landmark heading" id="work">'
            f'Work Text:</h3>\n<div class="userstuff">{_paragraphs(work.chapters[0].text)}</div>\n'
            "</div>"
        )
    else:
        shown = work.chapters if chapter is None else [chapter]
        blocks = [_chapter_block(work, c) for c in shown]
        role = ' role="article"' if chapter is None else ""
        body = f'<div id="chapters"{role}>\n' + "\n".join(blocks) + "\n</div>"

    last = chapter is None or chapter is work.chapters[-1]
    afterword = ""
    if last and work.end_notes:
        afterword = (
            '<div class="afterword preface group"><div id="work_endnotes" class="end notes module">'
            '<h3 class="heading">Notes:</h3>'
            f'<blockquote class="userstuff">{_paragraphs(work.end_notes)}</blockquote></div></div>'
        )

    nav = ['<h3 class="landmark heading">Actions</h3>\n<ul class="work navigation actions">']
    if work.chaptered and chapter is not None:
        nav.append(
            f'<li class="chapter entire"><a href="/works/{work.id}?view_full_work=true">'
            "Entire Work</a></li>"
        )
    elif work.chaptered:
        nav.append(
            f'<li class="chapter bychapter"><a href="/works/{work.id}/navigate">'
            "Chapter by Chapter</a></li>"
        )
    nav.append("</ul>")

    title = f"{work.title} - {'Anonymous' if work.anonymous else work.pseud_name} - "
    title += ", ".join(work.fandoms) if len(work.fandoms) < 3 else "Multifandom"
    if chapter is not None and work.chaptered:
        title += f" - Chapter {work.chapters.index(chapter) + 1}"
    main_class = "works-show region" if chapter is None else "chapters-show region"
    body_html = (
        '<!-- BEGIN revealed -->\n<div class="work">\n'
        + "\n".join(nav)
        + '\n<h3 class="landmark heading">Work Header</h3>\n<div class="wrapper">\n'
        + '<dl class="work meta group">\n'
        + "".join(meta)
        + "</dl>\n</div>\n"
        + '<div id="workskin">\n<div class="preface group">\n'
        + "\n".join(preface)
        + "\n</div>\n<!--/descriptions-->\n"
        + body
        + "\n"
        + afterword
        + "\n</div>\n</div>\n<!-- END revealed -->"
    )
    return _page(f"{title} [Archive of Our Own]", main_class, body_html)


def _chapter_block(work: SiteWork, chapter: SiteChapter) -> str:
    n = work.chapters.index(chapter) + 1
    title = f": {e(chapter.title)}" if chapter.title else ""
    parts = [
        f'<div class="chapter" id="chapter-{n}">\n<div class="chapter preface group">\n'
        f'<h3 class="title">\n<a href="/works/{work.id}/chapters/{chapter.chapter_id}">'
        f"Chapter {n}</a>{title}\n</h3>"
    ]
    if chapter.summary:
        parts.append(
            '<div id="summary" class="summary module"><h3 class="heading">Summary:</h3>'
            f'<blockquote class="userstuff">{_paragraphs(chapter.summary)}</blockquote></div>'
        )
    if chapter.notes:
        parts.append(
            '<div id="notes" class="notes module"><h3 class="heading">Notes:</h3>'
            f'<blockquote class="userstuff">{_paragraphs(chapter.notes)}</blockquote></div>'
        )
    parts.append("</div>")
    parts.append(
        '<div class="userstuff module" role="article">\n'
        f'<h3 class="landmark heading" id="work">Chapter Text</h3>\n{_paragraphs(chapter.text)}\n'
        "</div>"
    )
    if chapter.end_notes:
        parts.append(
            f'<div class="chapter preface group"><div id="chapter_{n}_endnotes" '
            'class="end notes module"><h3 class="heading">Notes:</h3>'
            f'<blockquote class="userstuff">{_paragraphs(chapter.end_notes)}</blockquote>'
            "</div></div>"
        )
    parts.append("</div>")
    return "\n".join(parts)


def _required_tag(css: str, title: str) -> str:
    return (
        '<li> <a class="help symbol question modal" title="Symbols key" '
        f'href="/help/symbols-key.html"><span class="{css}" title="{e(title)}">'
        f'<span class="text">{e(title)}</span></span></a></li>'
    )


def render_blurb(site: Site, work: SiteWork, *, bookmark_id: int | None = None) -> str:
    """A work blurb (``li.work.blurb``), or a bookmark blurb when ``bookmark_id`` is given."""
    updated_at = int(dt.datetime.fromisoformat(work.last_date).replace(tzinfo=dt.UTC).timestamp())
    date = dt.date.fromisoformat(work.last_date).strftime("%d %b %Y")
    if "Choose Not To Use Archive Warnings" in work.warnings:
        warning_css = "warning-choosenotto warnings"
    elif work.warnings == ["No Archive Warnings Apply"]:
        warning_css = "warning-no warnings"
    else:
        warning_css = "warning-yes warnings"
    if len(work.categories) > 1:
        category_css = "category-multi category"
    elif work.categories:
        category_css = _CATEGORY_CSS.get(work.categories[0], "category-other") + " category"
    else:
        category_css = "category-none category"
    fandoms = ", ".join(f'<a class="tag" href="{tag_href(f)}">{e(f)}</a>' for f in work.fandoms)
    tags = [
        f'<li class="warnings"><strong><a class="tag" href="{tag_href(w)}">{e(w)}</a></strong></li>'
        for w in work.warnings
    ]
    for css, names in (
        ("relationships", work.relationships),
        ("characters", work.characters),
        ("freeforms", work.freeforms),
    ):
        tags += [
            f'<li class="{css}"><a class="tag" href="{tag_href(n)}">{e(n)}</a></li>' for n in names
        ]
    total = "?" if work.chapters_total is None else str(work.chapters_total)
    posted = len(work.chapters)
    posted_html = (
        f'<a href="/works/{work.id}/chapters/{work.chapters[-1].chapter_id}">{posted}</a>'
        if posted > 1
        else str(posted)
    )
    stats = [
        '<dt class="language">Language:</dt>',
        f'<dd class="language" lang="en">{e(work.language)}</dd>',
        f'<dt class="words">Words:</dt><dd class="words">{work.words:,}</dd>',
        f'<dt class="chapters">Chapters:</dt><dd class="chapters">{posted_html}/{total}</dd>',
    ]
    for name, value in (
        ("comments", work.comments),
        ("kudos", work.kudos),
        ("bookmarks", work.bookmarks),
    ):
        if value:
            stats.append(
                f'<dt class="{name}">{name.title()}:</dt><dd class="{name}">'
                f'<a href="/works/{work.id}/{name}">{value:,}</a></dd>'
            )
    stats.append(f'<dt class="hits">Hits:</dt><dd class="hits">{work.hits:,}</dd>')
    series = ""
    if work.series:
        items = "".join(
            f'<li>Part <strong>{pos}</strong> of <a href="/series/{sid}">'
            f"{e(site.series_titles.get(sid, f'Series {sid}'))}</a></li>"
            for sid, pos in work.series
        )
        series = f'<h6 class="landmark heading">Series</h6>\n<ul class="series">{items}</ul>'
    summary = ""
    if work.summary:
        summary = (
            '<h6 class="landmark heading">Summary</h6>\n<blockquote class="userstuff summary">'
            f"{_paragraphs(work.summary)}</blockquote>"
        )
    if bookmark_id is None:
        opening = (
            f'<li id="work_{work.id}" class="work blurb group work-{work.id} user-1" '
            'role="article">'
        )
    else:
        opening = (
            f'<li id="bookmark_{bookmark_id}" class="bookmark blurb group work-{work.id} user-1" '
            'role="article">'
        )
    header_class = "anonymous header module" if work.anonymous else "header module"
    return f"""{opening}
<div class="{header_class}">
<!-- updated_at={updated_at} -->
<h4 class="heading">
<a href="/works/{work.id}">{e(work.title)}</a>
by
<!-- do not cache -->
{_byline(work)}
</h4>
<h5 class="fandoms heading">
<span class="landmark">Fandoms:</span>
{fandoms}
&nbsp;
</h5>
<ul class="required-tags">
{_required_tag(_RATING_CSS.get(work.rating, "rating-notrated") + " rating", work.rating)}
{_required_tag(warning_css, ", ".join(work.warnings))}
{_required_tag(category_css, ", ".join(work.categories) or "No category")}
{
        _required_tag(
            "complete-yes iswip" if work.complete else "complete-no iswip",
            "Complete Work" if work.complete else "Work in Progress",
        )
    }
</ul>
<p class="datetime">{date}</p>
</div>
<h6 class="landmark heading">Tags</h6>
<ul class="tags commas">
{"".join(tags)}
</ul>
{summary}
{series}
<dl class="stats">
{"".join(stats)}
</dl>
</li>"""


def pagy_nav(path: str, query: dict[str, str], page: int, last: int, *, more: bool = False) -> str:
    """AO3's 2025 pagy pagination block (works and bookmarks indexes).

    ``more``: link a next page even from the last one (see ``Site.clamp_keeps_next``).
    """
    if last <= 1 and not more:
        return ""

    def href(n: int) -> str:
        return e(path + "?" + urlencode({**query, "page": str(n)}))

    items = []
    if page > 1:
        items.append(f'<li class="previous"><a href="{href(page - 1)}">← Previous</a></li>')
    else:
        items.append('<li class="previous"><span class="disabled">← Previous</span></li>')
    shown = sorted({1, 2, last - 1, last, *range(page - 3, page + 4)} & set(range(1, last + 1)))
    prev = 0
    for n in shown:
        if n > prev + 1:
            items.append('<li><span class="gap">…</span></li>')
        if n == page:
            items.append(
                f'<li><a role="link" aria-disabled="true" aria-current="page" class="current">'
                f"{n}</a></li>"
            )
        else:
            items.append(f'<li><a href="{href(n)}">{n}</a></li>')
        prev = n
    if page < last or more:
        items.append(f'<li class="next"><a href="{href(page + 1)}">Next →</a></li>')
    else:
        items.append('<li class="next"><span class="disabled">Next →</span></li>')
    return (
        '<h4 class="landmark heading">Navigation</h4><ol class="pagination actions pagy" '
        'role="navigation" aria-label="Pagination">' + "".join(items) + "</ol>"
    )


def will_paginate_nav(path: str, query: dict[str, str], page: int, last: int) -> str:
    """The older will_paginate block (series pages, search results)."""
    if last <= 1:
        return ""

    def href(n: int) -> str:
        return e(path + "?" + urlencode({**query, "page": str(n)}))

    items = []
    if page > 1:
        items.append(
            f'<li class="previous" title="previous"><a rel="prev" href="{href(page - 1)}">'
            "← Previous</a></li>"
        )
    else:
        items.append('<li class="previous" title="previous"><span>← Previous</span></li>')
    for n in range(max(1, page - 4), min(last, page + 4) + 1):
        if n == page:
            items.append(f'<li><span class="current">{n}</span></li>')
        else:
            rel = ' rel="next"' if n == page + 1 else ' rel="prev"' if n == page - 1 else ""
            items.append(f'<li><a{rel} href="{href(n)}">{n}</a></li>')
    if page < last:
        items.append(
            f'<li class="next" title="next"><a rel="next" href="{href(page + 1)}">Next →</a></li>'
        )
    else:
        items.append('<li class="next" title="next"><span>Next →</span></li>')
    return (
        '<h4 class="landmark heading">Pages Navigation</h4><ol class="pagination actions" '
        'role="navigation" title="pagination">' + "".join(items) + "</ol>"
    )


def render_listing(
    site: Site,
    works: list[SiteWork] | list[SiteWork | int],
    *,
    path: str,
    query: dict[str, str],
    heading_suffix: str,
    main_class: str = "works-index region",
    bookmarks: bool = False,
) -> str:
    """A works or bookmarks index page, clamped to the last reachable page like AO3's.

    In a bookmarks page an ``int`` is a bookmarked series (see :func:`render_series_bookmark`).
    """
    total = len(works)
    last = max(1, min(site.max_pages, math.ceil(total / PER_PAGE)))
    try:
        page = max(1, int(query.get("page", "1")))
    except ValueError:
        page = 1
    page = min(page, last)
    chunk = works[(page - 1) * PER_PAGE : page * PER_PAGE]
    noun = "Bookmarks" if bookmarks else "Works"
    if last > 1:
        first_n = (page - 1) * PER_PAGE + 1
        heading = f"{first_n} - {first_n + len(chunk) - 1} of {total:,} {noun}{heading_suffix}"
    else:
        heading = f"{total:,} {noun if total != 1 else noun[:-1]}{heading_suffix}"
    query = {k: v for k, v in query.items() if k != "page"}
    more = site.clamp_keeps_next and page == last and total > last * PER_PAGE
    nav = pagy_nav(path, query, page, last, more=more)
    if bookmarks:
        blurbs = "\n".join(
            render_series_bookmark(site, w)
            if isinstance(w, int)
            else render_blurb(site, w, bookmark_id=90000 + w.id)
            for w in chunk
        )
        listing = f'<ol class="bookmark index group">\n{blurbs}\n</ol>'
    else:
        blurbs = "\n".join(render_blurb(site, w) for w in chunk)
        listing = f'<ol class="work index group">\n{blurbs}\n</ol>'
    body = (
        f'<h2 class="heading">\n {heading}\n</h2>\n{nav}\n'
        f'<h3 class="landmark heading">Listing {noun}</h3>\n{listing}\n{nav}'
    )
    return _page(f"{noun} | Archive of Our Own", main_class, body)


def render_series_bookmark(site: Site, sid: int) -> str:
    """A bookmark of a series: counted in the heading, not a work blurb."""
    title = e(site.series_titles.get(sid, f"Series {sid}"))
    return (
        f'<li id="bookmark_{80000 + sid}" class="bookmark blurb group series-{sid} user-1" '
        f'role="article">\n<div class="header module">\n<h4 class="heading">'
        f'<a href="/series/{sid}">{title}</a></h4>\n</div>\n</li>'
    )


def render_series(site: Site, sid: int, query: dict[str, str]) -> str:
    members = sorted(
        ((pos, w) for w in site.visible() for s, pos in w.series if s == sid),
        key=lambda item: item[0],
    )
    works = [w for _, w in members]
    last = max(1, math.ceil(len(works) / PER_PAGE))
    try:
        page = min(last, max(1, int(query.get("page", "1"))))
    except ValueError:
        page = 1
    chunk = works[(page - 1) * PER_PAGE : page * PER_PAGE]
    title = site.series_titles.get(sid, f"Series {sid}")
    nav = will_paginate_nav(f"/series/{sid}", {}, page, last)
    blurbs = "\n".join(render_blurb(site, w) for w in chunk)
    words = sum(w.words for w in works)
    body = (
        f'<h2 class="heading">\n{e(title)}\n</h2>\n<div class="wrapper">\n'
        '<dl class="series meta group">\n<dt>Creator:</dt>\n<dd><a rel="author" '
        'href="/users/author/pseuds/author">author</a></dd>\n'
        "<dt>Series Begun:</dt>\n<dd>2024-01-01</dd>\n<dt>Series Updated:</dt>\n"
        f"<dd>{max((w.last_date for w in works), default='2024-01-01')}</dd>\n"
        '<dt class="stats">Stats:</dt>\n<dd class="stats"><dl class="stats">'
        f'<dt class="words">Words:</dt><dd class="words">{words:,}</dd>'
        f'<dt class="works">Works:</dt><dd class="works">{len(works)}</dd>'
        "<dt>Complete:</dt><dd>No</dd></dl></dd>\n</dl>\n</div>\n"
        f'<h3 class="landmark heading">Listing Series</h3>\n{nav}\n'
        f'<ul class="series work index group">\n{blurbs}\n</ul>\n{nav}'
    )
    return _page(f"{title} | Archive of Our Own", "series-show region", body)


def render_search(site: Site, query: dict[str, str]) -> str:
    needle = query.get("work_search[query]", "").lower()
    works = [w for w in site.visible() if needle in w.title.lower()]
    last = max(1, min(site.max_pages, math.ceil(len(works) / PER_PAGE)))
    try:
        page = min(last, max(1, int(query.get("page", "1"))))
    except ValueError:
        page = 1
    chunk = works[(page - 1) * PER_PAGE : page * PER_PAGE]
    rest = {k: v for k, v in query.items() if k != "page"}
    nav = will_paginate_nav("/works/search", rest, page, last)
    blurbs = "\n".join(render_blurb(site, w) for w in chunk)
    found = f"{len(works):,} Found" if works else "No results found."
    body = (
        '<h2 class="heading">Search Results</h2>\n'
        f'<h4 class="heading">You searched for: {e(needle)}</h4>\n'
        f'<h3 class="heading">{found}</h3>\n{nav}\n'
        f'<h3 class="landmark heading">Listing Works</h3>\n'
        f'<ol class="work index group">\n{blurbs}\n</ol>\n{nav}'
    )
    return _page("Search Works | Archive of Our Own", "works-search region", body)


def render_interstitial(site: Site, work: SiteWork, path: str) -> str:
    body = (
        '<h2 class="landmark heading">Adult Content Warning</h2>\n<p class="caution">\n'
        "This work could have adult content. If you continue, you have agreed that you are "
        'willing to see such content.\n</p>\n<ul class="actions" role="navigation">\n'
        f'<li>\n<a href="{e(path)}?view_adult=true">Yes, Continue</a>\n</li>\n'
        '<li>\n<a href="javascript:history.back()">No, Go Back</a>\n</li>\n</ul>\n'
        '<p class="message footnote">\nIf you accept cookies from our site and you choose '
        '"Yes, Continue", you will not be asked again during this session.\n</p>\n'
        '<div class="clear"></div>\n<ol class="work index group">\n'
        f"{render_blurb(site, work)}\n</ol>"
    )
    main_class = "chapters-show region" if "/chapters/" in path else "works-show region"
    return _page(f"{work.title} | Archive of Our Own", main_class, body)


def render_login(return_to: str, restricted: bool) -> str:
    heading = "Sorry!" if restricted else "Log in"
    message = (
        "<p>\nThis work is only available to registered users of the Archive.\n"
        "If you already have an Archive of Our Own account, log in now.\n"
        'If you don\'t have an account, you can <a href="/invite_requests">request an '
        "invitation to join</a>.\n</p>\n"
        if restricted
        else ""
    )
    action = e("/users/login?" + urlencode({"return_to": return_to}))
    body = (
        f'<div id="signin">\n<h3 class="heading">{heading}</h3>\n{message}'
        f'<div id="loginform">\n<form class="new_user" id="new_user" action="{action}" '
        'method="post"><dl><dt><label for="user_login">Username or email:</label></dt>'
        '<dd><input type="text" name="user[login]" id="user_login" /></dd>'
        '<dt><label for="user_password">Password:</label></dt>'
        '<dd><input type="password" name="user[password]" id="user_password" /></dd></dl>'
        "</form>\n</div>\n</div>"
    )
    return _page("New Session | Archive of Our Own", "sessions-new system session region", body)


def render_404() -> str:
    body = (
        '<h2 class="heading">Error 404</h2>\n'
        '<h3 class="heading">The page you were looking for doesn\'t exist.</h3>\n'
        "<p>You may have mistyped the address or the page may have been deleted.</p>"
    )
    return _page("404 Error | Archive of Our Own", "system errors error-404 region", body)


def render_mystery(path: str) -> str:
    body = (
        '<p class="notice">\nThis work is part of an ongoing challenge and will be revealed soon!\n'
        'You can find details here: \n<a href="/collections/mystery_fest">Mystery Fest</a>\n</p>\n'
        "<!-- BEGIN revealed -->\n<!-- END revealed -->"
    )
    main_class = "chapters-show region" if "/chapters/" in path else "works-show region"
    return _page("Mystery Work | Archive of Our Own", main_class, body)


# ---------------------------------------------------------------------------------------------
# The HTTP side
# ---------------------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


def _html(status: int, text: str, **headers: str) -> Response:
    return Response(status, text.encode("utf-8"), headers=dict(headers))


def _redirect(location: str) -> Response:
    body = f'<html><body>You are being <a href="{e(location)}">redirected</a>.</body></html>'
    return Response(302, body.encode(), headers={"Location": location})


def route(site: Site, path: str, query: dict[str, str]) -> Response:
    """Answer one GET like AO3 would (faults and throttling are applied by the handler)."""
    with site.lock:
        if path == "/robots.txt":
            if site.robots_txt is None:
                return _html(404, render_404())
            return Response(200, site.robots_txt.encode(), "text/plain; charset=utf-8")
        match = re.fullmatch(r"/works/(\d+)(?:/chapters/(\d+))?", path)
        if match:
            return _work_route(site, int(match.group(1)), match.group(2), path, query)
        if path == "/users/login":
            return _html(
                200, render_login(query.get("return_to", "/"), query.get("restricted") == "true")
            )
        if path == "/works/search":
            return _html(200, render_search(site, query))
        match = re.fullmatch(r"/series/(\d+)", path)
        if match:
            return _html(200, render_series(site, int(match.group(1)), query))
        match = re.fullmatch(r"/tags/([^/]+)/works", path)
        if match:
            tag = tag_from_path(match.group(1))
            works = [w for w in site.visible() if tag in w.tags]
            suffix = f' in <a class="tag" href="/tags/{match.group(1)}">{e(tag)}</a>'
            return _html(
                200, render_listing(site, works, path=path, query=query, heading_suffix=suffix)
            )
        match = re.fullmatch(r"/users/([^/]+)(?:/pseuds/([^/]+))?/works", path)
        if match:
            user, pseud = unquote(match.group(1)), match.group(2) and unquote(match.group(2))
            works = [
                w
                for w in site.visible()
                if w.user == user and not w.anonymous and (pseud is None or w.pseud_name == pseud)
            ]
            return _html(
                200,
                render_listing(
                    site, works, path=path, query=query, heading_suffix=f" by {e(pseud or user)}"
                ),
            )
        match = re.fullmatch(r"/collections/([^/]+)/works", path)
        if match:
            name = unquote(match.group(1))
            works = [w for w in site.visible() if name in w.collections]
            suffix = f' in <a href="/collections/{match.group(1)}">{e(name)}</a>'
            return _html(
                200,
                render_listing(
                    site,
                    works,
                    path=path,
                    query=query,
                    heading_suffix=suffix,
                    main_class="works-index collection region",
                ),
            )
        match = re.fullmatch(r"/users/([^/]+)/bookmarks", path)
        if match:
            user = unquote(match.group(1))
            visible = {w.id: w for w in site.visible()}
            # a negative id is a bookmark of the series -id (listed, but not a work)
            bookmarked = site.bookmarks.get(user, [])
            works = [-i if i < 0 else visible[i] for i in bookmarked if i < 0 or i in visible]
            return _html(
                200,
                render_listing(
                    site,
                    works,
                    path=path,
                    query=query,
                    heading_suffix=f" by {e(user)}",
                    main_class="bookmarks-index region",
                    bookmarks=True,
                ),
            )
        return _html(404, render_404())


def _work_route(site: Site, wid: int, chapter_id: str | None, path: str, query: dict) -> Response:
    work = site.works.get(wid)
    if work is None or work.deleted:
        return _html(404, render_404())
    return_to = path + ("?" + urlencode(query) if query else "")
    if work.restricted:
        return _redirect(
            "/users/login?" + urlencode({"restricted": "true", "return_to": return_to})
        )
    if work.hidden:
        return _redirect("/users/login?" + urlencode({"return_to": return_to}))
    chapter = None
    if chapter_id is not None:
        chapter = next((c for c in work.chapters if c.chapter_id == int(chapter_id)), None)
        if chapter is None:
            return _html(404, render_404())
    elif work.chaptered and query.get("view_full_work") != "true":
        keep = {"view_adult": query["view_adult"]} if "view_adult" in query else {}
        target = f"/works/{wid}/chapters/{work.chapters[0].chapter_id}"
        return _redirect(target + ("?" + urlencode(keep) if keep else ""))
    if work.unrevealed:
        return _html(200, render_mystery(path))
    if work.adult and query.get("view_adult") != "true":
        return _html(200, render_interstitial(site, work, path))
    return _html(200, render_work(site, work, chapter))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go in two writes: no 40 ms ACK stalls
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # quiet: the log is ours
        return

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        entry = LogEntry(time.monotonic(), "GET", self.path, 0, dict(self.headers.items()))
        owner = self.server.owner
        owner.record(entry)
        site = owner.site
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        try:
            response = self._throttled(site, entry.t)
            fault = None if response else site.take_fault(self.path)
            if response is None and fault is not None:
                response = self._fault(owner, fault)
                if response is None:  # the fault already wrote (or refused to write) the answer
                    entry.status = 200 if fault.kind in ("drop", "drip") else 0
                    return
            if response is None:
                if site.latency:
                    owner.stopping.wait(site.latency)
                response = route(site, parts.path, query)
            entry.status = response.status
            self._send(response)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _throttled(self, site: Site, now: float) -> Response | None:
        throttle = site.throttle
        if throttle is None:
            return None
        window = int(now // throttle.period)
        with site.lock:
            owner = self.server.owner
            if owner.throttle_window != window:
                owner.throttle_window, owner.throttle_count = window, 0
            owner.throttle_count += 1
            if owner.throttle_count <= throttle.limit:
                return None
        wait = max(1, math.ceil((window + 1) * throttle.period - now))
        if throttle.http_date:
            when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=wait + 1)
            retry_after = format_datetime(when.replace(microsecond=0), usegmt=True)
        else:
            retry_after = str(wait)
        return Response(429, b"Retry later\n", "text/plain", {"Retry-After": retry_after})

    def _fault(self, owner: AO3Server, fault: Fault) -> Response | None:
        kind = fault.kind
        if kind == "status":
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            if fault.retry_after and fault.http_date:
                when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=float(fault.retry_after))
                headers["Retry-After"] = format_datetime(when.replace(microsecond=0), usegmt=True)
            text = f"<html><body><h2>Error {fault.status}</h2></body></html>"
            return _html(fault.status, text, **headers)
        if kind == "cloudflare":
            return _html(
                403, CLOUDFLARE_CHALLENGE, **{"cf-mitigated": "challenge", "Server": "cloudflare"}
            )
        if kind == "cf525":
            return _html(525, CLOUDFLARE_525, Server="cloudflare")
        if kind == "slow":
            owner.stopping.wait(fault.delay)
            return self._normal()
        if kind == "hang":
            owner.stopping.wait(fault.delay)
            self.close_connection = True
            return None
        if kind == "drop":
            full = self._normal()
            self.send_response(full.status)
            self.send_header("Content-Type", full.content_type)
            self.send_header("Content-Length", str(len(full.body)))
            self.end_headers()
            self.wfile.write(full.body[: len(full.body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return None
        if kind == "truncate":
            full = self._normal()
            return Response(full.status, full.body[: len(full.body) // 2], full.content_type)
        if kind == "redirect_loop":
            return _redirect(self.path)
        if kind == "redirect_offhost":
            return _redirect("http://elsewhere.invalid" + self.path)
        if kind == "not_html":
            return Response(200, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "image/png")
        if kind in HOSTILE:
            return HOSTILE[kind](self, owner, fault)
        if kind == "oversize":
            chunk = b"<p>" + b"x" * 1000 + b"</p>\n"
            return Response(200, b"<html><body>" + chunk * (fault.size // len(chunk) + 1))
        raise ValueError(f"unknown fault kind {kind!r}")

    def _drip(self, owner: AO3Server, fault: Fault) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(fault.size))
        self.end_headers()
        for _ in range(fault.size):
            self.wfile.write(b" ")
            self.wfile.flush()
            if owner.stopping.wait(fault.delay):
                break
        self.close_connection = True

    def _normal(self) -> Response:
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        return route(self.server.owner.site, parts.path, query)

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.body)


def _encoded(handler: _Handler, coding: str) -> Response:
    page = handler._normal()
    data = gzip.compress(page.body) if coding == "gzip" else zlib.compress(page.body)
    return Response(page.status, data, page.content_type, {"Content-Encoding": coding})


@functools.cache
def gzipped_zeros(size: int) -> bytes:
    """A gzip member inflating to ``size`` zero bytes (whole MiB), built in well under a second:
    after a full flush deflate forgets its history, so every MiB of zeros compresses to the
    same bytes and the stream is one block repeated."""
    mib, zeros = max(1, size >> 20), bytes(1 << 20)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    first = deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)
    again = deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(mib):
        crc = zlib.crc32(zeros, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    trailer = struct.pack("<II", crc, (mib << 20) & 0xFFFFFFFF)
    return header + first + again * (mib - 1) + deflate.flush() + trailer


def _bomb(handler: _Handler, owner: AO3Server, fault: Fault) -> Response:
    return Response(200, gzipped_zeros(fault.size), headers={"Content-Encoding": "gzip"})


def _stacked_bomb(handler: _Handler, owner: AO3Server, fault: Fault) -> Response:
    body = gzip.compress(gzipped_zeros(fault.size), 9)
    return Response(200, body, headers={"Content-Encoding": "gzip, gzip"})


def _gzip_corrupt(handler: _Handler, owner: AO3Server, fault: Fault) -> Response:
    body = gzip.compress(handler._normal().body)[:10] + bytes(range(256)) * 8
    return Response(200, body, headers={"Content-Encoding": "gzip"})


def _drip(handler: _Handler, owner: AO3Server, fault: Fault) -> None:
    handler._drip(owner, fault)


HOSTILE: dict[str, Callable[[_Handler, AO3Server, Fault], Response | None]] = {
    "gzip": lambda handler, owner, fault: _encoded(handler, "gzip"),
    "deflate": lambda handler, owner, fault: _encoded(handler, "deflate"),
    "gzip_corrupt": _gzip_corrupt,
    "bad_location": lambda handler, owner, fault: Response(
        302, b"", headers={"Location": fault.location}
    ),
    "bomb": _bomb,
    "stacked_bomb": _stacked_bomb,
    "drip": _drip,
}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: AO3Server

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients that hang up (timeouts, cancelled crawls) are normal here, not errors."""
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


class AO3Server:
    """Runs a :class:`Site` on ``http://127.0.0.1:PORT`` in a background thread."""

    def __init__(self, site: Site | None = None) -> None:
        self.site = site or make_site()
        self.stopping = threading.Event()
        self.throttle_window = -1
        self.throttle_count = 0
        self._log: list[LogEntry] = []
        self._log_lock = threading.Lock()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._switch_interval = sys.getswitchinterval()

    @property
    def url(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> AO3Server:
        # Threads take turns on the GIL every 5 ms by default; a request arriving while another
        # thread renders a page would be timestamped late. A short interval keeps the log's
        # arrival times within about a millisecond of the truth while the server runs.
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(0.0005)
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, daemon=True, kwargs={"poll_interval": 0.05}
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        sys.setswitchinterval(self._switch_interval)

    def __enter__(self) -> AO3Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- the request log ----------------------------------------------------------------------

    def record(self, entry: LogEntry) -> None:
        with self._log_lock:
            self._log.append(entry)

    @property
    def log(self) -> list[LogEntry]:
        """A snapshot of every request so far, in arrival order."""
        with self._log_lock:
            return sorted(self._log, key=lambda entry: entry.t)

    def requests(
        self, contains: str = "", *, where: Callable[[LogEntry], bool] | None = None
    ) -> list[LogEntry]:
        """Logged requests whose path+query contains ``contains`` (and satisfy ``where``)."""
        return [x for x in self.log if contains in x.path and (where is None or where(x))]

    def clear_log(self) -> None:
        with self._log_lock:
            self._log.clear()


def main() -> None:
    """Serve a demo site by hand: ``python tests/ao3server.py [WORKS] [LATENCY]``."""
    works = int(sys.argv[1]) if len(sys.argv) > 1 else 45
    site = make_site(works)
    if len(sys.argv) > 2:
        site.latency = float(sys.argv[2])
    with AO3Server(site) as server:
        print(f"fake AO3 on {server.url} ({works} works tagged 'Test Tag'); Ctrl-C stops")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
