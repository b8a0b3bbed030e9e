"""Versioned documents: every upload is a new version, kept whole; nothing is changed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from dashboard.duty.documents import DocumentError, DocumentStore, safe_name


def test_versions_and_immutability(tmp_path: Path) -> None:
    store = DocumentStore(tmp_path / "documents")
    first = store.add("T1", "应急预案", "预案.pdf", b"%PDF v1", user="eng", now=1.0)
    second = store.add("T1", "应急预案", "C:\\docs\\预案 v2.pdf", b"%PDF v2", user="eng", now=2.0)
    other = store.add("T2", "应急预案", "a.txt", b"x", user="eng", now=3.0)
    assert (first.version, second.version, other.version) == (1, 2, 1)
    assert second.filename == "预案_v2.pdf"
    assert [v.version for v in store.versions("T1")] == [2, 1]
    assert store.path_of("T1", first.id, first.filename).read_bytes() == b"%PDF v1"
    store.close()
    db = sqlite3.connect(tmp_path / "documents" / "documents.db")
    with pytest.raises(sqlite3.IntegrityError, match="cannot be"):
        db.execute("UPDATE versions SET filename = 'x.pdf'")
    with pytest.raises(sqlite3.IntegrityError, match="cannot be"):
        db.execute("DELETE FROM versions")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [("run.exe", b"MZ", "allowed types"), ("../..", b"x", "allowed types"),
     ("a.pdf", b"", "empty")],
)
def test_refused_uploads(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    store = DocumentStore(tmp_path)
    with pytest.raises(DocumentError, match=message):
        store.add("T1", "应急预案", name, content, user="eng", now=1.0)
    store.close()
    assert safe_name("../../etc/预案.PDF") == "预案.PDF"
