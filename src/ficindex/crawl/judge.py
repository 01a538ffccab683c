"""The judgement of a fetched work: what its answer means, and what of it to store.

A work's fetch ends in one outcome (SPEC: ok, deleted, restricted, hidden,
unrevealed, failed), a failure reason, and the record to store if any. The
page is parsed here, in a worker thread (parsing a long work takes a while and
must not stall the other fetches); whatever the parser raises on a page fails
that work only.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from ficindex.crawl.fetcher import FetchResult
from ficindex.errors import ParseError
from ficindex.parser import parse_page
from ficindex.record import Record

#: Record kinds that say what became of a work, and the outcome each is.
_STATUS_OUTCOMES = {"not_found": "deleted", "restricted": "restricted", "unrevealed": "unrevealed"}


@dataclass(slots=True)
class Judgement:
    """One work's fetch, judged: its outcome, why it failed, and the record to store."""

    outcome: str
    reason: str | None = None
    record: Record | None = None


def describe(exc: Exception) -> str:
    """An unexpected exception as a failure reason: its type and message, on one line."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def judge_work(work_id: int, result: FetchResult) -> Judgement:
    """What the fetch of ``work_id`` came to (parsing its page if there is one to parse)."""
    answer = _judge_answer(work_id, result)
    if answer is not None:
        return answer
    try:
        record = await asyncio.to_thread(
            parse_page, result.body, result.final_url, result.content_type
        )
    except ParseError as exc:
        return Judgement("failed", f"unreadable page: {exc}")
    except Exception as exc:
        return Judgement("failed", f"unreadable page: {describe(exc)}")
    return _judge_record(work_id, record)


def _judge_answer(work_id: int, result: FetchResult) -> Judgement | None:
    """The judgement the HTTP answer alone settles, or None when its page must be read."""
    if result.error is not None:
        return Judgement("failed", result.error)
    if result.login_redirect:
        if "restricted=true" in result.final_url:
            return Judgement("restricted", record=Record(kind="restricted", work_id=work_id))
        return Judgement("hidden")
    if result.status not in (200, 404):
        return Judgement("failed", f"HTTP {result.status}")
    if "html" not in result.content_type.lower():
        kind = result.content_type or "no content type"
        return Judgement("failed", f"not an HTML page ({kind})")
    return None


def _judge_record(work_id: int, record: Record) -> Judgement:
    """The judgement of a parsed page fetched as ``work_id``."""
    if record.kind in _STATUS_OUTCOMES:
        record.work_id = work_id
        return Judgement(_STATUS_OUTCOMES[record.kind], record=record)
    if record.kind != "work":
        return Judgement("failed", f"got a page of kind {record.kind!r} instead of the work")
    if record.work_id != work_id:
        return Judgement("failed", f"the page is work {record.work_id}, not {work_id}")
    return Judgement("ok", record=record)
