"""Work pages -> a ``work`` record, in all three layouts AO3 renders (AO3-MARKUP section 1).

* full-work view (``?view_full_work=true``): ``div#chapters > div.chapter`` per chapter;
* single-chapter works: the text sits in ``div#chapters > div.userstuff`` under a
  "Work Text:" landmark, with no chapter wrapper;
* chapter view (``/works/ID/chapters/CID``): one ``div.chapter``; the work summary
  and notes appear only on the first chapter, the work's end notes only on the last.

Metadata is read before any text, because :func:`~ficindex.parser.common.block_text`
consumes the nodes it reads. Every lookup is scoped to a small container
(the meta list, the preface, one chapter) so the page is never searched as a whole
more than a few times: on a 1 MB page each whole-tree query costs as much as
reading all the text.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborNode

from ficindex.parser.common import (
    authors_from,
    block_text,
    chapter_id_from_href,
    class_among,
    classes_of,
    clean,
    collections_from,
    is_id,
    iso_date,
    prepare_text,
    read_counts,
    read_status,
    series_id_from_href,
    tag_names,
    text_lines,
    to_int,
    work_id_from_href,
)
from ficindex.parser.engagement import kudos_paragraph
from ficindex.record import Chapter, Record, SeriesRef

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
_PART = re.compile(r"Part\s+([\d,.]+)")
_DOWNLOAD_ID = re.compile(r"/downloads/(\d{1,18})(?!\d)")
_WORK_ID_PARAM = re.compile(r"[?&]work_id=(\d{1,18})(?!\d)")
_CHAPTER_LABEL = re.compile(r"^Chapter\s+\d+")
_CHAPTER_NUMBER = re.compile(r"chapter-(\d{1,18})")
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


def parse_work(main: LexborNode, url: str | None) -> Record:
    """Read a work page (any layout) into a record of kind ``work``."""
    record = Record(kind="work", work_id=find_work_id(main, url))
    meta = main.css_first("dl.work.meta")
    if meta is not None:
        _read_meta(record, meta)
    preface, chapters, afterword = _work_sections(main)
    if preface is not None:
        _read_preface(record, preface)
    record.chapters = _read_chapters(chapters, main) if chapters is not None else []
    record.kudos_users, record.kudos_guests = kudos_paragraph(main)
    # Text last: block_text consumes the nodes it reads.
    if preface is not None:
        record.summary = block_text(preface.css_first("div.summary blockquote.userstuff"))
        record.notes = block_text(preface.css_first("div.notes blockquote.userstuff"))
    if afterword is not None:
        record.end_notes = block_text(afterword.css_first("div.end.notes blockquote.userstuff"))
    return record


def _work_sections(main: LexborNode) -> tuple[LexborNode | None, ...]:
    """The work's preface, ``div#chapters`` and afterword: the children of ``div#workskin``."""
    preface = chapters = afterword = None
    workskin = main.css_first("div#workskin")
    for child in workskin.iter() if workskin is not None else ():
        classes = classes_of(child)
        if child.attributes.get("id") == "chapters":
            chapters = child
        elif "afterword" in classes:
            afterword = child
        elif "preface" in classes and preface is None:
            preface = child
    if chapters is None:  # a fragment without the work-skin wrapper
        chapters = main.css_first("div#chapters")
        preface = main.css_first("div.preface.group:not(.chapter):not(.afterword)")
        afterword = main.css_first("div.afterword")
    return preface, chapters, afterword


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
    if node.tag == "input":
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
        if dd.tag != "dd":
            continue
        kind = class_among(dd, _META_FIELDS)
        if kind is None:
            continue
        if kind == "rating":
            ratings = tag_names(dd)
            record.rating = ratings[0] if ratings else None
        elif kind in _TAG_FIELDS:
            setattr(record, _TAG_FIELDS[kind], tag_names(dd))
        elif kind == "language":
            record.language = clean(dd.text()) or None
        elif kind == "series":
            record.series = _series(dd)
        elif kind == "collections":
            record.collections = collections_from(dd.css("a[href*='/collections/']"))
        elif kind == "stats":
            _read_stats(record, dd.css_first("dl.stats") or dd)


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
        part = _PART.search(clean(position_node.text()))
        found.append(
            SeriesRef(
                id=series_id,
                title=clean(link.text()),
                position=to_int(part.group(1)) if part else None,
            )
        )
    return found


def _read_stats(record: Record, stats: LexborNode) -> None:
    """``dl.stats``: dt/dd pairs by class; status says "Updated:" or "Completed:"."""
    values: dict[str, str] = {}
    status_label = ""
    for node in stats.iter():
        name = class_among(node, _STATS)
        if name is None:
            continue
        if node.tag == "dd":
            values[name] = clean(node.text())
        elif node.tag == "dt" and name == "status":
            status_label = clean(node.text())
    record.published = iso_date(values.get("published"))
    read_counts(record, values)
    read_status(record, status_label, iso_date(values.get("status")))


def _read_preface(record: Record, preface: LexborNode) -> None:
    """Title (and lock icon), byline, gift recipients; summary and notes are read later."""
    title = preface.css_first("h2.title")
    if title is not None:
        record.title = clean(title.text()) or None
        record.restricted = any(
            "lockblue" in (img.attributes.get("src") or "")
            or img.attributes.get("title") == "Restricted"
            for img in title.css("img")
        )
    byline = preface.css_first("h3.byline")
    if byline is not None:
        record.authors = authors_from(byline)
        text = clean(byline.text())
        # Anonymous works show the bare word; their creators see "Anonymous [links]".
        record.anonymous = text == "Anonymous" or text.startswith("Anonymous [")
    for item in preface.css("div.notes ul.associations li"):
        if clean(item.text()).startswith("For "):
            record.gifts.extend(filter(None, (clean(a.text()) for a in item.css("a"))))


def _read_chapters(chapters: LexborNode, main: LexborNode) -> list[Chapter]:
    wrappers = [node for node in chapters.iter() if _is_chapter_wrapper(node)]
    if not wrappers:
        # A single-chapter work: text under the "Work Text:" landmark, no wrapper.
        return [Chapter(number=1, text=block_text(chapters.css_first("div.userstuff")) or "")]
    index = _chapter_index(main) if len(wrappers) == 1 else {}
    found = [
        _read_chapter(wrapper, position, index) for position, wrapper in enumerate(wrappers, 1)
    ]
    # All headings are read: now prepare the text of every chapter in one pass (three
    # CSS queries in all instead of three per chapter), then take each part's lines.
    prepare_text(chapters)
    for chapter, parts in found:
        chapter.summary = text_lines(parts.get("summary"))
        chapter.notes = text_lines(parts.get("notes"))
        chapter.end_notes = text_lines(parts.get("end_notes"))
        chapter.text = text_lines(parts.get("text")) or ""
    return [chapter for chapter, _ in found]


def _is_chapter_wrapper(node: LexborNode) -> bool:
    return node.tag == "div" and "chapter" in classes_of(node)


def _chapter_index(main: LexborNode) -> dict[int, int]:
    """Chapter number -> id from the chapter view's ``select#selected_id`` ("3. Title")."""
    index: dict[int, int] = {}
    select = main.css_first("select#selected_id")
    if select is None:
        return index
    for option in select.css("option"):
        number, _, _ = clean(option.text()).partition(".")
        value = option.attributes.get("value") or ""
        if is_id(number) and is_id(value):
            index[int(number)] = int(value)
    return index


def _read_chapter(
    wrapper: LexborNode, position: int, index: dict[int, int]
) -> tuple[Chapter, dict[str, LexborNode]]:
    """A chapter's number, id and title, and the nodes that hold its texts (read later).

    The wrapper's children are walked in Python (a few nodes) rather than queried
    with CSS: on a long work the per-query cost adds up to more than the walk.
    """
    match = _CHAPTER_NUMBER.fullmatch(wrapper.attributes.get("id") or "")
    number = int(match.group(1)) if match else position
    chapter = Chapter(number=number, chapter_id=index.get(number))
    parts: dict[str, LexborNode] = {}
    for child in wrapper.iter():
        classes = classes_of(child)
        if "userstuff" in classes:
            parts["text"] = child
        elif "preface" in classes:
            after_text = "text" in parts
            for module in child.iter():
                module_classes = classes_of(module)
                if module.tag == "h3" and "title" in module_classes and not after_text:
                    _read_chapter_heading(chapter, module)
                elif "summary" in module_classes and not after_text:
                    _store_quote(parts, "summary", module)
                elif "notes" in module_classes:
                    _store_quote(parts, "end_notes" if "end" in module_classes else "notes", module)
    return chapter, parts


def _store_quote(parts: dict[str, LexborNode], key: str, module: LexborNode) -> None:
    """Keep the module's ``blockquote.userstuff`` (a notes module may hold only a jump link)."""
    for child in module.iter():
        if child.tag == "blockquote":
            parts[key] = child
            return


def _read_chapter_heading(chapter: Chapter, heading: LexborNode | None) -> None:
    """``<a href=/works/W/chapters/C>Chapter N</a>: Title`` -> chapter id and title (or None)."""
    if heading is None:
        return
    full = clean(heading.text())
    link = next((child for child in heading.iter() if child.tag == "a"), None)
    label = ""
    if link is not None:
        label = clean(link.text())
        chapter.chapter_id = chapter_id_from_href(link.attributes.get("href")) or chapter.chapter_id
    if label and full.startswith(label):
        rest = full[len(label) :].strip()
    else:
        rest = _CHAPTER_LABEL.sub("", full).strip()
    if rest.startswith(":"):
        rest = rest[1:].strip()
    chapter.title = rest or None
