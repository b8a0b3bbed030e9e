"""User, display-token and audit administration (admin role).

    GET    /api/users                    → [{name, role, created_at, created_by, last_login_at}]
    POST   /api/users                    {username, password, role} → 201 user
    PATCH  /api/users/{name}             {role?, password?} → user (password: their sessions end)
    DELETE /api/users/{name}             → 204 (not yourself, not the last admin: 409)
    POST   /api/display-tokens           {name} → 201 {id, name, token}  (the token is shown once)
    GET    /api/display-tokens           → [{id, name, created_at, created_by, last_used_at,
                                             revoked_at, revoked_by, active}]
    DELETE /api/display-tokens/{id}      → 204; open wall displays using it are disconnected
    GET    /api/audit?limit=&before_id=&user=&action=&since=
                                         → [{id, ts, user, action, target, detail, address}]

Every change is written to the audit log by ``AuthService``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from dashboard.auth.deps import client_address, require
from dashboard.auth.principal import Principal
from dashboard.auth.roles import Role
from dashboard.auth.service import AuthError, AuthService, Conflict, NotFound, UserInfo
from dashboard.auth.store import MAX_AUDIT_ROWS, AuditEntry, DisplayTokenRecord
from dashboard.routes.bounds import BeforeQuery, RowIdPath, TimeQuery

Admin = Annotated[Principal, Depends(require(Role.ADMIN))]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NewUserBody(_Body):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    role: Role


class ChangeUserBody(_Body):
    role: Role | None = None
    password: str | None = Field(default=None, min_length=1, max_length=1024)


class NewTokenBody(_Body):
    name: str = Field(min_length=1, max_length=64)


class UserOut(BaseModel):
    name: str
    role: Role
    created_at: float
    created_by: str | None
    last_login_at: float | None


class TokenOut(BaseModel):
    id: int
    name: str
    created_at: float
    created_by: str | None
    last_used_at: float | None
    revoked_at: float | None
    revoked_by: str | None
    active: bool


class NewTokenOut(BaseModel):
    id: int
    name: str
    token: str


class AuditOut(BaseModel):
    id: int
    ts: float
    user: str | None
    action: str
    target: str | None
    detail: str | None
    address: str | None


def _user_out(user: UserInfo) -> UserOut:
    return UserOut(
        name=user.name, role=user.role, created_at=user.created_at, created_by=user.created_by,
        last_login_at=user.last_login_at,
    )


def _token_out(record: DisplayTokenRecord) -> TokenOut:
    return TokenOut(
        id=record.id, name=record.name, created_at=record.created_at,
        created_by=record.created_by, last_used_at=record.last_used_at,
        revoked_at=record.revoked_at, revoked_by=record.revoked_by, active=record.active,
    )


def _audit_out(entry: AuditEntry) -> AuditOut:
    return AuditOut(
        id=entry.id, ts=entry.ts, user=entry.user, action=entry.action, target=entry.target,
        detail=entry.detail, address=entry.address,
    )


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except NotFound as error:
        raise HTTPException(404, str(error)) from error
    except Conflict as error:
        raise HTTPException(409, str(error)) from error
    except AuthError as error:
        raise HTTPException(422, str(error)) from error


def admin_router(auth: AuthService) -> APIRouter:
    api = APIRouter(prefix="/api", tags=["admin"])

    @api.get("/users", response_model=list[UserOut])
    async def users(_: Admin) -> list[UserOut]:
        return [_user_out(user) for user in auth.users()]

    @api.post("/users", status_code=201, response_model=UserOut)
    async def add_user(body: NewUserBody, admin: Admin, request: Request) -> UserOut:
        with _errors():
            user = await auth.add_user_async(
                body.username, body.password, body.role, actor=admin.name,
                address=client_address(request),
            )
        return _user_out(user)

    @api.patch("/users/{name}", response_model=UserOut)
    async def change_user(
        name: str, body: ChangeUserBody, admin: Admin, request: Request
    ) -> UserOut:
        address = client_address(request)
        with _errors():
            if body.password is not None:
                auth.check_password(body.password)  # refuse before changing anything
            if body.role is not None:
                auth.set_role(name, body.role, actor=admin.name, address=address)
            if body.password is not None:
                await auth.set_password_async(
                    name, body.password, actor=admin.name, address=address
                )
            user = auth.get_user(name)
        if user is None:
            raise HTTPException(404, f"no user {name!r}")
        return _user_out(user)

    @api.delete("/users/{name}", status_code=204)
    async def remove_user(name: str, admin: Admin, request: Request) -> Response:
        if name.casefold() == admin.name.casefold():
            raise HTTPException(409, "you cannot remove yourself; ask another admin")
        with _errors():
            auth.remove_user(name, actor=admin.name, address=client_address(request))
        return Response(status_code=204)

    @api.post("/display-tokens", status_code=201, response_model=NewTokenOut)
    async def create_token(body: NewTokenBody, admin: Admin, request: Request) -> NewTokenOut:
        with _errors():
            record, token = auth.create_display_token(
                body.name, actor=admin.name, address=client_address(request)
            )
        return NewTokenOut(id=record.id, name=record.name, token=token)

    @api.get("/display-tokens", response_model=list[TokenOut])
    async def tokens(_: Admin) -> list[TokenOut]:
        return [_token_out(record) for record in auth.display_tokens()]

    @api.delete("/display-tokens/{ident}", status_code=204)
    async def revoke_token(ident: RowIdPath, admin: Admin, request: Request) -> Response:
        with _errors():
            auth.revoke_display_token(ident, actor=admin.name, address=client_address(request))
        return Response(status_code=204)

    @api.get("/audit", response_model=list[AuditOut])
    async def audit_log(
        _: Admin,
        limit: Annotated[int, Query(ge=1, le=MAX_AUDIT_ROWS)] = 200,
        before_id: BeforeQuery = None,
        user: Annotated[str | None, Query(max_length=128)] = None,
        action: Annotated[str | None, Query(max_length=128)] = None,
        since: TimeQuery = None,
    ) -> list[AuditOut]:
        entries = auth.audit_log(limit, before_id=before_id, user=user, action=action, since=since)
        return [_audit_out(entry) for entry in entries]

    return api
