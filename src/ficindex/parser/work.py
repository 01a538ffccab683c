"""Work pages -> a ``work`` record, in all three layouts AO3 renders (AO3-MARKUP section 1).

This module reads the work id and the metadata (the meta list, the preface's
title, byline and gifts); :mod:`~ficindex.parser.worktext` finds the sections
and chapters and reads the texts, last, because preparing text changes the tree.
Every lookup is scoped to a small container (the meta list, the preface, one
chapter) so the page is never searched as a whole more than a few times: on a
1 MB page each whole-tree query costs as much as reading all the text.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborNode

from ficindex.parser.common import (
    TAG_ID,
    authors_from,
    class_among,
    classes_of,
    clean,
    collections_from,
    is_id,
    iso_date,
    read_counts,
    read_status,
    series_id_from_href,
    tag_names,
    to_int,
    work_id_from_href,
)
from ficindex.parser.worktext import chapter_parts, read_texts, work_sections
from ficindex.record import Record, SeriesRef

_A, _DD, _DL, _DT, _H2, _H3, _INPUT = (
    TAG_ID[name] for name in ("a", "dd", "dl", "dt", "h2", "h3", "input")
)
#: ``dd`` classes of the meta list that hold tags -> record field.
_TAG_FIELDS = {
    "warning": "warnings",
    "category": "categories",
    "fandom": "fandoms",
    "relationship": "relationships",
    "character": "characters",
    "freeform": "freeforms",
}
#: Every ``dd`` class of the meta list that is read.
_META_FIELDS = frozenset((*_TAG_FIELDS, "rating", "language", "series", "collections", "stats"))
#: The ``dt``/``dd`` classes of the stats list.
_STATS = frozenset(
    ("published", "status", "words", "chapters", "comments", "kudos", "bookmarks", "hits")
)
#: The work preface's title, byline and gift lines ("For X"), in one query.
_PREFACE_PARTS = "h2.title, h3.byline, div.notes ul.associations li"
_PART = re.compile(r"Part\s+([\d,.]+)")
_DOWNLOAD_ID = re.compile(r"/downloads/(\d{1,18})(?!\d)")
_WORK_ID_PARAM = re.compile(r"[?&]work_id=(\d{1,18})(?!\d)")
#: Where a work page names its own work: the action links at the top (share, downloads,
#: chapter navigation, comments), the chapter headings, the bookmarks count and the
#: kudos form at the bottom. Series and "inspired by" links name *other* works, so they
#: are never consulted. One selector group: lexbor returns the first match in page
#: order in a single walk, where one query per selector walks the page once per miss.
_OWN_WORK_LINKS = (
    "ul.work.navigation li.share a, ul.work.navigation li.download a, "
    "ul.work.navigation li.chapter a, ul.work.navigation li.comments a, "
    "ul.work.navigation form[action*='/works/'], div#chapters h3.title a, "
    "dl.work.meta dd.bookmarks a, input#kudo_commentable_id"
)


def parse_work(main: LexborNode, url: str | None, meta: LexborNode | None = None) -> Record:
    """Read a work page (any layout) into a record of kind ``work``.

    ``meta``, when given, is ``main``'s first ``dl.work.meta`` (found while
    telling the page's kind); else it is looked up here.
    """
    record = Record(kind="work", work_id=find_work_id(main, url))
    if meta is None:
        meta = main.css_first("dl.work.meta")
    if meta is not None:
        _read_meta(record, meta)
    sections = work_sections(main)
    if sections.preface is not None:
        _read_preface(record, sections.preface)
    parts = chapter_parts(sections.chapters, main) if sections.chapters is not None else []
    record.chapters = [chapter for chapter, _ in parts]
    read_texts(record, sections, parts, main)  # last: preparing text changes the tree
    return record


def find_work_id(main: LexborNode, url: str | None = None) -> int | None:
    """The page's own work id (see ``_OWN_WORK_LINKS``); ``url`` is the last resort.

    The first candidate usually names the work; when it does not (a work with no
    comments links ``#comments`` there), every other candidate is tried in page order.
    """
    first = main.css_first(_OWN_WORK_LINKS)
    if first is None:
        return work_id_from_href(url)
    work_id = _candidate_work_id(first)
    if work_id is None:
        candidates = (_candidate_work_id(node) for node in main.css(_OWN_WORK_LINKS)[1:])
        work_id = next((found for found in candidates if found is not None), None)
    return work_id if work_id is not None else work_id_from_href(url)


def _candidate_work_id(node: LexborNode) -> int | None:
    if node.tag_id == _INPUT:
        value = node.attributes.get("value") or ""
        return int(value) if is_id(value) else None
    return _work_id_in(node.attributes.get("href") or node.attributes.get("action"))


def _work_id_in(href: str | None) -> int | None:
    if not href:
        return None
    for pattern in (_DOWNLOAD_ID, _WORK_ID_PARAM):
        match = pattern.search(href)
        if match:
            return int(match.group(1))
    return work_id_from_href(href)


def _read_meta(record: Record, meta: LexborNode) -> None:
    """The ``dl.work.meta`` list: tags, language, series, collections and the stats."""
    for dd in meta.iter():
        if dd.tag_id != _DD:
            continue
        kind = class_among(dd, _META_FIELDS)
        if kind is None:
            continue
        if kind == "rating":
            ratings = _tag_names(dd)
            record.rating = ratings[0] if ratings else None
        elif kind in _TAG_FIELDS:
            setattr(record, _TAG_FIELDS[kind], _tag_names(dd))
        elif kind == "language":
            record.language = clean(dd.text_lexbor()) or None
        elif kind == "series":
            record.series = _series(dd)
        elif kind == "collections":
            record.collections = collections_from(dd.css("a[href*='/collections/']"))
        elif kind == "stats":
            _read_stats(record, _stats_list(dd))


def _tag_names(dd: LexborNode) -> list[str]:
    """What :func:`~ficindex.parser.common.tag_names` gives for ``dd``, by a walk in Python.

    A tag list holds a few nodes, fewer than a CSS query costs to set up. A
    link whose class is exactly ``tag`` (as AO3 writes it) is one; a class
    without those letters in any case is not; for any other (``Tag``, ``tag
    x``), whether lexbor's ``a.tag`` matches depends on the document's quirks
    mode and its class splitting, so the list is left to the query.
    """
    names: list[str] = []
    for node in dd.traverse():
        if node.tag_id != _A:
            continue
        classes = node.attributes.get("class")
        if classes == "tag":
            name = clean(node.text_lexbor())
            if name:
                names.append(name)
        elif classes is not None and "tag" in classes.lower():
            return tag_names(dd)
    return names


def _stats_list(dd: LexborNode) -> LexborNode:
    """The ``dl.stats`` in the stats ``dd`` (its first child on AO3), else the ``dd`` itself."""
    first = next(dd.iter(), None)
    if first is not None and first.tag_id == _DL and "stats" in classes_of(first):
        return first  # the first element under dd: what the query below would return
    return dd.css_first("dl.stats") or dd


def _series(dd: LexborNode) -> list[SeriesRef]:
    """Each ``span.series``: "Part N of <a href=/series/ID>Title</a>" (prev/next links aside)."""
    found: list[SeriesRef] = []
    for span in dd.css("span.series"):
        position_node = span.css_first("span.position") or span
        link = position_node.css_first("a[href*='/series/']")
        if link is None:
            continue
        series_id = series_id_from_href(link.attributes.get("href"))
        if series_id is None:
            continue
        part = _PART.search(clean(position_node.text_lexbor()))
        found.append(
            SeriesRef(
                id=series_id,
                title=clean(link.text_lexbor()),
                position=to_int(part.group(1)) if part else None,
            )
        )
    return found


def _read_stats(record: Record, stats: LexborNode) -> None:
    """``dl.stats``: dt/dd pairs by class; status says "Updated:" or "Completed:"."""
    values: dict[str, str] = {}
    status_label = ""
    for node in stats.iter():
        tag = node.tag_id
        if tag == _DD:
            name = class_among(node, _STATS)
            if name is not None:
                values[name] = clean(node.text_lexbor())
        # Only the status label is read: other labels' classes need no splitting.
        elif (
            tag == _DT
            and "status" in (node.attributes.get("class") or "")
            and class_among(node, _STATS) == "status"
        ):
            status_label = clean(node.text_lexbor())
    record.published = iso_date(values.get("published"))
    read_counts(record, values)
    read_status(record, status_label, iso_date(values.get("status")))


def _read_preface(record: Record, preface: LexborNode) -> None:
    """Title (and lock icon), byline, gift recipients; summary and notes are read later."""
    title, byline, gifts = _preface_parts(preface)
    if title is not None:
        record.title = clean(title.text_lexbor()) or None
        record.restricted = _has_lock(title)
    if byline is not None:
        record.authors = authors_from(byline)
        text = clean(byline.text_lexbor())
        # Anonymous works show the bare word; their creators see "Anonymous [links]".
        record.anonymous = text == "Anonymous" or text.startswith("Anonymous [")
    for item in gifts:
        if clean(item.text_lexbor()).startswith("For "):
            record.gifts.extend(filter(None, (clean(a.text_lexbor()) for a in item.css("a"))))


def _preface_parts(
    preface: LexborNode,
) -> tuple[LexborNode | None, LexborNode | None, list[LexborNode]]:
    """The first ``h2.title``, the first ``h3.byline`` and every gift line, from one query.

    Each selector's subject has its own tag name, so the tag tells which one a
    match answers (the first ``h2`` is the first ``h2.title``).
    """
    title = byline = None
    gifts: list[LexborNode] = []
    for node in preface.css(_PREFACE_PARTS):
        tag = node.tag_id
        if tag == _H2:
            title = node if title is None else title
        elif tag == _H3:
            byline = node if byline is None else byline
        else:
            gifts.append(node)
    return title, byline, gifts


def _has_lock(title: LexborNode) -> bool:
    """The lock icon of a registered-users-only work (a title without elements has none)."""
    images = title.css("img") if next(title.iter(), None) is not None else []
    return any(
        "lockblue" in (img.attributes.get("src") or "")
        or img.attributes.get("title") == "Restricted"
        for img in images
    )
