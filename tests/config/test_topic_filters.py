"""MQTT topic filters are refused when the site file is loaded, not when the collector
subscribes: the rule as a table, and its error through the loader (file:line, device)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from config.issues import ConfigError
from config.topic_filters import MAX_BYTES, topic_filter_problem
from gateway.cli import check_config
from gateway.validation import load_site

CASES = Path(__file__).parent / "cases"

HASH = "'#' must be alone in the last level"
PLUS = "'+' must be alone in its level"
SHARE = "a shared subscription is written $share/<group>/<filter>"


@pytest.mark.parametrize(
    ("topic_filter", "problem"),
    [
        ("plant/dust/dp", None),
        ("#", None),
        ("+", None),
        ("plant/#", None),
        ("plant/+/state", None),
        ("+/+/#", None),
        ("/", None),  # two empty levels
        ("/a//b", None),  # empty levels are levels
        ("$SYS/broker/load", None),
        ("$share/gw/plant/#", None),
        ("$share/gw/#", None),
        ("设备/压差", None),
        ("x" * MAX_BYTES, None),
        ("", "a topic filter is at least one character long"),
        ("plant/#/x", f"level 2 is '#': {HASH}"),
        ("a/b#", f"level 2 is 'b#': {HASH}"),
        ("#/", f"level 1 is '#': {HASH}"),
        ("##", f"level 1 is '##': {HASH}"),
        ("+x/y", f"level 1 is '+x': {PLUS}"),
        ("a/+b/c", f"level 2 is '+b': {PLUS}"),
        ("a/++", f"level 2 is '++': {PLUS}"),
        ("a/\0", "it contains the NUL character (U+0000)"),
        ("x" * (MAX_BYTES + 1), "it is 65536 bytes long in UTF-8, more than MQTT's 65535"),
        ("中" * 21_846, "it is 65538 bytes long in UTF-8, more than MQTT's 65535"),
        ("$share/", SHARE),
        ("$share/gw", SHARE),
        ("$share/gw/", SHARE),
        ("$share//plant/#", SHARE),
        ("$share/g#/plant", "the share group 'g#' cannot contain + or #"),
        ("$share/gw/plant/#/x", f"level 2 is '#': {HASH}"),
    ],
)
def test_topic_filter_problem(topic_filter: str, problem: str | None) -> None:
    assert topic_filter_problem(topic_filter) == problem


def test_an_over_long_filter_is_named_shortened_with_its_line(tmp_path: Path) -> None:
    text = (CASES / "good_mqtt_topics.yaml").read_text(encoding="utf-8")
    long_filter = "p/" + "x" * MAX_BYTES
    site = tmp_path / "site.yaml"
    site.write_text(text.replace('topic: "+/+"', f'topic: "{long_filter}"'), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_site(site)
    shown = long_filter[:79] + "…"
    assert [str(issue) for issue in caught.value.issues] == [
        f"{site}:11: device dust: devices.0.subscriptions.1.topic: invalid topic filter "
        f"{shown!r}: it is 65537 bytes long in UTF-8, more than MQTT's 65535"
    ]


def test_check_config_refuses_a_bad_filter_as_the_gateway_would() -> None:
    path = CASES / "bad_mqtt_topic_hash_not_last.yaml"
    out = io.StringIO()
    assert check_config([path], out) == 1
    assert out.getvalue() == (
        f"ERROR {path}:12: device dust point PDT-1: devices.0.subscriptions.1.topic: "
        f"invalid topic filter 'plant/#/x': level 2 is '#': {HASH}\n"
    )

