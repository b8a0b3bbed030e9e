"""What the gateway knows about each point, looked up by its key.

Built once from the validated site files; read by storage (series tags), the
web API and the alarm engine. Pure data, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from config.points import HazardSource, PointKind
from config.site import Point, Site

# The site code and hazard source of the gateway's own points (gateway.selfwatch): in no
# site file; notification routes may name them.
GATEWAY_SITE = "_gateway"
GATEWAY_SOURCE_ID = "_gateway"


class PointKey(NamedTuple):
    """A point is identified by its site (enterprise code) and its tag (位号).

    A named tuple, not a dataclass: every reading is looked up by its key in several dicts
    (live state, alarm engine, line-protocol cache), and a tuple's hash and equality run
    in C where a frozen dataclass's run a Python function each time (7 % of the gateway's
    CPU at 30,000 readings/s, measured with py-spy).
    """

    site: str
    tag: str

    def __str__(self) -> str:
        return f"{self.site}/{self.tag}"


@dataclass(frozen=True, slots=True)
class PointInfo:
    key: PointKey
    site_name: str
    device_id: str
    hazard_source: HazardSource
    config: Point

    @property
    def kind(self) -> PointKind:
        return self.config.kind


class Catalog:
    """The points of ``sites``, then ``extra``: points no site file describes (the gateway's
    own, ``gateway.selfwatch``); ``sites`` stays the site files' list."""

    def __init__(self, sites: Sequence[Site], extra: Sequence[PointInfo] = ()) -> None:
        self.sites = list(sites)
        self._points: dict[PointKey, PointInfo] = {}
        for site in sites:
            sources = {source.id: source for source in site.hazard_sources}
            for device, point in site.points():
                key = PointKey(site.enterprise.code, point.tag)
                self._points[key] = PointInfo(
                    key=key,
                    site_name=site.enterprise.name,
                    device_id=device.id,
                    hazard_source=sources[point.hazard_source],
                    config=point,
                )
        for info in extra:
            if info.key in self._points:
                raise ValueError(f"{info.key}: an extra point has the key of a site's point")
            self._points[info.key] = info

    def __getitem__(self, key: PointKey) -> PointInfo:
        return self._points[key]

    def get(self, key: PointKey) -> PointInfo | None:
        return self._points.get(key)

    def __iter__(self) -> Iterator[PointInfo]:
        return iter(self._points.values())

    def __len__(self) -> int:
        return len(self._points)
