"""Every third-party library ficindex imports is declared in pyproject.toml.

A library that only arrives through another one's dependencies (tabulate came in
through sqlite-utils) breaks the day that dependency drops it.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imported_top_level_modules() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "src" / "ficindex").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"ficindex", "__future__"}


def _declared_distributions() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"])
    for extra, items in project["optional-dependencies"].items():
        if extra not in ("test", "bench"):  # an extra a user installs for a feature
            requirements += items
    names = {re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0] for r in requirements}
    return {re.sub(r"[-_.]+", "-", n).lower() for n in names}


def test_every_imported_library_is_declared() -> None:
    declared = _declared_distributions()
    providers = packages_distributions()
    missing = {}
    for module in sorted(_imported_top_level_modules()):
        dists = {re.sub(r"[-_.]+", "-", d).lower() for d in providers.get(module, [module])}
        if not dists & declared:
            missing[module] = sorted(dists)
    assert missing == {}, f"imported but not declared in pyproject.toml: {missing}"
