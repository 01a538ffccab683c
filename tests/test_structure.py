"""The code keeps the shape a reader can hold: small modules, simple functions, one home per layer.

Limits from the project's review: no source module past 400 lines, no function of
cyclomatic complexity above 15 (radon's measure), and the layers import one way
only (cli -> crawl/datasette -> index -> record; the parser beside the index, never
inside it; the HTTP layer knows nothing of the index).
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from radon.complexity import cc_visit

SRC = Path(__file__).resolve().parents[1] / "src" / "ficindex"
MODULES = sorted(SRC.rglob("*.py"))
MAX_LINES = 400
MAX_COMPLEXITY = 15

#: Package -> packages of ficindex it must never import.
FORBIDDEN = {
    "index": ("ficindex.parser", "ficindex.crawl", "ficindex.cli", "ficindex.datasette"),
    "parser": ("ficindex.index", "ficindex.crawl", "ficindex.cli", "ficindex.datasette"),
}
#: The HTTP layer's modules: the index (and so the store) is none of their business.
HTTP_LAYER = ("crawl/config.py", "crawl/fetcher.py", "crawl/ratelimit.py", "crawl/robots.py")


def name(path: Path) -> str:
    return str(path.relative_to(SRC))


def imports_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_there_are_modules_to_check() -> None:
    assert len(MODULES) > 40


@pytest.mark.parametrize("path", MODULES, ids=name)
def test_module_is_short_and_its_functions_simple(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= MAX_LINES
    too_complex = [
        (block.name, block.complexity)
        for block in functions(cc_visit(text))
        if block.complexity > MAX_COMPLEXITY
    ]
    assert too_complex == []


def functions(blocks: list[Any]) -> list[Any]:
    """Every function radon measured: methods of classes and closures included (a class's
    own figure is a sum over its methods, not one function's)."""
    found: list[Any] = []
    for block in blocks:
        if hasattr(block, "methods"):
            found += functions(block.methods)
        else:
            found.append(block)
            found += functions(getattr(block, "closures", []))
    return found


@pytest.mark.parametrize("path", MODULES, ids=name)
def test_layers_import_one_way(path: Path) -> None:
    layer = name(path).split("/", 1)[0]
    forbidden = FORBIDDEN.get(layer, ())
    if name(path) in HTTP_LAYER:
        forbidden = ("ficindex.index",)
    wrong = sorted(m for m in imports_of(path) if m.startswith(forbidden))
    assert wrong == []
