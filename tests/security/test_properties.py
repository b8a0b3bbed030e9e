"""Property tests (hypothesis): hostile config files, MQTT payloads and Modbus registers.

- The config loader, given mutated example files (bytes cut, YAML syntax, aliases,
  control characters spliced in), either loads them or raises ConfigError whose every
  issue names the file and a line; never another exception, and each file within a bounded
  time (the structural bounds of ``config.yamlguard`` keep memory bounded as well).
- The MQTT payload parser, given any bytes in any subscription's format, returns readings
  and errors; it never raises.
- The Modbus decoder, given any registers, returns a number or raises DecodeError; what
  ``encode`` wrote it reads back.

``HAZGW_FUZZ_PROPERTY_EXAMPLES`` sets the examples per property (``make fuzz`` raises it).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collectors.modbus.decode import DecodeError, decode_number, encode
from collectors.mqtt.payload import PayloadParser
from config.issues import ConfigError
from config.loader import load_site
from config.modbus import ByteOrder, DataType
from config.mqtt import MqttDevice

EXAMPLES = int(os.environ.get("HAZGW_FUZZ_PROPERTY_EXAMPLES", "150"))
SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, derandomize="HAZGW_FUZZ_RANDOM" not in os.environ,
    suppress_health_check=[HealthCheck.too_slow], database=None,
)
SITE_FILES = sorted((Path(__file__).resolve().parents[2] / "config" / "examples").glob("*.yaml"))
SITE_FILES = [path for path in SITE_FILES if "enterprise:" in path.read_text(encoding="utf-8")]
SNIPPETS = [
    "&a ", "*a", "*b", "<<: *a\n", "[", "]", "{", "}", ":", ": ", "- ", "-", "\n", "\n  ",
    "\t", "#", "'", '"', "!!python/object:os.system ", "!!binary ", "? ", "|\n", ">\n", "\x00",
    "\x07", "\ufeff", "\u2028", "\x1b[31m", "1e309", ".nan", "-.inf", "0x", "~", "null",
    "9" * 40, "a: &x [*x]\n", "k: &l [1,1,1,1,1,1,1,1,1,1]\nm: [*l,*l,*l,*l,*l,*l,*l,*l]\n",
    "[" * 200, "{a: " * 100, "%YAML 1.1\n---\n", "...\n", "---\n",
]
PER_FILE_SECONDS = 3.0


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, str]:
    path = draw(st.sampled_from(SITE_FILES))
    text = path.read_text(encoding="utf-8")
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        how = draw(st.sampled_from(["insert", "cut", "replace"]))
        if how == "insert":
            piece = draw(st.one_of(st.sampled_from(SNIPPETS), st.text(max_size=12)))
            text = text[:at] + piece + text[at:]
        elif how == "cut":
            text = text[:at] + text[at + draw(st.integers(1, 40)):]
        else:
            text = text[:at] + draw(st.characters()) + text[at + 1:]
    return path.name, text


@SETTINGS
@given(mutated())
def test_mutated_config_files_give_clean_errors(case: tuple[str, str]) -> None:
    name, text = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        started = time.monotonic()
        try:
            load_site(path)
        except ConfigError as error:
            assert error.issues
            for issue in error.issues:
                assert issue.file == str(path), issue
                assert issue.line is not None and issue.line >= 1, str(issue)
                assert "Traceback" not in issue.message
        assert time.monotonic() - started < PER_FILE_SECONDS


DUST_LINE = load_site(
    Path(__file__).resolve().parents[2] / "config" / "examples" / "dust_line.yaml"
)
DEVICE = next(d for d in DUST_LINE.devices if isinstance(d, MqttDevice))
PARSER = PayloadParser(DUST_LINE.enterprise.code, DEVICE)
NOW = 1_800_000_000.0

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner,
                                                                 max_size=5),
    max_leaves=20,
)


def _json_text(value: object) -> bytes:
    return json.dumps(value, allow_nan=True).encode()


@SETTINGS
@given(
    st.sampled_from(DEVICE.subscriptions),
    st.one_of(st.binary(max_size=200), json_values.map(_json_text),
              st.sampled_from([b"[" * 100_000, b'{"a":' * 50_000, b"NaN", b"-Infinity",
                               b'{"ts": 1e400}', b'[{"tag": null}]', b"\xff\xfe"])),
    st.booleans(),
)
def test_any_payload_parses_to_readings_and_errors(
    subscription: object, payload: bytes, retained: bool
) -> None:
    parsed = PARSER.parse(subscription, payload, NOW, retained=retained)  # type: ignore[arg-type]
    tags = {point.tag for point in DEVICE.points}
    for reading in parsed.readings:
        assert reading.point.site == DUST_LINE.enterprise.code and reading.point.tag in tags
        assert reading.value is None or isinstance(reading.value, bool) or math.isfinite(
            float(reading.value)
        )
    for error in parsed.errors:
        assert str(error)  # each says what was wrong


NUMBER_TYPES = [t for t in DataType if t not in (DataType.BOOL, DataType.BIT)]


@SETTINGS
@given(
    st.sampled_from(NUMBER_TYPES), st.sampled_from(list(ByteOrder)),
    st.lists(st.integers(-(2**20), 2**20), max_size=6),
)
def test_any_registers_decode_or_refuse(
    data_type: DataType, order: ByteOrder, registers: list[int]
) -> None:
    try:
        value = decode_number(registers, data_type, order)
    except DecodeError:
        ok = len(registers) == data_type.register_count and all(
            0 <= r <= 0xFFFF for r in registers)
        assert not ok, "refused registers that fit"
        return
    assert len(registers) == data_type.register_count
    assert isinstance(value, int | float)


@SETTINGS
@given(st.sampled_from(NUMBER_TYPES), st.sampled_from(list(ByteOrder)), st.data())
def test_what_encode_writes_decode_reads(
    data_type: DataType, order: ByteOrder, data: st.DataObject
) -> None:
    bits = {DataType.INT16: 16, DataType.UINT16: 16, DataType.INT32: 32, DataType.UINT32: 32}
    if data_type in bits:
        signed = data_type.value.startswith("int")
        size = bits[data_type]
        low, high = (-(2 ** (size - 1)), 2 ** (size - 1) - 1) if signed else (0, 2**size - 1)
        value: float = data.draw(st.integers(low, high))
    else:
        width = 32 if data_type is DataType.FLOAT32 else 64
        value = data.draw(st.floats(width=width, allow_nan=False))
    registers = encode(value, data_type, order)
    assert all(0 <= r <= 0xFFFF for r in registers)
    assert decode_number(registers, data_type, order) == value
