"""The JSON Schema of the record (SPEC section 2), shipped with the package.

A schema file beside the code lets a user validate ``parse`` output and
``export --format jsonl`` lines with any JSON Schema tool, in any language,
without reading our dataclasses. It is data, not generated at run time, so the
file a user downloads is exactly the one the tests check every fixture against.
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any, cast

#: The schema's file name inside the ``ficindex.exchange`` package.
SCHEMA_FILE = "record.schema.json"


def schema_text() -> str:
    """The schema as shipped (JSON text, UTF-8)."""
    return files("ficindex.exchange").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")


def record_schema() -> dict[str, Any]:
    """The schema as a dict, for a validator."""
    return cast(dict[str, Any], json.loads(schema_text()))
