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
_MULTISPACE = re.compile(r" {2,}")

#: Inline elements unwrapped before taking text, so a paragraph stays one line.
_INLINE_SELECTOR = (
    "a,abbr,acronym,b,bdi,bdo,big,cite,code,del,dfn,em,font,i,img,ins,kbd,mark,q,s,samp,"
    "small,span,strike,strong,sub,sup,time,tt,u,var,wbr"
)
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

    Why this shape: lexbor's ``text(separator="\\n")`` puts a newline between
    *text nodes*, which would split a paragraph at every ``<em>``. Unwrapping
    the inline elements and merging the text nodes first (both in C) leaves one
    text node per line, so the fast C text walk gives exactly the lines we want.
    The node is modified: call this only on text containers, after metadata is read.
    """
    if node is None:
        return None
    for junk in node.css(_NOT_TEXT_SELECTOR):
        junk.decompose()
    for inline in node.css(_INLINE_SELECTOR):
        inline.unwrap()
    node.merge_text_nodes()
    text = node.text(separator="\n", strip=True, skip_empty=True)
    if not text:
        return None
    return tidy_lines(text)


def tidy_lines(text: str) -> str:
    """Normalise spaces inside lines and drop blank lines, cheaply on clean text.

    Each check is a C substring search; the slower passes run only when needed
    (a regex over a whole 1 MB work costs more than parsing it).
    """
    if "\u00a0" in text:
        text = text.replace("\u00a0", " ")
    if "\t" in text:
        text = text.replace("\t", " ")
    if "\r" in text:
        text = text.replace("\r", "\n")
    if "  " in text:
        text = _MULTISPACE.sub(" ", text)
    if " \n" in text or "\n " in text or "\n\n" in text or text[:1] == " " or text[-1:] == " ":
        text = "\n".join(line for line in (part.strip() for part in text.split("\n")) if line)
    return text or ""
