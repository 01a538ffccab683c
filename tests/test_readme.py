"""The README's promises point at real tests: every test file and test named in its
Guarantees table exists, so a renamed or deleted test cannot leave a promise unproved."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def guarantees_section() -> str:
    text = README.read_text(encoding="utf-8")
    return text.split("\n## Guarantees\n", 1)[1].split("\n## ", 1)[0]


def functions_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test")
    }


def test_every_test_the_guarantees_name_exists() -> None:
    section = guarantees_section()
    missing: list[str] = []
    named = 0
    for row in (line for line in section.splitlines() if line.startswith("| ")):
        proof = row.rstrip(" |").rsplit(" | ", 1)[-1]
        current: Path | None = None
        for file, test in re.findall(r"(tests/[\w/]+\.py)?(?:::(\w+))?", proof):
            if file:
                current = ROOT / file
                named += 1
                if not current.exists():
                    missing.append(file)
            if (
                test
                and current is not None
                and current.exists()
                and test not in functions_in(current)
            ):
                missing.append(f"{current.relative_to(ROOT)}::{test}")
    assert named > 20, "the Guarantees table names no tests: has its format changed?"
    assert missing == []
