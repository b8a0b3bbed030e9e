"""MQTT topic filters as a site file writes them: what makes one valid (MQTT 3.1.1 §4.7,
shared subscriptions as in MQTT 5 §4.8.2). Pure.

Checked when the site file is loaded, so that ``hazgw check-config`` refuses a filter the
broker would refuse (or, worse, accept with another meaning) when the collector subscribes.
The collectors match received topics against the same levels (``filter_levels``).
"""

from __future__ import annotations

SHARE_PREFIX = "$share/"
MAX_BYTES = 65_535  # an MQTT string is prefixed by its UTF-8 length in two bytes


def filter_levels(topic_filter: str) -> list[str]:
    """The levels a filter matches on: ``$share/<group>/`` only selects a consumer group."""
    if topic_filter.startswith(SHARE_PREFIX):
        parts = topic_filter.split("/", 2)
        topic_filter = parts[2] if len(parts) == 3 else ""
    return topic_filter.split("/")


def topic_filter_problem(topic_filter: str) -> str | None:
    """What makes ``topic_filter`` invalid, or None. Empty levels (``a//b``, ``/a``) are
    valid levels; wildcards must fill a whole level, and ``#`` only the last one."""
    if not topic_filter:
        return "a topic filter is at least one character long"
    if "\0" in topic_filter:
        return "it contains the NUL character (U+0000)"
    size = len(topic_filter.encode("utf-8", errors="surrogatepass"))
    if size > MAX_BYTES:
        return f"it is {size} bytes long in UTF-8, more than MQTT's {MAX_BYTES}"
    if topic_filter.startswith(SHARE_PREFIX):
        parts = topic_filter.split("/", 2)
        if len(parts) < 3 or not parts[1] or not parts[2]:
            return "a shared subscription is written $share/<group>/<filter>"
        if "+" in parts[1] or "#" in parts[1]:
            return f"the share group {parts[1]!r} cannot contain + or #"
    levels = filter_levels(topic_filter)
    last = len(levels) - 1
    for index, level in enumerate(levels):
        if "#" in level and (level != "#" or index != last):
            return f"level {index + 1} is {level!r}: '#' must be alone in the last level"
        if "+" in level and level != "+":
            return f"level {index + 1} is {level!r}: '+' must be alone in its level"
    return None


def is_valid_filter(topic_filter: str) -> bool:
    return topic_filter_problem(topic_filter) is None
