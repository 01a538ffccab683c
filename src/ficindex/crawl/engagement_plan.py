"""What ``--with`` costs, said before it is paid: the crawl's opening estimate and the dry run's.

The cost of a work's engagement pages follows from its stats
(:func:`~ficindex.crawl.engagement.cost`: one page per 20 comment threads, 50
kudos logins and 20 bookmarks). A crawl knows, when it starts a listing, its
heading total and the stats of page 1's works, so it extrapolates from those;
a refresh's dry run knows each planned work's stored stats and what is already
stored, so it states the cost per work (``new`` passes read only the pages
that can have changed, see :mod:`.engagement_job`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from ficindex.crawl import engagement_queue as queue
from ficindex.crawl.engagement import BOOKMARKS_PER_PAGE, KINDS, THREADS_PER_PAGE, cost
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

    ``asked``: some kinds are in play (given now, or remembered by a target).
    """

    requests: dict[int, int] = field(default_factory=dict)
    reasons: dict[int, str] = field(default_factory=dict)
    asked: bool = False

    @property
    def total(self) -> int:
        return sum(self.requests.values())


def plan_engagement(
    db: sqlite_utils.Database, work_ids: Sequence[int], with_kinds: Sequence[str]
) -> EngagementPlan:
    """The cost of the passes due for ``work_ids`` (the works a refresh would fetch), and of
    the passes an earlier run left queued or failed. Reads the index only.

    A work the index does not hold yet is costed once its page is read: it has no stats.
    """
    plan = EngagementPlan(asked=bool(with_kinds) or _remembered(db))
    if not plan.asked:
        return plan
    waiting = _waiting(db)
    planned = set(work_ids)
    for work_id in dict.fromkeys([*work_ids, *waiting]):
        stats = queue.counters(db, work_id)
        if stats is None or stats["status"] != "ok":
            continue
        chosen = set(with_kinds) | set(queue.target_kinds(db, _target(db, work_id)))
        kinds = tuple(k for k in KINDS if k in chosen)
        passes = _due(db, work_id, kinds, stats) + waiting.get(work_id, [])
        fetched = work_id in planned
        requests = sum(
            _pass_cost(db, work_id, kind, mode, stats, fetched=fetched) for kind, mode in passes
        )
        if passes:
            plan.requests[work_id] = requests
            plan.reasons[work_id] = ", ".join(
                f"{kind} ({'every page' if mode == 'all' else 'new pages'})"
                for kind, mode in passes
            )
    return plan


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
    work is fetched); a ``new`` pass, the pages the stat's rise fills (at least one;
    comments may need every page again if replies went to old threads).
    """
    counter = stats[queue.COUNTER[kind]] or 0
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
    return max(1, math.ceil(max(counter - before, 0) / _PER_PAGE[kind]))


def run_engagement_plan(
    db_path: str | os.PathLike[str], work_ids: Sequence[int], with_kinds: Sequence[str]
) -> EngagementPlan:
    """:func:`plan_engagement` on an index file, read-only (the dry run writes nothing)."""
    with readable_index(db_path) as db:
        return plan_engagement(db, work_ids, with_kinds)
