"""Delivery channels: generic JSON webhook, WeCom and DingTalk group robots, SMTP email.

Each channel does one attempt per ``send`` and raises ``DeliveryError`` on failure; the
notifier owns retries, so a channel stays a thin, testable adapter. ``retryable`` is
False where trying again cannot help (a wrong robot key, a refused recipient), so such
failures are reported at once instead of after minutes of backoff.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Protocol
from urllib.parse import quote_plus, urlsplit

from alerting.notify.messages import Notice, notice_json, truncate_utf8
from collectors.http import HttpClient, HttpError
from config.catalog import Catalog
from config.notifications import (
    ChannelSettings,
    DingTalkChannel,
    EmailChannel,
    WebhookChannel,
    WeComChannel,
)
from config.redact import redact_url

WECOM_MARKDOWN_BYTES = 4096
WECOM_TEXT_BYTES = 2048
DINGTALK_BYTES = 18000  # DingTalk documents ~20000; keep room for the JSON around it

# errcodes worth another attempt: rate limits and "system busy". Anything else (bad key,
# keyword or signature mismatch, robot removed) will not heal by retrying.
WECOM_RETRYABLE = frozenset({-1, 45009, 45033})
DINGTALK_RETRYABLE = frozenset({-1, 130101, 400013})


class DeliveryError(Exception):
    def __init__(self, channel: str, reason: str, *, retryable: bool = True) -> None:
        super().__init__(f"channel {channel}: {reason}")
        self.channel = channel
        self.reason = reason
        self.retryable = retryable


class Channel(Protocol):
    name: str
    kind: str

    async def send(self, message: Notice) -> None:
        """One attempt; raises DeliveryError when the message was not accepted."""
        ...


def _where(url: str) -> str:
    """scheme://host/path without the query: robot keys and tokens stay out of logs."""
    parts = urlsplit(redact_url(url))
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


async def _post_json(
    client: HttpClient,
    channel: str,
    url: str,
    payload: dict[str, Any],
    time_limit: float,
    headers: dict[str, str] | None = None,
) -> str:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    all_headers = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    try:
        response = await client.post(url, body, headers=all_headers, time_limit=time_limit)
    except HttpError as error:
        reason = "timed out" if error.timed_out else repr(error)
        raise DeliveryError(channel, f"cannot reach {_where(url)}: {reason}") from error
    answer = response.text()
    if response.status >= 300:
        retryable = response.status >= 500 or response.status in (408, 425, 429)
        raise DeliveryError(
            channel,
            f"HTTP {response.status} from {_where(url)}: {answer[:200]}",
            retryable=retryable,
        )
    return answer


def _check_errcode(channel: str, url: str, answer: str, retryable_codes: frozenset[int]) -> None:
    """Robots answer HTTP 200 with {"errcode": N, "errmsg": ...}; only errcode 0 is success."""
    try:
        data = json.loads(answer)
    except ValueError as error:
        raise DeliveryError(
            channel, f"{_where(url)} answered something that is not JSON: {answer[:200]!r}"
        ) from error
    code = data.get("errcode") if isinstance(data, dict) else None
    if not isinstance(code, int):
        raise DeliveryError(channel, f"{_where(url)} answered without errcode: {answer[:200]!r}")
    if code != 0:
        raise DeliveryError(
            channel,
            f"{_where(url)} refused the message: errcode {code} {data.get('errmsg', '')}",
            retryable=code in retryable_codes,
        )


class JsonWebhook:
    kind = "webhook"

    def __init__(
        self,
        name: str,
        settings: WebhookChannel,
        client: HttpClient,
        catalog: Catalog,
    ) -> None:
        self.name = name
        self._settings = settings
        self._client = client
        self._catalog = catalog

    async def send(self, message: Notice) -> None:
        settings = self._settings
        await _post_json(
            self._client,
            self.name,
            settings.url,
            notice_json(message, self._catalog),
            settings.timeout,
            {name: value.get_secret_value() for name, value in settings.headers.items()},
        )


class WeComRobot:
    kind = "wecom"

    def __init__(self, name: str, settings: WeComChannel, client: HttpClient) -> None:
        self.name = name
        self._settings = settings
        self._client = client

    def payload(self, message: Notice) -> dict[str, Any]:
        if self._settings.format == "markdown":
            content = truncate_utf8(message.markdown, WECOM_MARKDOWN_BYTES)
            return {"msgtype": "markdown", "markdown": {"content": content}}
        text: dict[str, Any] = {"content": truncate_utf8(message.text, WECOM_TEXT_BYTES)}
        if self._settings.mentioned_mobiles:
            text["mentioned_mobile_list"] = list(self._settings.mentioned_mobiles)
        return {"msgtype": "text", "text": text}

    async def send(self, message: Notice) -> None:
        settings = self._settings
        answer = await _post_json(
            self._client, self.name, settings.url, self.payload(message), settings.timeout
        )
        _check_errcode(self.name, settings.url, answer, WECOM_RETRYABLE)


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk 加签: base64(HMAC-SHA256(key=secret, "timestamp\\nsecret")), URL-encoded."""
    string_to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode("utf-8"), string_to_sign, hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


class DingTalkRobot:
    kind = "dingtalk"

    def __init__(
        self,
        name: str,
        settings: DingTalkChannel,
        client: HttpClient,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.name = name
        self._settings = settings
        self._client = client
        self._clock = clock

    def signed_url(self) -> str:
        url = self._settings.url
        if self._settings.secret is None:
            return url
        # DingTalk rejects a timestamp more than an hour from its own clock: sign per request.
        timestamp = int(self._clock() * 1000)
        sign = dingtalk_sign(self._settings.secret.get_secret_value(), timestamp)
        return f"{url}&timestamp={timestamp}&sign={sign}"

    def payload(self, message: Notice) -> dict[str, Any]:
        settings = self._settings
        text = message.markdown
        if settings.at_mobiles:
            # DingTalk only notifies @-ed people whose mobile also appears in the text.
            text += "\n\n" + " ".join(f"@{mobile}" for mobile in settings.at_mobiles)
        return {
            "msgtype": "markdown",
            "markdown": {"title": message.title, "text": truncate_utf8(text, DINGTALK_BYTES)},
            "at": {"atMobiles": list(settings.at_mobiles), "isAtAll": settings.at_all},
        }

    async def send(self, message: Notice) -> None:
        settings = self._settings
        answer = await _post_json(
            self._client, self.name, self.signed_url(), self.payload(message), settings.timeout
        )
        _check_errcode(self.name, settings.url, answer, DINGTALK_RETRYABLE)


class SmtpEmail:
    """Plain-text UTF-8 email through aiosmtplib (asyncio-native, no thread needed)."""

    kind = "email"

    def __init__(self, name: str, settings: EmailChannel) -> None:
        self.name = name
        self._settings = settings

    def build(self, message: Notice) -> EmailMessage:
        settings = self._settings
        mail = EmailMessage()
        mail["Subject"] = f"{settings.subject_prefix} {message.title}".strip()
        mail["From"] = settings.sender
        mail["To"] = ", ".join(settings.to)
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
        mail.set_content(message.text, charset="utf-8")
        return mail

    async def send(self, message: Notice) -> None:
        # Imported on the first mail, not at the top: a gateway without an email channel
        # never loads aiosmtplib.
        import aiosmtplib

        settings = self._settings
        where = f"smtp {settings.host}:{settings.effective_port}"
        try:
            await aiosmtplib.send(
                self.build(message),
                hostname=settings.host,
                port=settings.effective_port,
                username=settings.username,
                password=(settings.password.get_secret_value() if settings.password else None),
                use_tls=settings.security == "ssl",
                start_tls=settings.security == "starttls",
                validate_certs=settings.validate_certs,
                timeout=settings.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            raise DeliveryError(
                self.name, f"{where} refused every recipient: {error}", retryable=False
            ) from error
        except aiosmtplib.SMTPResponseException as error:
            # 4xx is "try again later", 5xx is final (bad address, authentication failed).
            raise DeliveryError(
                self.name,
                f"{where} answered {error.code} {error.message}",
                retryable=error.code < 500,
            ) from error
        except (aiosmtplib.SMTPException, OSError) as error:
            raise DeliveryError(self.name, f"{where}: {error!r}") from error


def build_channel(
    name: str,
    settings: ChannelSettings,
    client: HttpClient,
    catalog: Catalog,
) -> Channel:
    if isinstance(settings, WebhookChannel):
        return JsonWebhook(name, settings, client, catalog)
    if isinstance(settings, WeComChannel):
        return WeComRobot(name, settings, client)
    if isinstance(settings, DingTalkChannel):
        return DingTalkRobot(name, settings, client)
    return SmtpEmail(name, settings)
