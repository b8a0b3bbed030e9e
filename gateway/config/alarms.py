"""Alarm rules of a point, as written in the site file.

Filled in by the alarm issue; kept in its own module so that the alerting
package owns its configuration without touching the point models.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class PointAlarms(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
