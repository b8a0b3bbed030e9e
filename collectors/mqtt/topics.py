"""MQTT topic filters: which subscription a received topic belongs to. Pure.

The broker already filtered what it sends us; we still have to tell which of a device's
subscriptions (and so which payload format) a message came through.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Generic, TypeVar

# Which filters are valid is the config floor's rule (checked when a site file is loaded);
# the collector matches on the same levels.
from config.topic_filters import SHARE_PREFIX, filter_levels, is_valid_filter

__all__ = ["Router", "filter_levels", "is_valid_filter", "matches"]

T = TypeVar("T")


def matches(topic: str, topic_filter: str) -> bool:
    """MQTT 3.1.1 §4.7 matching: ``+`` is one level, ``#`` (last) is any number of levels
    including none; filters starting with a wildcard do not match ``$``-topics."""
    wanted = filter_levels(topic_filter)
    if topic.startswith("$") and wanted[0] in ("+", "#"):
        return False
    levels = topic.split("/")
    for index, level in enumerate(wanted):
        if level == "#":
            return True
        if index >= len(levels):
            return False
        if level != "+" and level != levels[index]:
            return False
    return len(levels) == len(wanted)


class Router(Generic[T]):
    """Finds the first route (in configuration order) whose filter matches a topic.

    Exact filters are a dict lookup; wildcard results are cached per topic, with the
    cache bounded because wildcard subscriptions can see an unbounded set of topics.
    """

    def __init__(self, routes: Sequence[tuple[str, T]], cache_size: int = 10_000) -> None:
        self._routes = list(routes)
        self._has_wildcards = any(
            "+" in topic_filter or "#" in topic_filter or topic_filter.startswith(SHARE_PREFIX)
            for topic_filter, _ in self._routes
        )
        self._cache: dict[str, T | None] = {}
        self._cache_size = cache_size
        if not self._has_wildcards:
            # First route wins for duplicate filters, as in the general case.
            for topic_filter, target in reversed(self._routes):
                self._cache[topic_filter] = target

    def route(self, topic: str) -> T | None:
        try:
            return self._cache[topic]
        except KeyError:
            if not self._has_wildcards:
                return None
        found: T | None = None
        for topic_filter, target in self._routes:
            if matches(topic, topic_filter):
                found = target
                break
        if len(self._cache) >= self._cache_size:
            self._cache.clear()
        self._cache[topic] = found
        return found
