"""The exchange formats as whole steps, for ``ficindex export`` and ``ficindex import``.

Each function opens the index the way its command must (read-only for an
export, under the writer lock for an import) and returns the one-line summary
the command prints on stderr, so the click layer stays a dispatch.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import click
from sqlite_utils import Database

from ficindex.index import readable_index
from ficindex.index.export import select_work_ids
from ficindex.index.filters import Filters
from ficindex.loader import Outcome, import_files
from ficindex.wording import plural

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
    with_kinds: tuple[str, ...] = (),
) -> str:
    """Run ``export --format parquet|warc``; returns the summary line.

    ``with_kinds`` (``export --with``) adds a Parquet file per engagement kind.
    """
    if fmt == "parquet":
        if output is None:
            raise click.UsageError("--format parquet writes a directory: give it with -o DIRECTORY")
        from ficindex.exchange.parquet import export_parquet

        with readable_index(db) as index:
            ids = select_work_ids(index, filters, sql)
            result = export_parquet(
                index, ids, output, metadata_only=metadata_only, with_kinds=with_kinds
            )
        engagement = "".join(f", {count} {kind}" for kind, count in result.engagement.items())
        return (
            f"Exported {result.works} works, {result.chapters} chapters, "
            f"{result.stats_history} stats rows{engagement} and {result.work_tags} tag links "
            f"to {output}"
        )
    if fmt == "warc":
        if output is None or metadata_only:
            raise click.UsageError(
                "--format warc writes the kept raw pages to one file: give -o FILE.warc.gz "
                "(and no --metadata-only)"
            )
        from ficindex.exchange.warc import export_warc

        with readable_index(db) as index:
            everything = sql is None and filters.is_empty()
            chosen = None if everything else select_work_ids(index, filters, sql)
            written = export_warc(index, output, work_ids=chosen)
        pages = plural(written.records, "raw page")
        return f"Exported {pages} ({written.bytes:,} bytes) to {output}"
    raise click.UsageError(f"unknown export format {fmt!r}")


def import_outcomes(index: Database, files: Iterable[Path]) -> Iterator[Outcome]:
    """``import``'s outcomes: one per saved page, one per response record of a WARC file.

    WARC files are told apart by name (``.warc``, ``.warc.gz``); every other
    file is a saved page. Runs of saved pages between WARC files are imported
    in batches (:func:`~ficindex.loader.import_files`), each outcome yielded
    once its batch is committed.
    """
    from ficindex.exchange.warc import import_warc, is_warc

    for warc, run in itertools.groupby(files, key=is_warc):
        if warc:
            for path in run:
                yield from import_warc(index, path)
        else:
            yield from import_files(index, run)
