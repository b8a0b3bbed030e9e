"""A stall of the gateway itself (blocked loop, paused process) is not the devices'
silence: comm-loss and heartbeat timers move on by the stall instead of firing."""

from __future__ import annotations

from pathlib import Path

import pytest
from alarm_support import Clock, key, pt, reading, site_yaml, standard_catalog

from alerting.engine import AlarmEngine
from alerting.events import EventKind
from alerting.journal import AlarmJournal
from alerting.stall import StallGuard
from config.catalog import Catalog
from gateway.validation import load_site

TAGS = ("GT-1", "LT-1", "LT-2", "LT-3", "XS-1")  # every standard point with comm loss on


@pytest.mark.parametrize(
    ("ticks", "expected"),
    [
        ([0.0, 0.5, 1.0, 1.5], [0.0, 0.0, 0.0, 0.0]),  # a steady ticker
        ([0.0, 1.9], [0.0, 0.0]),  # a busy loop under the threshold
        ([0.0, 2.0], [0.0, 1.5]),  # the threshold: the tick interval itself is not a stall
        ([0.0, 45.5, 46.0], [0.0, 45.0, 0.0]),  # SIGSTOP for 45 s, then steady again
    ],
)
def test_stall_guard(ticks: list[float], expected: list[float]) -> None:
    guard = StallGuard(stall_after=2.0, expected=0.5)
    assert [guard.check(t) for t in ticks] == expected
    assert guard.stalls == sum(1 for e in expected if e > 0)


class Both:
    """The wall clock and the monotonic clock, moved together as in a real process."""

    def __init__(self) -> None:
        self.wall = Clock()
        self.mono = Clock(100.0)

    def advance(self, seconds: float) -> None:
        self.wall.advance(seconds)
        self.mono.advance(seconds)


def open_engine(tmp_path: Path, clocks: Both, catalog: Catalog | None = None) -> AlarmEngine:
    return AlarmEngine(
        catalog or standard_catalog(tmp_path),
        AlarmJournal(tmp_path / "alarms.db"),
        clock=clocks.wall,
        monotonic=clocks.mono,
    )


def answer(engine: AlarmEngine, clocks: Both, tags: tuple[str, ...] = TAGS) -> None:
    engine.accept([reading(key(tag), clocks.wall.now, 20.0) for tag in tags if tag != "XS-1"])
    if "XS-1" in tags:
        engine.accept([reading(key("XS-1"), clocks.wall.now, False)])


def run(engine: AlarmEngine, clocks: Both, seconds: float, tags: tuple[str, ...]) -> None:
    """A normal second-by-second life: devices in ``tags`` answer, the ticker ticks."""
    for _ in range(int(seconds)):
        clocks.advance(1.0)
        answer(engine, clocks, tags)
        engine.tick()


def raised(engine: AlarmEngine) -> list[str]:
    return sorted(r.alarm_id for r in engine.active())


def test_a_paused_gateway_raises_nothing_for_devices_that_answer_after_it(
    tmp_path: Path,
) -> None:
    clocks = Both()
    engine = open_engine(tmp_path, clocks)
    run(engine, clocks, 5, TAGS)
    clocks.advance(45.0)  # SIGSTOP: neither readings nor ticks for 45 s
    engine.tick()  # the ticker wakes first
    answer(engine, clocks)  # then the first poll: every device answers
    run(engine, clocks, 40, TAGS)
    assert raised(engine) == []
    assert engine.stats.stalls == 1 and 44 < engine.stats.longest_stall < 46


def test_a_poll_before_the_first_tick_after_a_pause_raises_nothing(tmp_path: Path) -> None:
    clocks = Both()
    engine = open_engine(tmp_path, clocks)
    run(engine, clocks, 5, TAGS)
    clocks.advance(45.0)
    answer(engine, clocks)  # the poll comes first this time
    engine.tick()
    run(engine, clocks, 40, TAGS)
    assert raised(engine) == []


def test_a_device_silent_through_a_pause_counts_only_its_own_silence(tmp_path: Path) -> None:
    clocks = Both()
    engine = open_engine(tmp_path, clocks)
    others = tuple(t for t in TAGS if t != "GT-1")
    run(engine, clocks, 10, others)  # GT-1 silent for 10 s before the pause
    clocks.advance(45.0)
    engine.tick()
    run(engine, clocks, 19, others)  # 10 + 19 s of its own silence: not yet 30
    assert raised(engine) == []
    run(engine, clocks, 2, others)
    assert raised(engine) == ["T1/GT-1/COMM_LOSS"]


def test_real_silence_without_a_stall_still_raises(tmp_path: Path) -> None:
    clocks = Both()
    engine = open_engine(tmp_path, clocks)
    run(engine, clocks, 5, TAGS)
    run(engine, clocks, 31, ())  # the ticker runs on, the devices are silent
    assert raised(engine) == [f"T1/{tag}/COMM_LOSS" for tag in sorted(TAGS)]
    assert engine.stats.stalls == 0


def test_a_paused_gateway_raises_no_heartbeat_stall(tmp_path: Path) -> None:
    site = site_yaml([pt("GS-1", "discrete_state", alarms={"heartbeat": {"timeout": 10}})])
    (tmp_path / "site.yaml").write_text(site, encoding="utf-8")
    clocks = Both()
    engine = open_engine(tmp_path, clocks, Catalog([load_site(tmp_path / "site.yaml")]))
    kinds: list[EventKind] = []
    engine.add_listener(lambda events: kinds.extend(e.kind for e in events))
    beat = False
    for _ in range(6):  # toggling every 2 s, polled every second
        for _ in range(2):
            clocks.advance(1.0)
            engine.accept([reading(key("GS-1"), clocks.wall.now, beat)])
            engine.tick()
        beat = not beat
    clocks.advance(45.0)
    # The first poll after the pause sees the bit as it was 45 s ago (aliased toggles).
    engine.accept([reading(key("GS-1"), clocks.wall.now, not beat)])
    engine.tick()
    for _ in range(4):
        for _ in range(2):
            clocks.advance(1.0)
            engine.accept([reading(key("GS-1"), clocks.wall.now, beat)])
            engine.tick()
        beat = not beat
    assert raised(engine) == []
    assert EventKind.RAISED not in kinds
