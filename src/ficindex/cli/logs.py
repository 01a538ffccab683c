"""Where the command line sends ficindex's log records: ``-v``/``-q`` on stderr, ``--log-file``.

stderr shows WARNING and above by default, INFO with ``-v`` (each failure as
it happens), DEBUG with ``-vv`` (each work and page), ERROR only with ``-q``.
A record the command already printed itself (the progress line, a notice, the
summary) is marked ``displayed`` and not printed again; a log file gets
everything at INFO (DEBUG with ``-vv``), each line timestamped in UTC.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click

from ficindex.log import ROOT
from ficindex.progress import clear_active

F = TypeVar("F", bound=Callable[..., Any])
_META = "ficindex.verbosity"


class StderrHandler(logging.Handler):
    """One line per record on stderr, after wiping any progress bar off the terminal."""

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "displayed", False):
            return
        try:
            clear_active()
            sys.stderr.write(self.format(record) + "\n")
            sys.stderr.flush()
        except Exception:  # a log line must never be what stops a run
            self.handleError(record)


def configure(verbose: int, quiet: bool) -> None:
    """Set the stderr handler of the ``ficindex`` logger from ``-v`` (count) and ``-q``."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.meta[_META] = (verbose, quiet)
    logger = logging.getLogger(ROOT)
    for handler in [h for h in logger.handlers if isinstance(h, StderrHandler)]:
        logger.removeHandler(handler)  # a second run in one process (tests) starts afresh
    handler = StderrHandler(_level(verbose, quiet))
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbose >= 2 else logging.INFO)


def quiet() -> bool:
    """Whether ``-q`` was given to the group: commands then draw no progress and no summary."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.meta.get(_META, (0, False))[1])


def _level(verbose: int, quiet: bool) -> int:
    if quiet:
        return logging.ERROR
    return (logging.WARNING, logging.INFO)[verbose] if verbose < 2 else logging.DEBUG


def log_file_option(command: F) -> F:
    """``--log-file PATH``, as crawl and refresh take it."""
    return click.option(
        "--log-file",
        type=click.Path(dir_okay=False),
        help="Append timestamped progress (a line a minute), warnings, failures and the "
        "summary to this file.",
    )(command)


@contextmanager
def logging_to(path: str | None, command: str) -> Iterator[None]:
    """While in the block, append ficindex's records to ``path`` (if given) as
    ``2026-01-02T03:04:05Z COMMAND: message`` lines."""
    if path is None:
        yield
        return
    handler = logging.FileHandler(path, encoding="utf-8")
    formatter = logging.Formatter(f"%(asctime)s {command}: %(message)s", "%Y-%m-%dT%H:%M:%SZ")
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    logger = logging.getLogger(ROOT)
    level = logger.level
    handler.setLevel(logging.DEBUG if level == logging.DEBUG else logging.INFO)
    if logger.getEffectiveLevel() > logging.INFO:  # the group did not configure logging
        logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        handler.close()
