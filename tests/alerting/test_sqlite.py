"""The shared SQLite helper: durable settings, modes of what it creates, and transactions
that commit whole or not at all. The user store's file is checked here too: it is the
helper's caller that asks for private modes."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from alerting.sqlite import open_database, transaction
from dashboard.auth.store import AuthStore


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_durable_settings(tmp_path: Path) -> None:
    db = open_database(tmp_path / "a.db", busy_timeout_ms=1234)
    try:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 1234
        assert db.isolation_level is None  # autocommit: transactions are explicit
    finally:
        db.close()


def test_created_file_and_folders_get_the_asked_modes(tmp_path: Path) -> None:
    path = tmp_path / "outer" / "inner" / "users.db"
    old = os.umask(0o022)
    try:
        open_database(path, file_mode=0o600, dir_mode=0o700).close()
    finally:
        os.umask(old)
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700 and mode(path.parent.parent) == 0o700


def test_existing_file_and_folder_keep_their_modes(tmp_path: Path) -> None:
    path = tmp_path / "users.db"
    path.touch(mode=0o644)
    path.chmod(0o644)
    tmp_path.chmod(0o755)
    open_database(path, file_mode=0o600, dir_mode=0o700).close()
    assert mode(path) == 0o644  # the operator's choice is theirs
    assert mode(tmp_path) == 0o755


def test_without_modes_the_umask_decides(tmp_path: Path) -> None:
    path = tmp_path / "state" / "alarms.db"
    old = os.umask(0o022)
    try:
        open_database(path).close()
    finally:
        os.umask(old)
    assert mode(path) == 0o644 and mode(path.parent) == 0o755


def test_transaction_commits_whole_or_rolls_back(tmp_path: Path) -> None:
    db = open_database(tmp_path / "t.db")
    try:
        db.execute("CREATE TABLE t (x INTEGER)")
        with transaction(db) as tx:
            tx.execute("INSERT INTO t VALUES (1)")
            tx.execute("INSERT INTO t VALUES (2)")
        with pytest.raises(sqlite3.IntegrityError), transaction(db) as tx:
            tx.execute("INSERT INTO t VALUES (3)")
            raise sqlite3.IntegrityError("boom")
        assert not db.in_transaction
        assert [row[0] for row in db.execute("SELECT x FROM t ORDER BY x")] == [1, 2]
    finally:
        db.close()


def test_user_store_is_private_to_the_gateway_user(tmp_path: Path) -> None:
    path = tmp_path / "state" / "users.db"
    old = os.umask(0o022)
    try:
        AuthStore(path).close()
    finally:
        os.umask(old)
    assert mode(path) == 0o600 and mode(path.parent) == 0o700
