"""What a run changed, work by work, from the store's own answers.

:func:`~ficindex.index.store.save_record` and
:func:`~ficindex.index.store.mark_status` already say what each store did
(``new``, ``updated``, ``unchanged``, ``status``, ``stale``, ``skipped``): a
fetch that stores the same page again changed nothing, a blurb whose kudos
rose changed the counters only, a work that answered 404 changed status.
:class:`WorkChanges` folds those answers, over every pass of a run, into one
verdict per work, which is what ``refresh`` reports. Answers are noted only
once their transaction has committed, so a store that failed and was rolled
back counts for nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class WorkChanges:
    """Per work: whether the run added it, its last change, and how its last fetch ended."""

    added: set[int] = field(default_factory=set)
    last_change: dict[int, str] = field(default_factory=dict)  # "updated" or a status
    last_fetch_failed: dict[int, bool] = field(default_factory=dict)

    def saved(self, work_id: int, answer: str, status: str) -> None:
        """Note what storing a page of ``work_id`` answered; ``status``: the status it set."""
        if answer == "new":
            self.added.add(work_id)
        elif answer == "updated":
            self.last_change[work_id] = "updated"
        elif answer == "status":
            self.last_change[work_id] = status

    def fetched(self, work_id: int, outcome: str) -> None:
        """Note that the run fetched ``work_id`` (or gave up on it) with this outcome."""
        self.last_fetch_failed[work_id] = outcome == "failed"

    def verdicts(self) -> dict[int, str]:
        """Work id -> ``new``, ``updated``, ``deleted`` or ``restricted`` (any login wall).

        A work the run added stays ``new`` however often it was stored again,
        unless its last change was to a status; a work whose status went back
        to visible was ``updated``.
        """
        result = {work_id: "new" for work_id in self.added}
        for work_id, change in self.last_change.items():
            if change == "deleted":
                result[work_id] = "deleted"
            elif change != "updated":
                result[work_id] = "restricted"
            elif work_id not in self.added:
                result[work_id] = "updated"
        return result

    @property
    def fetched_works(self) -> set[int]:
        """Every work the run fetched (whatever came of it)."""
        return set(self.last_fetch_failed)

    @property
    def failed_works(self) -> set[int]:
        """Works whose last fetch in the run failed."""
        return {work_id for work_id, failed in self.last_fetch_failed.items() if failed}
