"""Counts in messages: "1 work", "2 works", "1 listing page", "0 retries"."""

from __future__ import annotations

#: Plurals that are not the word plus "s".
_IRREGULAR = {"retry": "retries", "index": "indexes", "entry": "entries", "query": "queries"}


def plural(count: int, word: str, many: str | None = None) -> str:
    """``count`` and ``word``, in the plural unless ``count`` is 1 (``many`` overrides it).

    The last word of ``word`` is the one made plural: "listing page" -> "listing pages".
    """
    if count == 1:
        return f"1 {word}"
    if many is None:
        head, _, last = word.rpartition(" ")
        last = _IRREGULAR.get(last, last + "s")
        many = f"{head} {last}" if head else last
    return f"{count} {many}"
