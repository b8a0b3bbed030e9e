"""What an acknowledgement must carry, by priority (the console's rules, enforced by the
alarm API for every client).

- A critical alarm is acknowledged with a disposition (处置结论: 真实报警 / 误报 / 检修 /
  仪表故障) and a comment: the record must say what the alarm was.
- A bulk acknowledgement (several alarms at once) leaves out critical and high alarms
  unless the person confirms them explicitly, with a comment; a critical one then still
  needs a disposition. One click must never acknowledge a gas alarm unseen.

Pure: ``refusal`` says why an alarm may not be acknowledged so (None: it may), and
``ack_comment`` is what the journal keeps (the disposition first, then the comment).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from alerting.statemachine import AlarmRecord
from config.vocabulary import Priority


class Disposition(StrEnum):
    REAL = "real"  # 真实报警
    FALSE_ALARM = "false_alarm"  # 误报
    MAINTENANCE = "maintenance"  # 检修
    INSTRUMENT_FAULT = "instrument_fault"  # 仪表故障


DISPOSITION_ZH: dict[Disposition, str] = {
    Disposition.REAL: "真实报警",
    Disposition.FALSE_ALARM: "误报",
    Disposition.MAINTENANCE: "检修",
    Disposition.INSTRUMENT_FAULT: "仪表故障",
}

URGENT = frozenset({Priority.CRITICAL, Priority.HIGH})

NEEDS_CONFIRMATION = (
    "紧急和高优先级报警不随批量确认：请逐条确认，或明确勾选并填写说明后一并确认"
)
NEEDS_DISPOSITION = "紧急报警须选择处置结论（真实报警/误报/检修/仪表故障）并填写说明后确认"


@dataclass(frozen=True, slots=True)
class AckRequest:
    comment: str | None
    disposition: Disposition | None = None
    bulk: bool = False  # several alarms in one request
    urgent_confirmed: bool = False  # a bulk request that explicitly includes urgent alarms

    @property
    def has_comment(self) -> bool:
        return bool(self.comment and self.comment.strip())


def refusal(record: AlarmRecord, request: AckRequest) -> str | None:
    """Why ``record`` may not be acknowledged by ``request``; None when it may."""
    urgent = record.priority in URGENT
    if request.bulk and urgent and not (request.urgent_confirmed and request.has_comment):
        return NEEDS_CONFIRMATION
    critical = record.priority is Priority.CRITICAL
    if critical and (request.disposition is None or not request.has_comment):
        return NEEDS_DISPOSITION
    return None


def ack_comment(request: AckRequest) -> str | None:
    """The comment journalled with the acknowledgement: "处置结论：误报。<comment>"."""
    comment = request.comment.strip() if request.comment else None
    if request.disposition is None:
        return comment or None
    head = f"处置结论：{DISPOSITION_ZH[request.disposition]}"
    return f"{head}。{comment}" if comment else head
