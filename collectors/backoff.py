"""Capped exponential backoff with jitter, as a pure iterator of delays."""

from __future__ import annotations

import random
from collections.abc import Iterator


def backoff_delays(
    initial: float = 0.5,
    cap: float = 30.0,
    factor: float = 2.0,
    jitter: float = 0.1,
    rng: random.Random | None = None,
) -> Iterator[float]:
    """0.5, 1, 2, 4 … up to ``cap`` seconds, each spread by ±``jitter`` so that many
    gateways restarted together do not reconnect in lock step."""
    rng = rng or random.Random()
    delay = initial
    while True:
        yield delay * (1 + rng.uniform(-jitter, jitter))
        delay = min(cap, delay * factor)
