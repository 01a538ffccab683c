"""What the engagement pages of a work hold: kudos, comment threads and bookmarks.

The records of those pages, as :mod:`ficindex.record` is for work and listing
pages: the parser fills them and the index stores them, and neither layer
needs the other to know their shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ficindex.record import CollectionRef

__all__ = ["Bookmark", "BookmarksPage", "Comment", "CommentsPage", "KudosPage", "ThreadCut"]


@dataclass(slots=True)
class KudosPage:
    """One ``/works/ID/kudos?page=N`` page: up to 50 logins, newest first."""

    work_id: int | None = None
    #: The heading's number of user kudos (all pages), None when it has none.
    total_users: int | None = None
    #: "326 guests have also left kudos"; 0 when the heading is absent.
    guests: int = 0
    page: int = 1
    next_url: str | None = None
    users: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Bookmark:
    """One public bookmark of a work; (user, pseud) is its key on the page (no id for guests)."""

    user: str
    pseud: str
    #: ISO date when AO3 printed one ("30 May 2026"), else None.
    date: str | None = None
    #: The date as printed: kept because bookmarks under 30 days old may read "3 days".
    date_text: str = ""
    rec: bool = False
    tags: list[str] = field(default_factory=list)
    collections: list[CollectionRef] = field(default_factory=list)
    notes: str | None = None


@dataclass(slots=True)
class BookmarksPage:
    """One ``/works/ID/bookmarks?page=N`` page: up to 20 bookmarks, newest first."""

    work_id: int | None = None
    total: int | None = None
    page: int = 1
    next_url: str | None = None
    bookmarks: list[Bookmark] = field(default_factory=list)


@dataclass(slots=True)
class Comment:
    """One comment, or the placeholder AO3 leaves for a deleted or hidden one."""

    id: int
    #: The comment it replies to; None for the top of a thread.
    parent_id: int | None = None
    #: The top comment of its thread (its own id at the top).
    thread_id: int = 0
    #: The chapter commented on; None on single-chapter works (no ``span.parent``).
    chapter_id: int | None = None
    #: user, official, guest, anonymous_creator, deleted_account; None for placeholders.
    commenter_kind: str | None = None
    #: Login and pseud for user and official accounts.
    user: str | None = None
    pseud: str | None = None
    #: The name a guest typed, or the byline shown for the plain kinds.
    name: str | None = None
    #: ISO 8601 UTC ("2019-04-10T19:09:00Z"); None when not shown or not in UTC.
    posted: str | None = None
    edited: str | None = None
    text: str | None = None
    #: visible, deleted ("(Previous comment deleted.)") or hidden (under admin review).
    state: str = "visible"
    #: Frozen threads show "Frozen" instead of Reply.
    frozen: bool = False


@dataclass(slots=True)
class ThreadCut:
    """A "(N more comments in this thread)" link: fetch ``/comments/ID`` for the rest."""

    comment_id: int
    more: int | None = None


@dataclass(slots=True)
class CommentsPage:
    """One page of threads (20 in production) with the links to what it left out."""

    work_id: int | None = None
    page: int = 1
    next_url: str | None = None
    #: The work says "Sorry, this work doesn't allow comments." (old ones are still listed).
    closed: bool = False
    comments: list[Comment] = field(default_factory=list)
    cuts: list[ThreadCut] = field(default_factory=list)
