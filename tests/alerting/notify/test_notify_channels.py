"""Each channel against a real local server: JSON shapes, DingTalk signature, SMTP mail."""

from __future__ import annotations

import base64
import hashlib
import hmac
import socket
import time
from collections.abc import AsyncIterator

import pytest
from notify_support import Endpoint, Mailbox, event

from alerting.notify.channels import (
    DeliveryError,
    DingTalkRobot,
    JsonWebhook,
    SmtpEmail,
    WeComRobot,
    dingtalk_sign,
)
from alerting.notify.escalation import Dispatch
from alerting.notify.messages import Notice, format_notice
from collectors.http import HttpClient
from config.catalog import Catalog
from config.notifications import DingTalkChannel, EmailChannel, WebhookChannel, WeComChannel
from config.vocabulary import AlarmType

SECRET = "SECabcdef0123456789"


@pytest.fixture
async def session() -> AsyncIterator[HttpClient]:
    async with HttpClient() as client:
        yield client


@pytest.fixture
def notice(catalog: Catalog) -> Notice:
    return format_notice("general", 1, "当班人员", [Dispatch("general", 1, event())], catalog)


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_webhook_posts_json_with_headers(
    endpoint: Endpoint, session: HttpClient, catalog: Catalog, notice: Notice
) -> None:
    settings = WebhookChannel(
        kind="webhook", url=endpoint.url("/hook/duty"), headers={"Authorization": "Bearer t0k"}
    )
    await JsonWebhook("duty", settings, session, catalog).send(notice)
    (request,) = endpoint.to("/hook/duty")
    assert request.headers["Authorization"] == "Bearer t0k"
    assert request.headers["Content-Type"].startswith("application/json")
    body = request.json
    assert body["source"] == "hazgw" and body["level"] == 1 and body["route"] == "general"
    assert body["title"].startswith("【二级报警】")
    assert "罐区可燃气体探测器1" in request.body.decode("utf-8")  # UTF-8, not \\u escapes
    assert body["alarms"][0]["alarm_id"] == "DEMO-CHEM/GT-201/HH"


async def test_wecom_markdown_and_text(
    endpoint: Endpoint, session: HttpClient, notice: Notice
) -> None:
    url = endpoint.url("/wecom/shift") + "?key=abc-123"
    await WeComRobot("shift", WeComChannel(kind="wecom", url=url), session).send(notice)
    text_settings = WeComChannel(
        kind="wecom", url=url, format="text", mentioned_mobiles=["13800000000", "@all"]
    )
    await WeComRobot("shift-text", text_settings, session).send(notice)
    markdown, text = endpoint.to("/wecom/shift")
    assert markdown.query == {"key": "abc-123"}
    assert markdown.json == {"msgtype": "markdown", "markdown": {"content": notice.markdown}}
    assert markdown.json["markdown"]["content"].startswith("### 【二级报警】")
    assert text.json == {
        "msgtype": "text",
        "text": {"content": notice.text, "mentioned_mobile_list": ["13800000000", "@all"]},
    }


@pytest.mark.parametrize(("errcode", "retryable"), [(93000, False), (45009, True), (-1, True)])
async def test_wecom_errcode_is_a_failure(
    endpoint: Endpoint,
    session: HttpClient,
    notice: Notice,
    errcode: int,
    retryable: bool,
) -> None:
    endpoint.errcodes["/wecom/bad"] = errcode
    robot = WeComRobot(
        "bad", WeComChannel(kind="wecom", url=endpoint.url("/wecom/bad?key=secret-key")), session
    )
    with pytest.raises(DeliveryError, match=f"errcode {errcode}") as raised:
        await robot.send(notice)
    assert raised.value.retryable is retryable
    assert raised.value.channel == "bad"
    assert "secret-key" not in str(raised.value)  # robot keys stay out of logs


async def test_dingtalk_signed_markdown(
    endpoint: Endpoint, session: HttpClient, notice: Notice
) -> None:
    settings = DingTalkChannel.model_validate(
        {
            "kind": "dingtalk",
            "url": endpoint.url("/dingtalk/safety") + "?access_token=tok",
            "secret": SECRET,
            "at_mobiles": ["13900000000"],
        }
    )
    before = int(time.time() * 1000)
    await DingTalkRobot("safety", settings, session).send(notice)
    (request,) = endpoint.to("/dingtalk/safety")
    # The server side of DingTalk's check, written out independently of the client.
    timestamp = request.query["timestamp"]
    assert before <= int(timestamp) <= int(time.time() * 1000)
    expected = base64.b64encode(
        hmac.new(SECRET.encode(), f"{timestamp}\n{SECRET}".encode(), hashlib.sha256).digest()
    ).decode()
    assert request.query["sign"] == expected
    assert request.query["access_token"] == "tok"
    body = request.json
    assert body["msgtype"] == "markdown"
    assert body["markdown"]["title"] == notice.title
    assert body["markdown"]["text"].startswith(notice.markdown)
    assert "@13900000000" in body["markdown"]["text"]
    assert body["at"] == {"atMobiles": ["13900000000"], "isAtAll": False}


def test_dingtalk_sign_is_url_encoded() -> None:
    # A signature containing + / = must arrive intact: it is percent-encoded in the URL.
    signs = [dingtalk_sign(SECRET, 1_700_000_000_000 + n) for n in range(50)]
    assert all("+" not in s and "/" not in s and "=" not in s for s in signs)
    assert any("%2B" in s or "%2F" in s or "%3D" in s for s in signs)


async def test_dingtalk_without_secret_is_unsigned(
    endpoint: Endpoint, session: HttpClient, notice: Notice
) -> None:
    settings = DingTalkChannel(kind="dingtalk", url=endpoint.url("/dingtalk/x?access_token=t"))
    await DingTalkRobot("x", settings, session).send(notice)
    (request,) = endpoint.to("/dingtalk/x")
    assert request.query == {"access_token": "t"}


async def test_dingtalk_errcode_is_a_failure(
    endpoint: Endpoint, session: HttpClient, notice: Notice
) -> None:
    endpoint.errcodes["/dingtalk/x"] = 310000  # sign not match / keywords not in content
    settings = DingTalkChannel(kind="dingtalk", url=endpoint.url("/dingtalk/x?access_token=t"))
    with pytest.raises(DeliveryError, match="errcode 310000") as raised:
        await DingTalkRobot("x", settings, session).send(notice)
    assert raised.value.retryable is False


@pytest.mark.parametrize(
    ("status", "retryable"), [(500, True), (503, True), (429, True), (404, False), (400, False)]
)
async def test_http_status_failures(
    endpoint: Endpoint,
    session: HttpClient,
    catalog: Catalog,
    notice: Notice,
    status: int,
    retryable: bool,
) -> None:
    endpoint.fail("/hook/x", 1, status)
    hook = JsonWebhook(
        "x", WebhookChannel(kind="webhook", url=endpoint.url("/hook/x")), session, catalog
    )
    with pytest.raises(DeliveryError, match=f"HTTP {status}") as raised:
        await hook.send(notice)
    assert raised.value.retryable is retryable
    await hook.send(notice)  # the next one goes through
    assert len(endpoint.to("/hook/x")) == 2


async def test_unreachable_and_garbled_answers(
    endpoint: Endpoint, session: HttpClient, catalog: Catalog, notice: Notice
) -> None:
    url = f"http://127.0.0.1:{closed_port()}/hook/x"
    hook = JsonWebhook("gone", WebhookChannel(kind="webhook", url=url), session, catalog)
    with pytest.raises(DeliveryError, match="cannot reach") as raised:
        await hook.send(notice)
    assert raised.value.retryable is True
    # A WeCom URL answering plain "ok" (not JSON, no errcode) is not a delivery.
    robot = WeComRobot("w", WeComChannel(kind="wecom", url=endpoint.url("/hook/w?key=k")), session)
    with pytest.raises(DeliveryError, match="not JSON"):
        await robot.send(notice)


def email_settings(port: int, **extra: object) -> EmailChannel:
    return EmailChannel.model_validate(
        {
            "kind": "email",
            "host": "127.0.0.1",
            "port": port,
            "security": "none",
            "from": "alarms@hazgw.example",
            "to": ["safety@hazgw.example", "duty@hazgw.example"],
            "subject_prefix": "[危险源监测]",
            "timeout": 5,
            **extra,
        }
    )


async def test_email_arrives_in_utf8(mailbox: Mailbox, notice: Notice) -> None:
    await SmtpEmail("mail", email_settings(mailbox.port)).send(notice)
    (message,) = mailbox.messages
    assert message["Subject"] == f"[危险源监测] {notice.title}"
    assert message["From"] == "alarms@hazgw.example"
    body = message.get_content()
    assert "GT-201 罐区可燃气体探测器1" in body and "52.3 %LEL" in body
    assert "第1级 当班人员" in body
    assert mailbox.envelopes == [
        ("alarms@hazgw.example", ["safety@hazgw.example", "duty@hazgw.example"])
    ]


async def test_email_failures(mailbox: Mailbox, notice: Notice) -> None:
    mailbox.temporary_failures = 1
    email = SmtpEmail("mail", email_settings(mailbox.port))
    with pytest.raises(DeliveryError, match="451") as raised:
        await email.send(notice)
    assert raised.value.retryable is True
    await email.send(notice)
    assert len(mailbox.messages) == 1
    gone = SmtpEmail("mail", email_settings(closed_port(), timeout=2))
    with pytest.raises(DeliveryError, match=r"smtp 127\.0\.0\.1") as raised:
        await gone.send(notice)
    assert raised.value.retryable is True


def test_email_headers_for_an_escalation(catalog: Catalog) -> None:
    dispatch = Dispatch("general", 2, event(alarm_type=AlarmType.HIGH), waited=300.0)
    escalation = format_notice("general", 2, "安全管理人员", [dispatch], catalog)
    mail = SmtpEmail("mail", email_settings(25)).build(escalation)
    assert mail["Subject"].startswith("[危险源监测] 【升级通知·第2级】【一级报警】")
    assert mail["To"] == "safety@hazgw.example, duty@hazgw.example"
    assert mail["Message-ID"].endswith("@hazgw.example>")
