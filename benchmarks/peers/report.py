"""The figures of one run and the side-by-side table. Pure arithmetic, no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Figures:
    """What one gateway did in one case, over one measuring window."""

    delivered: int  # readings counted at the far end (influxd or the peer's uplink)
    seconds: float  # length of the window
    demand: float  # readings/s the devices or the publisher offered
    cpu_s: float  # gateway process CPU (user + system) over the window
    peak_rss: int  # bytes, the process's high-water mark at the end of the case
    lag_s: float  # after the window: until the last of its readings was delivered
    points: int = 0  # configured points polled (Modbus), for the mean poll period
    lost: int = 0  # offered but never delivered (MQTT)

    @property
    def rate(self) -> float:
        return self.delivered / self.seconds if self.seconds > 0 else 0.0

    @property
    def percent_of_demand(self) -> float:
        return 100.0 * self.rate / self.demand if self.demand > 0 else 0.0

    @property
    def cpu_per_1000(self) -> float:
        return 1000.0 * self.cpu_s / self.delivered if self.delivered else float("inf")

    @property
    def mean_period_ms(self) -> float | None:
        """Mean time between two readings of one point: points × window / delivered."""
        if not self.points or not self.delivered:
            return None
        return 1000.0 * self.points * self.seconds / self.delivered


@dataclass(frozen=True)
class Row:
    case: str
    hazgw: Figures | None
    peer: Figures | None
    note: str = ""


def ratio(ours: float, theirs: float) -> float | None:
    """ours / theirs, or None when either side is missing or zero."""
    if theirs == 0 or ours != ours or theirs != theirs:  # zero or NaN
        return None
    return ours / theirs


def _num(value: float | None, spec: str) -> str:
    return "—" if value is None or value == float("inf") else format(value, spec)


def _ratio_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}×"


METRICS: tuple[tuple[str, str, str], ...] = (
    # label, Figures attribute, format
    ("delivered readings/s", "rate", ",.0f"),
    ("% of demand", "percent_of_demand", ".1f"),
    ("mean poll period ms", "mean_period_ms", ".1f"),
    ("CPU-s per 1,000 readings", "cpu_per_1000", ".4f"),
    ("peak RSS MiB", "peak_rss_mib", ".1f"),
    ("lag s", "lag_s", ".2f"),
    ("lost", "lost", ",d"),
)
NO_RATIO = {"lag_s", "lost"}  # near zero on both sides: a ratio would be noise


def _value(figures: Figures | None, attribute: str) -> float | None:
    if figures is None:
        return None
    if attribute == "peak_rss_mib":
        return figures.peak_rss / 2**20
    value = getattr(figures, attribute)
    return None if value is None else value  # type: ignore[no-any-return]


def render(rows: Sequence[Row]) -> str:
    """One markdown table: per case and metric, hazgw, the peer, and hazgw / peer."""
    lines = [
        "| case | metric | hazgw | ThingsBoard IoT Gateway | hazgw / peer |",
        "|---|---|---:|---:|---:|",
    ]
    for row in rows:
        for label, attribute, spec in METRICS:
            ours = _value(row.hazgw, attribute)
            theirs = _value(row.peer, attribute)
            if ours is None and theirs is None:
                continue
            both = ours is not None and theirs is not None and attribute not in NO_RATIO
            lines.append(
                f"| {row.case} | {label} | {_num(ours, spec)} | {_num(theirs, spec)} | "
                f"{_ratio_text(ratio(ours, theirs) if both else None)} |"  # type: ignore[arg-type]
            )
        if row.note:
            lines.append(f"| {row.case} | note | {row.note} | | |")
    return "\n".join(lines)
