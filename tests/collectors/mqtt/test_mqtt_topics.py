"""Topic-filter matching and routing."""

from __future__ import annotations

import pytest

from collectors.mqtt.topics import Router, is_valid_filter, matches


@pytest.mark.parametrize(
    ("topic", "topic_filter", "expected"),
    [
        ("a/b/c", "a/b/c", True),
        ("a/b/c", "a/b", False),
        ("a/b", "a/b/c", False),
        ("a/b/c", "a/+/c", True),
        ("a/b/c", "a/+", False),
        ("a/b/c", "+/+/+", True),
        ("a/b/c", "a/#", True),
        ("a", "a/#", True),  # '#' also matches the parent level
        ("a/b/c", "#", True),
        ("b/c", "a/#", False),
        ("a//c", "a/+/c", True),  # empty levels are levels
        ("/a", "+/a", True),
        ("$SYS/broker/load", "#", False),  # wildcards at the start skip $-topics
        ("$SYS/broker/load", "+/broker/load", False),
        ("$SYS/broker/load", "$SYS/#", True),
        ("plant/dp", "$share/gw/plant/dp", True),  # shared subscriptions match on the rest
        ("plant/x/state", "$share/gw/plant/+/state", True),
        ("A/b", "a/b", False),  # case matters
    ],
)
def test_matches(topic: str, topic_filter: str, expected: bool) -> None:
    assert matches(topic, topic_filter) is expected


@pytest.mark.parametrize(
    ("topic_filter", "valid"),
    [
        ("a/b", True), ("a/+/c", True), ("a/#", True), ("#", True), ("+", True), ("/a//b", True),
        ("", False), ("a/#/b", False), ("a#", False), ("a/b+", False), ("a/+b/c", False),
        ("a/\0", False),
    ],
)
def test_is_valid_filter(topic_filter: str, valid: bool) -> None:
    assert is_valid_filter(topic_filter) is valid


def test_router_first_match_in_config_order_and_cache() -> None:
    router = Router([("plant/dp", "value"), ("plant/+", "object"), ("plant/#", "batch")])
    assert router.route("plant/dp") == "value"
    assert router.route("plant/x") == "object"
    assert router.route("plant/x/y") == "batch"
    assert router.route("other") is None
    assert router.route("plant/x") == "object"  # from the cache


def test_router_exact_filters_only() -> None:
    router = Router([("a/b", 1), ("a/b", 2), ("c", 3)])
    assert router.route("a/b") == 1  # first wins, as with wildcards
    assert router.route("c") == 3
    assert router.route("a/c") is None


def test_router_cache_is_bounded() -> None:
    router = Router([("t/+", "x")], cache_size=10)
    for index in range(1000):
        assert router.route(f"t/{index}") == "x"
        assert len(router._cache) <= 10
