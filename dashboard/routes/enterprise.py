"""一企一档: one page of record per enterprise (site).

    GET /api/enterprises                              the enterprises
    GET /api/enterprises/{site}                       hazard sources with the GB 18218-2018
                                                      R value and grade computed from the
                                                      site file's chemicals, contacts,
                                                      devices and points, documents
    PUT /api/enterprises/{site}/documents?title=&filename=   upload (engineer): the request
                                                      body is the file; a new version
    GET /api/enterprises/{site}/documents/{id}        one version's file
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import FileResponse

from config.catalog import Catalog
from config.gb18218 import STANDARD, identify
from config.points import ContactRole, HazardSource
from config.site import Site
from dashboard.auth import audit
from dashboard.auth.deps import Engineer, auth_of, client_address
from dashboard.duty.documents import MAX_BYTES, DocumentError
from dashboard.duty.service import DutyServices

Clock = Callable[[], float]
ROLE_WORDS = {
    ContactRole.PRINCIPAL: "主要负责人",
    ContactRole.TECHNICAL: "技术负责人",
    ContactRole.OPERATIONS: "操作负责人",
    ContactRole.RESPONSIBLE: "包保责任人",
}
GRADE_WORDS = {1: "一级", 2: "二级", 3: "三级", 4: "四级"}


def identification(source: HazardSource) -> dict[str, Any]:
    if not source.chemicals:
        # code: the page says it in its own language; reason: the Chinese, for anyone else.
        return {"available": False, "code": "no_chemicals",
                "reason": "站点文件未填写危险化学品及储量（chemicals:）"}
    try:
        found = identify(
            [(c.name, c.quantity_t, c.critical_t, c.beta) for c in source.chemicals],
            source.exposed_people,
        )
    except ValueError as error:
        return {"available": False, "reason": str(error)}
    return {
        "available": True,
        "standard": STANDARD,
        "terms": [{"name": t.name, "q": t.quantity_t, "Q": t.critical_t, "beta": t.beta,
                   "basis": t.basis, "ratio": round(t.ratio, 4)} for t in found.terms],
        "alpha": found.alpha,
        "people": found.people,
        "r": round(found.r, 2),
        "grade": found.grade,
        "grade_zh": GRADE_WORDS[found.grade],
        "is_major": found.is_major,
        "matches_declared": found.grade == source.grade,
    }


def enterprise_view(site: Site) -> dict[str, Any]:
    sources = {s.id: s.name for s in site.hazard_sources}
    return {
        "code": site.enterprise.code,
        "name": site.enterprise.name,
        "has_plan": site.plan is not None,
        "hazard_sources": [
            {"id": s.id, "name": s.name, "kind": s.kind.value, "grade": s.grade,
             "grade_zh": GRADE_WORDS[s.grade], "identification": identification(s)}
            for s in site.hazard_sources
        ],
        "contacts": [
            {"role": c.role.value, "role_zh": ROLE_WORDS[c.role], "name": c.name,
             "title": c.title, "phone": c.phone, "hazard_source": c.hazard_source,
             "hazard_source_name": sources.get(c.hazard_source or "")}
            for c in site.contacts
        ],
        "devices": [
            {"id": d.id, "name": getattr(d, "name", "") or d.id, "transport": d.transport,
             "points": [{"id": f"{site.enterprise.code}/{p.tag}", "tag": p.tag,
                         "name": p.name, "kind": p.kind.value, "unit": p.unit,
                         "hazard_source": p.hazard_source} for p in d.points]}
            for d in site.devices
        ],
    }


def enterprise_router(duty: DutyServices, catalog: Catalog, *, clock: Clock = time.time
                      ) -> APIRouter:
    api = APIRouter(prefix="/api", tags=["enterprise"])

    def site_of(code: str) -> Site:
        site = next((s for s in catalog.sites if s.enterprise.code == code), None)
        if site is None:
            raise HTTPException(404, f"unknown enterprise {code!r}")
        return site

    def documents(code: str) -> list[dict[str, Any]]:
        store = duty.documents
        if store is None:
            return []
        titles: dict[str, list[dict[str, Any]]] = {}
        for v in store.versions(code):
            titles.setdefault(v.title, []).append({
                "id": v.id, "version": v.version, "filename": v.filename, "size": v.size,
                "sha256": v.sha256, "uploaded_by": v.uploaded_by, "uploaded_at": v.uploaded_at,
                "url": f"/api/enterprises/{code}/documents/{v.id}"})
        return [{"title": t, "versions": vs} for t, vs in titles.items()]

    @api.get("/enterprises")
    async def enterprises() -> list[dict[str, str]]:
        return [{"code": s.enterprise.code, "name": s.enterprise.name} for s in catalog.sites]

    @api.get("/enterprises/{code}")
    async def enterprise(code: str) -> dict[str, Any]:
        view = enterprise_view(site_of(code))
        view["documents"] = documents(code)
        return view

    @api.put("/enterprises/{code}/documents", status_code=201)
    async def upload(
        code: str, request: Request, principal: Engineer,
        title: Annotated[str, Query(min_length=1, max_length=80)],
        filename: Annotated[str, Query(min_length=1, max_length=200)],
    ) -> dict[str, Any]:
        site_of(code)
        store = duty.documents
        if store is None:
            raise HTTPException(503, "no document store: the gateway keeps none")
        declared = int(request.headers.get("content-length") or 0)
        if declared > MAX_BYTES:
            raise HTTPException(413, f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BYTES:
                raise HTTPException(413, "the file is too large")
        try:
            version = store.add(code, title, filename, bytes(body), user=principal.name,
                                now=clock())
        except DocumentError as error:
            raise HTTPException(422, str(error)) from error
        auth = auth_of(request)
        if auth is not None:
            auth.record(audit.DOCUMENT_UPLOADED, user=principal.name,
                        target=f"{code}/{version.title}",
                        detail=f"v{version.version} {version.filename} {version.sha256[:16]}",
                        address=client_address(request))
        return {"id": version.id, "title": version.title, "version": version.version,
                "filename": version.filename, "sha256": version.sha256}

    @api.get("/enterprises/{code}/documents/{record_id}", response_class=FileResponse)
    async def download(code: str, record_id: int) -> FileResponse:
        store = duty.documents
        version = store.get(record_id) if store is not None else None
        if store is None or version is None or version.site != code:
            raise HTTPException(404, f"no document {record_id} of {code}")
        return FileResponse(store.path_of(code, version.id, version.filename),
                            media_type=version.media_type, filename=version.filename,
                            headers={"X-Content-Type-Options": "nosniff",
                                     "Content-Security-Policy": "default-src 'none'"})

    return api
