"""Small pure helpers shared by the page parsers: whitespace, numbers, dates, bylines, text.

They take lexbor nodes or strings and return plain values; none of them knows
which page it is looking at.

An element's whole text is read with ``text_lexbor()`` (lexbor's own textContent)
throughout the parsers: it is what ``text()`` gives without a separator, in half
the time, since ``text()`` calls back into Python for every text node.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Container, Iterable, Mapping
from urllib.parse import unquote

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ficindex.record import Author, CollectionRef, Record

_MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_BLURB_DATE = re.compile(r"(\d{1,2})\s+([A-Z][a-z]{2})\s+(\d{4})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
#: A count written with thousands separators: "5,688", "1.234.567", "12\u00a0345".
_GROUPED = re.compile(r"\d{1,3}(?:([,.\u00a0\u202f ])\d{3})(?:\1\d{3})*")
_SEPARATORS = re.compile(r"[,.\u00a0\u202f ]")
_USER_PSEUD = re.compile(r"/users/([^/?#]+)/pseuds/([^/?#]+)")
#: Ids and counters have at most 18 digits: more would overflow SQLite's 64-bit INTEGER
#: (and ``int()`` refuses over 4,300), so a longer run of digits in a page is no number.
_WORK_ID = re.compile(r"/works/(\d{1,18})(?!\d)")
_CHAPTER_ID = re.compile(r"/chapters/(\d{1,18})(?!\d)")
_SERIES_ID = re.compile(r"/series/(\d{1,18})(?!\d)")
_COLLECTION_NAME = re.compile(r"/collections/([^/?#]+)")
#: Counters AO3 leaves out of a stats list when they are zero (AO3-MARKUP 1.4).
ZERO_WHEN_ABSENT = ("comments", "kudos", "bookmarks")

#: Elements that end a line or hold no running text. Everything else in author HTML
#: (em, strong, span, a, font, ...) is inline and is unwrapped before taking text, so a
#: paragraph stays one line. A ``:not()`` of this list is one cheap test per element,
#: where a list of the inline tags costs one test per tag and element; lexbor tries the
#: list in order, so the most frequent elements come first (``p`` first halves the cost).
_BLOCK_TAGS = (
    "p,br,div,blockquote,hr,center,ul,ol,li,h1,h2,h3,h4,h5,h6,table,tbody,thead,tfoot,tr,"
    "td,th,caption,dl,dt,dd,pre,address,article,aside,details,summary,figure,figcaption,"
    "footer,header,nav,section,noscript,script,style,template"
)
INLINE_SELECTOR = f":not({_BLOCK_TAGS})"
#: The same elements by lexbor tag id (a type selector matches the name in any namespace,
#: and so does the id): what a walk in Python skips.
BLOCK_TAG_IDS = frozenset(
    LexborHTMLParser("").create_node(name).tag_id for name in _BLOCK_TAGS.split(",")
)
#: lexbor's tag ids of the elements the work parser tells apart: comparing ints costs a
#: third of reading ``node.tag``, which builds a new string each time.
TAG_ID = {
    name: LexborHTMLParser("").create_node(name).tag_id
    for name in ("a", "blockquote", "dd", "div", "dl", "dt", "h2", "h3", "input", "p")
}
#: Joins lexbor's text fragments; a control character that page text never contains.
_FRAGMENT = "\x1f"
#: Never text: screen-reader landmarks ("Chapter Text", "Work Text:"), work skins, scripts.
NOT_TEXT_SELECTOR = ".landmark, style, script, noscript, template"


def clean(text: str | None) -> str:
    """Collapse every run of whitespace (AO3 pads labels and titles with newlines) to one space."""
    return " ".join(text.split()) if text else ""


def to_int(text: str | None) -> int | None:
    """``"5,688"`` -> 5688; ``"15933"`` -> 15933 (2021 pages had no separators); junk -> None.

    A separator counts only between groups of three digits, so ``"1.5"`` or
    ``"12,34"`` is no count (None), never 15 or 1234.
    """
    if not text:
        return None
    text = text.strip()
    if text.isdecimal():  # the usual case, and never a grouped count: skip the regexes
        return int(text) if len(text) <= 18 else None
    if _GROUPED.fullmatch(text):
        text = _SEPARATORS.sub("", text)
    return int(text) if is_id(text) else None


def is_id(text: str) -> bool:
    """Whether ``text`` is an id or count: decimal digits, at most 18 of them.

    isdecimal, not isdigit: "²" is a digit that int() refuses; 18 digits always
    fit SQLite's 64-bit INTEGER.
    """
    return text.isdecimal() and len(text) <= 18


def parse_chapter_counts(text: str | None) -> tuple[int | None, int | None]:
    """``"10/?"`` -> (10, None); ``"50/50"`` -> (50, 50); unreadable -> (None, None)."""
    if not text or "/" not in text:
        return None, None
    posted, _, total = clean(text).partition("/")
    return to_int(posted), to_int(total)


def read_counts(
    record: Record, values: Mapping[str, str | None], *, absent: int | None = 0
) -> None:
    """Words, chapter counts and counters from a stats list's values by name (``"5,688"``).

    Work pages, blurbs and plain-text copies all label their stats the same way,
    so one reading keeps them in step. A counter missing from ``values`` becomes
    ``absent``: AO3 leaves a zero counter out rather than showing 0.
    """
    record.words = to_int(values.get("words"))
    record.chapters_posted, record.chapters_total = parse_chapter_counts(values.get("chapters"))
    for name in ZERO_WHEN_ABSENT:
        setattr(record, name, to_int(values[name]) if name in values else absent)
    record.hits = to_int(values.get("hits"))


def read_status(record: Record, label: str, date: str | None) -> None:
    """``updated`` and ``completed`` from the status row: its label and its ISO date.

    ``label`` is "Completed:", "Updated:" or "" when the page has no status row;
    then (a one-chapter work) the work was last changed when it was published,
    and it is complete when every chapter it announces is posted.
    """
    record.updated = date or record.published
    if label.startswith("Completed"):
        record.completed = True
    elif label.startswith("Updated"):
        record.completed = False
    else:
        record.completed = completed_by_counts(record)


def completed_by_counts(record: Record) -> bool:
    """Complete when the chapter total is known and every chapter is posted ("5/5")."""
    return record.chapters_total is not None and record.chapters_posted == record.chapters_total


def iso_date(text: str | None) -> str | None:
    """An ISO date from a work page (``2025-03-26``) or a blurb (``09 Jun 2025``), else None.

    A date that is not on the calendar (``2024-02-30``, ``9999-99-99``) is None:
    a stored date is always one that exists.
    """
    if not text:
        return None
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        # A work page's own form: the C parser checks it in one call. Whatever it
        # refuses (another form, a date not on the calendar) is read below.
        try:
            return datetime.date.fromisoformat(text).isoformat()
        except ValueError:
            pass
    match = _ISO_DATE.search(text)
    if match:
        return _calendar_date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    match = _BLURB_DATE.search(text)
    if match and match.group(2) in _MONTHS:
        return _calendar_date(int(match.group(3)), _MONTHS[match.group(2)], int(match.group(1)))
    return None


def looks_like_date(text: str) -> bool:
    """Whether ``text`` is written like a date, valid or not (a plain-text copy's label value)."""
    return bool(_ISO_DATE.search(text) or _BLURB_DATE.search(text))


def looks_like_count(text: str) -> bool:
    """Whether ``text`` is written like a number, valid or not (``"1.5"`` is, ``"Kudos"`` not)."""
    return bool(text) and text.replace(",", "").replace(".", "").strip().isdecimal()


def _calendar_date(year: int, month: int, day: int) -> str | None:
    try:
        return datetime.date(year, month, day).isoformat()
    except ValueError:
        return None


def author_from_href(href: str | None) -> Author | None:
    """``/users/USER/pseuds/PSEUD`` (URL-encoded) -> Author(pseud, user); other links -> None."""
    if not href:
        return None
    match = _USER_PSEUD.search(href)
    if not match:
        return None
    return Author(pseud=unquote(match.group(2)), user=unquote(match.group(1)))


def authors_from(node: LexborNode | None) -> list[Author]:
    """Every ``a[rel=author]`` creator link under ``node``, in page order, without repeats."""
    if node is None:
        return []
    seen: list[Author] = []
    for link in node.css('a[rel="author"]'):
        author = author_from_href(link.attributes.get("href"))
        if author is not None and author not in seen:
            seen.append(author)
    return seen


def work_id_from_href(href: str | None) -> int | None:
    """The work id in ``/works/123``, ``/works/123/chapters/4`` or ``/collections/C/works/123``."""
    if not href:
        return None
    match = _WORK_ID.search(href)
    return int(match.group(1)) if match else None


def series_id_from_href(href: str | None) -> int | None:
    """The series id in ``/series/123``."""
    if not href:
        return None
    match = _SERIES_ID.search(href)
    return int(match.group(1)) if match else None


def collections_from(links: Iterable[LexborNode]) -> list[CollectionRef]:
    """A CollectionRef per ``/collections/NAME`` link (URL-encoded name, shown title)."""
    found: list[CollectionRef] = []
    for link in links:
        match = _COLLECTION_NAME.search(link.attributes.get("href") or "")
        if match:
            name, title = unquote(match.group(1)), clean(link.text_lexbor())
            found.append(CollectionRef(name=name, title=title))
    return found


def chapter_id_from_href(href: str | None) -> int | None:
    """The chapter id in ``/works/1/chapters/456``."""
    if not href:
        return None
    match = _CHAPTER_ID.search(href)
    return int(match.group(1)) if match else None


def split_names(label: str) -> list[str]:
    """``"F/M, M/M"`` -> ["F/M", "M/M"]: AO3 joins tag and creator names with ", "."""
    return [name for name in (part.strip() for part in label.split(", ")) if name]


def classes_of(node: LexborNode) -> list[str]:
    """The element's class names (none when it has no ``class`` attribute)."""
    return (node.attributes.get("class") or "").split()


def class_among(node: LexborNode, names: Container[str]) -> str | None:
    """The element's first class token that is one of ``names``, else None.

    Class attributes are read token by token, never compared whole: older
    markup adds classes (``<li class="freeforms last">``), and the order of
    tokens is not fixed.
    """
    classes = node.attributes.get("class") or ""
    if classes in names:  # a single class, the usual case: nothing to split
        return classes
    for token in classes.split():
        if token in names:
            return token
    return None


def tag_names(node: LexborNode | None) -> list[str]:
    """Display names of the ``a.tag`` links under ``node`` (lexbor has decoded the entities)."""
    if node is None:
        return []
    return [name for name in (clean(a.text_lexbor()) for a in node.css("a.tag")) if name]


def block_text(node: LexborNode | None) -> str | None:
    """Plain text of author HTML, one paragraph (or ``<br>`` line) per line; None when empty.

    Why this shape: lexbor's ``text(separator=...)`` puts the separator between
    *text nodes*, which would split a paragraph at every ``<em>``. Unwrapping
    the inline elements and merging the text nodes first (both in C) leaves one
    text node per line, so the fast C text walk gives exactly the lines we want.
    The node is modified: call this only on text containers, after metadata is read.
    For many containers under one parent, call :func:`prepare_text` once on the
    parent and :func:`text_lines` per container: each CSS query has a fixed cost.
    """
    if node is None:
        return None
    prepare_text(node)
    return text_lines(node)


def prepare_text(node: LexborNode) -> None:
    """Remove non-text (landmarks, styles, scripts) and unwrap inline elements, in place.

    The inline elements are unwrapped one by one: the result does not depend on
    the order, and one ``unwrap`` costs less than the CSS walk ``unwrap_tags``
    makes per tag name. (An empty inline element, such as ``<img>``, stays: it
    has nothing to unwrap.)
    """
    for junk in node.css(NOT_TEXT_SELECTOR):
        junk.decompose()
    for element in node.css(INLINE_SELECTOR):
        element.unwrap()
    node.merge_text_nodes()


def text_lines(node: LexborNode | None) -> str | None:
    """The lines of a node already passed through :func:`prepare_text`; None when empty.

    Lines are stripped and empty ones dropped (a ``<p>&nbsp;</p>`` spacer is no
    line). A line whose source had line breaks, tabs or non-breaking spaces is
    reflowed to single spaces, as a browser shows it; other runs of spaces are
    kept as written. Only single-character searches scan the whole text (a
    two-character search or a regex over a 1 MB work costs as much as parsing it).
    Usually nothing is reflowed and no line is empty: then the fragments are
    joined by one ``replace``, where splitting a long text into a list of lines
    and joining it again costs about as much as lexbor's walk that produced it.
    """
    if node is None:
        return None
    text = node.text(separator=_FRAGMENT, strip=True, skip_empty=True)
    if not text:
        return None
    reflow = _needs_reflow(text)
    if not reflow and not _has_empty_fragment(text):
        return text.replace(_FRAGMENT, "\n")
    lines = text.split(_FRAGMENT)
    if reflow:
        lines = [_reflow(line) if _needs_reflow(line) else line for line in lines]
    return "\n".join(filter(None, lines)) or None


def _has_empty_fragment(text: str) -> bool:
    """Whether ``text`` (fragments joined by ``_FRAGMENT``) holds an empty fragment.

    (A spacer paragraph, ``<p>&nbsp;</p>``, strips to one.) One ``find`` per
    fragment: a search for the separator twice over, or a split, runs through
    every character instead of jumping from separator to separator.
    """
    if text[0] == _FRAGMENT or text[-1] == _FRAGMENT:
        return True
    find = text.find
    at = find(_FRAGMENT)
    while at >= 0:
        following = find(_FRAGMENT, at + 1)
        if following == at + 1:
            return True
        at = following
    return False


def _needs_reflow(text: str) -> bool:
    """Whether ``text`` has whitespace that HTML renders as a plain space (a source line
    break, a tab, a non-breaking space): then its lines are reflowed.

    One ``in`` per character rather than ``any()`` over a tuple: the generator cost
    more than the searches on short lines, and this runs for every line of a work
    whose text has any of them.
    """
    return "\n" in text or "\r" in text or "\t" in text or "\u00a0" in text or "\x0c" in text


def _reflow(line: str) -> str:
    return " ".join(line.split())
