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
from dataclasses import dataclass

from selectolax.lexbor import LexborNode

from ficindex.parser.common import (
    NOT_TEXT_SELECTOR,
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
    prepare_texts,
    read_counts,
    read_status,
    series_id_from_href,
    text_lines,
    to_int,
    work_id_from_href,
)
from ficindex.parser.engagement import KUDOS_PARAGRAPH, kudos_paragraph, read_kudos_paragraph
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
#: The kudos paragraph and what is no text, in one query (see _kudos_and_junk).
_KUDOS_OR_NOT_TEXT = f"{NOT_TEXT_SELECTOR}, {KUDOS_PARAGRAPH}"
#: The work preface's title, byline and gift lines ("For X"), in one query.
_PREFACE_PARTS = "h2.title, h3.byline, div.notes ul.associations li"
_SUMMARY = "div.summary blockquote.userstuff"
_NOTES = "div.notes blockquote.userstuff"
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


#: A chapter and the nodes that hold its texts, by name (``text``, ``summary``, ...).
_ChapterParts = tuple[Chapter, dict[str, LexborNode]]


def parse_work(main: LexborNode, url: str | None) -> Record:
    """Read a work page (any layout) into a record of kind ``work``."""
    record = Record(kind="work", work_id=find_work_id(main, url))
    meta = main.css_first("dl.work.meta")
    if meta is not None:
        _read_meta(record, meta)
    sections = _work_sections(main)
    if sections.preface is not None:
        _read_preface(record, sections.preface)
    parts = _chapter_parts(sections.chapters, main) if sections.chapters is not None else []
    record.chapters = [chapter for chapter, _ in parts]
    # Text last: preparing it changes the tree (see common.prepare_text).
    if not _read_texts_at_once(record, sections, parts, main):
        _read_texts_in_turn(record, sections, parts, main)
    return record


@dataclass(slots=True)
class _Sections:
    """The work's preface, ``div#chapters`` and afterword, and ``div#workskin`` holding them.

    ``skin`` is None when the three were not found as its children (a saved
    fragment, odd markup): then they may lie anywhere in the page.
    """

    skin: LexborNode | None = None
    preface: LexborNode | None = None
    chapters: LexborNode | None = None
    afterword: LexborNode | None = None


def _work_sections(main: LexborNode) -> _Sections:
    """The children of ``div#workskin``, or the first matches in the page when it has none."""
    found = _Sections(skin=main.css_first("div#workskin"))
    for child in found.skin.iter() if found.skin is not None else ():
        classes = classes_of(child)
        if child.id == "chapters":
            found.chapters = child
        elif "afterword" in classes:
            found.afterword = child
        elif "preface" in classes and found.preface is None:
            found.preface = child
    if found.chapters is None:  # a fragment without the work-skin wrapper
        return _Sections(
            chapters=main.css_first("div#chapters"),
            preface=main.css_first("div.preface.group:not(.chapter):not(.afterword)"),
            afterword=main.css_first("div.afterword"),
        )
    return found


def _read_texts_at_once(
    record: Record, sections: _Sections, parts: list[_ChapterParts], main: LexborNode
) -> bool:
    """Every text of the work (and the kudos) after one :func:`prepare_texts` on ``div#workskin``.

    It reads what :func:`_read_texts_in_turn` reads (which prepares each text on
    its own, in page order), unless the kudos paragraph sits in the work skin
    (the chapters' preparation came before it) or a text sits inside an element
    that is no text. Then nothing is changed and False is returned.
    """
    skin = sections.skin
    if skin is None:
        return False
    kudos, junk = _kudos_and_junk(main)
    if kudos is not None and _inside(kudos, skin):
        return False
    summary, notes = _work_quotes(sections.preface)
    end_notes = _end_notes_quote(sections.afterword)
    containers = [summary, notes, end_notes]
    containers.extend(node for _, nodes in parts for node in nodes.values())
    # The kudos before the preparation, which may remove elements outside the skin.
    kudos_users, kudos_guests = read_kudos_paragraph(kudos)
    if not prepare_texts(skin, containers, junk):
        return False
    record.kudos_users, record.kudos_guests = kudos_users, kudos_guests
    record.summary = text_lines(summary)
    record.notes = text_lines(notes)
    record.end_notes = text_lines(end_notes)
    for chapter, nodes in parts:
        _chapter_texts(chapter, nodes)
    return True


def _kudos_and_junk(main: LexborNode) -> tuple[LexborNode | None, list[LexborNode] | None]:
    """The kudos paragraph and the elements that are no text, from one walk of the page.

    (A second walk of a long work just for the kudos paragraph at its end costs as much
    as preparing all its text.) The kudos selector's subject is a ``p``, none of the
    junk selectors' is by tag, but a ``p`` may have the landmark class: if one may
    (in any letter case), both are looked up on their own; the junk list is then None.
    """
    kudos = None
    junk: list[LexborNode] = []
    for node in main.css(_KUDOS_OR_NOT_TEXT):
        if node.tag != "p":
            junk.append(node)
        elif "landmark" in (node.attributes.get("class") or "").lower():
            return main.css_first(KUDOS_PARAGRAPH), None
        elif kudos is None:
            kudos = node
    return kudos, junk


def _read_texts_in_turn(
    record: Record, sections: _Sections, parts: list[_ChapterParts], main: LexborNode
) -> None:
    """Every text of the work, each prepared on its own: the chapters, kudos, then the rest."""
    chapters = sections.chapters
    if chapters is not None and not any(_is_chapter_wrapper(node) for node in chapters.iter()):
        record.chapters[0].text = block_text(parts[0][1].get("text")) or ""
    elif chapters is not None:
        prepare_text(chapters)
        for chapter, nodes in parts:
            _chapter_texts(chapter, nodes)
    record.kudos_users, record.kudos_guests = kudos_paragraph(main)
    if sections.preface is not None:
        record.summary = block_text(sections.preface.css_first(_SUMMARY))
        record.notes = block_text(sections.preface.css_first(_NOTES))
    record.end_notes = block_text(_end_notes_quote(sections.afterword))


def _work_quotes(preface: LexborNode | None) -> tuple[LexborNode | None, LexborNode | None]:
    """The work summary's and the work notes' ``blockquote.userstuff`` in the preface."""
    if preface is None:
        return None, None
    return preface.css_first(_SUMMARY), preface.css_first(_NOTES)


def _end_notes_quote(afterword: LexborNode | None) -> LexborNode | None:
    if afterword is None:
        return None
    return afterword.css_first("div.end.notes blockquote.userstuff")


def _inside(node: LexborNode, ancestor: LexborNode) -> bool:
    """Whether ``node`` is ``ancestor`` or lies under it."""
    target = ancestor.mem_id
    current: LexborNode | None = node
    while current is not None:
        if current.mem_id == target:
            return True
        current = current.parent
    return False


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
    tags = _tag_names_by_child(meta)
    for dd in meta.iter():
        if dd.tag != "dd":
            continue
        kind = class_among(dd, _META_FIELDS)
        if kind is None:
            continue
        if kind == "rating":
            ratings = tags.get(dd.mem_id, [])
            record.rating = ratings[0] if ratings else None
        elif kind in _TAG_FIELDS:
            setattr(record, _TAG_FIELDS[kind], tags.get(dd.mem_id, []))
        elif kind == "language":
            record.language = clean(dd.text()) or None
        elif kind == "series":
            record.series = _series(dd)
        elif kind == "collections":
            record.collections = collections_from(dd.css("a[href*='/collections/']"))
        elif kind == "stats":
            _read_stats(record, _stats_list(dd))


def _tag_names_by_child(parent: LexborNode) -> dict[int, list[str]]:
    """The names of the ``a.tag`` links under each child of ``parent``, by the child's ``mem_id``.

    What :func:`~ficindex.parser.common.tag_names` gives for each child, in one
    query for all of them (each query has a fixed cost of several lexbor walks
    of a tag list): each link is traced up to the child it belongs to.
    """
    found: dict[int, list[str]] = {}
    top = parent.mem_id
    for link in parent.css("a.tag"):
        name = clean(link.text())
        if not name:
            continue
        child = link
        above = child.parent
        while above is not None and above.mem_id != top:
            child = above
            above = child.parent
        if above is not None:
            found.setdefault(child.mem_id, []).append(name)
    return found


def _stats_list(dd: LexborNode) -> LexborNode:
    """The ``dl.stats`` in the stats ``dd`` (its first child on AO3), else the ``dd`` itself."""
    first = next(dd.iter(), None)
    if first is not None and first.tag == "dl" and "stats" in classes_of(first):
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
        tag = node.tag
        if tag != "dd" and tag != "dt":
            continue
        name = class_among(node, _STATS)
        if name is None:
            continue
        if tag == "dd":
            values[name] = clean(node.text())
        elif name == "status":
            status_label = clean(node.text())
    record.published = iso_date(values.get("published"))
    read_counts(record, values)
    read_status(record, status_label, iso_date(values.get("status")))


def _read_preface(record: Record, preface: LexborNode) -> None:
    """Title (and lock icon), byline, gift recipients; summary and notes are read later.

    One query finds all three: each selector's subject has its own tag name, so
    the tag tells which one a match answers (the first ``h2`` is the first
    ``h2.title``).
    """
    title = byline = None
    gifts: list[LexborNode] = []
    for node in preface.css(_PREFACE_PARTS):
        tag = node.tag
        if tag == "h2":
            title = node if title is None else title
        elif tag == "h3":
            byline = node if byline is None else byline
        else:
            gifts.append(node)
    if title is not None:
        record.title = clean(title.text()) or None
        images = title.css("img") if next(title.iter(), None) is not None else []
        record.restricted = any(
            "lockblue" in (img.attributes.get("src") or "")
            or img.attributes.get("title") == "Restricted"
            for img in images
        )
    if byline is not None:
        record.authors = authors_from(byline)
        text = clean(byline.text())
        # Anonymous works show the bare word; their creators see "Anonymous [links]".
        record.anonymous = text == "Anonymous" or text.startswith("Anonymous [")
    for item in gifts:
        if clean(item.text()).startswith("For "):
            record.gifts.extend(filter(None, (clean(a.text()) for a in item.css("a"))))


def _chapter_parts(chapters: LexborNode, main: LexborNode) -> list[_ChapterParts]:
    """Each chapter with its number, id and title, and the nodes holding its texts (read later)."""
    wrappers = [node for node in chapters.iter() if _is_chapter_wrapper(node)]
    if not wrappers:
        # A single-chapter work: text under the "Work Text:" landmark, no wrapper.
        text = chapters.css_first("div.userstuff")
        return [(Chapter(number=1), {"text": text} if text is not None else {})]
    index = _chapter_index(main) if len(wrappers) == 1 else {}
    return [_read_chapter(wrapper, position, index) for position, wrapper in enumerate(wrappers, 1)]


def _chapter_texts(chapter: Chapter, nodes: dict[str, LexborNode]) -> None:
    """A chapter's summary, notes, end notes and text, from nodes already prepared."""
    chapter.summary = text_lines(nodes.get("summary"))
    chapter.notes = text_lines(nodes.get("notes"))
    chapter.end_notes = text_lines(nodes.get("end_notes"))
    chapter.text = text_lines(nodes.get("text")) or ""


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


def _read_chapter(wrapper: LexborNode, position: int, index: dict[int, int]) -> _ChapterParts:
    """A chapter's number, id and title, and the nodes that hold its texts (read later).

    The wrapper's children are walked in Python (a few nodes) rather than queried
    with CSS: on a long work the per-query cost adds up to more than the walk.
    """
    match = _CHAPTER_NUMBER.fullmatch(wrapper.id or "")
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
    link = heading.first_child
    while link is not None and link.tag != "a":
        link = link.next
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
