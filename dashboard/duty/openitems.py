"""What the outgoing officer hands over without writing it: the open items, read at signing.

Pure: the engine's current records, the journal's escalations, the collectors' health and
the catalog in; plain JSON-ready dicts out (they are stored in the handover record as
they were at that moment, and hashed with it).

- active alarms: active (acknowledged or not) or returned but not yet acknowledged;
- shelved and out-of-service alarms, with who, why and until when;
- unanswered 叫应: alarms still waiting for a person's acknowledgement, with whether the
  notifier has escalated them;
- devices down: every device of a collector whose link is not connected.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from alerting.events import UNACKNOWLEDGED_STATES, AlarmEvent, AlarmState, EventKind
from alerting.statemachine import AlarmRecord
from alerting.terms import ALARM_TYPE_TERMS, PRIORITY_COLOUR_TERMS, STATE_TERMS
from collectors.health import CollectorHealth, LinkState
from config.catalog import Catalog


def _alarm(record: AlarmRecord, catalog: Catalog) -> dict[str, Any]:
    info = catalog.get(record.point)
    return {
        "id": record.alarm_id,
        "site": record.point.site,
        "tag": record.point.tag,
        "name": info.config.name if info is not None else "",
        "hazard_source": record.hazard_source,
        "type": record.alarm_type.value,
        "type_zh": ALARM_TYPE_TERMS[record.alarm_type].zh,
        "priority": record.priority.value,
        "priority_zh": PRIORITY_COLOUR_TERMS[record.priority].zh,
        "state": record.state.value,
        "state_zh": STATE_TERMS[record.state].zh,
        "value": record.value,
        "unit": info.config.unit if info is not None else "",
        "raised_at": record.raised_at,
        "acknowledged_by": record.acked_by,
        "shelved_by": record.shelved_by,
        "shelved_until": record.shelved_until,
        "shelve_reason": record.shelve_reason,
        "removed_by": record.removed_by,
        "removed_reason": record.removed_reason,
    }


def open_items(
    current: Iterable[AlarmRecord],
    escalations: Sequence[AlarmEvent],
    collectors: Sequence[CollectorHealth],
    catalog: Catalog,
) -> dict[str, Any]:
    """``current``: ``AlarmEngine.active()``; ``escalations``: ESCALATED events since the
    oldest open alarm was raised (``HistoryQuery(kinds=(ESCALATED,))``)."""
    records = sorted(
        (r for r in current if r.state is not AlarmState.NORMAL),
        key=lambda r: (r.priority.rank, r.raised_at or 0.0),
    )
    escalated: dict[str, int] = {}
    for event in escalations:
        if event.kind is EventKind.ESCALATED:
            escalated[event.alarm_id] = escalated.get(event.alarm_id, 0) + 1
    active = [
        _alarm(r, catalog) for r in records
        if r.state in (AlarmState.UNACK, AlarmState.ACKED, AlarmState.RTN_UNACK)
    ]
    unanswered = []
    for record in records:
        if record.state in UNACKNOWLEDGED_STATES:
            item = _alarm(record, catalog)
            item["escalations"] = escalated.get(record.alarm_id, 0)
            unanswered.append(item)
    devices = [
        {
            "collector": health.name,
            "device": device.device_id,
            "state": device.state.value,
            "last_success": device.last_success,
            "last_error": device.last_error,
        }
        for health in collectors
        for device in health.devices.values()
        if device.state is not LinkState.CONNECTED
    ]
    return {
        "active": active,
        "shelved": [_alarm(r, catalog) for r in records if r.state is AlarmState.SHELVED],
        "out_of_service": [
            _alarm(r, catalog) for r in records if r.state is AlarmState.OUT_OF_SERVICE
        ],
        "unanswered": unanswered,
        "devices_down": devices,
    }


def oldest_open(current: Iterable[AlarmRecord]) -> float | None:
    """When the oldest open alarm was raised: where the escalation query starts."""
    times = [r.raised_at for r in current if r.state is not AlarmState.NORMAL and r.raised_at]
    return min(times) if times else None
