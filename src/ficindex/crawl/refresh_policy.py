"""What a refresh walks, what it fetches, and what is due again: the judgement of a listing.

AO3's works listings show the most recently updated works first, so a refresh
stops at the first listing page whose works are all known and unchanged
(:class:`RefreshPolicy`, on the crawler's listing walk). :func:`due_works` are
the works a refresh re-fetches for their age (``--older-than``, ``--all``).
The real run (:mod:`.refresh`) and the dry run (:mod:`.refresh_plan`) decide
with the same functions, so the dry run predicts the run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import sqlite_utils

from ficindex.clock import utc_iso
from ficindex.crawl import frontier
from ficindex.crawl.targets import Target
from ficindex.crawl.walk import PageDecision
from ficindex.errors import BadInput
from ficindex.record import COUNTER_FIELDS, Record

_AGE = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}

#: When a work was last looked at in full: its last full fetch, or, for a work that
#: was deleted or locked at the last look, that look (no full page could be had).
_LAST_LOOK = "CASE WHEN status = 'ok' THEN last_full_fetch ELSE last_fetched END"


def parse_age(text: str) -> timedelta:
    """``7d`` -> 7 days; units s, m, h, d, w. Anything else is bad input (exit 2)."""
    match = _AGE.fullmatch(text.strip().lower())
    if not match:
        raise BadInput(
            f"{text!r} is not an age: give a number and a unit (s, m, h, d or w), e.g. 7d or 12h"
        )
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


@dataclass(slots=True)
class RefreshOptions:
    """What a refresh does beyond walking the listings."""

    older_than: timedelta | None = None
    everything: bool = False  # --all
    metadata_only: bool = False  # store blurbs, never fetch works
    max_works: int | None = None
    max_pages: int | None = None
    #: Engagement kinds to fetch too, and remember with every listing target (``--with``).
    with_kinds: tuple[str, ...] = ()


# --- judging a listing page ---------------------------------------------------------------


def newest_first(target: Target) -> bool:
    """Whether a listing shows the most recently changed works first, so a walk may stop early.

    AO3 sorts works listings by ``revised_at`` and bookmark listings by
    bookmark date, newest first, unless the URL asks for another order; series
    pages go by part number and searches by relevance.
    """
    query = {k: v for k, v in parse_qsl(urlsplit(target.key).query)}
    column = next((v for k, v in query.items() if k.endswith("[sort_column]")), None)
    direction = next((v for k, v in query.items() if k.endswith("[sort_direction]")), "desc")
    if direction.lower() == "asc" or target.kind == "series":
        return False
    if target.kind == "bookmarks":
        return column in (None, "created_at", "bookmarkable_date")
    if target.kind == "search results":
        return column == "revised_at"
    return column in (None, "revised_at")


def judge(blurb: Record, row: dict[str, Any] | None) -> str:
    """A listed work against the index: ``new``, ``changed``, ``counters`` or ``same``.

    ``changed`` (fetch it): not in the index as a visible work, another chapter
    count, or another date. A blurb's date is AO3's revision date, which moves
    when a one-chapter work is edited although its page shows only the
    publication date; a date older than the day of the last full fetch was
    therefore seen by that fetch, and is not a change (else such a work would
    be fetched, and stop no walk, on every run).
    """
    if row is None:
        return "new"
    if row["status"] != "ok":
        return "changed"  # listed again after a 404 or a login wall: it came back
    if blurb.chapters_posted is not None and blurb.chapters_posted != row["chapters_posted"]:
        return "changed"
    if blurb.updated and blurb.updated != row["updated"]:
        last_full = row["last_full_fetch"]
        if last_full is None or blurb.updated >= last_full[:10]:
            return "changed"
    for name in COUNTER_FIELDS:
        value = getattr(blurb, name)
        if value is not None and value != row[name]:
            return "counters"
    return "same"


def _stored(db: sqlite_utils.Database, ids: list[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    columns = ", ".join(COUNTER_FIELDS)
    marks = ", ".join("?" * len(ids))
    rows = db.query(
        f"SELECT id, status, updated, last_full_fetch, {columns} FROM works WHERE id IN ({marks})",
        ids,
    )
    return {row["id"]: row for row in rows}


@dataclass(frozen=True, slots=True)
class Listed:
    """A work as a listing page showed it: the listing (whose ``--with`` kinds apply to
    the work) and the engagement counters of its blurb, for the dry run's cost."""

    target: str
    kudos: int | None
    comments: int | None
    bookmarks: int | None


@dataclass(slots=True)
class RefreshPolicy:
    """The crawler's :class:`~ficindex.crawl.walk.ListingPolicy` for a refresh.

    Also remembers every work id it saw listed (``seen``), what it decided to
    fetch and why (``planned``), and each work's first listing and counters
    (``listed``): the dry run costs engagement passes from the counters the
    listing shows, which the index does not hold yet.
    """

    metadata_only: bool = False
    everything: bool = False
    seen: set[int] = field(default_factory=set)
    planned: dict[int, str] = field(default_factory=dict)
    listed: dict[int, Listed] = field(default_factory=dict)
    blurbs: int = 0

    def on_page(self, db: sqlite_utils.Database, target: Target, page: Record) -> PageDecision:
        listed = page.listing.works if page.listing else []
        works = [w for w in listed if w.work_id and w.kind == "work"]
        stored = _stored(db, [w.work_id for w in works if w.work_id])
        decision = PageDecision(force=True)  # a changed work was fetched before: fetch it again
        quiet = bool(works)
        for blurb in works:
            if self._take(blurb, stored, decision):
                quiet = False
            assert blurb.work_id is not None
            self.listed.setdefault(
                blurb.work_id, Listed(target.key, blurb.kudos, blurb.comments, blurb.bookmarks)
            )
        self.blurbs += len(decision.blurbs)
        decision.stop = quiet and not self.everything and newest_first(target)
        return decision

    def _take(
        self, blurb: Record, stored: dict[int, dict[str, Any]], decision: PageDecision
    ) -> bool:
        """Judge one listed work into ``decision``; True when it is new or changed."""
        work_id = blurb.work_id
        assert work_id is not None
        self.seen.add(work_id)
        verdict = judge(blurb, stored.get(work_id))
        fresh = verdict in ("new", "changed")
        if fresh:
            self.planned.setdefault(work_id, verdict)
        if fresh and not self.metadata_only:
            decision.fetch.append(work_id)
        elif verdict != "same":
            decision.blurbs.append(blurb)
        return fresh


# --- what to walk and what to re-fetch ----------------------------------------------------


def saved_targets(db: sqlite_utils.Database) -> list[tuple[Target, str | None]]:
    """Every listing target of earlier crawls, with where its walk stands (None: finished).

    The date windows of a tag listing split past AO3's cap are left out: the
    listing itself, newest first, is its newest window, and a refresh stops
    reading it at the first page it already knows.
    """
    if "crawl_targets" not in db.table_names():
        return []
    split = set()
    if "crawl_partitions" in db.table_names():  # the dry run reads an index it must not upgrade
        split = {row["target"] for row in db.query("SELECT target FROM crawl_partitions")}
    return [
        (Target(row["kind"], row["key"], row["url"]), row["next_url"])
        for row in frontier.listing_targets(db)
        if row["key"].partition("?")[0] not in split or "?" not in row["key"]
    ]


def due_before(options: RefreshOptions, started_at: str) -> str | None:
    """The cutoff of the re-fetch pass: works last looked at before it are due."""
    if options.metadata_only:
        return None
    if options.everything:
        return started_at
    if options.older_than is not None:
        return utc_iso(datetime.fromisoformat(started_at) - options.older_than)
    return None


def due_works(
    db: sqlite_utils.Database,
    before: str,
    *,
    never_fetched: bool,
    limit: int | None,
    skip: set[int] | None = None,
) -> list[tuple[int, str | None]]:
    """(work id, last look) of works last looked at before ``before``, oldest first.

    ``never_fetched`` adds works known only from listing blurbs (``--all``).
    """
    where = f"{_LAST_LOOK} < ?" + (f" OR {_LAST_LOOK} IS NULL" if never_fetched else "")
    rows = db.execute(
        f"SELECT id, {_LAST_LOOK} FROM works WHERE {where} ORDER BY {_LAST_LOOK}, id", [before]
    )
    due: list[tuple[int, str | None]] = []
    for work_id, last in rows:
        if skip and work_id in skip:
            continue
        if limit is not None and len(due) >= limit:
            break
        due.append((work_id, last))
    return due
