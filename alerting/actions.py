"""What an operator's action on an alarm can be refused for, and what an acknowledgement
returns. The actions themselves are ``AlarmEngine`` methods (``acknowledge``, ``shelve``,
``add_note`` …); the web routes map these errors to HTTP answers."""

from __future__ import annotations

from dataclasses import dataclass, field

from alerting.statemachine import AlarmRecord


class UnknownAlarm(KeyError):
    """No configured alarm has this id (HTTP 404)."""

    def __init__(self, alarm_id: str) -> None:
        super().__init__(alarm_id)
        self.alarm_id = alarm_id

    def __str__(self) -> str:
        return f"unknown alarm {self.alarm_id!r}"


class ActionError(ValueError):
    """An action's arguments are not acceptable (HTTP 422): no user, no reason, a shelf
    longer than allowed."""


@dataclass(frozen=True, slots=True)
class AckResult:
    acknowledged: list[str]
    refused: dict[str, str]  # alarm id → why (already acknowledged, normal, shelved …)
    unknown: list[str]
    # alarm id → its record right after the acknowledgement. A returned alarm acknowledged
    # to normal leaves the engine's memory at once; this is the record that says who did it.
    records: dict[str, AlarmRecord] = field(default_factory=dict)


def require(text: str | None, what: str) -> None:
    """A person's name, a reason, a note: present and not only spaces."""
    if text is None or not text.strip():
        raise ActionError(f"{what} is required")
