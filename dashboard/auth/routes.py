"""Sign-in routes: ``POST /api/login``, ``POST /api/logout``, ``GET /api/me``.

    POST /api/login  {username, password} → 200 {user: {name, role}, token, expires_at}
                     + cookie hazgw_session (HttpOnly, SameSite=Strict, Path=/)
                     401 wrong user name or password (one message for both)
                     429 + Retry-After, {detail, locked_until, retry_after} while this
                     account from this address (or the address) is locked
    POST /api/logout → 204; ends the session and clears the cookie (also without one)
    GET  /api/me     → {name, role, display, expires_at} or 401
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from dashboard.auth.deps import PrincipalDep, client_address
from dashboard.auth.middleware import COOKIE_NAME, find_credential
from dashboard.auth.roles import Role
from dashboard.auth.service import AuthService, LoginRefused, LoginThrottled

WRONG_CREDENTIALS = "用户名或密码错误 / wrong user name or password"


class LoginBody(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    username: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=1, max_length=1024)


class UserOut(BaseModel):
    name: str
    role: Role


class LoginOut(BaseModel):
    user: UserOut
    token: str
    expires_at: float


class MeOut(BaseModel):
    name: str
    role: Role
    display: bool
    expires_at: float | None


def auth_router(auth: AuthService) -> APIRouter:
    api = APIRouter(prefix="/api", tags=["auth"])

    @api.post(
        "/login",
        response_model=LoginOut,
        responses={401: {"description": WRONG_CREDENTIALS}, 429: {"description": "throttled"}},
    )
    async def login(body: LoginBody, request: Request) -> Response:
        address = client_address(request)
        try:
            result = await auth.login(body.username, body.password, address)
        except LoginThrottled as throttled:
            seconds = throttled.block.retry_after_header
            return JSONResponse(
                {"detail": f"登录失败次数过多，请 {seconds} 秒后再试 / too many failed "
                           f"logins, retry in {seconds} s",
                 "locked_until": throttled.block.until,
                 "retry_after": int(seconds)},
                status_code=429,
                headers={"Retry-After": seconds},
            )
        except LoginRefused:
            return JSONResponse({"detail": WRONG_CREDENTIALS}, status_code=401)
        principal = result.principal
        out = LoginOut(
            user=UserOut(name=principal.name, role=principal.role),
            token=result.token,
            expires_at=result.expires_at,
        )
        response = JSONResponse(out.model_dump(mode="json"))
        secure = auth.settings.cookie_secure
        response.set_cookie(
            COOKIE_NAME,
            result.token,
            # The server decides when the session ends; the cookie only has to outlive it.
            max_age=int(auth.settings.session_max),
            path="/",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https" if secure is None else secure,
        )
        return response

    @api.post("/logout", status_code=204)
    async def logout(request: Request) -> Response:
        found = find_credential(request, allow_query=False)
        if found is not None:
            auth.logout(found[0], address=client_address(request))
        response = Response(status_code=204)
        response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="strict")
        return response

    @api.get("/me", response_model=MeOut)
    async def me(principal: PrincipalDep) -> MeOut:
        return MeOut(
            name=principal.name,
            role=principal.role,
            display=principal.display,
            expires_at=principal.expires_at,
        )

    return api
