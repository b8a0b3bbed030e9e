"""The notifications section: durations, references, ladders, and the documented example."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from config.durations import parse_duration
from config.notifications import (
    DingTalkChannel,
    EmailChannel,
    NotificationSettings,
    Route,
    WebhookChannel,
    WeComChannel,
    check_notifications,
)
from config.points import PointKind
from config.site import Site
from config.vocabulary import AlarmType, Priority

DOC = Path(__file__).parents[3] / "docs" / "notifications.md"


def documented_example() -> dict[str, Any]:
    text = DOC.read_text(encoding="utf-8")
    block = re.search(r"## Full example\s+```yaml\n(.*?)```", text, re.S)
    assert block is not None, "docs/notifications.md lost its full example"
    data = yaml.safe_load(block.group(1))
    assert isinstance(data, dict)
    return data


def minimal(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "channels": {"hook": {"kind": "webhook", "url": "http://127.0.0.1:9/x"}},
        "routes": [{"name": "all", "escalation": [{"channels": ["hook"]}]}],
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [
        (12, 12.0),
        (0.2, 0.2),
        ("0.2s", 0.2),
        ("500ms", 0.5),
        ("30s", 30.0),
        ("5m", 300.0),
        ("5min", 300.0),
        ("1.5h", 5400.0),
        (" 10 s ", 10.0),
        ("45", 45.0),
        (".5s", 0.5),
    ],
)
def test_durations(raw: object, seconds: float) -> None:
    assert parse_duration(raw) == pytest.approx(seconds)
    settings = NotificationSettings.model_validate(minimal(consolidation_window=raw))
    assert settings.consolidation_window == pytest.approx(seconds)


@pytest.mark.parametrize("raw", ["5 minutes", "m", "-5s", "5d", "1h30m", True])
def test_bad_durations_are_refused(raw: object) -> None:
    with pytest.raises(ValidationError, match="consolidation_window"):
        NotificationSettings.model_validate(minimal(consolidation_window=raw))


def test_documented_example_is_valid(sites: list[Site]) -> None:
    settings = NotificationSettings.model_validate(documented_example()["notifications"])
    assert check_notifications(settings, sites) == []
    kinds = {name: type(channel) for name, channel in settings.channels.items()}
    assert kinds["shift-wecom"] is WeComChannel
    assert kinds["safety-dingtalk"] is DingTalkChannel
    assert kinds["safety-email"] is EmailChannel
    assert kinds["fire-room"] is WebhookChannel
    chem = next(route for route in settings.routes if route.name == "chem-all")
    assert [level.escalate_after for level in chem.escalation] == [300.0, 600.0, None]
    fire = next(route for route in settings.routes if route.name == "fire-room-gas")
    assert fire.match.point_kinds == [PointKind.COMBUSTIBLE_GAS]
    assert fire.match.alarm_types == [AlarmType.HIGH_HIGH]
    email = settings.channels["safety-email"]
    assert isinstance(email, EmailChannel)
    assert email.sender == "alarms@example.com"
    assert email.effective_port == 465
    assert "change-me" not in repr(email)  # secrets stay out of logs and reprs


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"routes": [{"name": "r", "escalation": [{"channels": ["nope"]}]}]},
            "unknown channel 'nope'",
        ),
        (
            {
                "routes": [
                    {"name": "r", "escalation": [{"channels": ["hook"]}, {"channels": ["hook"]}]}
                ]
            },
            "level 1 needs escalate_after",
        ),
        (
            {
                "routes": [
                    {"name": "r", "escalation": [{"channels": ["hook"], "escalate_after": 5}]}
                ]
            },
            "is the last",
        ),
        (
            {
                "routes": [
                    {"name": "r", "escalation": [{"channels": ["hook"]}]},
                    {"name": "r", "escalation": [{"channels": ["hook"]}]},
                ]
            },
            "duplicate route name",
        ),
        (
            {
                "routes": [
                    {
                        "name": "r",
                        "match": {"min_priority": "high", "priorities": ["low"]},
                        "escalation": [{"channels": ["hook"]}],
                    }
                ]
            },
            "min_priority or priorities",
        ),
        (
            {
                "routes": [
                    {"name": "r", "match": {"sites": []}, "escalation": [{"channels": ["hook"]}]}
                ]
            },
            "empty list matches nothing",
        ),
        (
            {
                "routes": [
                    {
                        "name": "r",
                        "match": {"alarm_types": ["HHH"]},
                        "escalation": [{"channels": ["hook"]}],
                    }
                ]
            },
            "alarm_types",
        ),
        (
            {
                "routes": [
                    {
                        "name": "r",
                        "match": {"colour": "red"},
                        "escalation": [{"channels": ["hook"]}],
                    }
                ]
            },
            "colour",
        ),
        ({"channels": {"w": {"kind": "wecom", "url": "https://q.example/send"}}}, "key="),
        (
            {"channels": {"d": {"kind": "dingtalk", "url": "https://d.example/send"}}},
            "access_token=",
        ),
        ({"channels": {"h": {"kind": "webhook", "url": "ftp://x/y"}}}, "not an http"),
        ({"channels": {"h": {"kind": "sms", "url": "http://x/y"}}}, "sms"),
        ({"channels": {"bad name": {"kind": "webhook", "url": "http://x/y"}}}, "channel name"),
        (
            {
                "channels": {
                    "w": {"kind": "wecom", "url": "https://q/s?key=1", "mentioned_mobiles": ["1"]}
                }
            },
            "format: text",
        ),
        (
            {
                "channels": {
                    "m": {
                        "kind": "email",
                        "host": "h",
                        "from": "a@b",
                        "to": ["c@d"],
                        "username": "u",
                    }
                }
            },
            "both username and password",
        ),
        ({"channels": {"m": {"kind": "email", "host": "h", "from": "a@b", "to": []}}}, "to"),
        (
            {"channels": {"m": {"kind": "email", "host": "h", "from": "nobody", "to": ["c@d"]}}},
            "email address",
        ),
        ({"retry": {"attempts": 0}}, "attempts"),
        (
            {"routes": [{"name": "r", "escalation": [{"channels": ["hook", "hook"]}]}]},
            "listed twice",
        ),
    ],
)
def test_bad_settings_name_the_problem(change: dict[str, Any], message: str) -> None:
    data = minimal(**change)
    if "channels" in change and "routes" not in change:
        name = next(iter(change["channels"]))
        data["routes"] = [{"name": "all", "escalation": [{"channels": [name]}]}]
    with pytest.raises(ValidationError, match=re.escape(message)):
        NotificationSettings.model_validate(data)


def test_filters_naming_unknown_things_are_reported(sites: list[Site]) -> None:
    settings = NotificationSettings.model_validate(
        minimal(
            routes=[
                {
                    "name": "typo",
                    "match": {
                        "sites": ["DEMO-CHEM", "DEMO-CHM"],
                        "hazard_sources": ["HS-TF9"],
                        "devices": ["gas-controller"],
                        "tags": ["GT-999"],
                    },
                    "escalation": [{"channels": ["hook"]}],
                }
            ]
        )
    )
    problems = check_notifications(settings, sites)
    assert len(problems) == 3
    assert any("'DEMO-CHM'" in p and "match.sites" in p and "'typo'" in p for p in problems)
    assert any("'HS-TF9'" in p for p in problems)
    assert any("'GT-999'" in p for p in problems)


def test_email_defaults_and_alias() -> None:
    email = EmailChannel.model_validate(
        {"kind": "email", "host": "mail", "from": "a@b.cn", "to": ["c@d.cn"]}
    )
    assert (email.security, email.effective_port) == ("starttls", 587)
    assert (
        EmailChannel.model_validate(
            {"kind": "email", "host": "m", "security": "none", "from": "a@b", "to": ["c@d"]}
        ).effective_port
        == 25
    )


def test_route_defaults_take_everything() -> None:
    route = Route.model_validate({"name": "r", "escalation": [{"channels": ["x"]}]})
    assert route.match.sites is None and route.match.min_priority is None
    assert Priority.LOW.rank == 3  # the filter compares ranks: 0 most urgent
