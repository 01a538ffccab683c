"""The record a parsed page becomes (SPEC section 2).

Every page, whatever its kind, becomes one :class:`Record`. The JSON form
(:meth:`Record.to_dict`) always carries every key of the contract, with
``None`` for absent scalars and ``[]`` for absent lists, so scripts written
against ``ficindex parse`` never need ``.get()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from operator import attrgetter
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
    #: Logins in the work page's kudos paragraph, newest first as AO3 lists them.
    kudos_users: list[str] = field(default_factory=list)
    #: The paragraph's guest count: 0 when it names only users, None with no paragraph.
    kudos_guests: int | None = None
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
        """The JSON object of SPEC section 2, every key present, in contract order.

        Derived from the dataclass fields (their order is the contract's): each
        nested record, author, series, collection, chapter and listing becomes
        an object of its fields, each list a new list.
        """
        plain: dict[str, Any] = _plain(self)
        return plain

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


@dataclass(frozen=True, slots=True)
class _Shape:
    """How one dataclass becomes JSON: all its field names, and those that need converting."""

    names: tuple[str, ...]
    values: attrgetter[tuple[Any, ...]]
    #: (name, True for a list of strings to copy, False for a value to convert in turn)
    nested: tuple[tuple[str, bool], ...]


_SCALARS = frozenset(("str", "int", "bool", "str | None", "int | None"))


def _shape(cls: type) -> _Shape:
    """Read off ``cls``'s fields once, in declaration order (the contract's key order)."""
    names = tuple(f.name for f in fields(cls))
    nested = tuple(
        (f.name, str(f.type) == "list[str]") for f in fields(cls) if str(f.type) not in _SCALARS
    )
    return _Shape(names, attrgetter(*names), nested)


#: The shape of every dataclass a record holds.
_SHAPES = {cls: _shape(cls) for cls in (Author, SeriesRef, CollectionRef, Chapter, Listing, Record)}


def _plain(value: Any) -> Any:
    """Dataclasses to dicts and lists to new lists, recursively; other values as they are.

    (``dataclasses.asdict`` gives the same result, but deep-copies every value
    and builds each dict in Python: many times slower on a long work's chapters.
    Here the fields are fetched and zipped into the dict in C.)
    """
    if isinstance(value, list):
        return [_plain(item) for item in value]
    shape = _SHAPES.get(type(value))
    if shape is None:
        return value
    out = dict(zip(shape.names, shape.values(value), strict=True))
    for name, is_string_list in shape.nested:
        out[name] = list(out[name]) if is_string_list else _plain(out[name])
    return out
