"""The texts of a work page: its sections, its chapters, and the reading of every text.

AO3 renders a work in three layouts (AO3-MARKUP section 1):

* full-work view (``?view_full_work=true``): ``div#chapters > div.chapter`` per chapter;
* single-chapter works: the text sits in ``div#chapters > div.userstuff`` under a
  "Work Text:" landmark, with no chapter wrapper;
* chapter view (``/works/ID/chapters/CID``): one ``div.chapter``; the work summary
  and notes appear only on the first chapter, the work's end notes only on the last.

Chapter numbers, ids and titles are read with the metadata; the texts (summaries,
notes, chapter text) last, by :func:`read_texts`, because preparing text (removing
landmarks, unwrapping inline elements: :func:`~ficindex.parser.common.prepare_text`)
changes the tree. Usually every text is prepared at once on ``div#workskin``; on odd
markup each is prepared on its own, in page order, which reads the same.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ficindex.parser.common import (
    BLOCK_TAG_IDS,
    INLINE_SELECTOR,
    NOT_TEXT_SELECTOR,
    TAG_ID,
    block_text,
    chapter_id_from_href,
    classes_of,
    clean,
    is_id,
    prepare_text,
    text_lines,
)
from ficindex.parser.engagement import KUDOS_PARAGRAPH, kudos_paragraph, read_kudos_paragraph
from ficindex.record import Chapter, Record

#: A chapter and the nodes that hold its texts, by name (``text``, ``summary``, ...).
ChapterParts = tuple[Chapter, dict[str, LexborNode]]
#: The kudos paragraph and what is no text, in one query (see _kudos_and_junk).
_KUDOS_OR_NOT_TEXT = f"{NOT_TEXT_SELECTOR}, {KUDOS_PARAGRAPH}"
_SUMMARY = "div.summary blockquote.userstuff"
_NOTES = "div.notes blockquote.userstuff"
_CHAPTER_LABEL = re.compile(r"^Chapter\s+\d+")
_CHAPTER_NUMBER = re.compile(r"chapter-(\d{1,18})")
#: Nodes walked in Python before the inline elements are left to a CSS query.
_WALK_LIMIT = 300
_A, _BLOCKQUOTE, _DIV, _H3, _P = (TAG_ID[name] for name in ("a", "blockquote", "div", "h3", "p"))
#: lexbor's tag id of text nodes.
_TEXT_NODE = LexborHTMLParser("<p>text</p>").css_first("p").first_child.tag_id  # type: ignore[union-attr]


def read_texts(
    record: Record, sections: Sections, parts: list[ChapterParts], main: LexborNode
) -> None:
    """The summary, notes, end notes and chapter texts of the work, and its kudos paragraph."""
    if not _read_texts_at_once(record, sections, parts, main):
        _read_texts_in_turn(record, sections, parts, main)


@dataclass(slots=True)
class Sections:
    """The work's preface, ``div#chapters`` and afterword, and ``div#workskin`` holding them.

    ``skin`` is None when the three were not found as its children (a saved
    fragment, odd markup): then they may lie anywhere in the page.
    """

    skin: LexborNode | None = None
    preface: LexborNode | None = None
    chapters: LexborNode | None = None
    afterword: LexborNode | None = None


def work_sections(main: LexborNode) -> Sections:
    """The children of ``div#workskin``, or the first matches in the page when it has none."""
    found = Sections(skin=main.css_first("div#workskin"))
    for child in found.skin.iter() if found.skin is not None else ():
        classes = classes_of(child)
        if child.id == "chapters":
            found.chapters = child
        elif "afterword" in classes:
            found.afterword = child
        elif "preface" in classes and found.preface is None:
            found.preface = child
    if found.chapters is None:  # a fragment without the work-skin wrapper
        return Sections(
            chapters=main.css_first("div#chapters"),
            preface=main.css_first("div.preface.group:not(.chapter):not(.afterword)"),
            afterword=main.css_first("div.afterword"),
        )
    return found


def _read_texts_at_once(
    record: Record, sections: Sections, parts: list[ChapterParts], main: LexborNode
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
        if node.tag_id != _P:
            junk.append(node)
        elif "landmark" in (node.attributes.get("class") or "").lower():
            return main.css_first(KUDOS_PARAGRAPH), None
        elif kudos is None:
            kudos = node
    return kudos, junk


def _read_texts_in_turn(
    record: Record, sections: Sections, parts: list[ChapterParts], main: LexborNode
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


def chapter_parts(chapters: LexborNode, main: LexborNode) -> list[ChapterParts]:
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
    return node.tag_id == _DIV and "chapter" in classes_of(node)


def _chapter_index(main: LexborNode) -> dict[int, int]:
    """Chapter number -> id from the chapter view's ``select#selected_id`` ("3. Title")."""
    index: dict[int, int] = {}
    select = main.css_first("select#selected_id")
    if select is None:
        return index
    for option in select.css("option"):
        number, _, _ = clean(option.text_lexbor()).partition(".")
        value = option.attributes.get("value") or ""
        if is_id(number) and is_id(value):
            index[int(number)] = int(value)
    return index


def _read_chapter(wrapper: LexborNode, position: int, index: dict[int, int]) -> ChapterParts:
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
                if module.tag_id == _H3 and "title" in module_classes and not after_text:
                    _read_chapter_heading(chapter, module)
                elif "summary" in module_classes and not after_text:
                    _store_quote(parts, "summary", module)
                elif "notes" in module_classes:
                    _store_quote(parts, "end_notes" if "end" in module_classes else "notes", module)
    return chapter, parts


def _store_quote(parts: dict[str, LexborNode], key: str, module: LexborNode) -> None:
    """Keep the module's ``blockquote.userstuff`` (a notes module may hold only a jump link)."""
    for child in module.iter():
        if child.tag_id == _BLOCKQUOTE:
            parts[key] = child
            return


def _read_chapter_heading(chapter: Chapter, heading: LexborNode | None) -> None:
    """``<a href=/works/W/chapters/C>Chapter N</a>: Title`` -> chapter id and title (or None)."""
    if heading is None:
        return
    full = clean(heading.text_lexbor())
    link = heading.first_child
    while link is not None and link.tag_id != _A:
        link = link.next
    label = ""
    if link is not None:
        label = clean(link.text_lexbor())
        chapter.chapter_id = chapter_id_from_href(link.attributes.get("href")) or chapter.chapter_id
    if label and full.startswith(label):
        rest = full[len(label) :].strip()
    else:
        rest = _CHAPTER_LABEL.sub("", full).strip()
    if rest.startswith(":"):
        rest = rest[1:].strip()
    chapter.title = rest or None


def prepare_texts(
    root: LexborNode,
    containers: Iterable[LexborNode | None],
    junk: list[LexborNode] | None = None,
) -> bool:
    """:func:`~ficindex.parser.common.prepare_text` once on ``root`` for all its ``containers``.

    One call on the parent costs the fixed price of its two CSS queries once,
    not once per container, and reads the same text: the preparation is local
    (an element unwrapped above a container leaves the container's subtree as
    it was). The one exception is a container that is itself, or sits inside,
    an element that is not text (a ``noscript`` holding a summary): removing
    that element from ``root`` would empty the container, where a call on the
    container alone keeps its text. Then nothing is changed and False is
    returned: prepare each container on its own instead.

    ``junk``, when given, is what ``NOT_TEXT_SELECTOR`` finds in a tree that holds
    ``root`` (the caller looked it up together with other nodes): removing such an
    element beside ``root`` changes nothing under it, but if ``root`` itself or an
    element above it is one, False is returned too.
    """
    given = junk is not None
    if junk is None:
        junk = root.css(NOT_TEXT_SELECTOR)
    if junk:
        junk_ids = {node.mem_id for node in junk}
        if given and _inside_any((root,), junk_ids, 0):  # no mem_id is 0: up to the document
            return False
        if _holds_any(junk, junk_ids, [node for node in containers if node is not None], root):
            return False
    for node in junk:
        node.decompose()
    for element in _inline_elements(root):
        element.unwrap()
    root.merge_text_nodes()
    return True


def _holds_any(
    junk: list[LexborNode], junk_ids: set[int], containers: list[LexborNode], root: LexborNode
) -> bool:
    """Whether a container is one of the ``junk`` elements (``junk_ids``) or lies inside one.

    The ancestors of every container are looked at only when some junk element
    holds an element at all: a landmark heading holds only its words.
    """
    if any(node.mem_id in junk_ids for node in containers):
        return True
    if not any(_holds_element(node) for node in junk):
        return False
    return _inside_any(containers, junk_ids, root.mem_id)


def _holds_element(node: LexborNode) -> bool:
    """Whether ``node`` has a child that is not text (an element, or a comment)."""
    child = node.first_child
    while child is not None:
        if child.tag_id != _TEXT_NODE:
            return True
        child = child.next
    return False


def _inside_any(nodes: Iterable[LexborNode | None], ancestors: set[int], root: int) -> bool:
    """Whether a node, or one of its ancestors below ``root``, has a ``mem_id`` in ``ancestors``."""
    for node in nodes:
        while node is not None:
            node_id = node.mem_id
            if node_id in ancestors:
                return True
            if node_id == root:
                break
            node = node.parent
    return False


def _inline_elements(root: LexborNode) -> list[LexborNode]:
    """What ``INLINE_SELECTOR`` finds under ``root``: by a walk in Python when ``root`` is small.

    The query's 44-name selector costs about 20 us to parse before it walks
    anything, more than a Python walk of a short work's few hundred nodes. A
    longer walk gives up and leaves it to lexbor. (The walk also yields comments,
    whose unwrapping does nothing.)
    """
    found: list[LexborNode] = []
    for seen, node in enumerate(root.traverse()):
        if seen == _WALK_LIMIT:
            return root.css(INLINE_SELECTOR)
        if node.tag_id not in BLOCK_TAG_IDS:
            found.append(node)
    return found
