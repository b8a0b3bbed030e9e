"""The 叫应 ledger in the gas-leak drill, end to end (issue 9, part 5): the demo stack with
real devices, broker, journal, a real local webhook receiver and SMTP server. After the
first-level alarm escalates to the safety manager's email, the ledger says who was called
by which channel and when; the alarm is acknowledged through the link in the email (after
login), a second use of the link is refused; the second-level alarm is acknowledged on the
console; the history CSV carries the same. (A failing channel with its retries is in
tests/alerting/notify/test_notify_ledger.py: the demo's receivers do not fail.)"""

from __future__ import annotations

import contextlib
import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from support.waiting import poll_until
from test_gas_leak_drill import H_ID, HH_ID, operator_client

from gateway.demo import demo_running

pytestmark = pytest.mark.timeout(120)

ESCALATE_AFTER = 3.0
PUBLIC = "https://hazgw.plant.example"
LINK = re.compile(re.escape(PUBLIC) + r"/a/([A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+)")


def alarm_path(alarm_id: str) -> str:
    return "/api/alarms/" + alarm_id


async def test_the_ledger_answers_who_was_called_when_and_who_answered(tmp_path: Path) -> None:
    async with demo_running(
        port=0,
        state_dir=tmp_path,
        auto_events=None,
        plant_speed=6.0,
        escalate_after=ESCALATE_AFTER,
        consolidation_window=0,
        use_influxd=False,
        public_url=PUBLIC,
    ) as demo:
        http = await operator_client(demo.parts.server.url)
        async with contextlib.aclosing(http):
            assert (await http.post("/api/demo/scenarios/gas_leak")).status_code == 202
            inbox = demo.inbox

            def mails_for(alarm_id: str) -> list[Any]:
                return [d for d in inbox.deliveries if d.channel == "email" and alarm_id in d.body]

            # Nobody answers the first-level alarm: the shift's webhook, then (level 2) an
            # email to the safety manager, each with its own link.
            mail = (await poll_until(lambda: mails_for(H_ID), within=40, message="email"))[0]
            found = LINK.search(mail.body)
            assert found is not None, mail.body
            token = found.group(1)
            shift = [d for d in inbox.deliveries if d.channel == "shift" and H_ID in d.body]
            assert shift and LINK.search(shift[0].body) is not None
            assert LINK.search(shift[0].body).group(1) != token  # type: ignore[union-attr]

            # The link opens the alarm after login, and acknowledges it once.
            opened = (await http.get(f"/api/answer/{token}")).json()
            assert (opened["status"], opened["level"], opened["alarm"]["id"]) == ("ok", 2, H_ID)
            assert opened["recipient"] == "第2级（安全管理人员）"
            acked = await http.post(f"/api/answer/{token}/ack", json={"comment": "已安排检查"})
            assert acked.status_code == 200, acked.text
            again = await http.post(f"/api/answer/{token}/ack", json={"comment": "再来一次"})
            assert again.status_code == 410, again.text
            assert (await http.get(f"/api/answer/{token}")).json()["status"] == "used"

            # The second-level alarm on the console (critical: disposition and comment).
            await poll_until(
                lambda: [d for d in inbox.deliveries if HH_ID in d.body], within=20,
                message="second-level notice",
            )
            console = await http.post(
                alarm_path(HH_ID) + "/ack",
                json={"comment": "关闭根部阀", "disposition": "real"},
            )
            assert console.status_code == 200, console.text

            ledger = (await http.get(alarm_path(H_ID) + "/ledger")).json()
            called = [(n["level"], n["channel"], n["channel_kind"], n["result"])
                      for n in ledger["notices"]]
            assert (1, "shift", "webhook", "sent") in called
            assert (2, "safety-manager", "email", "sent") in called
            email_row = next(n for n in ledger["notices"] if n["channel"] == "safety-manager")
            assert email_row["recipient"] == "safety-manager@localhost"
            assert email_row["ts"] >= email_row["due_at"]
            levels = {(lv["route"], lv["level"]): lv for lv in ledger["levels"]}
            first, second = levels["shift", 1], levels["shift", 2]
            # Level 1 ran out (that is why level 2 was called); level 2's verdict is by its
            # own deadline and the time of the link acknowledgement.
            assert first["met"] == "missed" and first["deadline"] == second["due_at"]
            assert second["met"] == (
                "met" if second["answered_at"] <= second["deadline"] else "missed"
            )
            (answer,) = ledger["answers"]
            assert (answer["user"], answer["via"], answer["level"]) == ("operator", "link", 2)

            hh = (await http.get(alarm_path(HH_ID) + "/ledger")).json()
            assert [(a["user"], a["via"]) for a in hh["answers"]] == [("operator", "console")]
            fire = [n for n in hh["notices"] if n["route"] == "fire-control-room"]
            assert fire and fire[0]["channel"] == "fire-room" and fire[0]["deadline"] is None

            figures = (await http.get("/api/alarms/answer-times")).json()["priorities"]
            by = {f["priority"]: f for f in figures}
            assert by["high"]["acknowledged"] >= 1 and by["critical"]["acknowledged"] >= 1
            assert by["high"]["within_deadline"] == 0  # level 1 was missed

            export = await http.get("/api/alarms/history.csv", params={"tag": "GT-201"})
            rows = list(csv.DictReader(io.StringIO(export.text.lstrip("\ufeff"))))
            mails = [
                r for r in rows if r["报警编号"] == H_ID and r["通知渠道"].startswith("safety")
            ]
            assert mails and mails[0]["接收人"] == "safety-manager@localhost"
            ways = {r["报警编号"]: r["确认方式"] for r in rows if r["事件"] == "确认"}
            assert ways == {H_ID: "通知链接（第2级（安全管理人员））", HH_ID: "值班台"}
