"""The 叫应 ledger's pure parts by tables, with "now" given: deadlines met, missed and open;
console and link answers; time-to-acknowledge figures per priority; answer-link tokens."""

from __future__ import annotations

import os
import stat
from dataclasses import replace
from pathlib import Path

import pytest

from alerting.answerlinks import AnswerLinks, Grant, Refusal, load_or_create_key
from alerting.events import AlarmEvent, AlarmState, EventKind
from alerting.ledger import (
    LinkAnswer,
    Met,
    NoticeOutcome,
    Via,
    answer_figures,
    answers_of,
    build_ledger,
    judge,
    median,
    percentile,
)
from config.catalog import PointKey
from config.vocabulary import AlarmType, Priority

T0 = 1_714_543_385.0


def ev(
    kind: EventKind, ts: float, *, tag: str = "GT-201", priority: Priority = Priority.HIGH,
    user: str | None = None, seq: int = 0,
) -> AlarmEvent:
    return AlarmEvent(
        alarm_id=f"S/{tag}/H", point=PointKey("S", tag), alarm_type=AlarmType.HIGH, kind=kind,
        state=AlarmState.UNACK, priority=priority, ts=ts, user=user, seq=seq,
    )


def notice(
    ts: float, *, tag: str = "GT-201", level: int = 1, deadline: float | None = None,
    due_at: float | None = None, priority: Priority = Priority.HIGH,
) -> NoticeOutcome:
    return NoticeOutcome(
        alarm_id=f"S/{tag}/H", priority=priority, route="duty", level=level, level_name="",
        channel="shift", channel_kind="wecom", recipient="企业微信群", ts=ts, sent=True,
        attempts=1, due_at=ts if due_at is None else due_at, deadline=deadline,
    )


@pytest.mark.parametrize(
    ("deadline", "answered", "now", "met"),
    [
        (None, None, T0, Met.NONE),
        (T0 + 300, T0 + 100, T0 + 1000, Met.MET),
        (T0 + 300, T0 + 300, T0 + 1000, Met.MET),  # on the second is in time
        (T0 + 300, T0 + 301, T0 + 1000, Met.MISSED),
        (T0 + 300, None, T0 + 299, Met.OPEN),
        (T0 + 300, None, T0 + 301, Met.MISSED),
    ],
)
def test_judge(deadline: float | None, answered: float | None, now: float, met: Met) -> None:
    assert judge(deadline, answered, now) is met


def test_answers_by_console_and_by_link() -> None:
    events = [
        ev(EventKind.RAISED, T0),
        ev(EventKind.ACKNOWLEDGED, T0 + 60, user="张三", seq=5),
        ev(EventKind.ACKNOWLEDGED, T0 + 90, user="李四", seq=9),
        ev(EventKind.NOTIFIED, T0 + 1),
    ]
    links = [LinkAnswer("n1", "S/GT-201/H", T0 + 90, "李四", "duty", 2, "第2级（安全管理人员）")]
    answers = answers_of(events, links)
    assert [(a.user, a.via, a.level) for a in answers] == [
        ("张三", Via.CONSOLE, None),
        ("李四", Via.LINK, 2),
    ]
    assert answers[1].recipient == "第2级（安全管理人员）"


def test_each_level_judged_against_the_first_answer_after_it_fell_due() -> None:
    notices = [
        notice(T0, deadline=T0 + 300),
        # the same level on another channel: one line
        replace(notice(T0 + 0.5, deadline=T0 + 300, due_at=T0), channel="board"),
        notice(T0 + 300, level=2, deadline=T0 + 600),
        notice(T0 + 600, level=3),
    ]
    events = [ev(EventKind.ACKNOWLEDGED, T0 + 450, user="王五")]
    ledger = build_ledger("S/GT-201/H", notices, events, [], T0 + 1000)
    assert [(line.level, line.met, line.answered_at) for line in ledger.levels] == [
        (1, Met.MISSED, T0 + 450),
        (2, Met.MET, T0 + 450),
        (3, Met.NONE, None),
    ]


@pytest.mark.parametrize(
    ("values", "med", "p90"),
    [
        ([], None, None),
        ([5.0], 5.0, 5.0),
        ([1.0, 3.0], 2.0, 3.0),
        ([float(n) for n in range(1, 11)], 5.5, 9.0),  # nearest rank: the 9th of 10
        ([30.0, 10.0, 20.0], 20.0, 30.0),
    ],
)
def test_median_and_p90(values: list[float], med: float | None, p90: float | None) -> None:
    assert median(values) == med
    assert percentile(values, 0.9) == p90


def test_answer_figures_per_priority() -> None:
    now = T0 + 10_000
    events = [
        # high: acknowledged after 60 s and 240 s (deadline 300 s: both met), one never
        # acknowledged whose deadline passed (missed), one raised outside the period.
        ev(EventKind.RAISED, T0, tag="A"),
        ev(EventKind.ACKNOWLEDGED, T0 + 60, tag="A", user="u"),
        ev(EventKind.RAISED, T0 + 10, tag="B"),
        ev(EventKind.ACKNOWLEDGED, T0 + 250, tag="B", user="u"),
        ev(EventKind.RAISED, T0 + 20, tag="C"),
        ev(EventKind.RAISED, T0 + 5000, tag="D"),
        # critical: acknowledged after 400 s, past its 300 s deadline
        ev(EventKind.RAISED, T0 + 30, tag="E", priority=Priority.CRITICAL),
        ev(EventKind.ACKNOWLEDGED, T0 + 430, tag="E", user="u", priority=Priority.CRITICAL),
        # medium: raised twice; the first raise is answered by nobody before the second
        ev(EventKind.RAISED, T0 + 40, tag="F", priority=Priority.MEDIUM),
        ev(EventKind.RAISED, T0 + 100, tag="F", priority=Priority.MEDIUM),
        ev(EventKind.ACKNOWLEDGED, T0 + 130, tag="F", user="u", priority=Priority.MEDIUM),
    ]
    notices = [
        notice(T0, tag="A", deadline=T0 + 300),
        notice(T0 + 10, tag="B", deadline=T0 + 310),
        notice(T0 + 20, tag="C", deadline=T0 + 320),
        notice(T0 + 30, tag="E", deadline=T0 + 330, priority=Priority.CRITICAL),
        notice(T0 + 5000, tag="D", deadline=T0 + 5300),
        notice(T0 + 5000, tag="D", level=2, deadline=None),  # level 2 does not count
    ]
    figures = {f.priority: f for f in answer_figures(events, notices, T0, T0 + 1000, now)}
    assert list(figures) == [Priority.CRITICAL, Priority.HIGH, Priority.MEDIUM, Priority.LOW]
    high = figures[Priority.HIGH]
    assert (high.raised, high.acknowledged, high.median_s, high.p90_s) == (3, 2, 150.0, 240.0)
    assert (high.with_deadline, high.within_deadline) == (3, 2)
    assert high.share_within == pytest.approx(2 / 3)
    critical = figures[Priority.CRITICAL]
    assert (critical.acknowledged, critical.median_s, critical.share_within) == (1, 400.0, 0.0)
    medium = figures[Priority.MEDIUM]  # no notice, so no deadline: left out of the share
    assert (medium.raised, medium.acknowledged, medium.median_s) == (2, 1, 30.0)
    assert (medium.with_deadline, medium.share_within) == (0, None)
    low = figures[Priority.LOW]
    assert (low.raised, low.median_s, low.p90_s, low.share_within) == (0, None, None, None)


def test_an_open_deadline_is_left_out_of_the_share() -> None:
    events = [ev(EventKind.RAISED, T0)]
    notices = [notice(T0, deadline=T0 + 300)]
    (high,) = [
        f for f in answer_figures(events, notices, T0, T0 + 60, T0 + 60)
        if f.priority is Priority.HIGH
    ]
    assert (high.raised, high.with_deadline, high.share_within) == (1, 0, None)


# ------------------------------------------------------------------------ answer links

KEY = bytes(range(32))


def test_a_token_names_its_alarm_route_level_and_recipient() -> None:
    links = AnswerLinks(KEY, "https://gw.example/", expiry=3600)
    link = links.link("S/GT-201/HH", "duty", 2, "第2级（安全管理人员）", T0)
    assert link.startswith("https://gw.example/a/")
    grant = links.check(link.rsplit("/", 1)[1], T0 + 10)
    assert isinstance(grant, Grant)
    assert (grant.alarm_id, grant.route, grant.level, grant.recipient) == (
        "S/GT-201/HH", "duty", 2, "第2级（安全管理人员）",
    )
    assert grant.expires == T0 + 3600
    # Each link is its own: two links of one notice have different nonces.
    other = links.check(links.token("S/GT-201/HH", "duty", 2, "x", T0), T0)
    assert isinstance(other, Grant) and other.nonce != grant.nonce


def _tamper(token: str) -> str:
    body, signature = token.split(".")
    flipped = "A" if body[5] != "A" else "B"
    return f"{body[:5]}{flipped}{body[6:]}.{signature}"


@pytest.mark.parametrize(
    ("make", "at", "refusal"),
    [
        (lambda links, t: t, T0 + 3600, Refusal.EXPIRED),
        (lambda links, t: t, T0 + 99_999, Refusal.EXPIRED),
        (lambda links, t: _tamper(t), T0, Refusal.FORGED),
        (lambda links, t: AnswerLinks(b"x" * 32, "").token("S/T/H", "r", 1, "", T0), T0,
         Refusal.FORGED),
        (lambda links, t: "", T0, Refusal.FORGED),
        (lambda links, t: "no-dot", T0, Refusal.FORGED),
        (lambda links, t: "a.b.c", T0, Refusal.FORGED),
        (lambda links, t: "é.é", T0, Refusal.FORGED),
        (lambda links, t: t + "x" * 3000, T0, Refusal.FORGED),
        (lambda links, t: t.split(".")[0] + ".", T0, Refusal.FORGED),
    ],
)
def test_refused_tokens(make: object, at: float, refusal: Refusal) -> None:
    links = AnswerLinks(KEY, "", expiry=3600)
    token = links.token("S/GT-201/HH", "duty", 1, "第1级", T0)
    assert callable(make)
    assert links.check(make(links, token), at) is refusal


def test_the_key_is_made_once_private_and_kept(tmp_path: Path) -> None:
    key = load_or_create_key(tmp_path)
    path = tmp_path / "answer-link.key"
    assert len(key) == 32 and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_or_create_key(tmp_path) == key
    path.write_bytes(b"short")
    with pytest.raises(ValueError, match="not an answer-link key"):
        load_or_create_key(tmp_path)
