"""The handover book: records are written durably and can never be changed or deleted."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from dashboard.duty.handovers import EntryKind, HandoverBook, HandoverDraft, HandoverError


def draft(notes: str = "1号罐液位偏高，已通知操作员", **changes: object) -> HandoverDraft:
    base: dict[str, object] = dict(
        kind=EntryKind.HANDOVER, shift="白班", period_start=1000.0, period_end=2000.0,
        outgoing="zhang", outgoing_signed_at=1990.0, notes=notes,
        open_items={"active": [{"tag": "LT-1", "value": 16.5}], "devices_down": []},
        incoming="li", incoming_signed_at=1995.0,
    )
    base.update(changes)
    return HandoverDraft(**base)  # type: ignore[arg-type]


def test_records_chain_and_survive_reopening(tmp_path: Path) -> None:
    with HandoverBook(tmp_path / "h.db") as book:
        first = book.add(draft())
        second = book.add(draft("夜班平稳", shift="夜班"))
        fix = book.add(draft("更正：液位为 16.2 m", kind=EntryKind.CORRECTION, corrects=1,
                             incoming=None, incoming_signed_at=None, open_items={}))
    assert (first.id, second.id, fix.id) == (1, 2, 3)
    assert second.prev_hash == first.hash and fix.prev_hash == second.hash
    with HandoverBook(tmp_path / "h.db") as book:
        assert book.get(1) == first
        assert [r.id for r in book.recent()] == [3, 2, 1]
        assert [r.id for r in book.recent(before=3)] == [2, 1]
        assert book.corrections_of(1) == [fix]
        assert book.last_handover() == second
        assert book.verify() is None


def test_no_update_no_delete_and_tampering_is_found(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    with HandoverBook(path) as book:
        book.add(draft())
        book.add(draft("second"))
    db = sqlite3.connect(path)
    for statement in ("UPDATE handovers SET notes = 'x' WHERE id = 1",
                      "DELETE FROM handovers WHERE id = 1"):
        with pytest.raises(sqlite3.IntegrityError, match="cannot be"):
            db.execute(statement)
    # Someone who drops the triggers and edits the file is still found out.
    db.execute("DROP TRIGGER handovers_no_update")
    db.execute("UPDATE handovers SET notes = '一切正常' WHERE id = 1")
    db.commit()
    db.close()
    with HandoverBook(path) as book:
        assert book.verify() == 1


def test_correction_of_a_missing_record_is_refused(tmp_path: Path) -> None:
    with (
        HandoverBook(tmp_path / "h.db") as book,
        pytest.raises(HandoverError, match="no handover record 9"),
    ):
        book.add(draft(kind=EntryKind.CORRECTION, corrects=9))
