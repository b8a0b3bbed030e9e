"""The 叫应 ledger's answers: one alarm's ledger, the answer-time figures, an answer link."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from alerting.ledger import (
    AlarmLedger,
    Answer,
    AnswerFigures,
    LevelDeadline,
    Met,
    NoticeOutcome,
    Via,
)
from config.vocabulary import Priority
from dashboard.schemas.alarms import AlarmOut


class NoticeOut(BaseModel):
    """One notice to one alarm on one channel: sent, or given up on after ``attempts``."""

    ts: float
    route: str
    level: int
    level_name: str
    channel: str
    channel_kind: str
    recipient: str
    result: Literal["sent", "failed"]
    attempts: int
    retries: int
    error: str | None
    due_at: float | None
    deadline: float | None


class LevelOut(BaseModel):
    """An escalation level called for the alarm: its deadline and whether it was met."""

    route: str
    level: int
    level_name: str
    due_at: float | None
    deadline: float | None
    met: Met
    answered_at: float | None


class AnswerOut(BaseModel):
    ts: float
    user: str
    via: Via
    route: str | None
    level: int | None
    recipient: str | None
    comment: str | None


class LedgerOut(BaseModel):
    id: str
    notices: list[NoticeOut]
    levels: list[LevelOut]
    answers: list[AnswerOut]


class AnswerFiguresOut(BaseModel):
    priority: Priority
    raised: int
    acknowledged: int
    median_s: float | None
    p90_s: float | None
    with_deadline: int
    within_deadline: int
    share_within: float | None


class AnswerTimesOut(BaseModel):
    since: float
    until: float
    priorities: list[AnswerFiguresOut]
    truncated: bool  # the period held more events than one answer reads: figures partial


class AnswerLinkOut(BaseModel):
    """What an answer link opens. ``status`` ok: ``alarm`` may be acknowledged by the
    signed-in person; used: ``used_by`` acknowledged through it at ``used_at``; expired,
    forged: nothing is shown of the alarm."""

    status: Literal["ok", "used", "expired", "forged"]
    alarm: AlarmOut | None = None
    route: str | None = None
    level: int | None = None
    recipient: str | None = None
    expires: float | None = None
    used_by: str | None = None
    used_at: float | None = None


def notice_out(notice: NoticeOutcome) -> NoticeOut:
    return NoticeOut(
        ts=notice.ts,
        route=notice.route,
        level=notice.level,
        level_name=notice.level_name,
        channel=notice.channel,
        channel_kind=notice.channel_kind,
        recipient=notice.recipient,
        result="sent" if notice.sent else "failed",
        attempts=notice.attempts,
        retries=notice.retries,
        error=notice.error,
        due_at=notice.due_at,
        deadline=notice.deadline,
    )


def level_out(level: LevelDeadline) -> LevelOut:
    return LevelOut(
        route=level.route,
        level=level.level,
        level_name=level.level_name,
        due_at=level.due_at,
        deadline=level.deadline,
        met=level.met,
        answered_at=level.answered_at,
    )


def answer_out(answer: Answer) -> AnswerOut:
    return AnswerOut(
        ts=answer.ts,
        user=answer.user,
        via=answer.via,
        route=answer.route,
        level=answer.level,
        recipient=answer.recipient,
        comment=answer.comment,
    )


def ledger_out(ledger: AlarmLedger) -> LedgerOut:
    return LedgerOut(
        id=ledger.alarm_id,
        notices=[notice_out(n) for n in ledger.notices],
        levels=[level_out(line) for line in ledger.levels],
        answers=[answer_out(a) for a in ledger.answers],
    )


def figures_out(figures: AnswerFigures) -> AnswerFiguresOut:
    return AnswerFiguresOut(
        priority=figures.priority,
        raised=figures.raised,
        acknowledged=figures.acknowledged,
        median_s=figures.median_s,
        p90_s=figures.p90_s,
        with_deadline=figures.with_deadline,
        within_deadline=figures.within_deadline,
        share_within=figures.share_within,
    )
