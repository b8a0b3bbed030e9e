"""Pure builders of /api/points and /api/health bodies."""

from __future__ import annotations

import pytest

from collectors.health import CollectorHealth, LinkState
from collectors.readings import Reading, Reason, bad
from config.catalog import Catalog, PointKey
from dashboard.hub import Hub
from dashboard.live import LiveState
from dashboard.services import ComponentStatus
from dashboard.views import health_view, overall_status, points_view

C, D = LinkState.CONNECTED, LinkState.DISCONNECTED


def collector(name: str, state: LinkState, *devices: LinkState) -> CollectorHealth:
    health = CollectorHealth(name=name, kind="modbus", state=state)
    for index, device_state in enumerate(devices):
        health.device(f"{name}-d{index}").state = device_state
    return health


@pytest.mark.parametrize(
    ("collectors", "components", "expected"),
    [
        ([], [], "ok"),
        ([collector("a", C, C, C)], [ComponentStatus("storage", True)], "ok"),
        ([collector("a", C, C, D)], [], "degraded"),
        ([collector("a", C, C)], [ComponentStatus("storage", False)], "degraded"),
        ([collector("a", D, D), collector("b", C, C)], [], "degraded"),
        ([collector("a", D, D), collector("b", D)], [], "down"),
        ([collector("a", LinkState.CONNECTING, LinkState.CONNECTING)], [], "down"),
        # A serial server may be reachable while every slave behind it is silent: no data.
        ([collector("a", C, D, D)], [], "down"),
        ([collector("a", C), collector("b", D)], [], "degraded"),
        ([collector("a", D)], [], "down"),
        ([], [ComponentStatus("storage", False)], "degraded"),
    ],
)
def test_overall_status(
    collectors: list[CollectorHealth], components: list[ComponentStatus], expected: str
) -> None:
    body = health_view(collectors, components, Hub(LiveState()).stats(), 100.0)
    assert body.status == expected
    assert (body.problems == []) is (expected == "ok")
    assert overall_status(collectors, components, len(body.problems)) == expected


def test_health_details() -> None:
    gas = CollectorHealth(name="gas", kind="modbus_rtu_tcp", state=C)
    gas.count("reads", 10)
    device = gas.device("gas-controller")
    device.succeeded(90.0)
    device.failed(95.0, "timeout after 0.5 s")
    body = health_view(
        [gas],
        [ComponentStatus("storage.influx", False, {"written": 5, "dropped": 2}, "HTTP 503")],
        Hub(LiveState()).stats(),
        100.0,
    )
    out = body.collectors[0].devices[0]
    assert (out.state, out.ok, out.error_count, out.request_count) == ("disconnected", False, 1, 2)
    assert out.last_success_age_s == 10.0
    assert out.last_error == "timeout after 0.5 s"
    assert out.last_error_time == "1970-01-01T00:01:35.000+00:00"
    assert body.collectors[0].counters == {"reads": 10}
    assert body.components[0].counters == {"written": 5, "dropped": 2}
    assert body.problems == [
        "collector gas device gas-controller: disconnected (last error: timeout after 0.5 s)",
        "storage.influx not working: HTTP 503",
    ]


def test_points_view(catalog: Catalog) -> None:
    live = LiveState()
    live.accept(
        [
            Reading(PointKey("DEMO-CHEM", "LT-101"), 7.25, 1_700_000_000.5),
            bad(PointKey("DEMO-CHEM", "GT-201"), 1_700_000_001.0, Reason.SENSOR_FAULT),
            Reading(PointKey("DEMO-DUST", "XS-303"), True, 1_700_000_002.0),
            bad(PointKey("DEMO-DUST", "TT-302"), 1_700_000_002.0, Reason.DECODE_ERROR),
        ]
    )
    body = points_view(catalog, live, "E", 4, 1_700_000_010.0)
    assert (body.epoch, body.seq, len(body.points)) == ("E", 4, len(catalog))
    by_id = {point.id: point for point in body.points}
    level = by_id["DEMO-CHEM/LT-101"]
    assert level.enterprise == "示例化工有限公司"
    assert level.hazard_source.model_dump() == {
        "id": "HS-TF1",
        "name": "1号储罐区（甲醇/液氨）",
        "grade": 2,
        "kind": "tank_farm",
    }
    assert (level.device, level.unit, level.kind) == ("tank-gauges", "m", "level")
    assert level.range is not None and (level.range.low, level.range.high) == (0, 20)
    assert level.reading == (7.25, "good", "", 1_700_000_000.5)
    fault = by_id["DEMO-CHEM/GT-201"]
    assert fault.reading is not None
    assert fault.reading[:3] == (None, "bad", "sensor_fault")
    assert by_id["DEMO-CHEM/GT-202"].gas == "NH3"
    spark = by_id["DEMO-DUST/XS-303"]
    assert spark.reading is not None and (spark.reading[0], spark.range) == (True, None)
    nan = by_id["DEMO-DUST/TT-302"]
    assert nan.reading is not None and nan.reading[:3] == (None, "bad", "decode_error")
    assert by_id["DEMO-DUST/PDT-301"].reading is None
