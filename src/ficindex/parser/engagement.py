"""Kudos givers and a work's public bookmarks (AO3-MARKUP sections 1.8, 7.3 and 7.4).

The kudos paragraph of work pages is read from real saved pages; the
``/works/ID/kudos`` index and ``/works/ID/bookmarks`` are read from otwarchive's
templates only (no saved live copy exists), so every selector here is the
narrowest one those templates promise. Comment threads live in
:mod:`ficindex.parser.comments`.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ficindex.engagement_record import Bookmark, BookmarksPage, KudosPage
from ficindex.errors import ParseError
from ficindex.parser.common import (
    author_from_href,
    clean,
    collections_from,
    iso_date,
    to_int,
    work_id_from_href,
)
from ficindex.parser.decode import decode_source
from ficindex.parser.guard import MAX_DEPTH, MAX_PAGE_BYTES, too_deep

#: ``/users/LOGIN`` (kudos link to users, not pseuds); the login is URL-encoded.
_USER = re.compile(r"/users/([^/?#]+)/?$")
_GUESTS = re.compile(r"([\d,.]+)\s+guests?\b")
#: "1 - 50 of 962 Users Who Left Kudos", "57 Users Who ...", " 1 - 20 of 712 Bookmarks".
_TOTAL = re.compile(r"(?:of\s+)?([\d,.]+)\s+(?:Users?|Bookmarks?)\b")
_PAGE = re.compile(r"[?&]page=(\d{1,9})(?!\d)")
#: Links in the kudos paragraph that are not givers: the "N more users" and
#: "(collapse)" controls of both the current and the pre-2021 markup.
_NOT_GIVERS = frozenset(("kudos_more_link", "kudos_summary", "kudos_collapser"))


def user_from_href(href: str | None) -> str | None:
    """The login in ``/users/LOGIN`` (absolute URLs too); None for any other link."""
    match = _USER.search(href or "")
    return unquote(match.group(1)) if match else None


#: The kudos paragraph of a work page (or of the kudos index).
KUDOS_PARAGRAPH = "div#kudos p.kudos"


def kudos_paragraph(container: LexborNode) -> tuple[list[str], int | None]:
    """(logins, guest count) from the ``div#kudos`` under ``container``.

    Logins come from the hrefs, so the pre-2021 pseud bylines ("Fae (Marina_Rosette)")
    and the names hidden in ``span.kudos_expanded`` give the login too. No
    paragraph (no ``div#kudos``, or an empty one: nobody left kudos) gives
    ``([], None)``; a paragraph without a guest clause gives 0 guests.
    """
    return read_kudos_paragraph(container.css_first(KUDOS_PARAGRAPH))


def read_kudos_paragraph(paragraph: LexborNode | None) -> tuple[list[str], int | None]:
    """:func:`kudos_paragraph` for a paragraph already found (``KUDOS_PARAGRAPH``)."""
    if paragraph is None:
        return [], None
    users: list[str] = []
    for link in paragraph.css("a"):
        if link.id in _NOT_GIVERS:
            continue
        login = user_from_href(link.attributes.get("href"))
        if login is not None:
            users.append(login)
    # Only the paragraph's own text (its text nodes, as own_text reads them, in one call):
    # a login can never be read as the guest clause.
    guests = _GUESTS.search(clean(paragraph.text(deep=False, separator=" ")))
    return users, (to_int(guests.group(1)) or 0) if guests else 0


def parse_kudos_page(html: str | bytes, url: str | None = None) -> KudosPage:
    """A ``/works/ID/kudos`` page (kudos/index.html.erb; template-only, see module doc)."""
    main = main_of(html)
    page = KudosPage(work_id=work_id_from_href(url))
    if main is None:
        return page
    page.page = page_number(main, url)
    heading = main.css_first("h2.heading")
    if heading is not None:
        link = heading.css_first("a[href*='/works/']")
        if link is not None:
            page.work_id = work_id_from_href(link.attributes.get("href")) or page.work_id
        total = _TOTAL.search(clean(heading.text_lexbor()))
        page.total_users = to_int(total.group(1)) if total else None
    for sub in main.css("h3.heading"):
        guests = _GUESTS.search(clean(sub.text_lexbor()))
        if guests:
            page.guests = to_int(guests.group(1)) or 0
    page.users, _ = kudos_paragraph(main)
    page.next_url = next_page_url(main)
    return page


def parse_bookmarks_page(html: str | bytes, url: str | None = None) -> BookmarksPage:
    """A ``/works/ID/bookmarks`` page (bookmarks/index + _bookmark_blurb_short; template-only)."""
    main = main_of(html)
    page = BookmarksPage(work_id=work_id_from_href(url))
    if main is None:
        return page
    page.page = page_number(main, url)
    heading = main.css_first("h2.heading")
    if heading is not None:
        total = _TOTAL.search(clean(heading.text_lexbor()))
        page.total = to_int(total.group(1)) if total else None
    blurb = main.css_first("li.work.blurb")
    if blurb is not None:
        own = (blurb.attributes.get("id") or "").removeprefix("work_")
        page.work_id = int(own) if own.isdecimal() and len(own) <= 18 else page.work_id
    page.bookmarks = [b for b in map(_bookmark, main.css("li.user.short.blurb")) if b is not None]
    page.next_url = next_page_url(main)
    return page


def _bookmark(item: LexborNode) -> Bookmark | None:
    """One ``li.user.short.blurb``; None when its byline names no pseud (never seen)."""
    byline = item.css_first("h5.byline a")
    author = author_from_href(byline.attributes.get("href") if byline is not None else None)
    if author is None:
        return None
    date_node = item.css_first("p.datetime")
    date_text = clean(date_node.text_lexbor()) if date_node is not None else ""
    mark = Bookmark(user=author.user, pseud=author.pseud, date=iso_date(date_text) or None)
    mark.date_text = date_text
    mark.rec = item.css_first("p.status span.rec") is not None
    names = (clean(a.text_lexbor()) for a in item.css("ul.meta.tags a.tag"))
    mark.tags = [name for name in names if name]
    mark.collections = collections_from(item.css("ul.meta a[href*='/collections/']"))
    notes = item.css_first("blockquote.userstuff")
    if notes is not None:
        mark.notes = paragraphs(notes)
    return mark


def next_page_url(main: LexborNode) -> str | None:
    """The next page's href from will_paginate (``a[rel=next]``) or pagy (``li.next a``)."""
    link = main.css_first("ol.pagination a[rel=next]") or main.css_first("ol.pagination li.next a")
    return (link.attributes.get("href") or None) if link is not None else None


def own_text(node: LexborNode) -> str:
    """The text directly inside ``node`` (not in its child elements), whitespace collapsed."""
    return clean(
        " ".join(
            child.text(deep=False) for child in node.iter(include_text=True) if child.tag == "-text"
        )
    )


def page_number(scope: LexborNode, url: str | None) -> int:
    """This page's number: the pagination's ``span.current``, else ``page=`` in the URL, else 1."""
    current = scope.css_first("ol.pagination span.current")
    if current is not None and clean(current.text_lexbor()).isdecimal():
        return int(clean(current.text_lexbor()))
    match = _PAGE.search(url or "")
    return int(match.group(1)) if match else 1


def paragraphs(node: LexborNode) -> str | None:
    """User text as lines: one per ``p``/``br``-separated block, whitespace collapsed."""
    for br in node.css("br"):
        br.replace_with("\n")
    blocks = node.css("p") or [node]
    lines = [
        clean(line) for block in blocks for line in (block.text(separator="") or "").split("\n")
    ]
    text = "\n".join(line for line in lines if line)
    return text or None


def main_of(source: str | bytes, content_type: str | None = None) -> LexborNode | None:
    """``div#main`` (the controller's content), or the body for a bare fragment.

    The same limits as :func:`ficindex.parser.parse_page`: too large or nested
    deeper than any AO3 page raises ParseError before lexbor builds the tree
    (see :mod:`ficindex.parser.guard`); bytes are decoded by the same rules.
    """
    if len(source) > MAX_PAGE_BYTES:
        raise ParseError(f"over {MAX_PAGE_BYTES // 2**20} MB, larger than any saved page")
    text_or_bytes, _ = decode_source(source, content_type)
    if too_deep(text_or_bytes):
        raise ParseError(f"nested deeper than {MAX_DEPTH} elements: not an AO3 page")
    tree = LexborHTMLParser(text_or_bytes)
    return tree.css_first("div#main") or tree.body
