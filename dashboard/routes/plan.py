"""The plant plans (厂区平面图) of the sites that have one.

    GET /api/plans                  every plan: its size, image address and the positions
                                    of its points and hazard sources
    GET /api/plans/{site}/image     the image (SVG or PNG) as the site file names it

The image is served with a Content-Security-Policy that lets nothing in it run: an SVG is
a document, and one opened on its own must not run scripts in the gateway's origin.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse
from pydantic import BaseModel

from config.catalog import Catalog

_IMAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}


class PlanMarkOut(BaseModel):
    kind: str  # "point" or "source"
    id: str  # "<site>/<tag>" for a point, the hazard source id for a source
    label: str  # the tag, or the source's name
    name: str
    unit: str
    x: float
    y: float


class PlanOut(BaseModel):
    site: str
    enterprise: str
    width: float
    height: float
    image: str
    marks: list[PlanMarkOut]
    source_points: dict[str, list[str]]  # hazard source id: its point ids, for its colour


def plan_router(catalog: Catalog) -> APIRouter:
    api = APIRouter(prefix="/api", tags=["plan"])

    @api.get("/plans", response_model=list[PlanOut])
    async def plans() -> list[PlanOut]:
        out = []
        for site in catalog.sites:
            plan = site.plan
            if plan is None:
                continue
            code = site.enterprise.code
            sources = {s.id: s for s in site.hazard_sources}
            points = {p.tag: p for _, p in site.points()}
            marks = []
            for name, (x, y) in plan.positions.items():
                if name in sources:
                    marks.append(PlanMarkOut(kind="source", id=name, label=sources[name].name,
                                             name=sources[name].name, unit="", x=x, y=y))
                else:
                    point = points[name]
                    marks.append(PlanMarkOut(kind="point", id=f"{code}/{name}", label=name,
                                             name=point.name, unit=point.unit, x=x, y=y))
            source_points: dict[str, list[str]] = {}
            for point in points.values():
                source_points.setdefault(point.hazard_source, []).append(f"{code}/{point.tag}")
            out.append(PlanOut(site=code, enterprise=site.enterprise.name, width=plan.width,
                               height=plan.height, image=f"/api/plans/{code}/image",
                               marks=marks, source_points=source_points))
        return out

    @api.get("/plans/{site}/image", response_class=FileResponse)
    async def image(site: str) -> FileResponse:
        found = next((s for s in catalog.sites if s.enterprise.code == site), None)
        if found is None or found.plan is None:
            raise HTTPException(404, f"site {site!r} has no plan")
        plan = found.plan
        if not plan.image.is_file():
            raise HTTPException(404, f"the plan image {plan.image} is gone (site {site})")
        return FileResponse(plan.image, media_type=plan.media_type, headers=_IMAGE_HEADERS)

    return api
