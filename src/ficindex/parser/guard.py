"""Limits a page must keep before it is handed to lexbor: its size and its nesting depth.

Why a depth guard: lexbor builds the tree in time that grows with the square of
the nesting depth (opening a ``div`` or an ``li`` walks the stack of open
elements), so a page of 100,000 nested ``div``s takes about a minute. No real
AO3 page comes close: the deepest of the saved real pages is 17 elements deep,
and AO3's HTML sanitizer caps the nesting of what authors write at a few
hundred. A deeper page is not an AO3 page worth reading, so the parser turns it
into an ``error_page`` record without building the tree.

The check costs one ``bytes.count`` on a page over 30 KB. A page with more than
:data:`SAFE_TAGS` tags (where lexbor's worst case would be noticeable; the 1.2 MB
page of a 50-chapter work has under 5,000) is scanned tag by tag, with a small
model of the HTML tree builder's stack that never pops an element the tree
builder would keep open (so it may overstate the depth, not understate it, on
the markup it models). Counting start and end tags instead would be cheaper, but
end tags that close nothing (``<div></x>``, a stray ``</li>``) keep such counts
balanced while the elements nest ever deeper; the scan follows what each end tag
really closes, and stops as soon as the depth passes :data:`MAX_DEPTH`, so a
hostile page is refused in milliseconds. A real page that large pays a few
times lexbor's own time for the scan.
"""

from __future__ import annotations

import functools
import re

__all__ = ["MAX_PAGE_BYTES", "MAX_DEPTH", "SAFE_TAGS", "too_deep"]

#: The largest input the parser accepts (bytes, or characters for text). A real AO3
#: page, even a full view of a 500,000-word work, is far below this.
MAX_PAGE_BYTES = 200 * 1024 * 1024
#: Nesting deeper than this is no AO3 page (the deepest real one is 17 elements deep).
MAX_DEPTH = 1000
#: With at most this many ``<`` in the page, even the worst nesting parses in a
#: fraction of a second, so the tag-by-tag scan is skipped.
SAFE_TAGS = 10_000


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: A comment, doctype, processing instruction or tag. Every alternative also ends at the end
#: of the input (as the tokenizer does with an unclosed comment, tag or quoted value), and
#: nothing backtracks, so no input makes the scan slower than linear.
_TOKEN = re.compile(
    rb"<!--(?:.*?-->|.*)|<![^>]*+(?:>|\Z)|<\?[^>]*+(?:>|\Z)"
    rb"|<(/?)([A-Za-z][^\s/>]*+)"
    rb"(?:[^>=]++|=\s*+\"[^\"]*+(?:\"|\Z)|=\s*+'[^']*+(?:'|\Z)|=)*+(?:>|\Z)",
    re.DOTALL,
)
_VOID = _names(
    "area base basefont bgsound br col embed frame hr image img input keygen link meta "
    "param source track wbr"
)
#: Elements whose content is text up to their end tag (tags inside are not elements).
#: (lexbor parses with scripting off, so ``noscript`` holds elements.)
_RAW_TEXT = _names("script style textarea title xmp iframe noembed noframes")
_FORMATTING = _names("a b big code em font i nobr s small strike strong tt u")
#: The "special" elements of the HTML tree builder: an end tag of another element never
#: closes past one of them.
_SPECIAL = _names(
    "address applet area article aside base basefont bgsound blockquote body br button "
    "caption center col colgroup dd details dir div dl dt embed fieldset figcaption "
    "figure footer form frame frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html "
    "iframe img input keygen li link listing main marquee menu meta nav noembed noframes "
    "noscript object ol p param plaintext pre script search section select source style "
    "summary table tbody td template textarea tfoot th thead title tr track ul wbr xmp "
    "svg math"
)
#: An end tag of a special element never closes past one of these (its "scope").
_SCOPE = _names(
    "applet caption html table td th marquee object template svg math button ol ul select"
)
#: A start tag of one of these closes an open element of the same name on top of the stack.
_SIBLING_CLOSES = _names("p li dd dt option optgroup tr td th rb rp rt")
#: A start tag of one of these closes a ``p`` on top of the stack.
_CLOSES_P = _names(
    "address article aside blockquote center details dialog dir div dl fieldset "
    "figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr main menu nav ol p "
    "pre section summary table ul li dd dt"
)


def too_deep(source: str | bytes) -> bool:
    """Whether the page nests elements deeper than :data:`MAX_DEPTH` (see the module text)."""
    if len(source) <= SAFE_TAGS * 3:  # every tag takes at least three characters
        return False
    raw = source.encode("utf-8", "surrogatepass") if isinstance(source, str) else source
    # The number of "<": one replace (memchr and memcpy) is several times faster than count.
    if len(raw) - len(raw.replace(b"<", b"")) <= SAFE_TAGS:
        return False
    return _Stack().deeper_than(raw, MAX_DEPTH)


@functools.cache
def _raw_text_end(name: str) -> re.Pattern[bytes]:
    return re.compile(rb"</" + name.encode() + rb"[\s/>]", re.I)


class _Stack:
    """The stack of open elements, as far as start and end tags alone decide it."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.special_at: list[int] = []  # stack positions of special elements
        self.scope_at: list[int] = []  # stack positions of scope boundaries
        self.open: dict[str, list[int]] = {}  # name -> its stack positions

    def deeper_than(self, raw: bytes, limit: int) -> bool:
        position = 0
        while (match := _TOKEN.search(raw, position)) is not None:
            position = match.end()
            if match.group(2) is None:
                continue  # a comment, doctype or processing instruction
            name = match.group(2).decode("ascii", "replace").lower()
            if match.group(1):
                self.end_tag(name)
                continue
            if name in _VOID:
                continue
            self.start_tag(name)
            if len(self.names) > limit:
                return True
            if name in _RAW_TEXT or name == "plaintext":
                if name == "plaintext":
                    return False
                close = _raw_text_end(name).search(raw, position)
                if close is None:
                    return False
                self.end_tag(name)
                position = close.end()
        return False

    def start_tag(self, name: str) -> None:
        top = self.names[-1] if self.names else ""
        if (name in _SIBLING_CLOSES and top == name) or (name in _CLOSES_P and top == "p"):
            self.pop_to(len(self.names) - 1)
        self.open.setdefault(name, []).append(len(self.names))
        if name in _SPECIAL:
            self.special_at.append(len(self.names))
        if name in _SCOPE:
            self.scope_at.append(len(self.names))
        self.names.append(name)

    def end_tag(self, name: str) -> None:
        """Pop ``name`` and what is above it, when the tree builder surely would."""
        positions = self.open.get(name)
        if not positions:
            return
        at = positions[-1]
        if name in _FORMATTING and at != len(self.names) - 1:
            return  # the adoption agency moves elements around; keep them all
        stoppers = self.scope_at if name in _SPECIAL else self.special_at
        if stoppers and stoppers[-1] > at:
            return  # a scope boundary (or, for other elements, a special one) is in the way
        self.pop_to(at)

    def pop_to(self, at: int) -> None:
        """Pop every element from stack position ``at`` up."""
        while len(self.names) > at:
            position = len(self.names) - 1
            name = self.names.pop()
            self.open[name].pop()
            for marks in (self.special_at, self.scope_at):
                if marks and marks[-1] == position:
                    marks.pop()
