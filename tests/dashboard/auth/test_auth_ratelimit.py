"""Login rate limiting as a table: each step is an attempt or a clock move."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from authkit import FakeClock

from dashboard.auth.ratelimit import Limit, LoginLimiter


@dataclass(frozen=True)
class Step:
    """``fail``/``ok``: an attempt that passes the check and then fails or succeeds;
    ``blocked``: the check must refuse (with ``retry`` seconds if given); ``wait``: time."""

    action: str
    user: str = "zhang"
    address: str = "10.0.0.1"
    seconds: float = 0.0
    retry: float | None = None


def fail(user: str = "zhang", address: str = "10.0.0.1") -> Step:
    return Step("fail", user, address)


def ok(user: str = "zhang", address: str = "10.0.0.1") -> Step:
    return Step("ok", user, address)


def blocked(user: str = "zhang", address: str = "10.0.0.1", retry: float | None = None) -> Step:
    return Step("blocked", user, address, retry=retry)


def wait(seconds: float) -> Step:
    return Step("wait", seconds=seconds)


CASES = {
    "three failures are allowed, the fourth attempt is refused": [
        fail(), fail(), fail(), blocked(retry=60.0)
    ],
    "refused even with a good password, until the window passes": [
        fail(), wait(10), fail(), wait(10), fail(), blocked(retry=40.0), wait(39.9),
        blocked(retry=0.1), wait(0.1), ok(),
    ],
    "only the oldest failure has to leave the window": [
        fail(), wait(30), fail(), fail(), wait(30), ok(),
    ],
    "a success clears the user's failures": [
        fail(), fail(), ok(), fail(), fail(), ok(),
    ],
    "user names are compared without case or spaces": [
        fail("Zhang"), fail(" zhang"), fail("ZHANG "), blocked("zhang"),
    ],
    "another user from the same address is not blocked by the user limit": [
        fail("a"), fail("a"), fail("a"), blocked("a"), ok("b"),
    ],
    "the address limit blocks every user from that address": [
        fail("a"), fail("b"), fail("c"), fail("d"), fail("e"), blocked("f"),
        ok("f", "10.0.0.2"),
    ],
    "a success does not clear the address's failures": [
        fail("a"), fail("b"), ok("c"), fail("d"), fail("e"), fail("g"), blocked("h"),
    ],
    "refused attempts do not extend the block": [
        fail(), fail(), fail(), wait(30), blocked(retry=30.0), blocked(retry=30.0), wait(30),
        ok(),
    ],
}


@pytest.mark.parametrize("steps", list(CASES.values()), ids=list(CASES))
def test_limiter(steps: list[Step]) -> None:
    clock = FakeClock()
    limiter = LoginLimiter(Limit(3, 60.0), Limit(5, 60.0), clock)
    for index, step in enumerate(steps):
        where = f"step {index} {step}"
        if step.action == "wait":
            clock.advance(step.seconds)
            continue
        block = limiter.check(step.user, step.address)
        if step.action == "blocked":
            assert block is not None, where
            if step.retry is not None:
                assert block.retry_after == pytest.approx(step.retry), where
            continue
        assert block is None, where
        if step.action == "fail":
            limiter.failed(step.user, step.address)
        else:
            limiter.succeeded(step.user)


def test_first_refusal_of_a_block_is_flagged_once() -> None:
    clock = FakeClock()
    limiter = LoginLimiter(Limit(2, 60.0), Limit(100, 60.0), clock)
    limiter.failed("u", "a")
    limiter.failed("u", "a")
    first = limiter.check("u", "a")
    again = limiter.check("u", "a")
    assert first is not None and first.first
    assert again is not None and not again.first
    clock.advance(61)
    assert limiter.check("u", "a") is None
    limiter.failed("u", "a")
    limiter.failed("u", "a")
    fresh = limiter.check("u", "a")
    assert fresh is not None and fresh.first  # a new block is reported again


@pytest.mark.parametrize(
    ("retry_after", "header"), [(0.01, "1"), (1.0, "1"), (1.2, "2"), (299.5, "300")]
)
def test_retry_after_header_rounds_up(retry_after: float, header: str) -> None:
    from dashboard.auth.ratelimit import Block

    assert Block(retry_after, "k", True).retry_after_header == header


def test_memory_is_bounded() -> None:
    clock = FakeClock()
    limiter = LoginLimiter(Limit(3, 60.0), Limit(3, 60.0), clock, max_keys=100)
    for n in range(1000):
        limiter.failed(f"user{n}", f"10.0.{n // 250}.{n % 250}")
    assert limiter.tracked() <= 100


@pytest.mark.parametrize("limit", [(0, 60.0), (3, 0.0), (3, -1.0)])
def test_limits_must_be_positive(limit: tuple[int, float]) -> None:
    with pytest.raises(ValueError):
        Limit(*limit)
