"""What ``--with`` costs, said before it is paid: the crawl's opening estimate and the dry run's.

The cost of a work's engagement pages follows from its stats
(:func:`~ficindex.crawl.engagement.cost`: one page per 20 comment threads, 50
kudos logins and 20 bookmarks). A crawl knows, when it starts a listing, its
heading total and the stats of page 1's works, so it extrapolates from those;
a refresh's dry run knows the counters on the listing pages it read, the
stored ones and what is already stored, so it states the cost per work
(``new`` passes read only the pages that can have changed, see
:mod:`.engagement_job`).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from ficindex.crawl import engagement_queue as queue
from ficindex.crawl.engagement import (
    BOOKMARKS_PER_PAGE,
    KINDS,
    THREADS_PER_PAGE,
    cost,
    paragraph_is_complete,
)
from ficindex.crawl.refresh_policy import Listed
from ficindex.index import readable_index
from ficindex.index.engagement import KUDOS_PER_PAGE
from ficindex.progress import about
from ficindex.record import Record
from ficindex.wording import plural

#: Items per page of each kind, for the pages a ``new`` pass reads.
_PER_PAGE = {"kudos": KUDOS_PER_PAGE, "comments": THREADS_PER_PAGE, "bookmarks": BOOKMARKS_PER_PAGE}


def listing_estimate(
    kinds: Sequence[str], total: int, sample: Sequence[Record], rate: float
) -> str:
    """The opening estimate's ``--with`` clause, from the works of the listing's page 1.

    Without a sample (a resumed walk) it states the rule instead; no kinds, no clause.
    """
    if not kinds:
        return ""
    named = ",".join(kinds)
    works = [w for w in sample if w.kind == "work"]
    if not works:
        units = {"kudos": "50 kudos", "comments": "20 comment threads", "bookmarks": "20 bookmarks"}
        sizes = " and ".join(units[kind] for kind in kinds)
        return f"; --with {named}: 1 more request per {sizes} of each work"
    each = [
        cost(w.kudos, w.comments, w.bookmarks, kudos_guests=w.kudos_guests, kinds=kinds)
        for w in works
    ]
    extra = round(sum(each) / len(each) * total)
    return (
        f"; --with {named}: about {plural(extra, 'more request')} "
        f"({about(extra / rate)} more), judged from the {plural(len(works), 'work')} "
        "of page 1"
    )


@dataclass(slots=True)
class EngagementPlan:
    """The engagement pages a refresh would fetch: requests per work, and why.

    ``asked``: some kinds are in play (given now, or remembered by a target);
    ``fetched``: the works the refresh would fetch;
    ``passes``: per work, its passes (``kudos (new pages)``...); ``why``: for a
    work the refresh would not fetch, why its passes run (``listed``: its
    listing page queues them; ``left by an earlier run``).
    """

    requests: dict[int, int] = field(default_factory=dict)
    reasons: dict[int, str] = field(default_factory=dict)
    why: dict[int, str] = field(default_factory=dict)
    asked: bool = False
    fetched: set[int] = field(default_factory=set)  # the works the refresh would fetch

    @property
    def total(self) -> int:
        return sum(self.requests.values())


def plan_engagement(
    db: sqlite_utils.Database,
    work_ids: Sequence[int],
    with_kinds: Sequence[str],
    listed: Mapping[int, Listed] | None = None,
) -> EngagementPlan:
    """The cost of the passes a refresh would run, reading the index only.

    ``work_ids``: the works it would fetch (their passes are decided on their
    page's counters, which the listing showed: ``listed``); the other works of
    ``listed``: their listing page queues the passes the listed counters make
    due, as the real run's does; and the passes an earlier run left queued or
    failed. A work new to the index is costed from its blurb's counters.
    """
    listed = listed or {}
    plan = EngagementPlan(asked=bool(with_kinds) or _remembered(db), fetched=set(work_ids))
    if not plan.asked:
        return plan
    waiting = _waiting(db)
    planned = set(work_ids)
    for work_id in dict.fromkeys([*work_ids, *listed, *waiting]):
        _plan_work(db, plan, work_id, with_kinds, listed.get(work_id), waiting.get(work_id))
        if work_id not in planned and work_id in plan.requests:
            plan.why[work_id] = "left by an earlier run" if work_id in waiting else "listed"
    return plan


def _plan_work(
    db: sqlite_utils.Database,
    plan: EngagementPlan,
    work_id: int,
    with_kinds: Sequence[str],
    seen: Listed | None,
    waiting: list[tuple[str, str]] | None,
) -> None:
    """Add one work's passes to ``plan``: fetched when it is in ``plan``'s fetch list."""
    fetched = work_id in plan.fetched
    stats = _stats(db, work_id, seen, fetched=fetched)
    if stats is None:
        return
    kinds = _kinds(db, work_id, with_kinds, seen, fetched=fetched)
    passes = _due(db, work_id, kinds, stats) + (waiting or [])
    requests = sum(
        _pass_cost(db, work_id, kind, mode, stats, fetched=fetched) for kind, mode in passes
    )
    if not passes or not (fetched or requests or waiting):
        return  # a pass the work page or a stat of 0 answers costs nothing to mention
    plan.requests[work_id] = requests
    plan.reasons[work_id] = ", ".join(
        f"{kind} ({'every page' if mode == 'all' else 'new pages'})" for kind, mode in passes
    )


def _kinds(
    db: sqlite_utils.Database,
    work_id: int,
    with_kinds: Sequence[str],
    seen: Listed | None,
    *,
    fetched: bool,
) -> tuple[str, ...]:
    """The run's kinds and those of the target that decides: for a fetched work the one
    that queued it (its listing, when new to the index), else the listing showing it."""
    target = _target(db, work_id) if fetched or seen is None else seen.target
    if target is None and seen is not None:
        target = seen.target
    chosen = set(with_kinds) | set(queue.target_kinds(db, target))
    return tuple(k for k in KINDS if k in chosen)


def _stats(
    db: sqlite_utils.Database, work_id: int, seen: Listed | None, *, fetched: bool
) -> dict[str, Any] | None:
    """The counters the run would judge the work's passes on: the stored ones, with those
    its listing shows; None when no pass can run (not visible, or unknown and not fetched)."""
    stored = queue.counters(db, work_id)
    if stored is None:
        if not (fetched and seen):
            return None
        # Its page was never read: whether it names every login is unknown (None).
        stats: dict[str, Any] = {"status": "ok", "kudos_users": None, "kudos_guests": None}
    else:
        stats = dict(stored)
        if fetched and seen is not None:
            stats["status"] = "ok"  # listed again: the fetch finds it visible
    if stats["status"] != "ok":
        return None
    for kind in KINDS:
        value = getattr(seen, queue.COUNTER[kind]) if seen is not None else None
        if value is not None:
            stats[queue.COUNTER[kind]] = value
    return stats


def _due(
    db: sqlite_utils.Database, work_id: int, kinds: tuple[str, ...], stats: dict[str, Any]
) -> list[tuple[str, str]]:
    if not queue.has_table(db):
        return [(kind, "all") for kind in kinds]
    return [(kind, mode) for kind, mode, _ in queue.due(db, work_id, kinds, stats)]


def _waiting(db: sqlite_utils.Database) -> dict[int, list[tuple[str, str]]]:
    """Passes an earlier run left queued or failed: the refresh resumes them."""
    found: dict[int, list[tuple[str, str]]] = {}
    if not queue.has_table(db):
        return found
    for work_id, kind, mode in db.execute(
        "SELECT work_id, kind, mode FROM crawl_engagement WHERE state != 'done' "
        "ORDER BY queued_at, work_id"
    ):
        found.setdefault(work_id, []).append((kind, mode))
    return found


def _remembered(db: sqlite_utils.Database) -> bool:
    """Whether any target of the index remembers engagement kinds."""
    if not queue.has_table(db):
        return False
    return db.execute("SELECT 1 FROM crawl_targets WHERE engagement != ''").fetchone() is not None


def _target(db: sqlite_utils.Database, work_id: int) -> str | None:
    if "crawl_works" not in db.table_names():
        return None
    return queue.work_target(db, work_id)


def _pass_cost(
    db: sqlite_utils.Database,
    work_id: int,
    kind: str,
    mode: str,
    stats: dict[str, Any],
    *,
    fetched: bool,
) -> int:
    """Requests of one pass: :func:`cost` for every page (comments page 1 is free when the
    work is fetched); a ``new`` pass, the pages the stat's rise fills (see :func:`_new_pages`).
    """
    counter = stats[queue.COUNTER[kind]] or 0
    if mode == "all" and kind == "kudos" and stats["kudos_users"] is not None:
        # As the pass decides: no request when the work page named every login.
        users = list(json.loads(stats["kudos_users"]))
        if paragraph_is_complete(counter, users, stats["kudos_guests"]):
            return 0
        return max(1, math.ceil(max(counter - (stats["kudos_guests"] or 0), 0) / KUDOS_PER_PAGE))
    if mode == "all":
        guests = stats["kudos_guests"] if kind == "kudos" else None
        every = cost(
            stats["kudos"], stats["comments"], stats["bookmarks"], kudos_guests=guests, kinds=[kind]
        )
        return every + (1 if kind == "comments" and counter and not fetched else 0)
    row = db.execute(
        "SELECT counter FROM crawl_engagement WHERE work_id = ? AND kind = ?", [work_id, kind]
    ).fetchone()
    before = row[0] if row and row[0] is not None else 0
    return _new_pages(db, work_id, kind, counter, max(counter - before, 0), fetched=fetched)


def _new_pages(
    db: sqlite_utils.Database, work_id: int, kind: str, counter: int, rise: int, *, fetched: bool
) -> int:
    """Pages a ``new`` pass reads when the stat rose by ``rise`` (each a new item).

    Kudos and bookmarks: page 1 on, through the first page holding a known item
    (``rise`` new ones fill ``rise // per_page`` pages, the next one holds the first
    known one), and never more than the list has. Comments: from the page where the
    stored threads end through the page the new threads reach; that first page is the
    work fetch itself when it is page 1 and the work is fetched. A reply to an old
    thread can make the pass read every page again: that is not foreseeable.
    """
    per_page = _PER_PAGE[kind]
    if kind != "comments":
        return min(math.ceil((rise + 1) / per_page), max(1, math.ceil(counter / per_page)))
    (threads,) = db.execute(
        "SELECT count(*) FROM comments WHERE work = ? AND parent IS NULL", [work_id]
    ).fetchone()
    first = queue.newest_comments_page(db, work_id)
    last = max(first, math.ceil((int(threads) + rise) / per_page))
    return last - first + 1 - (1 if fetched and first == 1 else 0)


def run_engagement_plan(
    db_path: str | os.PathLike[str],
    work_ids: Sequence[int],
    with_kinds: Sequence[str],
    listed: Mapping[int, Listed] | None = None,
) -> EngagementPlan:
    """:func:`plan_engagement` on an index file, read-only (the dry run writes nothing)."""
    with readable_index(db_path) as db:
        return plan_engagement(db, work_ids, with_kinds, listed)
