"""The work filters ``search`` and ``export`` share, as parameterised SQL over ``works``.

Every user value travels as a bound parameter; only fixed fragments written
here become SQL text. Tag, fandom and author filters go through the
many-to-many tables (indexed, case-insensitive) rather than scanning the JSON
columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Filters:
    """What a user narrowed the works down to. Empty means every work."""

    fandoms: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    rating: str | None = None
    language: str | None = None
    authors: list[str] = field(default_factory=list)
    completed: bool | None = None
    words_min: int | None = None
    words_max: int | None = None
    kudos_min: int | None = None

    def is_empty(self) -> bool:
        """True when no filter is set (every work passes)."""
        return self == Filters()

    def where(self, alias: str = "works") -> tuple[str, dict[str, Any]]:
        """A ``WHERE`` body (``1`` when empty) and its named parameters, for ``works AS alias``.

        Parameters are named ``:f0``, ``:f1``... so the body mixes with other named ones.
        """
        clauses: list[str] = []
        values: list[Any] = []
        for fandom in self.fandoms:
            clauses.append(
                f"{alias}.id IN (SELECT wt.work FROM work_tags wt JOIN tags t ON t.id = wt.tag "
                "WHERE t.name = ? COLLATE NOCASE AND t.type = 'fandom')"
            )
            values.append(fandom)
        for tag in self.tags:
            clauses.append(
                f"{alias}.id IN (SELECT wt.work FROM work_tags wt JOIN tags t ON t.id = wt.tag "
                "WHERE t.name = ? COLLATE NOCASE)"
            )
            values.append(tag)
        for author in self.authors:
            clauses.append(
                f"{alias}.id IN (SELECT wa.work FROM work_authors wa "
                "JOIN authors a ON a.id = wa.author "
                "WHERE a.user = ? COLLATE NOCASE OR a.pseud = ? COLLATE NOCASE)"
            )
            values += [author, author]
        if self.rating is not None:
            clauses.append(f"{alias}.rating = ? COLLATE NOCASE")
            values.append(self.rating)
        if self.language is not None:
            clauses.append(f"{alias}.language = ? COLLATE NOCASE")
            values.append(self.language)
        if self.completed is not None:
            clauses.append(f"{alias}.completed = ?")
            values.append(int(self.completed))
        if self.words_min is not None:
            clauses.append(f"{alias}.words >= ?")
            values.append(self.words_min)
        if self.words_max is not None:
            clauses.append(f"{alias}.words <= ?")
            values.append(self.words_max)
        if self.kudos_min is not None:
            clauses.append(f"{alias}.kudos >= ?")
            values.append(self.kudos_min)
        body = " AND ".join(clauses) or "1"
        for i in range(len(values)):
            body = body.replace("?", f":f{i}", 1)
        return body, {f"f{i}": v for i, v in enumerate(values)}
