"""The canned ``search`` query's text made into the statement a search prepares.

:func:`ficindex.index.search.search_sql` writes the CLI's parts into the canned query
(``queries/search.sql``); these functions take out what a query does not need: the
``query`` step replaced, lines with a mark dropped, and then every step (CTE) that
nothing reads any more. SQLite prepares what it is given, read or not, and every step
is one more to prepare and, if materialized, one more temporary table to fill.
"""

from __future__ import annotations

#: Where the canned query's ``query`` step starts and ends (the CLI writes its own).
_QUERY_STEP = ("with query as materialized (\n", "\n),  -- end of query\n")


def with_query_step(body: str, step: str) -> str:
    """``body`` with ``step`` in place of the canned query's ``query`` step."""
    start, end = body.find(_QUERY_STEP[0]), body.find(_QUERY_STEP[1])
    if start < 0 or end < start:
        raise RuntimeError("queries/search.sql lost its query step")
    return body[:start] + step + "\n" + body[end + len(_QUERY_STEP[1]) :]


def without_cjk(lines: list[str]) -> list[str]:
    """The canned query's lines without the trigram side indexes: the ``-- cjk`` lines
    dropped, the ``-- cjk text`` expression (to its ``end as cjk_text``) made NULL."""
    out: list[str] = []
    skipping = False
    for line in lines:
        if line.endswith("-- cjk text"):
            skipping = True
            out.append(line[: len(line) - len(line.lstrip())] + "null as cjk_text")
        elif skipping:
            skipping = not line.endswith("end as cjk_text")
        else:
            out.append(line)
    # 27 lines go in all: the 18 marked, and 9 of the text's 10
    return without_mark(out, "-- cjk", 27 - (len(lines) - len(out)))


def without_mark(lines: list[str], mark: str, count: int) -> list[str]:
    """``lines`` without the ``count`` lines that end with ``mark``."""
    kept = [line for line in lines if not line.endswith(mark)]
    if len(lines) - len(kept) != count:
        raise RuntimeError(f"queries/search.sql lost one of its {mark} marks")
    return kept


def without_unread_steps(lines: list[str]) -> list[str]:
    """``lines`` without the steps (CTEs) nothing reads, until every step left is read.

    A step starts at a line ``name as ...`` and ends where its parentheses close; a
    step that ends the list (no comma after it) is always kept. Comments are not read.
    """
    code = [line.split("-- ", 1)[0] for line in lines]
    for start, end, name in steps(code):
        if code[end - 1].rstrip().endswith(",") and not reads(
            " ".join(code[:start] + code[end:]), name
        ):  # drop it, then look again: it may have been the last reader of another
            return without_unread_steps(lines[:start] + lines[end:])
    return lines


def steps(code: list[str]) -> list[tuple[int, int, str]]:
    """Each step of ``code`` (lines without comments): first line, line after last, name."""
    found = []
    for start, line in enumerate(code):
        name, as_, _ = line.partition(" as ")
        if not as_ or not name.isidentifier():
            continue
        depth = 0
        for end in range(start, len(code)):
            depth += code[end].count("(") - code[end].count(")")
            if depth == 0:
                found.append((start, end + 1, name))
                break
    return found


def reads(text: str, name: str) -> bool:
    """Whether ``text`` names the step ``name`` (as a whole word)."""
    at = text.find(name)
    while at >= 0:
        before, after = text[at - 1 : at], text[at + len(name) : at + len(name) + 1]
        if not (before.isalnum() or before in ("_", ":")) and not (after.isalnum() or after == "_"):
            return True
        at = text.find(name, at + 1)
    return False
