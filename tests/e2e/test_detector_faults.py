"""Sensor-fault alarms end to end on the demo plant: a detector fault bit in the gas
controller's status word, and a controller heartbeat that stops toggling while the
controller still answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from e2e_kit import watching
from support.waiting import poll_until

from gateway.demo import demo_running

pytestmark = pytest.mark.timeout(90)

# The controller's heartbeat toggles every 2 s and is polled every second, so a toggle is
# seen at most ~3.5 s after the last; 5 s instead of the default 10 s keeps the stall test
# short without a false stall.
HEARTBEAT_TIMEOUT = 5.0


def raised(events: list[dict[str, Any]], alarm_id: str) -> bool:
    return any(e["id"] == alarm_id and e["kind"] == "raised" for e in events)


async def test_fault_bit_and_stalled_heartbeat_raise_sensor_fault_alarms(tmp_path: Path) -> None:
    async with (
        demo_running(
            port=0,
            state_dir=tmp_path,
            auto_events=None,
            use_influxd=False,
            consolidation_window=0,
            heartbeat_timeout=HEARTBEAT_TIMEOUT,
        ) as demo,
        watching(demo.gateway) as live,
    ):
        await live.until(
            lambda: live.readings.get("DEMO-CHEM/GT-202", [None, None])[1] == "good",
            10,
            "GT-202 good",
        )
        demo.plant.start_scenario("detector_fault")
        await live.until(
            lambda: live.readings["DEMO-CHEM/GT-202"][:3] == [None, "bad", "sensor_fault"],
            5,
            "GT-202 sensor fault reading",
        )
        await live.until(
            lambda: raised(live.events, "DEMO-CHEM/GT-202/SENSOR_FAULT"), 10, "fault alarm"
        )

        # While the heartbeat toggles, no stall is reported.
        assert not raised(live.events, "DEMO-CHEM/GT-201/SENSOR_FAULT")
        demo.plant.start_scenario("heartbeat_stall")
        await live.until(
            lambda: raised(live.events, "DEMO-CHEM/GT-201/SENSOR_FAULT"),
            HEARTBEAT_TIMEOUT + 10,
            "heartbeat alarm",
        )
        # The controller still answers: its values stay good, no comm-loss alarm.
        assert live.readings["DEMO-CHEM/GT-201"][1] == "good"
        assert not raised(live.events, "DEMO-CHEM/GT-201/COMM_LOSS")
        # A fault on a combustible-gas detector goes to the fire-control room.
        await poll_until(
            lambda: [
                d
                for d in demo.inbox.deliveries
                if d.channel == "fire-room" and "GT-201/SENSOR_FAULT" in d.body
            ],
            within=10,
            message="fire-room notice of the controller fault",
        )
