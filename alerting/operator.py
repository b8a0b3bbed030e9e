"""A person's actions on alarms: acknowledge, shelve, unshelve, remove from and return to
service, note (闭环处置). A mixin of ``AlarmEngine``: each action looks the alarm up, applies
one stimulus of the state machine and commits the events through the engine's publisher,
like the engine's own condition changes. Apart from the engine so that the engine keeps
readings and timers, and this file what people do."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from alerting.actions import AckResult, ActionError, UnknownAlarm, require
from alerting.events import UNACKNOWLEDGED_STATES, AlarmEvent, AlarmState
from alerting.statemachine import (
    AlarmRecord,
    Context,
    InvalidTransition,
    Stimulus,
    apply,
    stimulus_for_restore,
    stimulus_for_unshelve,
)

Clock = Callable[[], float]


class OperatorActions:
    """What ``AlarmEngine`` provides to its actions (it overrides each of these)."""

    _clock: Clock

    @property
    def max_shelve(self) -> float:
        raise NotImplementedError

    max_out_of_service: float = 30 * 24 * 3600.0  # seconds

    def _lookup(self, ident: str) -> AlarmRecord:
        raise NotImplementedError

    def _store(self, record: AlarmRecord) -> None:
        raise NotImplementedError

    def _commit(
        self, events: list[AlarmEvent], records: list[AlarmRecord], now: float
    ) -> list[AlarmEvent]:
        raise NotImplementedError

    def acknowledge(
        self,
        alarm_ids: Sequence[str],
        user: str,
        comment: str | None = None,
        *,
        check: Callable[[AlarmRecord], str | None] | None = None,
    ) -> AckResult:
        """Acknowledge many alarms at once (one journal transaction). Alarms that cannot be
        acknowledged are reported, not raised: in a flood, one already acknowledged by a
        colleague must not block the rest. ``records`` of the result holds each acknowledged
        alarm's record as the acknowledgement left it (``get`` cannot give that for a returned
        alarm: it is in normal and forgotten, its record now a fresh one)."""
        require(user, "user")
        now = self._clock()
        acknowledged: list[str] = []
        refused: dict[str, str] = {}
        unknown: list[str] = []
        events: list[AlarmEvent] = []
        records: list[AlarmRecord] = []
        for ident in dict.fromkeys(alarm_ids):
            try:
                record = self._lookup(ident)
                awaiting = record.state in UNACKNOWLEDGED_STATES
                why = check(record) if check is not None and awaiting else None
                if why is not None:
                    refused[ident] = why  # the rules of acknowledgement (alerting.ackrules)
                    continue
                new, produced = apply(record, Stimulus.ACK, Context(now, user, comment))
            except UnknownAlarm:
                unknown.append(ident)
                continue
            except InvalidTransition as error:
                refused[ident] = str(error)
                continue
            self._store(new)
            events.extend(produced)
            records.append(new)
            acknowledged.append(ident)
        self._commit(events, records, now)
        return AckResult(
            acknowledged, refused, unknown, {record.alarm_id: record for record in records}
        )

    def shelve(
        self, alarm_id: str, user: str, reason: str, duration: float
    ) -> AlarmRecord:
        """Shelve for ``duration`` seconds (at most ``settings.max_shelve``), by a named
        person with a reason. Unshelved automatically when the time is up."""
        require(user, "user")
        require(reason, "reason")
        if not 0 < duration <= self.max_shelve:
            raise ActionError(
                f"shelve duration {duration:g} s must be above 0 and at most "
                f"{self.max_shelve:g} s"
            )
        now = self._clock()
        return self._act(
            alarm_id, lambda record: Stimulus.SHELVE,
            Context(now, user, reason, until=now + duration),
        )

    def unshelve(self, alarm_id: str, user: str, comment: str | None = None) -> AlarmRecord:
        require(user, "user")
        return self._act(
            alarm_id,
            lambda record: stimulus_for_unshelve(record, expired=False)
            if record.state is AlarmState.SHELVED
            else Stimulus.UNSHELVE,
            Context(self._clock(), user, comment),
        )

    def remove_from_service(
        self, alarm_id: str, user: str, reason: str, duration: float | None = None
    ) -> AlarmRecord:
        """停用: out of service for maintenance, by a named person with a reason; with
        ``duration`` (seconds, at most ``max_out_of_service``) it returns to service by
        itself when the time is up (``alerting.timers``), like a shelf."""
        require(user, "user")
        require(reason, "reason")
        now = self._clock()
        until = None
        if duration is not None:
            if not 0 < duration <= self.max_out_of_service:
                raise ActionError(
                    f"out-of-service duration {duration:g} s must be above 0 and at most "
                    f"{self.max_out_of_service:g} s"
                )
            until = now + duration
        return self._act(
            alarm_id, lambda record: Stimulus.REMOVE, Context(now, user, reason, until=until)
        )

    def return_to_service(
        self, alarm_id: str, user: str, comment: str | None = None
    ) -> AlarmRecord:
        require(user, "user")
        return self._act(alarm_id, stimulus_for_restore, Context(self._clock(), user, comment))

    def add_note(self, alarm_id: str, user: str, text: str) -> AlarmEvent:
        """闭环处置: what was done about the alarm, journalled with the user's name."""
        require(user, "user")
        require(text, "text")
        now = self._clock()
        record = self._lookup(alarm_id)
        new, events = apply(record, Stimulus.NOTE, Context(now, user, text))
        self._store(new)
        return self._commit(events, [new], now)[-1]

    def silence(self, alarm_ids: Sequence[str], user: str, where: str) -> list[str]:
        """The alarm tone was silenced at ``where`` (a screen): not an acknowledgement, but
        journalled against each alarm still awaiting one, with who did it. Returns those."""
        require(user, "user")
        now = self._clock()
        events: list[AlarmEvent] = []
        records: list[AlarmRecord] = []
        for ident in dict.fromkeys(alarm_ids):
            try:
                record = self._lookup(ident)
            except UnknownAlarm:
                continue
            if record.state not in UNACKNOWLEDGED_STATES:
                continue
            comment = f"消音（{where}）：报警声音已停止，报警仍未确认"
            new, produced = apply(record, Stimulus.NOTE, Context(now, user, comment))
            self._store(new)
            events.extend(produced)
            records.append(new)
        self._commit(events, records, now)
        return [record.alarm_id for record in records]

    def _act(
        self,
        alarm_id: str,
        choose: Callable[[AlarmRecord], Stimulus],
        context: Context,
    ) -> AlarmRecord:
        record = self._lookup(alarm_id)
        new, events = apply(record, choose(record), context)
        self._store(new)
        self._commit(events, [new], context.now)
        return new

