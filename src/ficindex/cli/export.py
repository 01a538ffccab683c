"""``ficindex export DB``: works as JSON Lines records, CSV rows or plain-text files."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

import click
from click.core import ParameterSource

from ficindex.cli.search import filter_options, filters_from
from ficindex.errors import BadInput
from ficindex.exchange.commands import EXPORT_FORMATS, export_to
from ficindex.index import readable_index
from ficindex.index.engagement_privacy import index_pseudonyms
from ficindex.index.export import select_work_ids, write_csv, write_jsonl, write_txt
from ficindex.index.filters import Filters
from ficindex.index.outputs import atomic_output, check_output


@click.command("export")
@click.argument("db", type=click.Path(dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv", "txt", "parquet", "warc"]),
    default="jsonl",
    show_default=True,
    help="jsonl: full records with chapters; csv: one row per work; txt: a directory of files; "
    "parquet: a directory of typed Parquet files; warc: the kept raw pages as a WARC file.",
)
@filter_options
@click.option(
    "--sql",
    help="Export the works this query selects, e.g. 'select id from works where kudos > 100'.",
)
@click.option(
    "--metadata-only",
    is_flag=True,
    help="Write a SQLite copy of the whole index without chapter text, notes and raw pages, "
    "for 'datasette publish' (needs -o; no filters, --sql or --format). With --format "
    "parquet or an explicit --format jsonl: the same public form as Parquet files or JSON "
    "Lines (no chapter text, summaries, notes, comment text or bookmark notes; readers' "
    "names as salted pseudonyms).",
)
@click.option(
    "--with",
    "with_kinds",
    default="",
    metavar="KINDS",
    help="Also write each work's kudos, comments and/or bookmarks (comma-separated, e.g. "
    "kudos,comments): jsonl as lines of their own kind right after the work's line, "
    "parquet as kudos/comments/bookmarks.parquet.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(),
    help="Output file (jsonl, csv: default stdout; warc: required) or directory "
    "(txt, parquet: required).",
)
def export_command(
    db: str,
    fmt: str,
    sql: str | None,
    output: str | None,
    metadata_only: bool,
    with_kinds: str,
    **options: Any,
) -> None:
    """Write works from the index DB, filtered like 'search' or chosen by --sql.

    \b
    Examples:
      ficindex export fics.db --fandom 'Good Omens (TV)' -o good-omens.jsonl
      ficindex export fics.db --format csv --complete --kudos-min 500 -o popular.csv
      ficindex export fics.db --format txt --sql "select id from works where words < 5000" -o out/
      ficindex export fics.db --metadata-only -o public.db
      ficindex export fics.db --format parquet -o corpus/
      ficindex export fics.db --format warc -o pages.warc.gz
      ficindex export fics.db --with kudos,comments,bookmarks -o with-readers.jsonl
      ficindex export fics.db --metadata-only --format jsonl --with comments -o public.jsonl
    """
    filters = filters_from(options)
    if output is not None:
        check_output(output, db)
    kinds = export_kinds(with_kinds, fmt)
    if metadata_only and _sqlite_copy_asked(fmt, kinds):
        _public_copy(db, output, fmt=fmt, sql=sql, filters=filters)
        return
    if sql is not None and not filters.is_empty():
        raise click.UsageError("give either --sql or filters, not both")
    if fmt in EXPORT_FORMATS:
        message = export_to(
            fmt,
            db,
            output,
            filters=filters,
            sql=sql,
            metadata_only=metadata_only,
            with_kinds=kinds,
        )
        click.echo(message, err=True)
        return
    if fmt == "txt" and output is None:
        raise click.UsageError("--format txt writes a directory: give it with -o DIRECTORY")
    with readable_index(db) as index:
        ids = select_work_ids(index, filters, sql)
        if fmt == "txt" and output is not None:  # txt without -o was refused above
            count = write_txt(index, ids, output, index_path=db)
        else:
            public = index_pseudonyms(index) if metadata_only else None
            with _destination(output) as out:
                if fmt == "jsonl":
                    count = write_jsonl(index, ids, out, with_kinds=kinds, public=public)
                else:
                    count = write_csv(index, ids, out)
    _report(len(ids), count)


def _sqlite_copy_asked(fmt: str, kinds: tuple[str, ...]) -> bool:
    """Whether ``--metadata-only`` asks for the SQLite public copy.

    It does unless ``--format`` is parquet or warc, or jsonl given explicitly (the
    default format keeps meaning the SQLite copy, as it always has).
    """
    if fmt in EXPORT_FORMATS:
        return False
    source = click.get_current_context().get_parameter_source("fmt")
    if fmt == "jsonl" and source != ParameterSource.DEFAULT:
        return False
    if kinds:
        raise BadInput(
            "the SQLite public copy holds every engagement table already; "
            "--with is for --format jsonl or parquet"
        )
    return True


def export_kinds(text: str, fmt: str) -> tuple[str, ...]:
    """``--with``'s kinds (same words as ``crawl --with``); only jsonl and parquet carry them."""
    if not text:
        return ()
    from ficindex.cli.fetch_options import kinds_option

    kinds = kinds_option(text)
    if fmt not in ("jsonl", "parquet"):
        raise BadInput(f"--with adds engagement to --format jsonl or parquet, not {fmt}")
    return kinds


@contextmanager
def _destination(output: str | None) -> Iterator[IO[str]]:
    """stdout, or ``output`` written whole or not at all."""
    if output is None:
        yield sys.stdout
    else:
        with atomic_output(output) as out:
            yield out


def _public_copy(
    db: str, output: str | None, *, fmt: str, sql: str | None, filters: Filters
) -> None:
    """``--metadata-only`` (not parquet/warc): the whole index as a publishable SQLite copy."""
    from ficindex.datasette import make_public_copy

    if output is None or sql is not None or not filters.is_empty() or fmt != "jsonl":
        raise click.UsageError(
            "--metadata-only copies the whole index to a SQLite file: give -o FILE "
            "and no filters, --sql or --format"
        )
    copy = make_public_copy(db, output)
    click.echo(
        f"Wrote {output}: {copy.works} works, {copy.chapters} chapters without text",
        err=True,
    )


def _report(selected: int, written: int) -> None:
    """Say how many works the selection named and how many were written (stderr).

    They differ only when ``--sql`` names ids the index holds no record for
    (unknown ids, or works known only by id); that is said, not hidden.
    """
    if written == selected:
        click.echo(f"Exported {written} works ({selected} selected)", err=True)
    else:
        click.echo(
            f"Exported {written} works of {selected} selected: {selected - written} "
            "selected ids have no record in the index (unknown, or known only by id)",
            err=True,
        )
