"""One writer per index: a crawl or refresh holds ``INDEX.lock`` for as long as it runs.

The lock is ``fcntl.flock`` on a side file, not the existence of a file: the
operating system releases it when the holder dies, even by ``kill -9``, so a
killed run never blocks the next one. SQLite's own locking only protects single
transactions; this protects a whole job (two crawls interleaving their frontier
updates would each believe they own the same queued works). Readers (search,
Datasette) never take it: WAL lets them read while a run writes.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ficindex.errors import CannotStart


def lock_path(db_path: str | os.PathLike[str]) -> Path:
    path = Path(db_path)
    return path.with_name(path.name + ".lock")


@contextmanager
def index_lock(db_path: str | os.PathLike[str]) -> Iterator[Path]:
    """Hold the writer lock of ``db_path`` or raise :class:`CannotStart` (exit 3) at once.

    The lock file is removed on the way out (while still locked), so a finished or
    refused run leaves nothing beside the index; only a killed run leaves it, harmlessly.
    """
    path = lock_path(db_path)
    fd = _lock(path, db_path)
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        try:
            yield path
        finally:
            os.ftruncate(fd, 0)
            # Unlinked before it is unlocked: a run that opened this file meanwhile
            # sees, once it gets the lock, that it holds a file no longer at ``path``.
            with contextlib.suppress(OSError):  # read-only directory, or removed by hand
                os.unlink(path)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _lock(path: Path, db_path: str | os.PathLike[str]) -> int:
    """An open descriptor of ``path``, flock'ed, and still the file at ``path``."""
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise CannotStart(f"cannot create the lock file {path}: {exc.strerror}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
            os.close(fd)
            who = f" (process {holder})" if holder.isdigit() else ""
            raise CannotStart(
                f"{db_path} is being written by another ficindex crawl or refresh{who}; "
                "wait for it to finish, then run this again"
            ) from None
        if _same_file(fd, path):
            return fd
        os.close(fd)  # the holder removed it as we opened it: lock the new one instead


def _same_file(fd: int, path: Path) -> bool:
    try:
        current = os.stat(path)
    except FileNotFoundError:
        return False
    opened = os.fstat(fd)
    return (opened.st_dev, opened.st_ino) == (current.st_dev, current.st_ino)
