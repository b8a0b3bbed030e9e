"""Bounds for numbers the API takes, so that an out-of-range number is a 422 naming the
parameter and never reaches SQLite (which raises OverflowError beyond 64 bits: a 500).

Times are Unix seconds between 1970 and 2200; row ids and sequence numbers are SQLite
integers (positive, at most 2**63 - 1); floats are finite.
"""

# No `from __future__ import annotations`: FastAPI reads these parameters' types.
from typing import Annotated

from fastapi import Path, Query

SQLITE_MAX = 2**63 - 1
LATEST_TIME = 7_258_118_400.0  # 2200-01-01: later is a typing error, not a date

RowIdPath = Annotated[int, Path(ge=1, le=SQLITE_MAX, description="row id")]
BeforeQuery = Annotated[
    int | None, Query(ge=1, le=SQLITE_MAX, description="only rows before this id / seq")
]
TimeQuery = Annotated[
    float | None,
    Query(ge=0.0, le=LATEST_TIME, allow_inf_nan=False, description="Unix seconds"),
]
