"""``ficindex schema``: print the JSON Schema of the record."""

from __future__ import annotations

import click

from ficindex.exchange.record_schema import schema_text


@click.command("schema")
def schema_command() -> None:
    """Print the JSON Schema (draft 2020-12) of the record 'parse' prints and 'export' writes.

    \b
    Example:
      ficindex schema > record.schema.json
    """
    click.echo(schema_text(), nl=False)
