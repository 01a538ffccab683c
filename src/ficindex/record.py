"""The record a parsed page becomes (SPEC section 2).

Every page, whatever its kind, becomes one :class:`Record`. The JSON form
(:meth:`Record.to_dict`) always carries every key of the contract, with
``None`` for absent scalars and ``[]`` for absent lists, so scripts written
against ``ficindex parse`` never need ``.get()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Every value ``Record.kind`` may take, in the order of the contract.
KINDS = (
    "work",
    "adult_interstitial",
    "restricted",
    "not_found",
    "unrevealed",
    "listing",
    "rate_limited",
    "error_page",
    "unknown",
)

#: The tag-list fields of a record, in the order AO3 shows them.
TAG_FIELDS = (
    "warnings",
    "categories",
    "fandoms",
    "relationships",
    "characters",
    "freeforms",
)

#: The counters AO3 shows in a work's stats block; ``stats_history`` tracks them.
COUNTER_FIELDS = ("words", "chapters_posted", "comments", "kudos", "bookmarks", "hits")


@dataclass(slots=True)
class Author:
    """A creator from a byline link ``/users/USER/pseuds/PSEUD``."""

    pseud: str
    user: str


@dataclass(slots=True)
class SeriesRef:
    """A series a work belongs to, with the work's visible position in it."""

    id: int
    title: str
    position: int | None = None


@dataclass(slots=True)
class CollectionRef:
    """A collection, by its URL name and its display title."""

    name: str
    title: str


@dataclass(slots=True)
class Chapter:
    """One chapter; ``title`` has no ``Chapter N:`` prefix and is ``None`` when untitled."""

    number: int
    chapter_id: int | None = None
    title: str | None = None
    summary: str | None = None
    notes: str | None = None
    end_notes: str | None = None
    text: str = ""


@dataclass(slots=True)
class Listing:
    """What a listing page adds: the heading's total, this page, the next page and the blurbs."""

    total: int | None = None
    page: int | None = None
    next_url: str | None = None
    works: list[Record] = field(default_factory=list)


@dataclass(slots=True)
class Record:
    """One parsed page. Field order is the contract's key order."""

    kind: str = "unknown"
    work_id: int | None = None
    title: str | None = None
    authors: list[Author] = field(default_factory=list)
    anonymous: bool = False
    gifts: list[str] = field(default_factory=list)
    rating: str | None = None
    warnings: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    fandoms: list[str] = field(default_factory=list)
    relationships: list[str] = field(default_factory=list)
    characters: list[str] = field(default_factory=list)
    freeforms: list[str] = field(default_factory=list)
    language: str | None = None
    series: list[SeriesRef] = field(default_factory=list)
    collections: list[CollectionRef] = field(default_factory=list)
    published: str | None = None
    updated: str | None = None
    completed: bool = False
    words: int | None = None
    comments: int | None = None
    kudos: int | None = None
    bookmarks: int | None = None
    hits: int | None = None
    chapters_posted: int | None = None
    chapters_total: int | None = None
    summary: str | None = None
    notes: str | None = None
    end_notes: str | None = None
    restricted: bool = False
    chapters: list[Chapter] = field(default_factory=list)
    listing: Listing | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of SPEC section 2, every key present, in contract order."""
        out: dict[str, Any] = {}
        for name in self.__slots__:
            value = getattr(self, name)
            if name == "authors":
                value = [{"pseud": a.pseud, "user": a.user} for a in value]
            elif name == "series":
                value = [{"id": s.id, "title": s.title, "position": s.position} for s in value]
            elif name == "collections":
                value = [{"name": c.name, "title": c.title} for c in value]
            elif name == "chapters":
                value = [_chapter_dict(c) for c in value]
            elif name == "listing":
                value = None if value is None else _listing_dict(value)
            elif isinstance(value, list):
                value = list(value)
            out[name] = value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Record:
        """Rebuild a record from its JSON object (the inverse of :meth:`to_dict`)."""
        kwargs = {k: data[k] for k in cls.__slots__ if k in data}
        kwargs["authors"] = [Author(**a) for a in data.get("authors") or []]
        kwargs["series"] = [SeriesRef(**s) for s in data.get("series") or []]
        kwargs["collections"] = [CollectionRef(**c) for c in data.get("collections") or []]
        kwargs["chapters"] = [Chapter(**c) for c in data.get("chapters") or []]
        listing = data.get("listing")
        if listing is not None:
            kwargs["listing"] = Listing(
                total=listing.get("total"),
                page=listing.get("page"),
                next_url=listing.get("next_url"),
                works=[cls.from_dict(w) for w in listing.get("works") or []],
            )
        return cls(**kwargs)


def _chapter_dict(c: Chapter) -> dict[str, Any]:
    return {
        "number": c.number,
        "chapter_id": c.chapter_id,
        "title": c.title,
        "summary": c.summary,
        "notes": c.notes,
        "end_notes": c.end_notes,
        "text": c.text,
    }


def _listing_dict(listing: Listing) -> dict[str, Any]:
    return {
        "total": listing.total,
        "page": listing.page,
        "next_url": listing.next_url,
        "works": [w.to_dict() for w in listing.works],
    }
