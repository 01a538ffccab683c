"""Reading a search query as researchers type it, into FTS5 expressions.

Two audiences write queries: people who paste AO3 tags (``Hurt/Comfort``,
``F/M``, ``Alternate Universe - Coffee Shops & Cafés``) and people who write
FTS5 syntax (``"slow burn" NOT angst``, ``NEAR(tea shop)``, ``angel*``,
``title:tea``). Both must work, so the query is read word by word: FTS5's
operators, quotes, parentheses, prefix stars and column filters pass through;
any other word that FTS5 would misread (it has punctuation) becomes a quoted
phrase, which FTS5 tokenizes like the indexed text; a word with no letters or
digits at all (``-``, ``&``) is dropped.

Words in Chinese, Japanese or Korean go to the trigram side indexes instead
(see :mod:`ficindex.index.schema`), where they match as substrings. They must
be plain required words: combining them with OR, NOT, NEAR, parentheses or a
column filter is refused with a hint, because the two indexes cannot evaluate
one boolean expression together.
"""

from __future__ import annotations

import re

from ficindex.errors import BadInput
from ficindex.index.layout import CHAPTERS_FTS_COLUMNS, CJK_RANGES, WORKS_FTS_COLUMNS

#: Where CJK ranges start and end (exclusive), in order: a character is CJK when an odd
#: number of bounds lie at or below it. (A regex class of these ranges takes 13 ms to
#: compile, longer than the rest of a search's start-up.)
_CJK_BOUNDS = tuple(ord(c) + (i % 2) for lo_hi in CJK_RANGES for i, c in enumerate(lo_hi))

# The patterns below are compiled on first use (through re's cache), not at import: a query
# of plain words needs none of them, and compiling them would cost its start-up 0.5 ms.

#: What FTS5 accepts as a bareword: ASCII letters, digits, ``_``, ``\x1a`` and any non-ASCII
#: character, written as the ASCII characters it excludes (the positive class spanning
#: U+0080-U+10FFFF takes 4 ms to compile).
_BAREWORD = r"[^\x00-\x19\x1b-/:-@\[-^`{-\x7f]+"
_OPERATORS = frozenset({"AND", "OR", "NOT"})
_COLUMNS = frozenset(WORKS_FTS_COLUMNS + CHAPTERS_FTS_COLUMNS)
#: One lexical piece: a quoted phrase (maybe unclosed), a parenthesis, or a run of other text.
_PIECE = r'"(?:[^"]|"")*"?|[()]|-?\{[^}]*\}:[^\s"()]*|[^\s"()]+'
_COLUMN_FILTER = r"^(-?)(\{[^}]*\}|[A-Za-z_]+):(.*)$"

_HINT = (
    "cannot read the search query {query!r}: {reason}; "
    "put words in double quotes to search for them as they are, e.g. '\"AND\"'"
)


def has_cjk(text: str) -> bool:
    """True when ``text`` holds a Chinese, Japanese or Korean character."""
    if text.isascii():
        return False
    from bisect import bisect_right  # imported only for text that is not ASCII

    return any(bisect_right(_CJK_BOUNDS, ord(c)) % 2 for c in text)


class Query:
    """A query as the indexes read it: an FTS5 expression and CJK words.

    ``fts`` is None when the query has no word for the word indexes;
    ``cjk`` lists the words (substrings) every result must contain.
    (A plain class: importing :mod:`dataclasses` costs a read command 15 ms.)
    """

    __slots__ = ("cjk", "fts")

    def __init__(self, fts: str | None = None, cjk: list[str] | None = None) -> None:
        self.fts = fts
        self.cjk = cjk or []

    @property
    def empty(self) -> bool:
        """True when nothing is searched for (list works by filters alone)."""
        return self.fts is None and not self.cjk


def read_query(text: str) -> Query:
    """The :class:`Query` of what a user typed; BadInput (with a hint) when it cannot be read."""
    stripped = text.strip()
    if stripped in ("", "*"):
        return Query()
    parts: list[str] = []
    cjk: list[str] = []
    operators = False
    for piece in _pieces(stripped):
        converted = _piece(text, piece, cjk)
        if converted is not None:
            parts.append(converted)
            operators = operators or _is_operator(piece)
    if cjk and operators:
        raise BadInput(
            _HINT.format(
                query=text,
                reason="Chinese, Japanese and Korean words can only be combined with "
                "other words, not with OR, NOT, NEAR, parentheses or column filters",
            )
        )
    if parts:
        _check_shape(text, parts)
    elif not cjk:
        raise BadInput(_HINT.format(query=text, reason="it has no letters or digits"))
    return Query(fts=" ".join(parts) or None, cjk=[w for w in cjk if w])


def _pieces(text: str) -> list[str]:
    """The lexical pieces of ``text``: for ASCII words of letters and digits alone (most
    queries), the words, which is what the pattern finds in them."""
    if text.isascii() and "".join(text.split()).isalnum():
        return text.split()
    return re.findall(_PIECE, text)


def _is_operator(piece: str) -> bool:
    """True for FTS5 syntax that joins or scopes terms (not a plain word or phrase)."""
    return (
        piece in ("(", ")", "NEAR")
        or piece in _OPERATORS
        or (":" in piece and re.match(_COLUMN_FILTER, piece) is not None)
    )


def _piece(text: str, piece: str, cjk: list[str]) -> str | None:
    """One lexical piece as FTS5 should read it; CJK words go to ``cjk`` (None: nothing left)."""
    if piece.startswith('"'):
        if len(piece) < 2 or not piece.endswith('"') or _ends_in_escape(piece):
            raise BadInput(_HINT.format(query=text, reason="a double quote is not closed"))
        inner = piece[1:-1].replace('""', '"')
        if has_cjk(inner):
            cjk.append(inner.strip())
            return None
        return piece
    if piece in ("(", ")", "NEAR") or piece in _OPERATORS:
        return piece
    if piece.isascii() and piece.isalnum():
        return piece  # a bareword as it is (what _word makes of it, without its patterns)
    return _word(piece, cjk)


def _ends_in_escape(piece: str) -> bool:
    """True when the closing quote of ``piece`` is really an escaped ``""``."""
    run = len(piece) - len(piece.rstrip('"'))
    return len(piece) > 1 and run % 2 == 0 and piece.strip('"') != ""


def _word(piece: str, cjk: list[str]) -> str | None:
    """One unquoted word as FTS5 should read it (None: drop it; CJK words go to ``cjk``)."""
    column = re.match(_COLUMN_FILTER, piece) if ":" in piece else None
    if column and (column.group(2).startswith("{") or column.group(2) in _COLUMNS):
        rest = _word(column.group(3), cjk) if column.group(3) else None
        return f"{column.group(1)}{column.group(2)}:" + (f" {rest}" if rest else "")
    if has_cjk(piece):
        cjk.append(piece.rstrip("*"))
        return None
    comma = "," if piece.endswith(",") else ""  # NEAR(tea shop, 5)
    body = piece[: len(piece) - len(comma)]
    caret = "^" if body.startswith("^") else ""
    body = body[len(caret) :]
    star = "*" if body.endswith("*") else ""
    body = body.rstrip("*")
    if re.fullmatch(_BAREWORD, body):
        return caret + body + star + comma
    if not re.search(_BAREWORD, body):
        return comma or None  # only punctuation: nothing FTS5 could match
    return caret + '"' + body.replace('"', '""') + '"' + star + comma


def _check_shape(text: str, parts: list[str]) -> None:
    """Refuse unpaired parentheses and operators without words, in plain words."""
    depth = 0
    for part in parts:
        depth += (part == "(") - (part == ")")
        if depth < 0:
            break
    if depth != 0:
        raise BadInput(_HINT.format(query=text, reason="its parentheses do not pair up"))
    words = [p for p in parts if p not in _OPERATORS and p not in ("(", ")")]
    if not words:
        raise BadInput(_HINT.format(query=text, reason="it has operators but no words"))
    if parts[0] in _OPERATORS or parts[-1] in _OPERATORS:
        raise BadInput(_HINT.format(query=text, reason="AND, OR and NOT need words on both sides"))


def hint(text: str, reason: str) -> BadInput:
    """The one-line error for a query FTS5 refused after it was read."""
    return BadInput(_HINT.format(query=text, reason=reason))
