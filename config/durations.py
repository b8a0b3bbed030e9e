"""Durations in config files: seconds, or a number with a unit (500ms, 30s, 5m, 1.5h)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BeforeValidator, Field, WithJsonSchema

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|min|h)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, None: 1.0}


def parse_duration(value: object) -> object:
    """``"5m"`` → 300.0, ``"0.2s"`` → 0.2, ``12`` → 12.0 (seconds). Anything else is left
    for pydantic to reject with its own message."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration")  # pydantic would read True as 1.0
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match is None:
            raise ValueError(
                f"cannot read duration {value!r}: write seconds (30) or a number with a unit "
                "(500ms, 30s, 5m, 1.5h)"
            )
        return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    return value


Seconds = Annotated[
    float,
    BeforeValidator(parse_duration),
    Field(ge=0),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0},
                {"type": "string", "pattern": _DURATION.pattern},
            ],
            "description": "seconds, or a number with a unit: 500ms, 30s, 5m, 1.5h",
        }
    ),
]
