"""A handover through the assembled app: both officers sign with their own passwords, the
open items are carried over, the record reads back as JSON and as PDF, and is never changed."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import pypdf
import pytest
from authkit import PASSWORDS, AppKit, FakeClock, make_site, running_app

from collectors.health import CollectorHealth
from config.shifts import ShiftSchedule
from dashboard.duty.handovers import HandoverBook
from dashboard.duty.service import DutyServices

SCHEDULE = ShiftSchedule.model_validate({
    "timezone": "Asia/Shanghai",
    "shifts": [{"name": "白班", "start": "08:00", "officers": ["operator"]},
               {"name": "夜班", "start": "20:00", "officers": ["operator", "engineer"]}],
})


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
async def app(tmp_path: Path, clock: FakeClock) -> AsyncIterator[AppKit]:
    down = CollectorHealth("modbus 127.0.0.1:1502", "modbus")
    down.device("gauges").failed(clock(), "connection refused")
    with HandoverBook(tmp_path / "handovers.db") as book:
        duty = DutyServices(book, schedule=SCHEDULE)
        async with running_app(tmp_path, make_site(), clock=clock, duty=duty,
                               collector_health=[down]) as kit:
            yield kit


async def test_shift_and_signed_handover(app: AppKit) -> None:
    level = app.raise_alarm("LT-1", 16.0)
    gas = app.raise_alarm("GT-1", 30.0)
    async with app.login("operator") as operator:
        shelved = await operator.post(f"/api/alarms/{gas}/shelve",
                                      json={"reason": "探头标定", "minutes": 60})
        assert shelved.status_code == 200, shelved.text

        # 2023-11-15 06:13 in Shanghai: the night shift, which ends at 08:00, is handed over.
        shift = (await operator.get("/api/shifts/current")).json()
        assert shift["current"]["name"] == "夜班" and shift["handing_over"]["name"] == "夜班"
        assert shift["current"]["officers"] == ["operator", "engineer"]
        assert shift["last_handover"] is None

        preview = (await operator.get("/api/handovers/open-items")).json()
        assert [a["tag"] for a in preview["active"]] == ["LT-1"]

        good = {"notes": "1号罐液位高，已关进料阀", "outgoing_password": PASSWORDS["operator"],
                "incoming": "engineer", "incoming_password": PASSWORDS["engineer"]}
        refused = [
            ({**good, "incoming_password": "wrong-password"}, 403, "接班人"),
            ({**good, "outgoing_password": "wrong-password"}, 403, "交班人"),
            ({**good, "incoming": "operator",
              "incoming_password": PASSWORDS["operator"]}, 422, "another person"),
            ({**good, "incoming": "viewer", "incoming_password": PASSWORDS["viewer"]}, 403,
             "operator"),
        ]
        for body, status, words in refused:
            response = await operator.post("/api/handovers", json=body)
            assert response.status_code == status, response.text
            assert words in response.json()["detail"]
        assert (await operator.get("/api/handovers")).json() == []

        app.clock.advance(60)
        response = await operator.post("/api/handovers", json=good)
        assert response.status_code == 201, response.text
        record = response.json()
    assert (record["outgoing"], record["incoming"], record["shift"]) == ("operator", "engineer",
                                                                           "夜班")
    assert record["outgoing_signed_at"] == app.clock()
    items = record["open_items"]
    assert [a["id"] for a in items["active"]] == [level]
    assert [a["id"] for a in items["unanswered"]] == [level]
    assert [(a["id"], a["shelved_by"], a["shelve_reason"]) for a in items["shelved"]] == [
        (gas, "operator", "探头标定")
    ]
    assert [d["device"] for d in items["devices_down"]] == ["gauges"]

    # A viewer reads the book; a viewer cannot sign; the audit log has the signature.
    async with app.login("viewer") as viewer:
        detail = (await viewer.get(f"/api/handovers/{record['id']}")).json()
        assert detail["record"] == record and detail["book_intact"] is True
        assert (await viewer.post("/api/handovers", json=good)).status_code == 403
        pdf = await viewer.get(f"/api/handovers/{record['id']}/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.content)
    for words in ("交接班记录", "夜班", "交班人", "operator", "接班人", "engineer",
                  "1号罐液位高，已关进料阀", "LT-1", "探头标定", "gauges", record["hash"][:16]):
        assert words in text, words
    actions = [entry.action for entry in app.auth.audit_log()]
    assert "handover.signed" in actions and "signature.failed" in actions


async def test_corrections_are_new_entries(app: AppKit) -> None:
    async with app.login("operator") as operator:
        first = (await operator.post("/api/handovers", json={
            "notes": "液位 16.5 m", "outgoing_password": PASSWORDS["operator"],
            "incoming": "engineer", "incoming_password": PASSWORDS["engineer"]})).json()
        wrong = await operator.post(f"/api/handovers/{first['id']}/corrections",
                                    json={"text": "x", "password": "nope-nope"})
        assert wrong.status_code == 403
        fix = await operator.post(f"/api/handovers/{first['id']}/corrections",
                                  json={"text": "更正：液位为 16.2 m",
                                        "password": PASSWORDS["operator"]})
        assert fix.status_code == 201, fix.text
        missing = await operator.post("/api/handovers/99/corrections",
                                      json={"text": "x", "password": PASSWORDS["operator"]})
        assert missing.status_code == 404
        detail = (await operator.get(f"/api/handovers/{first['id']}")).json()
        pdf = await operator.get(f"/api/handovers/{first['id']}/pdf")
        latest = (await operator.get("/api/shifts/current")).json()["last_handover"]
    assert detail["record"] == first  # unchanged
    assert [(c["kind"], c["notes"], c["corrects"]) for c in detail["corrections"]] == [
        ("correction", "更正：液位为 16.2 m", first["id"])
    ]
    assert latest["id"] == first["id"]  # a correction is not a handover
    assert "更正：液位为 16.2 m" in pdf_text(pdf.content)
