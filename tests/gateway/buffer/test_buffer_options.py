"""Buffer options: what is refused, and the size that holds a given time at a given rate."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.buffer import BufferOptions, max_bytes_for
from gateway.buffer.options import MIB


@pytest.mark.parametrize(
    "changes",
    [
        {"max_bytes": 0},
        {"commit_every": 0},
        {"commit_interval": 0},
        {"commit_interval": float("nan")},
        {"record_readings": 0},
        {"record_readings": 100_001},
        {"segment_bytes": 0},
        {"memory_readings": -1},
        {"max_staged": 0},
        {"retry_delay": 0},
    ],
)
def test_nonsense_is_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        BufferOptions(**changes)


@pytest.mark.parametrize(
    ("max_bytes", "segment_bytes", "effective"),
    [(1024 * MIB, 16 * MIB, 16 * MIB), (8 * MIB, 16 * MIB, 2 * MIB), (3, 16 * MIB, 1)],
)
def test_small_buffers_get_small_segments(
    max_bytes: int, segment_bytes: int, effective: int
) -> None:
    options = BufferOptions(max_bytes=max_bytes, segment_bytes=segment_bytes)
    assert options.effective_segment_bytes == effective


@pytest.mark.parametrize(
    ("rate", "hours", "expected"),
    [
        (100, 24, 100 * 24 * 3600 * 40),  # 345.6 MB
        (10_000, 24, 10_000 * 24 * 3600 * 40),  # 34.56 GB
        (100, 0.5, 64 * MIB),  # the floor
        (0, 24, 64 * MIB),
    ],
)
def test_max_bytes_for_a_rate(rate: float, hours: float, expected: int) -> None:
    assert max_bytes_for(rate, hours) == expected


@pytest.mark.parametrize(("rate", "hours"), [(-1, 24), (100, 0)])
def test_max_bytes_for_refuses_nonsense(rate: float, hours: float) -> None:
    with pytest.raises(ValueError):
        max_bytes_for(rate, hours)
