"""Timestamps in the one format the index stores: ``YYYY-MM-DDTHH:MM:SSZ`` in UTC.

Its own module because every layer needs the time (the fetcher stamps
responses, the store stamps rows, the CLI stamps log lines) and none of them
should import another layer just to read a clock.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ficindex.errors import BadInput

_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def utc_now() -> str:
    """The current time in the index's timestamp format."""
    return datetime.now(UTC).strftime(_FORMAT)


def utc_iso(value: str | datetime | float | None) -> str:
    """Any timestamp (ISO string, datetime, POSIX seconds) as ``YYYY-MM-DDTHH:MM:SSZ`` UTC.

    One format everywhere so timestamps compare correctly as strings in SQL.
    ``None`` (a caller that was given no time) means now.
    """
    if value is None:
        return utc_now()
    if isinstance(value, int | float):
        moment = datetime.fromtimestamp(value, UTC)
    elif isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise BadInput(f"not an ISO-8601 timestamp: {value!r}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime(_FORMAT)
