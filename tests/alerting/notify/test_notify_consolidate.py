"""Flood consolidation as pure state: what is released when, for scripted arrivals."""

from __future__ import annotations

import pytest

from alerting.notify.consolidate import Consolidator

W = 60.0


def run(
    window: float, arrivals: list[tuple[float, str, int]], polls: list[float]
) -> list[tuple[float, str, tuple[int, ...], bool]]:
    """Feed (time, key, item) arrivals and due() polls in time order; list the releases."""
    consolidator: Consolidator[str, int] = Consolidator(window)
    timeline: list[tuple[float, int, str, int]] = [(t, 1, k, i) for t, k, i in arrivals]
    timeline += [(t, 0, "", 0) for t in polls]
    released = []
    for now, is_arrival, key, item in sorted(timeline):
        batch = consolidator.offer(key, [item], now) if is_arrival else consolidator.due(now)
        released += [(now, r.key, r.items, r.summary) for r in batch]
    return released


def test_hundred_alarms_in_one_window_give_one_immediate_and_one_summary() -> None:
    arrivals = [(0.5 * n, "r1", n) for n in range(100)]  # 100 alarms over 49.5 s
    polls = [float(t) for t in range(0, 200)]
    released = run(W, arrivals, polls)
    assert len(released) == 2
    assert released[0] == (0.0, "r1", (0,), False)
    now, key, items, summary = released[1]
    assert (now, key, summary) == (60.0, "r1", True)
    assert items == tuple(range(1, 100))


@pytest.mark.parametrize(
    ("arrivals", "polls", "expected"),
    [
        pytest.param(
            [(0, "a", 1)],
            [59, 60, 61],
            [(0, "a", (1,), False)],
            id="single-alarm-no-summary",
        ),
        pytest.param(
            [(0, "a", 1), (61, "a", 2)],
            [60],
            [(0, "a", (1,), False), (61, "a", (2,), False)],
            id="quiet-window-closes-next-alarm-goes-at-once",
        ),
        pytest.param(
            [(0, "a", 1), (10, "a", 2), (70, "a", 3), (130, "a", 4)],
            [60, 120, 180],
            [
                (0, "a", (1,), False),
                (60, "a", (2,), True),
                (120, "a", (3,), True),
                (180, "a", (4,), True),
            ],
            id="ongoing-flood-one-summary-per-window",
        ),
        pytest.param(
            [(0, "a", 1), (1, "b", 2), (2, "a", 3), (3, "b", 4)],
            [60, 61],
            [
                (0, "a", (1,), False),
                (1, "b", (2,), False),
                (60, "a", (3,), True),
                (61, "b", (4,), True),
            ],
            id="keys-are-independent",
        ),
        pytest.param(
            [(0, "a", 1), (10, "a", 2), (70, "a", 3)],
            [],
            [(0, "a", (1,), False), (70, "a", (2,), True), (70, "a", (3,), False)],
            id="late-poll-summary-released-before-new-item",
        ),
    ],
)
def test_consolidation(
    arrivals: list[tuple[float, str, int]],
    polls: list[float],
    expected: list[tuple[float, str, tuple[int, ...], bool]],
) -> None:
    assert run(W, arrivals, polls) == expected


def test_zero_window_sends_everything_at_once() -> None:
    arrivals = [(0.0, "a", n) for n in range(5)]
    assert run(0.0, arrivals, [100.0]) == [(0.0, "a", (n,), False) for n in range(5)]


def test_zero_window_splits_a_batch() -> None:
    consolidator: Consolidator[str, int] = Consolidator(0)
    released = consolidator.offer("a", [1, 2], 0.0)
    assert [(r.items, r.summary) for r in released] == [((1,), False), ((2,), False)]
    assert consolidator.next_deadline() is None and consolidator.due(1e9) == []


def test_batch_to_idle_key_goes_out_together() -> None:
    consolidator: Consolidator[str, int] = Consolidator(W)
    (release,) = consolidator.offer("a", [1, 2, 3], 0.0)
    assert (release.items, release.summary) == ((1, 2, 3), False)
    assert consolidator.offer("a", [], 1.0) == []


def test_withdraw_and_deadlines() -> None:
    consolidator: Consolidator[str, int] = Consolidator(W)
    consolidator.offer("a", [1], 0.0)
    assert consolidator.next_deadline() is None  # nothing held: no wake-up needed
    consolidator.offer("a", [2, 3, 4], 5.0)
    assert consolidator.held == 3
    assert consolidator.next_deadline() == 60.0
    assert consolidator.withdraw(lambda item: item % 2 == 0) == 2
    (summary,) = consolidator.due(60.0)
    assert summary.items == (3,)
    assert consolidator.withdraw(lambda item: True) == 0


def test_withdrawing_everything_leaves_no_summary() -> None:
    consolidator: Consolidator[str, int] = Consolidator(W)
    consolidator.offer("a", [1], 0.0)
    consolidator.offer("a", [2], 1.0)
    consolidator.withdraw(lambda item: item == 2)
    assert consolidator.due(60.0) == []


def test_negative_window_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        Consolidator[str, int](-1.0)
