"""The work filters ``search`` and ``export`` share, as parameterised SQL over ``works``.

Every user value travels as a bound parameter; only fixed fragments written
here become SQL text. Tag, fandom and author filters go through the
many-to-many tables (indexed, case-insensitive) rather than scanning the JSON
columns. Tag and fandom names may hold ``*`` wildcards (``Good Omens*``), since
AO3's canonical names carry suffixes (``Good Omens (TV)``) nobody remembers.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    from ficindex.index import Readable

#: How many near tag names a filter that matches nothing suggests.
SUGGESTIONS = 3
#: Letters of a filter word that candidate tag names must share (a typo after them is fine).
CANDIDATE_WORD = 4


def tag_match(name: str) -> tuple[str, str]:
    """SQL comparing ``t.name`` with a tag filter, and its value: exact or ``*`` wildcards.

    Both ignore case. Without a wildcard the comparison uses the name index.
    """
    if "*" not in name:
        return "t.name = ? COLLATE NOCASE", name
    escaped = name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return "t.name LIKE ? ESCAPE '\\'", escaped.replace("*", "%")


def unmatched_filters(db: Readable, filters: Filters) -> Iterator[str]:
    """A line for each tag or fandom filter that matches no tag in the index, with near names."""
    wanted = [(f, "fandom") for f in filters.fandoms] + [(t, None) for t in filters.tags]
    for name, kind in wanted:
        sql, value = tag_match(name)
        typed = " AND t.type = 'fandom'" if kind else ""
        if db.execute(f"SELECT 1 FROM tags t WHERE {sql}{typed} LIMIT 1", [value]).fetchone():
            continue
        import difflib  # only for a filter that matched nothing

        by_folded = {n.casefold(): n for n in _candidates(db, name, typed)}
        near = difflib.get_close_matches(
            name.replace("*", "").casefold(), list(by_folded), n=SUGGESTIONS, cutoff=0.5
        )
        what = "fandom" if kind else "tag"
        closest = ", ".join(repr(by_folded[n]) for n in near)
        yield (
            f"no {what} in the index matches {name!r}"
            + (f"; closest: {closest}" if closest else "")
        )


def _candidates(db: Readable, name: str, typed: str) -> list[str]:
    """Tag names to compare with ``name``: those sharing one of its words when any do.

    An index can hold hundreds of thousands of tags; difflib over all of them
    would take seconds for one mistyped filter.
    """
    words = [w for w in name.replace("*", " ").split() if len(w) >= CANDIDATE_WORD]
    for word in sorted(words, key=len, reverse=True):
        head = word[:CANDIDATE_WORD]
        escaped = head.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        found = [
            r[0]
            for r in db.execute(
                f"SELECT DISTINCT t.name FROM tags t WHERE t.name LIKE ? ESCAPE '\\'{typed}",
                [f"%{escaped}%"],
            )
        ]
        if found:
            return found
    return [r[0] for r in db.execute(f"SELECT DISTINCT t.name FROM tags t WHERE 1{typed}")]


class Filters:
    """What a user narrowed the works down to. Empty means every work.

    Written out rather than a dataclass: ``search`` builds one, and importing
    :mod:`dataclasses` (it imports :mod:`inspect`) would cost a search 15 ms.
    """

    __slots__ = (
        "authors",
        "completed",
        "fandoms",
        "kudos_min",
        "language",
        "rating",
        "tags",
        "words_max",
        "words_min",
    )

    def __init__(
        self,
        fandoms: list[str] | None = None,
        tags: list[str] | None = None,
        rating: str | None = None,
        language: str | None = None,
        authors: list[str] | None = None,
        completed: bool | None = None,
        words_min: int | None = None,
        words_max: int | None = None,
        kudos_min: int | None = None,
    ) -> None:
        self.fandoms = fandoms if fandoms is not None else []
        self.tags = tags if tags is not None else []
        self.rating = rating
        self.language = language
        self.authors = authors if authors is not None else []
        self.completed = completed
        self.words_min = words_min
        self.words_max = words_max
        self.kudos_min = kudos_min

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Filters) and self._values() == other._values()

    __hash__ = None  # type: ignore[assignment]  # mutable, as a dataclass with eq

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"Filters({shown})"

    def is_empty(self) -> bool:
        """True when no filter is set (every work passes)."""
        return self == Filters()

    def where(self, alias: str = "works") -> tuple[str, dict[str, Any]]:
        """A ``WHERE`` body (``1`` when empty) and its named parameters, for ``works AS alias``.

        Parameters are named ``:f0``, ``:f1``... so the body mixes with other named ones.
        """
        by_id, by_row, params = self.split(alias)
        return " AND ".join(p for p in (by_id, by_row) if p != "1") or "1", params

    def split(
        self, alias: str = "works", ids: str | None = None
    ) -> tuple[str, str, dict[str, Any]]:
        """:meth:`where` in two bodies (each ``1`` when empty) and the parameters of both: the
        tag, fandom and author filters, which test the work id ``ids`` (``alias.id`` by
        default) and need no ``works`` row, then the filters on the row's columns.

        A search tests the first on the id of each match before it reads the row.
        """
        ids = ids or f"{alias}.id"
        by_id: list[str] = []
        values: list[Any] = []
        for name, typed in [(f, " AND t.type = 'fandom'") for f in self.fandoms] + [
            (t, "") for t in self.tags
        ]:
            sql, value = tag_match(name)
            by_id.append(
                f"{ids} IN (SELECT wt.work FROM work_tags wt JOIN tags t ON t.id = wt.tag "
                f"WHERE {sql}{typed})"
            )
            values.append(value)
        for author in self.authors:
            by_id.append(
                f"{ids} IN (SELECT wa.work FROM work_authors wa "
                "JOIN authors a ON a.id = wa.author "
                "WHERE a.user = ? COLLATE NOCASE OR a.pseud = ? COLLATE NOCASE)"
            )
            values += [author, author]
        by_row, row_values = self._columns(alias)
        bodies = [" AND ".join(by_id) or "1", " AND ".join(by_row) or "1"]
        numbered = 0
        for b, body in enumerate(bodies):
            while "?" in body:
                body = body.replace("?", f":f{numbered}", 1)
                numbered += 1
            bodies[b] = body
        params = {f"f{i}": v for i, v in enumerate(values + row_values)}
        return bodies[0], bodies[1], params

    def _columns(self, alias: str) -> tuple[list[str], list[Any]]:
        """The filters on ``works`` columns, as clauses with ``?`` and their values."""
        checks = [
            ("rating", "= ? COLLATE NOCASE", self.rating),
            ("language", "= ? COLLATE NOCASE", self.language),
            ("completed", "= ?", None if self.completed is None else int(self.completed)),
            ("words", ">= ?", self.words_min),
            ("words", "<= ?", self.words_max),
            ("kudos", ">= ?", self.kudos_min),
        ]
        present = [(column, test, value) for column, test, value in checks if value is not None]
        return [f"{alias}.{column} {test}" for column, test, _ in present], [
            value for _, _, value in present
        ]
