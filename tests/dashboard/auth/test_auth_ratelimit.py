"""Login rate limiting as a table: each step is an attempt or a clock move."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from authkit import FakeClock

from dashboard.auth.ratelimit import Limit, LoginLimiter, Scope

PAIR = Limit(free=3, first_delay=10.0, max_delay=40.0, forget_after=100.0)
ADDRESS = Limit(free=5, first_delay=10.0, max_delay=40.0, forget_after=100.0)


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


# Pair limit: locked after 3 failures, for 10 s, then 20 s, 40 s (at most); forgotten 100 s
# after the last failure. Address limit: locked after 5 failures, the same delays.
CASES = {
    "three failures lock for 10 s": [
        fail(), fail(), ok(), fail(), fail(), fail(), blocked(retry=10.0),
    ],
    "refused even with a good password until the lock ends": [
        fail(), fail(), fail(), wait(9.9), blocked(retry=0.1), wait(0.1), ok(),
    ],
    "each further failure doubles the lock, up to the most": [
        fail(), fail(), fail(), blocked(retry=10.0), wait(10), fail(),
        blocked(retry=20.0), wait(20), fail(), blocked(retry=40.0), wait(40), fail(),
        blocked(retry=40.0),
    ],
    "the right person at another address gets in during a guessing attack": [
        fail("operator", "10.9.9.9"), fail("operator", "10.9.9.9"),
        fail("operator", "10.9.9.9"), blocked("operator", "10.9.9.9"),
        ok("operator", "10.0.0.1"), blocked("operator", "10.9.9.9"),
    ],
    "a success clears the account's failures from that address": [
        fail(), fail(), ok(), fail(), fail(), ok(),
    ],
    "user names are compared without case or spaces": [
        fail("Zhang"), fail(" zhang"), fail("ZHANG "), blocked("zhang"),
    ],
    "another user from the same address is not blocked by the pair limit": [
        fail("a"), fail("a"), fail("a"), blocked("a"), ok("b"),
    ],
    "the address limit blocks every user from that address, and only it": [
        fail("a"), fail("b"), fail("c"), fail("d"), fail("e"), blocked("f"),
        ok("f", "10.0.0.2"),
    ],
    "a success does not clear the address's failures": [
        fail("a"), fail("b"), ok("c"), fail("d"), fail("e"), fail("g"), blocked("h"),
    ],
    "refused attempts do not extend the lock": [
        fail(), fail(), fail(), wait(5), blocked(retry=5.0), blocked(retry=5.0), wait(5),
        ok(),
    ],
    "failures are forgotten a while after the last one": [
        fail(), fail(), wait(100), fail(), fail(), ok(),
    ],
}


@pytest.mark.parametrize("steps", list(CASES.values()), ids=list(CASES))
def test_limiter(steps: list[Step]) -> None:
    clock = FakeClock()
    limiter = LoginLimiter(PAIR, ADDRESS, clock)
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
            limiter.succeeded(step.user, step.address)


def test_first_refusal_of_a_lock_is_flagged_once() -> None:
    clock = FakeClock()
    limiter = LoginLimiter(Limit(2, 10.0, 40.0, 100.0), Limit(100, 10.0, 40.0, 100.0), clock)
    for _ in range(2):
        limiter.failed("u", "a")
    first = limiter.check("u", "a")
    again = limiter.check("u", "a")
    assert first is not None and first.first and first.scope is Scope.ACCOUNT_ADDRESS
    assert first.until == pytest.approx(clock() + 10.0) and first.failures == 2
    assert again is not None and not again.first
    clock.advance(10)
    assert limiter.check("u", "a") is None
    limiter.failed("u", "a")
    fresh = limiter.check("u", "a")
    assert fresh is not None and fresh.first  # a new lock is reported again


@pytest.mark.parametrize(
    ("retry_after", "header"), [(0.01, "1"), (1.0, "1"), (1.2, "2"), (299.5, "300")]
)
def test_retry_after_header_rounds_up(retry_after: float, header: str) -> None:
    from dashboard.auth.ratelimit import Block

    block = Block(retry_after, 0.0, Scope.ADDRESS, 1, True)
    assert block.retry_after_header == header


def test_memory_is_bounded() -> None:
    clock = FakeClock()
    limiter = LoginLimiter(PAIR, ADDRESS, clock, max_keys=100)
    for n in range(1000):
        limiter.failed(f"user{n}", f"10.0.{n // 250}.{n % 250}")
    assert limiter.tracked() <= 100


@pytest.mark.parametrize(
    "limit",
    [(0, 10.0, 40.0, 100.0), (3, 0.0, 40.0, 100.0), (3, 50.0, 40.0, 100.0),
     (3, 10.0, 400.0, 100.0)],
)
def test_limits_must_be_consistent(limit: tuple[int, float, float, float]) -> None:
    with pytest.raises(ValueError):
        Limit(*limit)
