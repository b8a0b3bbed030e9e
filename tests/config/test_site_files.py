"""Config validation as a table of files. Each case states, in a comment block at its top,
exactly what it must produce:

- a bad case, every issue in order (an extra or a missing one fails it), as printed after
  the file name::

      # expect:
      #   14: device plc point TT-1: holding registers 0..1 (float32/CDAB) overlap ...

- a good case, what it must load::

      # expect: devices 1, points 3 (LT-1, TT-1, XS-1)
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from config.issues import ConfigError
from config.modbus import ByteOrder, DataType, RegisterTable
from gateway.cli import check_config
from gateway.validation import load_gateway, load_site

CASES = Path(__file__).parent / "cases"
EXAMPLES = Path(__file__).parents[2] / "config" / "examples"
EXPECT_LOADED = re.compile(r"^# expect: devices (\d+), points (\d+) \((.*)\)$")
EXPECT_ISSUE = re.compile(r"^#   (\d+: .+)$")


def _cases(prefix: str) -> list[Path]:
    return sorted(CASES.glob(f"{prefix}_*.yaml"))


def expected_issues(path: Path) -> list[str]:
    """The issue lines of a bad case's `# expect:` block, each as printed after the file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "# expect:", f"{path} lacks its '# expect:' block"
    expected = []
    for line in lines[1:]:
        match = EXPECT_ISSUE.match(line)
        if match is None:
            break
        expected.append(match.group(1))
    assert expected, f"{path}: the '# expect:' block lists no issue"
    return expected


@pytest.mark.parametrize("path", _cases("good"), ids=lambda p: p.stem)
def test_good_files_load_what_they_state(path: Path) -> None:
    header = path.read_text(encoding="utf-8").splitlines()[0]
    match = EXPECT_LOADED.match(header)
    assert match, f"{path} lacks its '# expect: devices N, points M (TAGS)' line"
    site = load_site(path)
    tags = [point.tag for _, point in site.points()]
    assert (len(site.devices), len(tags), ", ".join(tags)) == (
        int(match.group(1)), int(match.group(2)), match.group(3)
    )


@pytest.mark.parametrize("path", _cases("bad"), ids=lambda p: p.stem)
def test_bad_files_produce_exactly_their_issues(path: Path) -> None:
    expected = [f"{path}:{issue}" for issue in expected_issues(path)]
    with pytest.raises(ConfigError) as caught:
        load_site(path)
    assert [str(issue) for issue in caught.value.issues] == expected


def test_manual_addresses_become_wire_addresses() -> None:
    site = load_site(CASES / "good_manual_addresses.yaml")
    sources = {point.tag: point.source for _, point in site.points()}  # type: ignore[union-attr]
    assert sources["LT-1"].address == 0 and sources["LT-1"].table is RegisterTable.HOLDING
    assert sources["TT-1"].address == 0 and sources["TT-1"].type is DataType.INT16
    assert sources["XS-1"].address == 0


def test_shipped_examples_pass() -> None:
    out = io.StringIO()
    files = sorted(EXAMPLES.glob("*.yaml"))
    assert len(files) >= 3
    assert check_config(files, out) == 0, out.getvalue()
    assert out.getvalue().count("OK ") == len(files)


def test_example_tank_farm_has_byte_orders_and_status_word() -> None:
    site = load_site(EXAMPLES / "tank_farm.yaml")
    orders = {p.source.byte_order for _, p in site.points() if hasattr(p, "source")}
    assert {ByteOrder.ABCD, ByteOrder.CDAB} <= orders
    assert any(
        getattr(p, "source", None) is not None and p.source.status_word is not None  # type: ignore[union-attr]
        for _, p in site.points()
    )


def test_check_config_reports_every_error_and_fails(tmp_path: Path) -> None:
    out = io.StringIO()
    status = check_config([CASES / "bad_duplicate_tag.yaml", CASES / "good_minimal.yaml"], out)
    assert status == 1
    text = out.getvalue()
    assert "ERROR" in text and "duplicate tag 'LT-1'" in text and "OK " in text


def test_gateway_file_collects_errors_of_its_sites(tmp_path: Path) -> None:
    gateway = tmp_path / "gateway.yaml"
    gateway.write_text(
        f"sites:\n  - {CASES / 'good_minimal.yaml'}\n  - {CASES / 'bad_overlap.yaml'}\n"
        f"  - {CASES / 'good_minimal.yaml'}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_gateway(gateway)
    good, overlap = CASES / "good_minimal.yaml", CASES / "bad_overlap.yaml"
    assert [str(issue) for issue in caught.value.issues] == [
        *(f"{overlap}:{issue}" for issue in expected_issues(overlap)),
        f"{gateway}:4: {good} has enterprise code 'T1', already used by {good}",
    ]


def test_schema_files_are_current() -> None:
    from config.schema import SCHEMAS, render

    config_dir = Path(__file__).parents[2] / "config"
    for name in SCHEMAS:
        committed = (config_dir / name).read_text(encoding="utf-8")
        assert committed == render(name), f"run `hazgw schema` to refresh config/{name}"


def test_notification_route_naming_an_unknown_hazard_source_is_an_error(tmp_path: Path) -> None:
    gateway = tmp_path / "gateway.yaml"
    gateway.write_text(
        f"sites: [{CASES / 'good_minimal.yaml'}]\n"
        "notifications:\n"
        "  channels:\n"
        "    shift: {kind: webhook, url: 'http://127.0.0.1:9/hook'}\n"
        "  routes:\n"
        "    - name: tank-farm\n"
        "      match: {hazard_sources: [HS-TYPO]}\n"
        "      escalation: [{channels: [shift]}]\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_gateway(gateway)
    rendered = "\n".join(str(issue) for issue in caught.value.issues)
    assert f"{gateway}:6: notifications:" in rendered and "HS-TYPO" in rendered
