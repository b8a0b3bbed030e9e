"""The 叫应 ledger of one alarm, and the answer-time figures, as pure functions.

What the notifier recorded (``NoticeOutcome``: one row per notice per channel per alarm,
sent or given up on), what the link page recorded (``LinkAnswer``: an acknowledgement
through a signed link in a message) and the alarm's journalled events together say who
was called, by which channel, when, who answered, how, and whether each escalation
level's deadline was met. The rows are stored by ``alerting.ledgerstore``; nothing here
does I/O, and "now" is always passed in.

A level's deadline is when the alarm would escalate past it (its ``escalate_after`` after
the level fell due); the top level of a ladder has none. It is met when the alarm was
acknowledged before it, missed when acknowledged later or not acknowledged by then, and
open while neither has happened yet.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from alerting.events import AlarmEvent, EventKind
from config.vocabulary import Priority


class Via(StrEnum):
    CONSOLE = "console"  # acknowledged on a screen of the gateway (console, phone)
    LINK = "link"  # acknowledged through the signed link of a notice


class Met(StrEnum):
    MET = "met"
    MISSED = "missed"
    OPEN = "open"  # the deadline has not passed and nobody has acknowledged yet
    NONE = "none"  # the top level of a ladder: no deadline


@dataclass(frozen=True, slots=True)
class NoticeOutcome:
    """What became of one notice to one alarm on one channel."""

    alarm_id: str
    priority: Priority
    route: str
    level: int  # 1-based escalation level
    level_name: str
    channel: str
    channel_kind: str  # webhook, wecom, dingtalk, email
    recipient: str  # who the channel reaches: mail addresses, a robot's group, a host
    ts: float  # when it was sent, or given up on
    sent: bool
    attempts: int  # 0: refused by a full queue
    error: str | None = None
    due_at: float | None = None  # when the level fell due
    deadline: float | None = None  # when the alarm escalates past this level (None: top)
    event_seq: int = 0  # the NOTIFIED / NOTIFY_FAILED event in the journal (0: not known)

    @property
    def retries(self) -> int:
        return max(0, self.attempts - 1)


@dataclass(frozen=True, slots=True)
class LinkAnswer:
    """An acknowledgement through the link of a notice; ``nonce`` names the used token."""

    nonce: str
    alarm_id: str
    ts: float
    user: str
    route: str
    level: int
    recipient: str
    event_seq: int = 0


@dataclass(frozen=True, slots=True)
class Answer:
    ts: float
    user: str
    via: Via
    route: str | None = None  # for a link: the notice it came in
    level: int | None = None
    recipient: str | None = None
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class LevelDeadline:
    route: str
    level: int
    level_name: str
    due_at: float | None
    deadline: float | None
    met: Met
    answered_at: float | None


@dataclass(frozen=True, slots=True)
class AlarmLedger:
    alarm_id: str
    notices: tuple[NoticeOutcome, ...]
    levels: tuple[LevelDeadline, ...]
    answers: tuple[Answer, ...]


def answers_of(events: Iterable[AlarmEvent], links: Iterable[LinkAnswer]) -> list[Answer]:
    """Each acknowledgement of the events, oldest first: through a link when a link answer
    names its journal event (or, without one, its time and person), else on a screen."""
    by_seq = {link.event_seq: link for link in links if link.event_seq}
    by_time = {(link.ts, link.user): link for link in by_seq.values()}
    by_time.update({(link.ts, link.user): link for link in links if not link.event_seq})
    answers = []
    for event in sorted(events, key=lambda e: (e.ts, e.seq)):
        if event.kind is not EventKind.ACKNOWLEDGED or event.user is None:
            continue
        link = by_seq.get(event.seq) or by_time.get((event.ts, event.user))
        if link is None:
            answers.append(Answer(event.ts, event.user, Via.CONSOLE, comment=event.comment))
        else:
            answers.append(
                Answer(
                    event.ts, event.user, Via.LINK, link.route, link.level, link.recipient,
                    event.comment,
                )
            )
    return answers


def judge(deadline: float | None, answered_at: float | None, now: float) -> Met:
    if deadline is None:
        return Met.NONE
    if answered_at is not None:
        return Met.MET if answered_at <= deadline else Met.MISSED
    return Met.MISSED if now > deadline else Met.OPEN


def level_deadlines(
    notices: Sequence[NoticeOutcome], answers: Sequence[Answer], now: float
) -> list[LevelDeadline]:
    """One line per route and level called (the first call of it), judged against the first
    acknowledgement after the level fell due."""
    first: dict[tuple[str, int, float | None], NoticeOutcome] = {}
    for notice in sorted(notices, key=lambda n: n.ts):
        first.setdefault((notice.route, notice.level, notice.due_at), notice)
    lines = []
    for notice in first.values():
        start = notice.due_at if notice.due_at is not None else notice.ts
        answered = next((a.ts for a in answers if a.ts >= start), None)
        lines.append(
            LevelDeadline(
                notice.route,
                notice.level,
                notice.level_name,
                notice.due_at,
                notice.deadline,
                judge(notice.deadline, answered, now),
                answered,
            )
        )
    return sorted(lines, key=lambda line: (line.due_at or 0.0, line.route, line.level))


def build_ledger(
    alarm_id: str,
    notices: Sequence[NoticeOutcome],
    events: Sequence[AlarmEvent],
    links: Sequence[LinkAnswer],
    now: float,
) -> AlarmLedger:
    answers = answers_of(events, links)
    return AlarmLedger(
        alarm_id,
        tuple(sorted(notices, key=lambda n: (n.ts, n.level, n.channel))),
        tuple(level_deadlines(notices, answers, now)),
        tuple(answers),
    )


# ----------------------------------------------------------------- answer-time figures


@dataclass(frozen=True, slots=True)
class AnswerFigures:
    """Time to acknowledge the alarms of one priority raised in a period."""

    priority: Priority
    raised: int  # raises in the period
    acknowledged: int
    median_s: float | None
    p90_s: float | None
    with_deadline: int  # raises whose level-1 notice had a deadline, judged by now
    within_deadline: int
    share_within: float | None  # within_deadline / with_deadline


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile (the p90 of 10 values is the 9th smallest)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def answer_figures(
    events: Sequence[AlarmEvent],
    notices: Sequence[NoticeOutcome],
    since: float,
    until: float,
    now: float,
) -> list[AnswerFigures]:
    """Per priority (most urgent first), for alarms raised in [since, until): how long until
    a person acknowledged them, and the share acknowledged before the level-1 deadline.

    ``events`` are the journal's events of those alarms from ``since`` on (later
    acknowledgements included); ``notices`` the ledger rows of the same time. A raise
    counts until the next raise of the same alarm; one still unacknowledged at ``now`` whose
    deadline has passed counts as missed, one whose deadline is still ahead is left out of
    the share."""
    by_alarm: dict[str, list[AlarmEvent]] = {}
    for event in sorted(events, key=lambda e: (e.ts, e.seq)):
        if event.kind is EventKind.RAISED or (
            event.kind is EventKind.ACKNOWLEDGED and event.user is not None
        ):
            by_alarm.setdefault(event.alarm_id, []).append(event)
    # Level-1 notices with a deadline, per alarm, by when the level fell due.
    firsts: dict[str, list[tuple[float, float]]] = {}
    for notice in notices:
        if notice.level == 1 and notice.deadline is not None:
            due = notice.due_at if notice.due_at is not None else notice.ts
            firsts.setdefault(notice.alarm_id, []).append((due, notice.deadline))
    for calls in firsts.values():
        calls.sort()
    times: dict[Priority, list[float]] = {p: [] for p in Priority}
    raised = dict.fromkeys(Priority, 0)
    judged = dict.fromkeys(Priority, 0)
    within = dict.fromkeys(Priority, 0)
    # One pass per alarm (linear in the events: the API reads up to 10,000 of them).
    for alarm, history in by_alarm.items():
        for index, event in enumerate(history):
            if event.kind is not EventKind.RAISED or not since <= event.ts < until:
                continue
            raised[event.priority] += 1
            after = history[index + 1] if index + 1 < len(history) else None
            acked = after is not None and after.kind is EventKind.ACKNOWLEDGED
            acked_at = after.ts if acked and after is not None else None
            end = after.ts if after is not None and not acked else math.inf
            if acked_at is not None:
                times[event.priority].append(acked_at - event.ts)
            calls = firsts.get(alarm, [])
            at = bisect.bisect_left(calls, (event.ts, -math.inf))
            deadline = calls[at][1] if at < len(calls) and calls[at][0] < end else None
            verdict = judge(deadline, acked_at, now)
            if verdict in (Met.MET, Met.MISSED):
                judged[event.priority] += 1
                within[event.priority] += verdict is Met.MET
    figures = []
    for priority in sorted(Priority, key=lambda p: p.rank):
        spans = times[priority]
        figures.append(
            AnswerFigures(
                priority,
                raised[priority],
                len(spans),
                median(spans),
                percentile(spans, 0.9),
                judged[priority],
                within[priority],
                within[priority] / judged[priority] if judged[priority] else None,
            )
        )
    return figures
