"""``ficindex datasette-config DB``: the files that make ``datasette DB -m FILE`` useful."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import click

from ficindex.datasette import prepare, split_for_1_0
from ficindex.errors import BadInput, CannotStart
from ficindex.index.outputs import atomic_output, check_output

#: How long datasette-config waits for a running import or crawl to let it write the views.
WAIT_SECONDS = 60.0


@click.command("datasette-config")
@click.argument("db", type=click.Path(dir_okay=False))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="File to write (default stdout). With --format 1.0: the configuration file, "
    "e.g. datasette.yaml; required.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["0.65", "1.0"]),
    default="0.65",
    show_default=True,
    help="0.65: one metadata.json for Datasette 0.65 (datasette DB -m FILE). "
    "1.0: the Datasette 1.0 split into configuration (-o) and metadata (--metadata-output).",
)
@click.option(
    "--metadata-output",
    type=click.Path(dir_okay=False),
    help="With --format 1.0: where the metadata goes "
    "(default: metadata.yaml or metadata.json beside -o, same format).",
)
@click.option(
    "--name",
    help="The database name Datasette serves DB under (default: its file name without "
    "suffix, which is what 'datasette DB' uses).",
)
def datasette_config_command(
    db: str,
    output: str | None,
    fmt: str,
    metadata_output: str | None,
    name: str | None,
) -> None:
    """Write Datasette metadata for the index DB: title, source and rights,
    full-text search on works and chapters (raw FTS5 syntax), facets, label
    columns, hidden bookkeeping tables, what each column means (folded under
    each table's description) and every canned query of 'ficindex query
    --list'.

    ficindex also ships a Datasette plugin, loaded when ficindex is installed
    where Datasette runs (pip install 'ficindex[datasette]'): tag lists show as
    links to the works carrying each tag, work ids as links to AO3.

    This also creates (or updates) the browsing views work_cards,
    chapter_index and tag_usage in DB: it writes to the index (between a
    running crawl's or import's transactions, waiting up to a minute for one
    to end; exit 3 if the index stays locked that long). It writes nothing
    when the views are already current.

    Files ending in .yaml or .yml are written as YAML (needs PyYAML, which
    Datasette installs); any other name gets JSON.

    \b
    Examples:
      ficindex datasette-config fics.db -o metadata.json
      datasette fics.db -m metadata.json
    \b
      ficindex datasette-config fics.db --format 1.0 -o datasette.yaml
      datasette fics.db -c datasette.yaml -m metadata.yaml
    """
    if fmt == "1.0" and output is None:
        raise click.UsageError(
            "--format 1.0 writes two files: give the configuration file with -o, "
            "e.g. -o datasette.yaml"
        )
    if metadata_output is not None and fmt != "1.0":
        raise click.UsageError("--metadata-output is for --format 1.0")
    if output is not None:
        check_output(output, db)
    if fmt == "0.65":
        metadata = _prepare_waiting(db, name)
        if output is None:
            click.echo(_dump(metadata, yaml=False), nl=False)
        else:
            _write(Path(output), metadata)
            click.echo(f"Wrote {output}: datasette {db} -m {output}", err=True)
        return
    assert output is not None
    config_path = Path(output)
    meta_path = (
        Path(metadata_output)
        if metadata_output
        else config_path.with_name("metadata" + (config_path.suffix or ".json"))
    )
    if meta_path.resolve() == config_path.resolve():
        raise click.UsageError("the configuration and the metadata need different files")
    check_output(meta_path, db)
    meta, config = split_for_1_0(_prepare_waiting(db, name))
    _write(config_path, config)
    _write(meta_path, meta)
    click.echo(
        f"Wrote {config_path} and {meta_path}: datasette {db} -c {config_path} -m {meta_path}",
        err=True,
    )


def _prepare_waiting(db: str, name: str | None) -> dict[str, Any]:
    """:func:`prepare`, retried while another process writes the index.

    Creating the views needs the write lock between a writer's transactions.
    SQLite's busy timeout does not cover it: a statement that reads the schema
    and then writes gets "database is locked" at once when a writer holds the
    lock (waiting could deadlock), so the whole step is retried with growing
    pauses, for at most :data:`WAIT_SECONDS`.
    """
    deadline = time.monotonic() + WAIT_SECONDS
    pause = 0.05
    while True:
        try:
            return prepare(db, name)
        except CannotStart as exc:
            if time.monotonic() + pause > deadline:
                raise CannotStart(
                    f"{db} stayed locked by another process for {WAIT_SECONDS:g} s; "
                    "run this again when the import or crawl has finished"
                ) from exc
            time.sleep(pause)
            pause = min(pause * 2, 1.0)


def _is_yaml(path: Path) -> bool:
    return path.suffix.lower() in (".yaml", ".yml")


def _write(path: Path, data: dict[str, Any]) -> None:
    text = _dump(data, yaml=_is_yaml(path))
    with atomic_output(path, newline=None) as out:
        out.write(text)


def _dump(data: dict[str, Any], *, yaml: bool) -> str:
    if not yaml:
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    try:
        import yaml as pyyaml
    except ImportError as exc:
        raise BadInput(
            "writing YAML needs PyYAML (pip install pyyaml, or install datasette); "
            "or give a .json file name"
        ) from exc

    class Dumper(pyyaml.SafeDumper):
        """Multi-line strings (the canned queries' SQL) as readable literal blocks."""

    def text(dumper: pyyaml.SafeDumper, value: str) -> pyyaml.ScalarNode:
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, text)
    return pyyaml.dump(data, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=100)
