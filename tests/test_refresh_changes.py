"""How a refresh names what it did to a work, from what each store of the work answered.

The same rules the summary's counts follow (new, updated, deleted, restricted):
the store's answers over a run, in order, fold into one verdict per work.
"""

from __future__ import annotations

import pytest

from ficindex.crawl.changes import WorkChanges


@pytest.mark.parametrize(
    ("answers", "verdict"),
    [
        ([("new", "ok")], "new"),
        ([("new", "ok"), ("updated", "ok"), ("unchanged", "ok")], "new"),  # blurb, then fetch
        ([("updated", "ok")], "updated"),
        ([("unchanged", "ok"), ("stale", "ok"), ("skipped", "ok")], None),
        ([("status", "deleted")], "deleted"),
        ([("status", "restricted")], "restricted"),
        ([("status", "hidden")], "restricted"),  # any login wall
        ([("status", "unrevealed")], "restricted"),
        ([("new", "ok"), ("status", "deleted")], "deleted"),
        ([("status", "deleted"), ("updated", "ok")], "updated"),  # it came back
        ([("updated", "ok"), ("status", "deleted"), ("unchanged", "ok")], "deleted"),
    ],
)
def test_verdict_of_a_work(answers: list[tuple[str, str]], verdict: str | None) -> None:
    changes = WorkChanges()
    for answer, status in answers:
        changes.saved(7, answer, status)
    assert changes.verdicts().get(7) == verdict


def test_the_last_fetch_of_a_work_says_whether_it_failed() -> None:
    changes = WorkChanges()
    changes.fetched(1, "failed")
    changes.fetched(1, "ok")  # failed in the first pass, fetched in the second
    changes.fetched(2, "ok")
    changes.fetched(2, "failed")
    changes.fetched(3, "deleted")
    assert changes.fetched_works == {1, 2, 3}
    assert changes.failed_works == {2}
