"""Helpers shared by the storage tests (a module of its own: test files import it by name)."""

from __future__ import annotations

from config.site import Site

SITE_CODE = "DEMO-CHEM"


def make_site(code: str = SITE_CODE, points: int = 0) -> Site:
    """A tank farm with a level, a gas detector and a spark detector, plus ``points``
    extra pressure points PT-0 … PT-n."""
    point_list: list[dict[str, object]] = [
        {"tag": "LT-101", "name": "1号甲醇罐液位", "kind": "level", "unit": "m",
         "range": {"low": 0, "high": 20}, "hazard_source": "HS-TF1"},
        {"tag": "GT-201", "name": "罐区可燃气体", "kind": "combustible_gas", "unit": "%LEL",
         "range": {"low": 0, "high": 100}, "hazard_source": "HS-TF1"},
        {"tag": "SD-301", "name": "火花探测", "kind": "discrete_state",
         "hazard_source": "HS-DUST"},
    ]
    point_list += [
        {"tag": f"PT-{i}", "name": f"压力{i}", "kind": "pressure", "unit": "kPa",
         "range": {"low": 0, "high": 200}, "hazard_source": "HS-TF1"}
        for i in range(points)
    ]
    return Site.model_validate({
        "enterprise": {"name": "示例化工有限公司", "code": code},
        "hazard_sources": [
            {"id": "HS-TF1", "name": "1号储罐区", "grade": 2, "kind": "tank_farm"},
            {"id": "HS-DUST", "name": "抛光除尘", "grade": 4, "kind": "dust_line"},
        ],
        "devices": [{
            "id": "plc", "transport": "mqtt", "broker": {"host": "127.0.0.1"},
            "subscriptions": [{"topic": "plant/#", "format": "object"}],
            "points": point_list,
        }],
    })
