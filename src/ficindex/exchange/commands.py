"""The exchange formats as whole steps, for ``ficindex export`` and ``ficindex import``.

Each function opens the index the way its command must (read-only for an
export, under the writer lock for an import) and returns the one-line summary
the command prints on stderr, so the click layer stays a dispatch.
"""

from __future__ import annotations

import os

import click

from ficindex.index import readable_index
from ficindex.index.export import select_work_ids
from ficindex.index.filters import Filters

#: ``export --format`` values handled here; each writes to ``-o``, never stdout.
EXPORT_FORMATS = ("parquet", "warc")


def export_to(
    fmt: str,
    db: str | os.PathLike[str],
    output: str | None,
    *,
    filters: Filters,
    sql: str | None,
    metadata_only: bool,
) -> str:
    """Run ``export --format parquet|warc``; returns the summary line."""
    if fmt == "parquet":
        if output is None:
            raise click.UsageError("--format parquet writes a directory: give it with -o DIRECTORY")
        from ficindex.exchange.parquet import export_parquet

        with readable_index(db) as index:
            ids = select_work_ids(index, filters, sql)
            result = export_parquet(index, ids, output, metadata_only=metadata_only)
        return (
            f"Exported {result.works} works, {result.chapters} chapters, "
            f"{result.stats_history} stats rows and {result.work_tags} tag links to {output}"
        )
    raise click.UsageError(f"unknown export format {fmt!r}")
