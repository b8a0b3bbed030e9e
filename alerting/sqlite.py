"""Opening a durable SQLite file and writing to it in explicit transactions.

The alarm journal and the user store share these settings: WAL (readers never block the
writer, nor it them), ``synchronous=FULL`` (a commit has reached the disk, fsync, when it
returns: it survives ``kill -9`` and a power cut), a busy timeout (a second process, such
as the ``hazgw user`` command, waits its turn instead of failing at once), and autocommit
mode so that every write transaction is an explicit ``BEGIN IMMEDIATE … COMMIT``.

A file or folder that holds secrets is made with a restrictive mode (``file_mode``,
``dir_mode``) when it is created here; existing ones are left as the operator set them.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

BUSY_TIMEOUT_MS = 5000


def open_database(
    path: Path,
    *,
    file_mode: int | None = None,
    dir_mode: int | None = None,
    busy_timeout_ms: int = BUSY_TIMEOUT_MS,
) -> sqlite3.Connection:
    """A connection to ``path`` in WAL mode with ``synchronous=FULL``, created if missing.

    Missing folders are created (with ``dir_mode`` if given), and a missing file with
    ``file_mode`` if given, before SQLite opens it: SQLite gives its ``-wal`` and ``-shm``
    files the mode of the database file. Raises ``OSError`` or ``sqlite3.Error``."""
    make_folders(path.parent, dir_mode)
    if file_mode is not None:
        # O_EXCL: only a file made here gets the mode; the umask can only narrow it.
        with suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, file_mode))
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    except sqlite3.Error:
        db.close()
        raise
    return db


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """An explicit write transaction: committed whole, or rolled back and re-raised."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise


def make_folders(folder: Path, mode: int | None) -> None:
    """Create ``folder`` and its missing parents, each with ``mode`` if given."""
    missing: list[Path] = []
    while not folder.exists():
        missing.append(folder)
        if folder.parent == folder:
            break
        folder = folder.parent
    for created in reversed(missing):
        if mode is None:
            created.mkdir(exist_ok=True)
        else:
            created.mkdir(mode=mode, exist_ok=True)
