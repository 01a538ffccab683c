"""One work blurb (``li.work.blurb``, ``li.bookmark.blurb``, a reading or series item) -> Record.

A blurb is AO3's summary card of a work: the same partial (works/_work_module)
renders it on tag, user, collection and search listings, bookmarks, Marked for
Later, series pages and the adult-content interstitial. It carries the work's
metadata and counters but never its text, its published date or its
collections (only their number), so the record it becomes has no chapters,
``published`` None, ``collections`` [] and ``updated`` = the blurb's date.

Why the code looks the way it does:

* The rating/warning/category/completion icons come from three cache
  generations of markup on one page (the wrapping ``a`` differs), so only the
  inner span classes (``span.rating``, ``span.warnings``, ``span.category``,
  ``span.iswip``) are read, never the link.
* A bookmark blurb also holds the bookmarker's module (its own ``p.datetime``,
  ``ul.meta.tags`` of bookmarker tags, notes). Everything here is read from
  the work's ``div.header`` and the first tag list that is not ``.meta``.
* Speed: a listing page has 20 blurbs, so the stats list and the tag list are
  each walked once in Python over a handful of nodes instead of one CSS query
  per field.
"""

from __future__ import annotations

from selectolax.lexbor import LexborNode

from ficindex.parser.common import (
    author_from_href,
    block_text,
    class_among,
    classes_of,
    clean,
    collections_from,
    completed_by_counts,
    is_id,
    iso_date,
    read_counts,
    series_id_from_href,
    split_names,
    tag_names,
    to_int,
    work_id_from_href,
)
from ficindex.record import Record, SeriesRef

#: The tag-list ``li`` classes (blurb_tag_block), each also the record field it fills.
_TAG_LIST_FIELDS = frozenset({"warnings", "relationships", "characters", "freeforms"})
#: The ``dd`` classes of a blurb's stats list.
_STATS = frozenset(
    ("language", "words", "chapters", "collections", "comments", "kudos", "bookmarks", "hits")
)
#: The parts of a blurb: name -> (tag, a class it has, a class it must not have).
#: A bookmark blurb's bookmarker tags are ``ul.meta.tags``, never the work's.
_BLURB_PARTS: dict[str, tuple[str, str, str | None]] = {
    "header": ("div", "header", None),
    "tags": ("ul", "tags", "meta"),
    "series": ("ul", "series", None),
    "stats": ("dl", "stats", None),
    "summary": ("blockquote", "summary", None),
}
#: The parts of a blurb's ``div.header``.
_HEADER_PARTS: dict[str, tuple[str, str, str | None]] = {
    "heading": ("h4", "heading", "landmark"),
    "fandoms": ("h5", "fandoms", None),
    "required": ("ul", "required-tags", None),
    "date": ("p", "datetime", None),
}


def blurb_work_id(li: LexborNode) -> int | None:
    """The work id of a blurb: its ``work-NNN`` class, else the title link, else ``id=work_NNN``.

    Bookmark blurbs have ``id=bookmark_BID``, so the class comes first; series
    and external-work bookmarks (``series-NNN``, ``external-work-NNN``) and
    bookmarks of deleted items have none and give None.
    """
    for token in classes_of(li):
        if token.startswith("work-") and is_id(token[5:]):
            return int(token[5:])
    heading = li.css_first("div.header h4.heading a")
    if heading is not None:
        work_id = work_id_from_href(heading.attributes.get("href"))
        if work_id is not None:
            return work_id
    li_id = li.attributes.get("id") or ""
    if li_id.startswith("work_") and is_id(li_id[5:]):
        return int(li_id[5:])
    return None


def parse_blurb(li: LexborNode) -> Record:
    """Read one blurb ``li`` into a record of kind ``work`` (``unrevealed`` for a mystery blurb).

    Blurbs of things that are not AO3 works (a bookmarked series or external
    work, a bookmark of a deleted item) give a record of kind ``unknown``.
    The summary node is consumed (see :func:`~ficindex.parser.common.block_text`).
    """
    classes = classes_of(li)
    work_id = blurb_work_id(li)
    if "mystery" in classes:
        return _mystery(li, work_id)
    if work_id is None:
        return Record(kind="unknown")

    record = Record(kind="work", work_id=work_id)
    parts = _parts(li, _BLURB_PARTS)
    header = parts.get("header") or li
    head = _parts(header, _HEADER_PARTS)
    _read_heading(record, head.get("heading"), "anonymous" in classes)
    record.fandoms = tag_names(head.get("fandoms"))
    date = head.get("date")
    record.updated = iso_date(date.text_lexbor()) if date is not None else None
    saw_completion = _read_required_tags(record, head.get("required"))
    _read_tag_list(record, parts.get("tags"))
    record.series = _series(parts.get("series"))
    _read_stats(record, parts.get("stats"))
    if not saw_completion:
        # No completion icon (odd markup): fall back on the chapter counts.
        record.completed = completed_by_counts(record)
    record.summary = block_text(parts.get("summary"))
    return record


def _parts(
    node: LexborNode, wanted: dict[str, tuple[str, str, str | None]]
) -> dict[str, LexborNode]:
    """Find the named parts among ``node``'s children in one walk; search deeper if none is there.

    ``wanted`` maps a part name to (tag, a class it has, a class it must not
    have). AO3 renders every part of a blurb as a direct child, and one walk
    in Python over a dozen children costs less than a CSS query per part; the
    subtree search keeps odd nesting working.
    """
    found: dict[str, LexborNode] = {}
    for child in node.iter():
        tag = child.tag
        for name, (part_tag, has, lacks) in wanted.items():
            if tag == part_tag and name not in found:
                classes = classes_of(child)
                if has in classes and (lacks is None or lacks not in classes):
                    found[name] = child
                    break
    if not found:
        for name, (part_tag, has, lacks) in wanted.items():
            selector = f"{part_tag}.{has}" + (f":not(.{lacks})" if lacks else "")
            match = node.css_first(selector)
            if match is not None:
                found[name] = match
    return found


def _read_heading(record: Record, heading: LexborNode | None, anonymous_class: bool) -> None:
    """Title, creators, gift recipients and the lock icon from the blurb's ``h4.heading``.

    The title is the first link; creators are ``a[rel=author]``; recipients
    link to ``/users/U/gifts`` (or ``/gifts?recipient=`` for a name without an
    account); the lockblue image marks a registered-users-only work.
    """
    if heading is None:
        return
    for node in heading.css("a, img"):
        if node.tag == "img":
            attrs = node.attributes
            if "lockblue" in (attrs.get("src") or "") or attrs.get("alt") == "(Restricted)":
                record.restricted = True
        else:
            _read_heading_link(record, node)
    # Anonymous works print the word "Anonymous" where the byline links would be.
    record.anonymous = anonymous_class or (
        not record.authors and "Anonymous" in heading.text(deep=False)
    )


def _read_heading_link(record: Record, link: LexborNode) -> None:
    """One link of the heading: a creator, a gift recipient, or (the first other one) the title."""
    href = link.attributes.get("href") or ""
    if link.attributes.get("rel") == "author":
        author = author_from_href(href)
        if author is not None and author not in record.authors:
            record.authors.append(author)
    elif "/gifts" in href:
        name = clean(link.text_lexbor())
        if name:
            record.gifts.append(name)
    elif record.title is None:
        record.title = clean(link.text_lexbor()) or None


def _read_required_tags(record: Record, required: LexborNode | None) -> bool:
    """Rating, categories and completion from the symbol spans (their ``title`` lists the tags).

    Warnings are taken from here only as a fallback: the tag list shows them
    as separate links, which is safer than splitting a title on ", ".
    Returns whether the completion icon was there.
    """
    if required is None:
        return False
    saw_completion = False
    for span in required.css("span.rating, span.warnings, span.category, span.iswip"):
        css = classes_of(span)
        label = clean(span.attributes.get("title")) or clean(span.text_lexbor())
        if "rating" in css:
            record.rating = label or None
        elif "warnings" in css:
            record.warnings = split_names(label)
        elif "category" in css:
            record.categories = [] if "category-none" in css else split_names(label)
        else:
            saw_completion = True
            record.completed = "complete-yes" in css
    return saw_completion


def _read_tag_list(record: Record, tags: LexborNode | None) -> None:
    """Warnings, relationships, characters and freeforms from ``ul.tags``, in page order.

    AO3 gives every tag its own ``li`` (class = the tag type), so one walk over
    the list's children with each item's text is enough. An item with an
    ``id`` is the "Show warnings" / "Show additional tags" toggle that replaces
    a group a logged-in reader chose to hide: it names no tag.
    """
    if tags is None:
        return
    found: dict[str, list[str]] = {}
    for item in tags.iter():
        if item.tag != "li":
            continue
        field_name = class_among(item, _TAG_LIST_FIELDS)
        if field_name is None or "id" in item.attributes:
            continue
        name = clean(item.text_lexbor())
        if name:
            found.setdefault(field_name, []).append(name)
    for field_name, names in found.items():
        setattr(record, field_name, names)


def _series(series_list: LexborNode | None) -> list[SeriesRef]:
    """``Part <strong>N</strong> of <a href="/series/SID">TITLE</a>`` items."""
    if series_list is None:
        return []
    refs: list[SeriesRef] = []
    for item in series_list.css("li"):
        link = item.css_first('a[href*="/series/"]')
        if link is None:
            continue
        series_id = series_id_from_href(link.attributes.get("href"))
        if series_id is None:
            continue
        position = item.css_first("strong")
        refs.append(
            SeriesRef(
                id=series_id,
                title=clean(link.text_lexbor()),
                position=to_int(position.text_lexbor()) if position is not None else None,
            )
        )
    return refs


def _read_stats(record: Record, stats: LexborNode | None) -> None:
    """Language, words, chapters and the counters from ``dl.stats`` (one walk over its ``dd``s)."""
    values: dict[str, str] = {}
    if stats is not None:
        for node in stats.iter():
            name = class_among(node, _STATS) if node.tag == "dd" else None
            if name is not None:
                values[name] = node.text_lexbor()
    record.language = clean(values.get("language")) or None
    read_counts(record, values)


def _mystery(li: LexborNode, work_id: int | None) -> Record:
    """A mystery blurb (works/_mystery_blurb) hides everything but the work id and its collection.

    Its summary is AO3's fixed "will be revealed soon" sentence, not the
    work's, so it is not kept; the "Part of" links name the unrevealed
    collection(s).
    """
    collections = collections_from(li.css('h5.heading a[href*="/collections/"]'))
    return Record(kind="unrevealed", work_id=work_id, collections=collections)
