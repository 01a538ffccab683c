"""The options of ``search`` and ``query``, described once for click and for the fast start.

click builds its options from these tables (:func:`decorate`), and
:mod:`ficindex.cli.fast` reads the same command lines from them without
importing click, so the two readings cannot drift apart. Nothing here imports
click until a click command is built.
"""

from __future__ import annotations

from ficindex.errors import BadInput
from ficindex.index.search import MAX_LIMIT, SORTS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

#: Largest count a filter accepts: far above any AO3 work, far below SQLite's integer limit.
MAX_COUNT = 10**12

#: Output formats, each its own flag (``--json``...), and what ``--help`` says of it.
FORMATS = {
    "table": "Print a table (the default on a terminal).",
    "csv": "Print CSV with a header row.",
    "tsv": "Print tab-separated values with a header row.",
    "nl": "Print one JSON object per line.",
    "json": "Print a JSON array (the default when piped).",
}


class Option:
    """One option: its names, where its value goes, and how it is read.

    ``kind`` is ``value`` (one value, the last given wins), ``multiple`` (a
    tuple of every value), ``pair`` (``multiple`` of NAME VALUE pairs),
    ``flag`` (puts ``flag_value`` in ``dest``; flags may share a ``dest``) or
    ``switch`` (``--on/--off``: True or False). ``bounds`` makes a value a
    whole number in that range, ``choices`` (a function, so that tabulate is
    imported only when asked) one of a list. ``extra`` goes to ``click.option``.
    """

    __slots__ = ("bounds", "choices", "dest", "extra", "flag_value", "kind", "names")

    def __init__(
        self,
        names: Sequence[str],
        dest: str,
        kind: str = "value",
        *,
        flag_value: Any = None,
        bounds: tuple[int, int] | None = None,
        choices: Callable[[], Sequence[str]] | None = None,
        **extra: Any,
    ) -> None:
        self.names = tuple(names)
        self.dest = dest
        self.kind = kind
        self.flag_value = flag_value
        self.bounds = bounds
        self.choices = choices
        self.extra = extra

    def default(self) -> Any:
        """The value when the option is not given (as click gives it)."""
        if self.kind in ("multiple", "pair"):
            return ()
        if self.bounds is not None and "default" in self.extra:
            return self.read(str(self.extra["default"]))
        return self.extra.get("default")

    def read(self, text: str) -> Any:
        """``text`` as this option's value; BadInput when it is not one."""
        if self.bounds is not None:
            return whole_number(text, *self.bounds, self.names[-1])
        if self.choices is not None and text not in self.choices():
            raise BadInput(f"{self.names[-1]} takes one of {', '.join(self.choices())}")
        return text

    def click_option(self) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """This option as a ``click.option`` decorator."""
        import click

        extra = dict(self.extra)
        if self.kind == "switch":
            return click.option("/".join(self.names), self.dest, default=None, **extra)
        if self.kind == "flag":
            extra["flag_value" if self.flag_value is not True else "is_flag"] = self.flag_value
        if self.kind in ("multiple", "pair"):
            extra["multiple"] = True
        if self.kind == "pair":
            extra["type"] = (str, str)
        if self.bounds is not None:
            extra.update(type=str, metavar="INTEGER", callback=self._checked)
        if self.choices is not None and "metavar" in extra:
            extra["type"] = _later_choice(self.choices)  # --help shows the metavar, not a list
        elif self.choices is not None:
            extra["type"] = click.Choice(list(self.choices()))
        return click.option(*self.names, self.dest, **extra)

    def _checked(self, ctx: object, param: object, value: str | None) -> int | None:
        return None if value is None else self.read(value)


def whole_number(text: str, low: int, high: int, option: str) -> int:
    """``text`` as a whole number in ``[low, high]``; BadInput naming ``option`` otherwise.

    click's IntRange answers with three lines of usage, and accepts numbers
    too big for SQLite (an "internal error" later).
    """
    cleaned = str(text).strip().replace("_", "")
    digits = cleaned.lstrip("-").isdigit() and len(cleaned) <= 20
    number = int(cleaned) if digits else None
    if number is None or not low <= number <= high:
        raise BadInput(f"{option} must be a whole number from {low:,} to {high:,}, not {text!r}")
    return number


def _later_choice(choices: Callable[[], Sequence[str]]) -> Any:
    """A click type taking one of ``choices()``, listed only when a value is read: the table
    styles come from tabulate, whose import (35 ms) a command printing JSON should not pay."""
    import click

    class LaterChoice(click.ParamType):  # type: ignore[type-arg]
        name = "choice"

        def convert(
            self, value: Any, param: click.Parameter | None, ctx: click.Context | None
        ) -> Any:
            allowed = choices()
            if value not in allowed:
                self.fail(f"{value!r} is not one of {', '.join(map(repr, allowed))}.", param, ctx)
            return value

    return LaterChoice()


def decorate(fn: Callable[..., Any], options: Sequence[Option]) -> Callable[..., Any]:
    """``fn`` with ``options`` as click options, in the order listed (for ``--help``)."""
    for option in reversed(options):
        fn = option.click_option()(fn)
    return fn


def click_options(options: Sequence[Option]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A decorator adding ``options`` to a click command (:func:`decorate`)."""
    return lambda fn: decorate(fn, options)


def _table_formats() -> list[str]:
    from tabulate import tabulate_formats

    return list(tabulate_formats)


#: The work filters ``search`` and ``export`` share.
FILTERS = (
    Option(["--fandom"], "fandom", "multiple", help="Only works in this fandom (repeatable)."),
    Option(["--tag"], "tag", "multiple", help="Only works with this tag, any type (repeatable)."),
    Option(
        ["--rating"], "rating", help="Only works with this rating, e.g. 'Teen And Up Audiences'."
    ),
    Option(["--language"], "language", help="Only works in this language, e.g. English."),
    Option(["--author"], "author", "multiple", help="Only works by this user or pseud."),
    Option(
        ["--complete", "--incomplete"],
        "completed",
        "switch",
        help="Only finished / unfinished works.",
    ),
    Option(["--words-min"], "words_min", bounds=(0, MAX_COUNT), help="At least this many words."),
    Option(["--words-max"], "words_max", bounds=(0, MAX_COUNT), help="At most this many words."),
    Option(["--kudos-min"], "kudos_min", bounds=(0, MAX_COUNT), help="At least this many kudos."),
)

#: How ``search`` and ``query`` print their rows (:mod:`ficindex.cli.output`).
OUTPUT = (
    *(Option([f"--{name}"], "fmt", "flag", flag_value=name, help=h) for name, h in FORMATS.items()),
    Option(
        ["--fmt"],
        "table_format",
        choices=_table_formats,
        metavar="STYLE",
        help="Table style, e.g. github, grid, psql, rst (implies --table).",
    ),
    Option(
        ["--no-headers"],
        "no_headers",
        "flag",
        flag_value=True,
        default=False,
        help="Leave out the header row (CSV, TSV, table).",
    ),
    Option(
        ["-c", "--column"],
        "column",
        "multiple",
        metavar="NAME",
        help="Print only this column (repeatable; in the order given).",
    ),
)

#: ``search``'s own options (then FILTERS before them and OUTPUT after them).
SEARCH = (
    Option(
        ["--sort"],
        "sort",
        choices=lambda: list(SORTS),
        help="Order of the results [default: relevance; updated when there is no query].",
    ),
    Option(["--limit"], "limit", bounds=(1, MAX_LIMIT), default=20, show_default=True),
)

#: ``query``'s own options (then OUTPUT).
QUERY = (
    Option(
        ["-p", "--param"],
        "params",
        "pair",
        metavar="NAME VALUE",
        help="A named parameter, e.g. -p tag 'Slow Burn'.",
    ),
    Option(
        ["--list"],
        "list_only",
        "flag",
        flag_value=True,
        default=False,
        help="List the canned queries and exit.",
    ),
)
