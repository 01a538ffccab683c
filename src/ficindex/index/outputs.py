"""Files ficindex writes beside an index: never onto the index, never half-written.

Every output a command writes (an export, a Datasette configuration) is
checked against the index it reads and the files SQLite and ficindex keep
beside it (``-wal``, ``-shm``, ``.lock``): writing onto one of them would
destroy the index, so it is refused as bad input before anything is opened
for writing. The output is written to a temporary file in the same
directory and renamed over the target only once complete, so a failure (a
full disk, a bad query, Ctrl-C) leaves the old file or nothing, never a
truncated or 0-byte one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from ficindex.errors import BadInput
from ficindex.lock import lock_path

#: Files SQLite keeps beside an index in WAL mode.
_SIDE_SUFFIXES = ("-wal", "-shm", "-journal")


def index_files(index: str | os.PathLike[str]) -> list[Path]:
    """The index file and every file kept beside it that an output must never replace."""
    path = Path(index)
    return [path, *(path.with_name(path.name + s) for s in _SIDE_SUFFIXES), lock_path(path)]


def check_output(output: str | os.PathLike[str], index: str | os.PathLike[str]) -> None:
    """Refuse (exit 2) an output path that is the index or one of its side files.

    Paths are compared after resolving symlinks and ``..``, and existing files
    also by identity (a hard link to the index is the index).
    """
    target = Path(output)
    resolved = target.resolve()
    for protected in index_files(index):
        same = resolved == protected.resolve()
        if not same and target.exists() and protected.exists():
            same = os.path.samefile(target, protected)
        if same:
            raise BadInput(
                f"{output} is the index {index} or one of its files; "
                "give another output path (writing there would destroy the index)"
            )


@contextmanager
def atomic_output(path: str | os.PathLike[str], *, newline: str | None = "") -> Iterator[IO[str]]:
    """A text file that appears at ``path`` complete, or not at all.

    Written as a hidden temporary file in the same directory (so the rename
    cannot cross filesystems), flushed to disk, then renamed over ``path``.
    Any exception removes the temporary file and leaves ``path`` as it was.
    """
    target = Path(path)
    if target.is_dir():
        raise BadInput(f"{target} is a directory; give the name of a file to write")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise BadInput(f"cannot write {target}: {exc.strerror}") from exc
    tmp = Path(tmp_name)
    try:
        os.fchmod(fd, _mode_for(target))
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _mode_for(target: Path) -> int:
    """Keep the permissions of a file being replaced; a new file gets the usual 0666 & ~umask."""
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
