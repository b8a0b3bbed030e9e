"""LogOnce: at most one line per key per window, with the count held back; injected clock."""

from __future__ import annotations

import logging

import pytest

from collectors.logonce import LogOnce

LOGGER = "test.logonce"

# (time, key) → expected allow() result: 0 = log, n = log with n held back, None = quiet
ALLOW_STEPS: list[tuple[float, str, int | None]] = [
    (0.0, "a", 0),
    (1.0, "a", None),
    (59.9, "a", None),
    (2.0, "b", 0),  # another key is independent
    (60.0, "a", 2),  # window over: log, reporting the two held back
    (61.0, "a", None),
    (119.9, "a", None),
    (120.0, "a", 2),
    (62.5, "b", 0),  # b's window started at 2.0
    (10.0, "a", 0),  # the wall clock stepped back a long way: log rather than go silent
]


def test_allow_steps() -> None:
    limiter = LogOnce(logging.getLogger(LOGGER), 60.0, clock=lambda: pytest.fail("unused"))
    for now, key, expected in ALLOW_STEPS:
        assert limiter.allow(key, now) == expected, (now, key)


# (seconds after start, key, logged?) through log(); the clock is injected
LOG_STEPS: list[tuple[float, str, bool]] = [
    (0.0, "a", True),
    (1.0, "a", False),
    (2.0, "b", True),
    (30.0, "a", False),
    (61.0, "a", True),
    (62.0, "a", False),
]


def test_log_says_how_many_were_held_back(caplog: pytest.LogCaptureFixture) -> None:
    now = [100.0]
    limiter = LogOnce(logging.getLogger(LOGGER), 60.0, clock=lambda: now[0])
    caplog.set_level(logging.WARNING, LOGGER)
    for advance, key, logged in LOG_STEPS:
        now[0] = 100.0 + advance
        assert limiter.log(logging.WARNING, key, "problem %s", key) is logged, (advance, key)
    assert [record.getMessage() for record in caplog.records] == [
        "problem a", "problem b", "problem a (2 more like this in the last 61 s)",
    ]
    assert [record.levelno for record in caplog.records] == [logging.WARNING] * 3
    # An explicit time wins over the clock (callers that already read it).
    assert limiter.log(logging.WARNING, "b", "late %s", "b", now=now[0] + 1000) is True
    assert caplog.records[-1].getMessage() == "late b"


def test_reset_ends_the_quiet_window() -> None:
    now = [0.0]
    limiter = LogOnce(logging.getLogger(LOGGER), 60.0, clock=lambda: now[0])
    assert limiter.log(logging.INFO, "retry", "failing") is True
    assert limiter.log(logging.INFO, "retry", "failing") is False
    assert limiter.reset("retry") == 1
    assert limiter.reset("retry") == 0
    assert limiter.log(logging.INFO, "retry", "failing again") is True


def test_memory_is_bounded() -> None:
    limiter = LogOnce(logging.getLogger(LOGGER), 60.0, max_keys=100, clock=lambda: 0.0)
    for index in range(10_000):
        assert limiter.allow(("topic", index)) == 0
        assert len(limiter) <= 100


@pytest.mark.parametrize(("window", "max_keys"), [(0.0, 10), (-1.0, 10), (60.0, 0)])
def test_rejects_nonsense(window: float, max_keys: int) -> None:
    with pytest.raises(ValueError, match="positive"):
        LogOnce(logging.getLogger(LOGGER), window, max_keys=max_keys)
