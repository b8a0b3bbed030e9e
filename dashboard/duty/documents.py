"""The enterprise file's documents (应急预案 and the like): uploaded, versioned, never
overwritten.

Each upload of a title is its next version: the file goes to
``<state>/documents/<site>/<id>-<name>`` (written whole, then renamed) and a row to
``<state>/documents/documents.db``, whose triggers refuse UPDATE and DELETE; the SHA-256 of
the content is kept with it. The newest version of a title is the one in force; the older
ones stay readable.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alerting.sqlite import open_database, transaction

MAX_BYTES = 20 * 1024 * 1024
TYPES = {
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".txt": "text/plain; charset=utf-8",
}
_SCHEMA = """
CREATE TABLE IF NOT EXISTS versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    site TEXT NOT NULL,
    title TEXT NOT NULL,
    version INTEGER NOT NULL,
    filename TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at REAL NOT NULL,
    UNIQUE (site, title, version)
);
CREATE TRIGGER IF NOT EXISTS versions_no_update BEFORE UPDATE ON versions
BEGIN SELECT RAISE(ABORT, 'document versions cannot be changed; upload a new version'); END;
CREATE TRIGGER IF NOT EXISTS versions_no_delete BEFORE DELETE ON versions
BEGIN SELECT RAISE(ABORT, 'document versions cannot be deleted'); END;
"""
_COLUMNS = "id, site, title, version, filename, size, sha256, uploaded_by, uploaded_at"


class DocumentError(ValueError):
    """An upload that cannot be kept (type, size, name); the message says why."""


@dataclass(frozen=True, slots=True)
class DocumentVersion:
    id: int
    site: str
    title: str
    version: int
    filename: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: float

    @property
    def media_type(self) -> str:
        return TYPES[Path(self.filename).suffix.lower()]


def safe_name(filename: str) -> str:
    """The file's own name, without folders, reduced to characters safe on any disk."""
    base = Path(filename.replace("\\", "/")).name
    cleaned = re.sub(r"[^\w.\-\u4e00-\u9fff]+", "_", base).strip("._")
    if not cleaned or Path(cleaned).suffix.lower() not in TYPES:
        raise DocumentError(
            f"file {filename!r}: allowed types are {', '.join(sorted(TYPES))}"
        )
    return cleaned[:120]


class DocumentStore:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._db = open_database(folder / "documents.db", file_mode=0o600, dir_mode=0o700)
        self._db.executescript(_SCHEMA)

    def add(self, site: str, title: str, filename: str, content: bytes, *, user: str,
            now: float) -> DocumentVersion:
        title = title.strip()
        if not title or len(title) > 80:
            raise DocumentError("a document needs a title of 1 to 80 characters")
        if not content:
            raise DocumentError("the file is empty")
        if len(content) > MAX_BYTES:
            raise DocumentError(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
        name = safe_name(filename)
        digest = hashlib.sha256(content).hexdigest()
        with transaction(self._db) as db:
            row = db.execute("SELECT MAX(version) FROM versions WHERE site = ? AND title = ?",
                             (site, title)).fetchone()
            version = (row[0] or 0) + 1
            cursor = db.execute(
                "INSERT INTO versions (site, title, version, filename, size, sha256, "
                "uploaded_by, uploaded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (site, title, version, name, len(content), digest, user, now),
            )
            record_id = int(cursor.lastrowid or 0)
            path = self.path_of(site, record_id, name)
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(path.suffix + ".part")
            partial.write_bytes(content)
            partial.replace(path)  # in the same transaction: a row never points at nothing
        return DocumentVersion(record_id, site, title, version, name, len(content), digest,
                               user, now)

    def path_of(self, site: str, record_id: int, filename: str) -> Path:
        return self.folder / site / f"{record_id}-{filename}"

    def versions(self, site: str) -> list[DocumentVersion]:
        cursor = self._db.execute(
            f"SELECT {_COLUMNS} FROM versions WHERE site = ? ORDER BY title, version DESC",
            (site,))
        return [_version(row) for row in cursor.fetchall()]

    def get(self, record_id: int) -> DocumentVersion | None:
        row = self._db.execute(f"SELECT {_COLUMNS} FROM versions WHERE id = ?",
                               (record_id,)).fetchone()
        return _version(row) if row is not None else None

    def close(self) -> None:
        self._db.close()


def _version(row: Sequence[Any]) -> DocumentVersion:
    return DocumentVersion(*row)



