"""Small pure helpers shared by the page parsers: whitespace, numbers, dates, bylines, text.

They take lexbor nodes or strings and return plain values; none of them knows
which page it is looking at.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from selectolax.lexbor import LexborNode

from ficindex.record import Author

_MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_BLURB_DATE = re.compile(r"(\d{1,2})\s+([A-Z][a-z]{2})\s+(\d{4})")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_USER_PSEUD = re.compile(r"/users/([^/?#]+)/pseuds/([^/?#]+)")
#: Ids and counters have at most 18 digits: more would overflow SQLite's 64-bit INTEGER
#: (and ``int()`` refuses over 4,300), so a longer run of digits in a page is no number.
_WORK_ID = re.compile(r"/works/(\d{1,18})(?!\d)")
_CHAPTER_ID = re.compile(r"/chapters/(\d{1,18})(?!\d)")

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
_INLINE_SELECTOR = f":not({_BLOCK_TAGS})"
_TAG_NAME = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
#: Joins lexbor's text fragments; a control character that page text never contains.
_FRAGMENT = "\x1f"
#: Whitespace inside a fragment that HTML renders as a plain space (source line breaks,
#: tabs, non-breaking spaces): when present, each line is reflowed.
_REFLOW = ("\n", "\r", "\t", "\u00a0", "\x0c")
#: Never text: screen-reader landmarks ("Chapter Text", "Work Text:"), work skins, scripts.
_NOT_TEXT_SELECTOR = ".landmark, style, script, noscript, template"


def clean(text: str | None) -> str:
    """Collapse every run of whitespace (AO3 pads labels and titles with newlines) to one space."""
    return " ".join(text.split()) if text else ""


def to_int(text: str | None) -> int | None:
    """``"5,688"`` -> 5688; ``"15933"`` -> 15933 (2021 pages had no separators); junk -> None."""
    if not text:
        return None
    digits = text.replace(",", "").replace(".", "").replace("\u00a0", "").strip()
    # isdecimal, not isdigit: "²" is a digit that int() refuses.
    return int(digits) if digits.isdecimal() and len(digits) <= 18 else None


def parse_chapter_counts(text: str | None) -> tuple[int | None, int | None]:
    """``"10/?"`` -> (10, None); ``"50/50"`` -> (50, 50); unreadable -> (None, None)."""
    if not text or "/" not in text:
        return None, None
    posted, _, total = clean(text).partition("/")
    return to_int(posted), to_int(total)


def iso_date(text: str | None) -> str | None:
    """An ISO date from a work page (``2025-03-26``) or a blurb (``09 Jun 2025``), else None."""
    if not text:
        return None
    match = _ISO_DATE.search(text)
    if match:
        return match.group(0)
    match = _BLURB_DATE.search(text)
    if match and match.group(2) in _MONTHS:
        day, month, year = int(match.group(1)), _MONTHS[match.group(2)], int(match.group(3))
        return f"{year:04d}-{month:02d}-{day:02d}"
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


def chapter_id_from_href(href: str | None) -> int | None:
    """The chapter id in ``/works/1/chapters/456``."""
    if not href:
        return None
    match = _CHAPTER_ID.search(href)
    return int(match.group(1)) if match else None


def tag_names(node: LexborNode | None) -> list[str]:
    """Display names of the ``a.tag`` links under ``node`` (lexbor has decoded the entities)."""
    if node is None:
        return []
    return [name for name in (clean(a.text()) for a in node.css("a.tag")) if name]


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
    """Remove non-text (landmarks, styles, scripts) and unwrap inline elements, in place."""
    for junk in node.css(_NOT_TEXT_SELECTOR):
        junk.decompose()
    inline = node.css(_INLINE_SELECTOR)
    if inline:
        # One C pass per tag name; a name CSS cannot spell (a made-up tag like "h³")
        # is unwrapped element by element instead.
        names = {element.tag for element in inline}
        plain = sorted(name for name in names if _TAG_NAME.fullmatch(name))
        if plain:
            node.unwrap_tags(plain)
        if len(plain) < len(names):
            for element in inline:
                if not _TAG_NAME.fullmatch(element.tag):
                    element.unwrap()
    node.merge_text_nodes()


def text_lines(node: LexborNode | None) -> str | None:
    """The lines of a node already passed through :func:`prepare_text`; None when empty.

    Lines are stripped and empty ones dropped (a ``<p>&nbsp;</p>`` spacer is no
    line). A line whose source had line breaks, tabs or non-breaking spaces is
    reflowed to single spaces, as a browser shows it; other runs of spaces are
    kept as written. Only single-character searches scan the whole text (a
    two-character search or a regex over a 1 MB work costs as much as parsing it).
    """
    if node is None:
        return None
    text = node.text(separator=_FRAGMENT, strip=True, skip_empty=True)
    if not text:
        return None
    lines = text.split(_FRAGMENT)
    if any(char in text for char in _REFLOW):
        lines = [_reflow(line) if any(c in line for c in _REFLOW) else line for line in lines]
    return "\n".join(filter(None, lines)) or None


def _reflow(line: str) -> str:
    return " ".join(line.split())
