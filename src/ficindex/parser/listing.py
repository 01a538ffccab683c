"""Listing pages -> one record of kind ``listing`` holding every work blurb on the page.

Covered: tag works, user and pseud works, collection works, bookmarks, Marked
for Later (readings), works search results and series pages.

What the listing record holds:

* ``title``: the page's main heading as shown, whitespace collapsed
  ("1 - 20 of 111,471 Works in Sherlock Holmes", "Search Results", a series
  title). Every other record-level field stays empty; the works are in
  ``listing.works``.
* ``listing.total``: the number in the heading ("1 - 20 of 12,345 Works in",
  "20 Bookmarks by", "1 Work in", "0 Works"), in a search's "12,345 Found", or
  a series page's "Works:" stat. A page that shows no count and has no
  pagination (Marked for Later) is the whole list, so its total is the number
  of blurbs; otherwise None.
* ``listing.page``: the current page from the pagination (pagy's ``a.current``
  or will_paginate's ``span.current``), else the ``page`` parameter of ``url``,
  else 1.
* ``listing.next_url``: the "Next" link of either pagination markup (pagy,
  since 2025, has no ``rel=next``; will_paginate has ``a[rel=next]``), made
  absolute against ``url`` when one is given, else as written on the page.
  None on the last page.
* ``listing.works``: one record per work blurb (see ficindex.parser.blurb),
  kind ``work`` or ``unrevealed`` for mystery blurbs. Bookmarks of series, of
  external works and of deleted items are not AO3 works and are left out,
  so on a bookmarks page ``len(works)`` can be below the heading's count.

AO3's result cap: search-backed listings (tag, user and collection works,
search results, bookmarks) serve a limited number of results (100,000 on AO3
today, page 5,000 at 20 per page); a higher ``page`` is clamped to the last one
instead of failing, and the heading still shows the true total. No constant
decides it: :func:`capped_at` reads the cap from the page (AO3's "Displaying
100000 results out of ..." notice, or a total past the last page the
pagination links), and :func:`unreachable_works` counts the works past the
last page served, so a crawl can split the listing or report the rest.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ficindex.parser.blurb import parse_blurb
from ficindex.parser.common import class_among, clean, to_int
from ficindex.record import Listing, Record

#: Works per listing page (AO3 shows 20 blurbs per page).
PER_PAGE = 20

#: ``div#main`` classes (controller-action) of the listing pages.
_LISTING_ACTIONS = frozenset(
    {
        "works-index",
        "works-collected",
        "works-search",
        "bookmarks-index",
        "bookmarks-search",
        "readings-index",
        "series-show",
    }
)
#: Search pages are listings only once they show results, not as the empty search form.
_SEARCH_ACTIONS = frozenset({"works-search", "bookmarks-search"})
#: ``div#main`` classes of a work's own pages (the work, a chapter, its chapter index):
#: never a listing, even the adult-content interstitial that embeds the work's blurb.
WORK_ACTIONS = frozenset({"works-show", "chapters-show", "works-navigate"})

_KNOWN_ACTIONS = _LISTING_ACTIONS | WORK_ACTIONS

_BLURBS = "li.work.blurb, li.bookmark.blurb"
_INDEX_WITH_BLURB = (
    "ol.work.index li.work.blurb, ol.bookmark.index li.bookmark.blurb, "
    "ul.series.work.index li.work.blurb"
)
_RANGE_TOTAL = re.compile(r"\d[\d,]*\s*-\s*\d[\d,]*\s+of\s+(\d[\d,]*)")
_COUNT_TOTAL = re.compile(r"^(\d[\d,]*)\s+(?:Works?|Bookmarks?|Bookmarked Items?)\b")
_FOUND_TOTAL = re.compile(r"^(\d[\d,]*)\s+Found\b")


def unreachable_works(total: int, last_page: int) -> int:
    """How many of ``total`` results lie past ``last_page``, the last page served (0 when none do).

    Counted in page slots, not in works read, so a bookmarks listing (whose
    total counts bookmarks that are not works) ending on its last page has none.
    """
    return max(total - max(last_page, 0) * PER_PAGE, 0)


_PAGE_LINK = re.compile(r"[?&;]page=(\d+)")
_CAP_NOTICE = re.compile(r"Displaying (\d+) results out of (\d+)")


def reachable_pages(html: str, current: int) -> int:
    """The last page the pagination links (pagy always links the last one), at least ``current``."""
    return max([current, *(int(n) for n in _PAGE_LINK.findall(html))])


def capped_at(html: str, total: int | None, current: int) -> int | None:
    """How many results the listing serves if it serves fewer than its ``total``, else None.

    Read from the page itself: AO3's "Displaying 100000 results out of 423456"
    notice, or a heading total past the last page the pagination reaches.
    No constant decides it, so a listing capped at any depth is noticed.
    """
    notice = _CAP_NOTICE.search(html)
    if notice and int(notice.group(2)) > int(notice.group(1)):
        return int(notice.group(1))
    reach = reachable_pages(html, current) * PER_PAGE
    return reach if total is not None and total > reach else None


def is_listing(tree: LexborHTMLParser, *, main: LexborNode | None = None) -> bool:
    """Whether the page is a listing of work blurbs (not a work page or its interstitial).

    The ``div#main`` class names the controller action, the most reliable
    signal; pages without it (saved fragments) count as listings when they
    hold a blurb inside an index list and no work-page markers. ``main`` is the
    page's ``div#main`` when the caller has found it already (each lookup walks
    the page); None looks it up.
    """
    if main is None:
        main = tree.css_first("div#main")
    action = _action(main)
    if action in WORK_ACTIONS:
        return False
    if action in _LISTING_ACTIONS:
        if action in _SEARCH_ACTIONS:
            return _has_search_results(main)
        return True
    root = main if main is not None else tree.root
    if root is None or root.css_first(_INDEX_WITH_BLURB) is None:
        return False
    return root.css_first("p.caution, div#workskin, dl.work.meta") is None


def parse_listing(
    tree: LexborHTMLParser, url: str | None, *, main: LexborNode | None = None
) -> Record:
    """The ``listing`` record of a listing page; ``url`` (optional) is the page's own address.

    ``main``, as for :func:`is_listing`: the page's ``div#main`` if already found.
    """
    if main is None:
        main = tree.css_first("div#main") or tree.body or tree.root
    if main is None:
        return Record(kind="listing", listing=Listing(page=_page_from_url(url) or 1))
    heading_text = _heading_text(main)
    pagination = main.css("ol.pagination")
    works = _works(main)
    total = _total(main, heading_text)
    if total is None and not pagination and _action(main) in _LISTING_ACTIONS:
        total = len(works)
    return Record(
        kind="listing",
        title=heading_text or None,
        listing=Listing(
            total=total,
            page=_current_page(pagination) or _page_from_url(url) or 1,
            next_url=_next_url(pagination, url),
            works=works,
        ),
    )


def _heading_text(main: LexborNode) -> str:
    heading = main.css_first("h2.heading")
    return clean(heading.text_lexbor()) if heading is not None else ""


def _works(main: LexborNode) -> list[Record]:
    """A record per blurb that is an AO3 work (bookmarked series and external works left out)."""
    records = (parse_blurb(li) for li in main.css(_BLURBS))
    return [record for record in records if record.kind in ("work", "unrevealed")]


def _action(main: LexborNode | None) -> str:
    """The controller-action class of ``div#main`` (``works-index``) this module knows, or ""."""
    if main is None:
        return ""
    return class_among(main, _KNOWN_ACTIONS) or ""


def _has_search_results(main: LexborNode | None) -> bool:
    """A search page shows results (or "No results found") under an h2 "Search Results"."""
    heading = main.css_first("h2.heading") if main is not None else None
    return heading is not None and clean(heading.text_lexbor()) == "Search Results"


def _total(main: LexborNode, heading_text: str) -> int | None:
    """The result count from the heading, a search's "N Found", or a series page's stats."""
    match = _RANGE_TOTAL.search(heading_text) or _COUNT_TOTAL.search(heading_text)
    if match:
        return to_int(match.group(1))
    for found in main.css("h3.heading"):
        match = _FOUND_TOTAL.search(clean(found.text_lexbor()))
        if match:
            return to_int(match.group(1))
    if heading_text == "Search Results" and any(
        clean(p.text_lexbor()).startswith("No results found") for p in main.css("p")
    ):
        return 0
    series_works = main.css_first("dl.series.meta dd.works")
    if series_works is not None:
        return to_int(clean(series_works.text_lexbor()))
    return None


def _current_page(pagination: list[LexborNode]) -> int | None:
    """pagy marks the current page ``a.current``; will_paginate ``span.current``."""
    for block in pagination:
        current = block.css_first("a.current, span.current")
        if current is not None:
            return to_int(clean(current.text_lexbor()))
    return None


def _page_from_url(url: str | None) -> int | None:
    """The ``page`` query parameter of ``url``, if it is a number."""
    if not url:
        return None
    values = parse_qs(urlsplit(url).query).get("page")
    return to_int(values[0]) if values else None


def _next_url(pagination: list[LexborNode], url: str | None) -> str | None:
    """The "Next" href (``li.next a``, or will_paginate's ``a[rel=next]``); None on the last page.

    A disabled "Next" is a ``span``, so the last page simply has no such link.
    """
    for block in pagination:
        link = block.css_first('li.next a[href], a[rel="next"][href]')
        if link is not None:
            href = link.attributes.get("href") or ""
            if href:
                try:
                    return urljoin(url, href) if url else href
                except ValueError:  # a malformed link (an unclosed "[" host): no next page
                    return None
    return None
