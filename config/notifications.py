"""The gateway file's ``notifications:`` section: channels, routes with escalation ladders.

叫应 (call and respond): an alarm is sent to the shift at once; if nobody acknowledges
it within the level's ``escalate_after``, it goes to the next level (safety manager,
then the park or district duty centre). Routes are plain filters, so the fire-control
room route for second-level combustible-gas alarms and controller faults is an
ordinary route (see docs/notifications.md).

Durations are seconds as a number, or a string with a unit: ``"500ms"``, ``"30s"``,
``"5m"``, ``"1.5h"``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Literal
from urllib.parse import parse_qs, urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

from config.catalog import GATEWAY_SITE, GATEWAY_SOURCE_ID
from config.durations import Seconds
from config.points import PointKind
from config.site import Site
from config.vocabulary import AlarmType, Priority


class _Model(BaseModel):
    # populate_by_name: the email sender is written `from:` in YAML but is `sender` in Python.
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, defer_build=True)


# ------------------------------------------------------------------ durations

Duration = Seconds


# -------------------------------------------------------------------- channels


def _http_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{url!r} is not an http(s) URL")
    return url


def _require_query(url: str, name: str, what: str) -> str:
    if not parse_qs(urlsplit(url).query).get(name):
        raise ValueError(f"the {what} URL needs its `{name}=` query parameter")
    return url


class _HttpChannel(_Model):
    url: str
    timeout: Duration = 10.0

    @field_validator("url")
    @classmethod
    def _url(cls, url: str) -> str:
        return _http_url(url)

    @field_validator("timeout")
    @classmethod
    def _positive_timeout(cls, timeout: float) -> float:
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        return timeout


class WebhookChannel(_HttpChannel):
    """Generic JSON webhook: POSTs the notice and its alarms as JSON (see docs)."""

    kind: Literal["webhook"]
    headers: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="extra request headers; their values (an Authorization token) are secrets",
    )


class WeComChannel(_HttpChannel):
    """企业微信群机器人: https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=..."""

    kind: Literal["wecom"]
    format: Literal["markdown", "text"] = "markdown"
    mentioned_mobiles: list[str] = Field(
        default_factory=list,
        description='text format only: mobiles to @ ("@all" for everyone)',
    )

    @field_validator("url")
    @classmethod
    def _key(cls, url: str) -> str:
        return _require_query(url, "key", "WeCom robot")

    @model_validator(mode="after")
    def _mentions_need_text(self) -> WeComChannel:
        if self.mentioned_mobiles and self.format != "text":
            raise ValueError("WeCom markdown messages cannot @ people: use format: text")
        return self


class DingTalkChannel(_HttpChannel):
    """钉钉群机器人: https://oapi.dingtalk.com/robot/send?access_token=...

    With ``secret`` (the robot's 加签 secret, "SEC..."), every request carries the
    ``timestamp`` and HMAC-SHA256 ``sign`` query parameters DingTalk checks.
    """

    kind: Literal["dingtalk"]
    secret: SecretStr | None = None
    at_mobiles: list[str] = Field(default_factory=list)
    at_all: bool = False

    @field_validator("url")
    @classmethod
    def _token(cls, url: str) -> str:
        return _require_query(url, "access_token", "DingTalk robot")


class EmailChannel(_Model):
    """Email over SMTP. ``security``: none, starttls (port 587 by default) or ssl (465)."""

    kind: Literal["email"]
    host: str = Field(min_length=1)
    port: int | None = Field(default=None, ge=1, le=65535)
    security: Literal["none", "starttls", "ssl"] = "starttls"
    validate_certs: bool = True
    username: str | None = None
    password: SecretStr | None = None
    sender: str = Field(alias="from", min_length=3)
    to: list[str] = Field(min_length=1)
    subject_prefix: str = "[hazgw]"
    timeout: Duration = 30.0

    @field_validator("sender")
    @classmethod
    def _sender_address(cls, sender: str) -> str:
        if "@" not in sender:
            raise ValueError(f"{sender!r} is not an email address")
        return sender

    @field_validator("to")
    @classmethod
    def _addresses(cls, to: list[str]) -> list[str]:
        for address in to:
            if "@" not in address:
                raise ValueError(f"{address!r} is not an email address")
        return to

    @model_validator(mode="after")
    def _credentials_pair(self) -> EmailChannel:
        if (self.username is None) != (self.password is None):
            raise ValueError("give both username and password, or neither")
        if self.timeout <= 0:
            raise ValueError("timeout must be positive")
        return self

    @property
    def effective_port(self) -> int:
        if self.port is not None:
            return self.port
        return {"none": 25, "starttls": 587, "ssl": 465}[self.security]


ChannelSettings = Annotated[
    WebhookChannel | WeComChannel | DingTalkChannel | EmailChannel,
    Field(discriminator="kind"),
]


# ---------------------------------------------------------------------- routes


class RouteFilter(_Model):
    """Which alarms a route takes. Every field given must match; an empty filter takes all.

    ``devices`` and ``hazard_sources`` are ids as written in the site files; ``sites`` are
    enterprise codes. ``min_priority: high`` takes critical and high.
    """

    sites: list[str] | None = None
    hazard_sources: list[str] | None = None
    devices: list[str] | None = None
    tags: list[str] | None = None
    point_kinds: list[PointKind] | None = None
    alarm_types: list[AlarmType] | None = None
    min_priority: Priority | None = None
    priorities: list[Priority] | None = None

    @model_validator(mode="after")
    def _one_priority_rule(self) -> RouteFilter:
        if self.min_priority is not None and self.priorities is not None:
            raise ValueError("give min_priority or priorities, not both")
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, list) and not value:
                raise ValueError(f"{name}: an empty list matches nothing; leave the key out")
        return self


class EscalationLevel(_Model):
    name: str = Field(default="", description="who this level reaches, e.g. 当班人员")
    channels: list[str] = Field(min_length=1)
    escalate_after: Duration | None = Field(
        default=None,
        description="go to the next level if nobody acknowledges within this time "
        "after this level was due; required on every level but the last",
    )

    @field_validator("channels")
    @classmethod
    def _distinct(cls, channels: list[str]) -> list[str]:
        if len(set(channels)) != len(channels):
            raise ValueError("a channel is listed twice in one level")
        return channels


class Route(_Model):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    match: RouteFilter = RouteFilter()
    escalation: list[EscalationLevel] = Field(min_length=1, max_length=9)

    @model_validator(mode="after")
    def _ladder(self) -> Route:
        last = len(self.escalation) - 1
        for index, level in enumerate(self.escalation):
            if index < last and level.escalate_after is None:
                raise ValueError(
                    f"escalation level {index + 1} needs escalate_after: "
                    f"when should level {index + 2} be called?"
                )
            if index < last and level.escalate_after is not None and level.escalate_after <= 0:
                raise ValueError(f"escalation level {index + 1}: escalate_after must be positive")
            if index == last and level.escalate_after is not None:
                raise ValueError(
                    f"escalation level {index + 1} is the last: there is no level to escalate to"
                )
        return self


class RetryPolicy(_Model):
    """Attempts per notice and channel, with capped exponential backoff between them."""

    attempts: int = Field(default=5, ge=1, le=20)
    initial_delay: Duration = 1.0
    max_delay: Duration = 60.0
    factor: float = Field(default=2.0, ge=1.0, le=10.0)


class NotificationSettings(_Model):
    channels: dict[str, ChannelSettings] = Field(min_length=1)
    routes: list[Route] = Field(min_length=1)
    retry: RetryPolicy = RetryPolicy()
    consolidation_window: Duration = Field(
        default=60.0,
        description="after a notice, further alarms of the same route and level within this "
        "time go out as one summary at its end; 0 sends every alarm on its own",
    )
    queue_capacity: int = Field(
        default=10_000, ge=100, description="notices waiting per channel before overflow"
    )
    answer_link_expiry: Duration = Field(
        default=86_400.0,
        description="how long the acknowledgement link in a notice stays valid (needs "
        "http.public_url); at most 7 days, well inside the journal's retention",
    )

    @field_validator("answer_link_expiry")
    @classmethod
    def _link_expiry(cls, expiry: float) -> float:
        # A used link's record is pruned with the journal (30 days at least): a link must
        # expire long before that, or a pruned one could be used again.
        if not 60.0 <= expiry <= 7 * 86_400.0:
            raise ValueError("answer_link_expiry must be between 1 minute and 7 days")
        return expiry

    @field_validator("channels")
    @classmethod
    def _channel_names(cls, channels: dict[str, ChannelSettings]) -> dict[str, ChannelSettings]:
        for name in channels:
            if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
                raise ValueError(f"channel name {name!r}: use letters, digits, _ . -")
        return channels

    @model_validator(mode="after")
    def _references(self) -> NotificationSettings:
        seen: set[str] = set()
        for route in self.routes:
            if route.name in seen:
                raise ValueError(f"duplicate route name {route.name!r}")
            seen.add(route.name)
            for index, level in enumerate(route.escalation):
                for channel in level.channels:
                    if channel not in self.channels:
                        raise ValueError(
                            f"route {route.name!r} level {index + 1}: unknown channel "
                            f"{channel!r} (channels: {', '.join(sorted(self.channels))})"
                        )
        return self


def check_notifications(settings: NotificationSettings, sites: Sequence[Site]) -> list[str]:
    """Filters naming a site, hazard source, device or tag that no site file has: a typo
    there would silently send an alarm nowhere, so the loader reports it as an error."""
    # The gateway's own alarms (a dropping buffer, failing writes) are a site of their own.
    codes = {site.enterprise.code for site in sites} | {GATEWAY_SITE}
    sources = {source.id for site in sites for source in site.hazard_sources}
    sources.add(GATEWAY_SOURCE_ID)
    devices = {device.id for site in sites for device in site.devices}
    tags = {point.tag for site in sites for _, point in site.points()}
    problems = []
    for route in settings.routes:
        for field, known in (
            ("sites", codes),
            ("hazard_sources", sources),
            ("devices", devices),
            ("tags", tags),
        ):
            for name in getattr(route.match, field) or ():
                if name not in known:
                    problems.append(
                        f"notifications: route {route.name!r}: match.{field} names "
                        f"{name!r}, which no site file has"
                    )
    return problems
