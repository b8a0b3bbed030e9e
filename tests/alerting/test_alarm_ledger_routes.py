"""The 叫应 ledger's HTTP side through the real dashboard app (real engine, SQLite journal
and user database over httpx's ASGI transport): acknowledging through a notice's link
(single use; expired, forged and unauthorised refused in words), the alarm's ledger with
console and link answers, the answer-time figures, and the ledger columns of the CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from alarm_support import Clock, key, open_engine, reading

from alerting.answerlinks import AnswerLinks
from alerting.engine import AlarmEngine
from alerting.events import EventKind
from alerting.journal import HistoryQuery
from alerting.ledger import NoticeOutcome
from config.vocabulary import Priority
from dashboard.app import create_app
from dashboard.auth import TEST_COST, AuthService, AuthSettings, Role
from dashboard.live import LiveState
from dashboard.services import AlarmServices, DashboardServices

OPERATOR = ("张三", "operator-pass-1")
VIEWER = ("李四", "viewer-pass-1")
H, HH = "T1/GT-1/H", "T1/GT-1/HH"
RECIPIENT = "第1级（当班人员）"
EXPIRY = 3600.0


class Rig:
    def __init__(self, engine: AlarmEngine, clock: Clock, links: AnswerLinks) -> None:
        self.engine = engine
        self.clock = clock
        self.links = links

    def feed(self, tag: str, *values: object) -> None:
        self.engine.accept([reading(key(tag), self.clock.now, v) for v in values])

    def token(self, alarm: str = H, level: int = 1) -> str:
        return self.links.token(alarm, "duty", level, RECIPIENT, self.clock.now)

    def notice(self, alarm: str, ts: float, deadline: float | None, **extra: object) -> None:
        fields: dict[str, object] = {
            "alarm_id": alarm, "priority": Priority.HIGH, "route": "duty", "level": 1,
            "level_name": "当班人员", "channel": "shift", "channel_kind": "wecom",
            "recipient": "企业微信群", "ts": ts, "sent": True, "attempts": 1,
            "due_at": ts, "deadline": deadline,
        }
        fields.update(extra)
        self.engine.journal.ledger.record_notices([NoticeOutcome(**fields)])  # type: ignore[arg-type]


@pytest.fixture
async def auth(tmp_path: Path) -> AsyncIterator[AuthService]:
    service = AuthService.open(tmp_path / "auth", settings=AuthSettings(hash_cost=TEST_COST))
    service.add_user(*OPERATOR, Role.OPERATOR, actor="test")
    service.add_user(*VIEWER, Role.VIEWER, actor="test")
    yield service
    service.close()


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    clock = Clock()
    engine, _ = open_engine(tmp_path, clock)
    return Rig(engine, clock, AnswerLinks(b"k" * 32, "https://gw.example", EXPIRY))


def app_of(rig: Rig, auth: AuthService) -> httpx.AsyncClient:
    engine = rig.engine
    services = DashboardServices(
        catalog=engine.catalog, live=LiveState(), hub=None,  # type: ignore[arg-type]
        alarms=AlarmServices(engine, engine.journal, links=rig.links), auth=auth,
        clock=rig.clock,
    )
    transport = httpx.ASGITransport(app=create_app(services))
    return httpx.AsyncClient(transport=transport, base_url="http://gw")


async def signed_in(auth: AuthService, who: tuple[str, str]) -> dict[str, str]:
    session = await auth.login(*who, "127.0.0.1")
    return {"Authorization": f"Bearer {session.token}"}


@pytest.fixture
async def client(rig: Rig, auth: AuthService) -> AsyncIterator[httpx.AsyncClient]:
    async with app_of(rig, auth) as http:
        http.headers.update(await signed_in(auth, OPERATOR))
        yield http


async def test_acknowledge_through_a_link_once(rig: Rig, client: httpx.AsyncClient) -> None:
    rig.feed("GT-1", 30.0)  # H, high
    token = rig.token()
    opened = await client.get(f"/api/answer/{token}")
    assert opened.status_code == 200, opened.text
    body = opened.json()
    assert (body["status"], body["route"], body["level"], body["recipient"]) == (
        "ok", "duty", 1, RECIPIENT
    )
    assert body["alarm"]["id"] == H and body["alarm"]["state"] == "active_unacknowledged"

    rig.clock.advance(42)
    acked = await client.post(f"/api/answer/{token}/ack", json={"comment": "已到现场"})
    assert acked.status_code == 200, acked.text
    assert (acked.json()["state"], acked.json()["acknowledged_by"]) == (
        "active_acknowledged", "张三"
    )

    again = await client.post(f"/api/answer/{token}/ack", json={})
    assert again.status_code == 410 and "已被 张三 使用" in again.json()["detail"]
    reopened = (await client.get(f"/api/answer/{token}")).json()
    assert (reopened["status"], reopened["used_by"], reopened["used_at"]) == (
        "used", "张三", rig.clock.now
    )
    assert reopened["alarm"] is None

    ledger = (await client.get(f"/api/alarms/{H}/ledger")).json()
    (answer,) = ledger["answers"]
    assert (answer["user"], answer["via"], answer["recipient"], answer["ts"]) == (
        "张三", "link", RECIPIENT, rig.clock.now
    )
    assert answer["comment"].startswith("经通知链接确认（第1级（当班人员），路由 duty）。已到现场")


async def test_a_critical_alarm_by_link_needs_disposition_and_comment(
    rig: Rig, client: httpx.AsyncClient
) -> None:
    rig.feed("GT-1", 55.0)  # H and HH
    token = rig.token(HH)
    bare = await client.post(f"/api/answer/{token}/ack", json={"comment": "看过了"})
    assert bare.status_code == 422 and "处置结论" in bare.json()["detail"]
    # A refusal by the rules does not use the link up.
    assert (await client.get(f"/api/answer/{token}")).json()["status"] == "ok"
    done = await client.post(
        f"/api/answer/{token}/ack", json={"comment": "关闭根部阀", "disposition": "real"}
    )
    assert done.status_code == 200, done.text


async def test_expired_forged_and_already_answered_links(
    rig: Rig, client: httpx.AsyncClient
) -> None:
    rig.feed("GT-1", 30.0)
    token = rig.token()
    body, signature = token.split(".")
    forged = f"{body}.{signature[::-1]}"
    assert (await client.get(f"/api/answer/{forged}")).json() == {
        "status": "forged", "alarm": None, "route": None, "level": None, "recipient": None,
        "expires": None, "used_by": None, "used_at": None,
    }
    refused = await client.post(f"/api/answer/{forged}/ack", json={})
    assert refused.status_code == 404 and "不是本系统发出的确认链接" in refused.json()["detail"]
    junk = await client.get("/api/answer/%E2%80%AE..")
    assert junk.status_code == 200 and junk.json()["status"] == "forged"

    # Acknowledged on the console first: the link finds nothing to acknowledge (409).
    await client.post(f"/api/alarms/{H}/ack", json={})
    late = await client.post(f"/api/answer/{token}/ack", json={})
    assert late.status_code == 409
    assert (await client.get(f"/api/answer/{token}")).json()["alarm"]["state"] == (
        "active_acknowledged"
    )

    rig.clock.advance(EXPIRY)
    assert (await client.get(f"/api/answer/{token}")).json()["status"] == "expired"
    gone = await client.post(f"/api/answer/{token}/ack", json={})
    assert gone.status_code == 410 and "已过期" in gone.json()["detail"]


async def test_a_link_needs_a_login_and_a_role_that_may_acknowledge(
    rig: Rig, auth: AuthService
) -> None:
    rig.feed("GT-1", 30.0)
    token = rig.token()
    async with app_of(rig, auth) as anonymous:
        page = await anonymous.get(f"/a/{token}")
        assert page.status_code == 200 and "answer.js" in page.text
        assert page.headers["referrer-policy"] == "no-referrer"
        assert (await anonymous.get(f"/api/answer/{token}")).status_code == 401
        assert (await anonymous.post(f"/api/answer/{token}/ack", json={})).status_code == 401
        anonymous.headers.update(await signed_in(auth, VIEWER))
        assert (await anonymous.get(f"/api/answer/{token}")).json()["status"] == "ok"
        assert (await anonymous.post(f"/api/answer/{token}/ack", json={})).status_code == 403
    assert rig.engine.get(H).acked_by is None


async def test_ledger_of_an_alarm_answered_on_the_console(
    rig: Rig, client: httpx.AsyncClient
) -> None:
    rig.feed("GT-1", 30.0)
    raised = rig.clock.now
    rig.notice(H, raised, raised + 300)
    rig.notice(H, raised + 4, raised + 300, channel="board", channel_kind="webhook",
               recipient="board.example/hook", sent=False, attempts=3, error="HTTP 503",
               due_at=raised)
    rig.clock.advance(100)
    await client.post(f"/api/alarms/{H}/ack", json={"comment": "收到"})
    ledger = (await client.get(f"/api/alarms/{H}/ledger")).json()
    assert [(n["channel"], n["result"], n["retries"]) for n in ledger["notices"]] == [
        ("shift", "sent", 0), ("board", "failed", 2)
    ]
    assert ledger["notices"][1]["error"] == "HTTP 503"
    assert [(lv["level"], lv["met"], lv["deadline"]) for lv in ledger["levels"]] == [
        (1, "met", raised + 300)
    ]
    assert [(a["user"], a["via"]) for a in ledger["answers"]] == [("张三", "console")]
    assert (await client.get("/api/alarms/T1/NOPE/H/ledger")).status_code == 404


async def test_answer_times(rig: Rig, client: httpx.AsyncClient) -> None:
    start = rig.clock.now
    rig.feed("GT-1", 30.0)  # H raised at start
    rig.notice(H, start, start + 300)
    rig.clock.advance(60)
    await client.post(f"/api/alarms/{H}/ack", json={})
    rig.clock.advance(1000)
    answer = await client.get(
        "/api/alarms/answer-times", params={"since": start - 1, "until": start + 10}
    )
    assert answer.status_code == 200, answer.text
    figures = {f["priority"]: f for f in answer.json()["priorities"]}
    high = figures["high"]
    assert (high["raised"], high["acknowledged"], high["median_s"], high["p90_s"]) == (
        1, 1, 60.0, 60.0
    )
    assert (high["within_deadline"], high["share_within"]) == (1, 1.0)
    assert answer.json()["truncated"] is False
    bad = await client.get("/api/alarms/answer-times", params={"since": 10, "until": 5})
    assert bad.status_code == 422
    default = (await client.get("/api/alarms/answer-times")).json()
    assert default["until"] == rig.clock.now and default["since"] == rig.clock.now - 7 * 86400


async def test_history_csv_has_the_ledger_columns(rig: Rig, client: httpx.AsyncClient) -> None:
    rig.feed("GT-1", 30.0)
    raised = rig.clock.now
    # The notifier's own event and its ledger row, as the notifier writes them.
    (event,) = rig.engine.journal.history(HistoryQuery(alarm_id=H))
    (notified,) = rig.engine.journal.write(
        [replace(event, kind=EventKind.NOTIFIED, ts=raised + 1, comment="sent")]
    )
    rig.notice(H, raised + 1, raised + 300, event_seq=notified.seq, attempts=2, due_at=raised)
    token = rig.token()
    rig.clock.advance(30)
    assert (await client.post(f"/api/answer/{token}/ack", json={})).status_code == 200
    text = (await client.get("/api/alarms/history.csv", params={"tag": "GT-1"})).text
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    head = rows[0]
    for column in ("通知级别", "通知渠道", "接收人", "发送结果", "重试次数", "确认期限", "按时确认",
                   "确认方式"):
        assert column in head, head
    by_kind = {row[head.index("事件")]: dict(zip(head, row, strict=True)) for row in rows[1:]}
    assert set(by_kind) == {"报警", "已通知", "确认"}, set(by_kind)
    sent = by_kind["已通知"]
    assert (sent["通知级别"], sent["通知渠道"], sent["接收人"], sent["发送结果"]) == (
        "第1级 当班人员", "shift（企业微信）", "企业微信群", "已送达"
    )
    assert (sent["重试次数"], sent["按时确认"]) == ("1", "按时")
    assert sent["确认期限"]
    assert by_kind["确认"]["确认方式"] == "通知链接（第1级（当班人员））"
    assert by_kind["报警"]["确认方式"] == ""
