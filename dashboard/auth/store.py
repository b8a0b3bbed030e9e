"""The user database: users, sessions, display tokens and the audit log, in one SQLite file.

WAL mode with ``synchronous=FULL`` like the alarm journal (``alerting.sqlite``): an audit
entry has reached the disk when ``audit`` returns. A file (and folder) created here is the
gateway user's alone (0600, 0700). The gateway and the ``hazgw user`` command may open the file
at the same time (WAL readers do not block, writers wait up to ``busy_timeout``).

User names are unique regardless of ASCII case (``Admin`` is ``admin``); Chinese names are
kept as typed. Only digests of tokens are stored (``dashboard.auth.tokens``).

One connection per instance, used from one thread (the event loop's, or the CLI's).
All methods are synchronous and short: single indexed statements or small transactions.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from alerting.sqlite import open_database, transaction
from dashboard.auth.roles import Role

SCHEMA_VERSION = "1"
MAX_AUDIT_ROWS = 5000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY COLLATE NOCASE,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at REAL NOT NULL,
    created_by TEXT,
    password_changed_at REAL NOT NULL,
    last_login_at REAL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    user_name TEXT NOT NULL COLLATE NOCASE,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    address TEXT
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user_name);
CREATE TABLE IF NOT EXISTS display_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at REAL NOT NULL,
    created_by TEXT,
    last_used_at REAL,
    revoked_at REAL,
    revoked_by TEXT
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts REAL NOT NULL,
    user_name TEXT,
    action TEXT NOT NULL,
    target TEXT,
    detail TEXT,
    address TEXT
);
CREATE INDEX IF NOT EXISTS audit_ts ON audit (ts);
"""


class StoreError(Exception):
    """The user database cannot be opened or is not a hazgw user database."""


class UserExists(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class UserRecord:
    name: str
    role: Role
    password_hash: str
    created_at: float
    created_by: str | None
    password_changed_at: float
    last_login_at: float | None


@dataclass(frozen=True, slots=True)
class SessionRecord:
    token_hash: str
    user_name: str  # as stored in users (the canonical spelling)
    role: Role
    created_at: float
    expires_at: float


@dataclass(frozen=True, slots=True)
class DisplayTokenRecord:
    id: int
    name: str
    created_at: float
    created_by: str | None
    last_used_at: float | None
    revoked_at: float | None
    revoked_by: str | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    ts: float
    user: str | None
    action: str
    target: str | None = None
    detail: str | None = None
    address: str | None = None
    id: int = 0  # assigned by the store


_USER_COLUMNS = (
    "name, role, password_hash, created_at, created_by, password_changed_at, last_login_at"
)
_TOKEN_COLUMNS = "id, name, created_at, created_by, last_used_at, revoked_at, revoked_by"


class AuthStore:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        try:
            # Password hashes and session digests: readable by the gateway's user only.
            self._db = open_database(self.path, file_mode=0o600, dir_mode=0o700)
            self._db.executescript(_SCHEMA)
            self._check_version()
        except (OSError, sqlite3.Error) as error:
            raise StoreError(f"cannot open user database {self.path}: {error}") from error

    def _check_version(self) -> None:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if row is None:
            self._db.execute(
                "INSERT INTO meta (key, value) VALUES ('schema', ?)", (SCHEMA_VERSION,)
            )
        elif row[0] != SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has user database schema {row[0]}, this gateway reads "
                f"{SCHEMA_VERSION}"
            )

    # ---------------------------------------------------------------------- users

    def add_user(
        self, name: str, role: Role, password_hash: str, now: float, created_by: str | None
    ) -> UserRecord:
        try:
            self._db.execute(
                f"INSERT INTO users ({_USER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, NULL)",
                (name, role.value, password_hash, now, created_by, now),
            )
        except sqlite3.IntegrityError as error:
            raise UserExists(f"user {name!r} exists already") from error
        return UserRecord(name, role, password_hash, now, created_by, now, None)

    def get_user(self, name: str) -> UserRecord | None:
        row = self._db.execute(
            f"SELECT {_USER_COLUMNS} FROM users WHERE name = ?", (name,)
        ).fetchone()
        return None if row is None else _user(row)

    def users(self) -> list[UserRecord]:
        rows = self._db.execute(f"SELECT {_USER_COLUMNS} FROM users ORDER BY name").fetchall()
        return [_user(row) for row in rows]

    def count_role(self, role: Role) -> int:
        row = self._db.execute("SELECT COUNT(*) FROM users WHERE role = ?", (role.value,))
        return int(row.fetchone()[0])

    def remove_user(self, name: str) -> bool:
        """Delete the user and every session of theirs, in one transaction."""
        with transaction(self._db) as db:
            db.execute("DELETE FROM sessions WHERE user_name = ?", (name,))
            cursor = db.execute("DELETE FROM users WHERE name = ?", (name,))
        return cursor.rowcount > 0

    def set_role(self, name: str, role: Role) -> bool:
        cursor = self._db.execute("UPDATE users SET role = ? WHERE name = ?", (role.value, name))
        return cursor.rowcount > 0

    def set_password(self, name: str, password_hash: str, now: float) -> bool:
        cursor = self._db.execute(
            "UPDATE users SET password_hash = ?, password_changed_at = ? WHERE name = ?",
            (password_hash, now, name),
        )
        return cursor.rowcount > 0

    def rehash(self, name: str, old_hash: str, new_hash: str) -> None:
        """Upgrade a hash unless the password changed meanwhile."""
        self._db.execute(
            "UPDATE users SET password_hash = ? WHERE name = ? AND password_hash = ?",
            (new_hash, name, old_hash),
        )

    def logged_in(self, name: str, now: float) -> None:
        self._db.execute("UPDATE users SET last_login_at = ? WHERE name = ?", (now, name))

    # ------------------------------------------------------------------- sessions

    def add_session(
        self, token_hash: str, user: str, now: float, expires_at: float, address: str | None
    ) -> None:
        self._db.execute(
            "INSERT INTO sessions (token_hash, user_name, created_at, expires_at, address) "
            "VALUES (?, ?, ?, ?, ?)",
            (token_hash, user, now, expires_at, address),
        )

    def get_session(self, token_hash: str) -> SessionRecord | None:
        """The session and its user's *current* name and role (None if either is gone)."""
        row = self._db.execute(
            "SELECT s.token_hash, u.name, u.role, s.created_at, s.expires_at "
            "FROM sessions s JOIN users u ON u.name = s.user_name WHERE s.token_hash = ?",
            (token_hash,),
        ).fetchone()
        if row is None:
            return None
        return SessionRecord(row[0], row[1], Role(row[2]), row[3], row[4])

    def extend_session(self, token_hash: str, expires_at: float) -> None:
        self._db.execute(
            "UPDATE sessions SET expires_at = ? WHERE token_hash = ?", (expires_at, token_hash)
        )

    def delete_session(self, token_hash: str) -> str | None:
        """Delete one session; returns its user, or None if there was none."""
        with transaction(self._db) as db:
            row = db.execute(
                "SELECT user_name FROM sessions WHERE token_hash = ?", (token_hash,)
            ).fetchone()
            db.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))
        return None if row is None else str(row[0])

    def delete_sessions_of(self, user: str, keep: str | None = None) -> int:
        cursor = self._db.execute(
            "DELETE FROM sessions WHERE user_name = ? AND token_hash IS NOT ?", (user, keep)
        )
        return cursor.rowcount

    def purge_sessions(self, before: float) -> int:
        cursor = self._db.execute("DELETE FROM sessions WHERE expires_at < ?", (before,))
        return cursor.rowcount

    def session_count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM sessions").fetchone()[0])

    # -------------------------------------------------------------- display tokens

    def add_display_token(
        self, name: str, token_hash: str, now: float, created_by: str | None
    ) -> DisplayTokenRecord:
        cursor = self._db.execute(
            "INSERT INTO display_tokens (name, token_hash, created_at, created_by) "
            "VALUES (?, ?, ?, ?)",
            (name, token_hash, now, created_by),
        )
        ident = cursor.lastrowid
        assert ident is not None
        return DisplayTokenRecord(ident, name, now, created_by, None, None, None)

    def find_display_token(self, token_hash: str) -> DisplayTokenRecord | None:
        """An active (not revoked) token by its digest."""
        row = self._db.execute(
            f"SELECT {_TOKEN_COLUMNS} FROM display_tokens "
            "WHERE token_hash = ? AND revoked_at IS NULL",
            (token_hash,),
        ).fetchone()
        return None if row is None else DisplayTokenRecord(*row)

    def get_display_token(self, ident: int) -> DisplayTokenRecord | None:
        row = self._db.execute(
            f"SELECT {_TOKEN_COLUMNS} FROM display_tokens WHERE id = ?", (ident,)
        ).fetchone()
        return None if row is None else DisplayTokenRecord(*row)

    def display_tokens(self) -> list[DisplayTokenRecord]:
        rows = self._db.execute(f"SELECT {_TOKEN_COLUMNS} FROM display_tokens ORDER BY id")
        return [DisplayTokenRecord(*row) for row in rows.fetchall()]

    def touch_display_token(self, ident: int, now: float) -> None:
        self._db.execute("UPDATE display_tokens SET last_used_at = ? WHERE id = ?", (now, ident))

    def revoke_display_token(self, ident: int, now: float, by: str | None) -> bool:
        """True if the token was active and is now revoked."""
        cursor = self._db.execute(
            "UPDATE display_tokens SET revoked_at = ?, revoked_by = ? "
            "WHERE id = ? AND revoked_at IS NULL",
            (now, by, ident),
        )
        return cursor.rowcount > 0

    # ---------------------------------------------------------------------- audit

    def audit(self, entries: Sequence[AuditEntry]) -> None:
        """Append entries in one durable transaction (raises sqlite3.Error on failure)."""
        if not entries:
            return
        with transaction(self._db) as db:
            db.executemany(
                "INSERT INTO audit (ts, user_name, action, target, detail, address) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(e.ts, e.user, e.action, e.target, e.detail, e.address) for e in entries],
            )

    def audit_entries(
        self,
        limit: int = 200,
        *,
        before_id: int | None = None,
        user: str | None = None,
        action: str | None = None,
        since: float | None = None,
    ) -> list[AuditEntry]:
        """Newest first."""
        where: list[str] = []
        args: list[object] = []
        if before_id is not None:
            where.append("id < ?")
            args.append(before_id)
        if user is not None:
            where.append("user_name = ?")
            args.append(user)
        if action is not None:
            where.append("action = ?")
            args.append(action)
        if since is not None:
            where.append("ts >= ?")
            args.append(since)
        sql = "SELECT id, ts, user_name, action, target, detail, address FROM audit"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC LIMIT ?"
        args.append(max(1, min(limit, MAX_AUDIT_ROWS)))
        return [
            AuditEntry(
                ts=row[1], user=row[2], action=row[3], target=row[4], detail=row[5],
                address=row[6], id=row[0],
            )
            for row in self._db.execute(sql, args).fetchall()
        ]

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> AuthStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _user(row: Sequence[object]) -> UserRecord:
    name, role, password_hash, created_at, created_by, changed_at, last_login = row
    return UserRecord(
        name=str(name),
        role=Role(str(role)),
        password_hash=str(password_hash),
        created_at=float(created_at),  # type: ignore[arg-type]
        created_by=None if created_by is None else str(created_by),
        password_changed_at=float(changed_at),  # type: ignore[arg-type]
        last_login_at=None if last_login is None else float(last_login),  # type: ignore[arg-type]
    )
