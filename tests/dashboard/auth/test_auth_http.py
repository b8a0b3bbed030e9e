"""Sign-in through the real assembled app on uvicorn: cookies, bearer tokens, roles,
rate limits, the websocket gate and revocation."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest
from authkit import WAIT, AppKit, open_ws, recv_json
from websockets.exceptions import ConnectionClosed, InvalidStatus

from dashboard.auth import COOKIE_NAME

WRONG = "用户名或密码错误 / wrong user name or password"


async def test_login_sets_a_strict_cookie_and_returns_a_token(app: AppKit) -> None:
    async with app.client() as client:
        response = await client.post(
            "/api/login", json={"username": "operator", "password": "operator-pass-1"}
        )
        assert response.status_code == 200
        body = response.json()
        assert body["user"] == {"name": "operator", "role": "operator"}
        assert body["token"].startswith("hzs_")
        assert body["expires_at"] == app.clock() + app.auth.settings.session_idle
        cookie = response.headers["set-cookie"]
        assert cookie.startswith(f"{COOKIE_NAME}={body['token']};")
        for attribute in ("HttpOnly", "SameSite=strict", "Path=/"):
            assert attribute.lower() in cookie.lower()
        assert "secure" not in cookie.lower()  # plain http on a plant network
        me = await client.get("/api/me")  # the cookie
        assert me.status_code == 200
        assert me.json()["name"] == "operator" and me.json()["display"] is False
    async with app.client(headers={"Authorization": f"Bearer {body['token']}"}) as script:
        me = await script.get("/api/me")  # the bearer token, no cookie
        assert me.status_code == 200 and me.json()["role"] == "operator"


@pytest.mark.parametrize(
    "body",
    [
        {"username": "operator", "password": "wrong-password"},
        {"username": "nobody", "password": "operator-pass-1"},
    ],
)
async def test_bad_credentials_get_one_message(app: AppKit, body: dict[str, str]) -> None:
    async with app.client() as client:
        response = await client.post("/api/login", json=body)
        assert response.status_code == 401
        assert response.json() == {"detail": WRONG}
        assert "set-cookie" not in response.headers
        assert (await client.get("/api/me")).status_code == 401


async def test_login_is_rate_limited(app: AppKit) -> None:
    async with app.client() as client:
        wrong = {"username": "admin", "password": "guess-1234"}
        limit = app.auth.settings.per_account_address
        for _ in range(limit.free):
            assert (await client.post("/api/login", json=wrong)).status_code == 401
        right = {"username": "admin", "password": "admin-pass-1"}
        response = await client.post("/api/login", json=right)
        assert response.status_code == 429
        assert response.headers["retry-after"] == str(int(limit.first_delay))
        body = response.json()
        assert body["retry_after"] == int(limit.first_delay)
        assert body["locked_until"] == pytest.approx(app.clock() + limit.first_delay)
        app.clock.advance(limit.first_delay)
        assert (await client.post("/api/login", json=right)).status_code == 200
    entries = app.auth.audit_log(action="login.throttled")
    assert len(entries) == 1 and entries[0].address == "127.0.0.1"


def _api_routes(app: AppKit) -> list[tuple[str, str]]:
    """Every (method, path) of the assembled app under /api (from its OpenAPI schema, which
    lists every route of every router), path parameters filled in."""
    schema = app.app.openapi()
    routes = [("GET", "/api/docs"), ("GET", "/api/openapi.json")]
    for path, operations in schema["paths"].items():
        assert path.startswith("/api/"), path
        filled = re.sub(r"\{[^}]+\}", "X-1", path)
        routes.extend((method.upper(), filled) for method in operations)
    return routes


async def test_every_api_route_needs_a_session(app: AppKit) -> None:
    routes = _api_routes(app)
    paths = {path for _, path in routes}
    for expected in ("/api/alarms", "/api/points", "/api/health", "/api/users", "/api/audit",
                     "/api/trend", "/api/alarms/history.csv", "/api/config/reload",
                     "/api/commissioning/devices", "/api/docs", "/api/openapi.json"):
        assert expected in paths, f"{expected} missing from the assembled app"
    checked = 0
    async with app.client() as client:
        for method, path in routes:
            if path in ("/api/login", "/api/logout"):
                continue
            for headers in ({}, {"Authorization": "Bearer hzs_forged"},
                            {"Cookie": f"{COOKIE_NAME}=hzs_forged"}):
                body: dict[str, str] | None = {} if method in ("POST", "PATCH", "PUT") else None
                response = await client.request(method, path, headers=headers, json=body)
                assert response.status_code == 401, f"{method} {path} {headers}"
                checked += 1
        assert (await client.get("/api/no-such-route")).status_code == 401
        # Pages and static files stay public: the login page must load, and / leads there.
        assert (await client.get("/login")).status_code == 200
        start = await client.get("/")
        assert (start.status_code, start.headers["location"]) == (303, "/login?next=/console")
    assert checked > 60


async def test_a_viewer_cannot_act_on_alarms(app: AppKit) -> None:
    alarm = app.raise_alarm()
    async with app.login("viewer") as viewer:
        assert (await viewer.get("/api/alarms")).status_code == 200
        for path, body in (
            (f"/api/alarms/{alarm}/ack", {"comment": "看到了"}),
            ("/api/alarms/ack", {"ids": [alarm]}),
            (f"/api/alarms/{alarm}/shelve", {"reason": "x", "minutes": 5}),
            (f"/api/alarms/{alarm}/notes", {"text": "x"}),
        ):
            response = await viewer.post(path, json=body)
            assert response.status_code == 403, path
            assert "operator" in response.json()["detail"]
    assert app.engine.get(alarm).state.value == "active_unacknowledged"
    denied = app.auth.audit_log(action="denied")
    assert len(denied) == 4 and all(e.user == "viewer" for e in denied)
    assert denied[-1].target == f"POST /api/alarms/{alarm}/ack"


async def test_an_operator_acts_under_their_own_name(app: AppKit) -> None:
    alarm = app.raise_alarm()
    async with app.login("operator") as operator:
        # A forged identity header must not matter any more.
        response = await operator.post(
            f"/api/alarms/{alarm}/ack", json={"comment": "现场已确认", "disposition": "real"},
            headers={"X-Hazgw-User": "someone-else"},
        )
        assert response.status_code == 200, response.text
        assert response.json()["acknowledged_by"] == "operator"
        note = await operator.post(f"/api/alarms/{alarm}/notes", json={"text": "已关阀"})
        assert note.status_code == 200 and note.json()["user"] == "operator"
    actions = [(e.action, e.user, e.target, e.detail) for e in app.auth.audit_log()][:2]
    assert actions == [
        ("alarm.note", "operator", alarm, "已关阀"),
        ("alarm.acknowledged", "operator", alarm, "处置结论：真实报警。现场已确认"),
    ]


async def test_cookie_requests_from_another_origin_are_refused(app: AppKit) -> None:
    alarm = app.raise_alarm()
    async with app.login("operator") as operator:
        hostile = await operator.post(
            f"/api/alarms/{alarm}/ack", json={}, headers={"Origin": "http://evil.example"}
        )
        assert hostile.status_code == 403
        same = await operator.post(
            f"/api/alarms/{alarm}/ack", json={"comment": "现场已确认", "disposition": "real"},
            headers={"Origin": app.url},
        )
        assert same.status_code == 200
        # Reading is not an action: a GET with a foreign Origin is answered (CORS still
        # keeps the answer from the other site's script).
        assert (await operator.get("/api/me", headers={"Origin": "http://x"})).status_code == 200


async def test_logout_ends_the_session(app: AppKit) -> None:
    async with app.login("engineer") as client:
        token = client.cookies[COOKIE_NAME]
        response = await client.post("/api/logout")
        assert response.status_code == 204
        assert f"{COOKIE_NAME}=" in response.headers["set-cookie"]
        assert "max-age=0" in response.headers["set-cookie"].lower()
        assert (await client.get("/api/me")).status_code == 401
    async with app.client(headers={"Authorization": f"Bearer {token}"}) as script:
        assert (await script.get("/api/me")).status_code == 401
        assert (await script.post("/api/logout")).status_code == 204  # harmless again
    assert [e.action for e in app.auth.audit_log(user="engineer")][:2] == ["logout", "login"]


async def test_a_display_token_reads_but_never_acts(app: AppKit) -> None:
    alarm = app.raise_alarm()
    _, token = app.auth.create_display_token("大屏", actor="admin")
    async with app.client(headers={"Authorization": f"Bearer {token}"}) as wall:
        me = (await wall.get("/api/me")).json()
        assert me == {"name": "大屏", "role": "viewer", "display": True, "expires_at": None}
        assert (await wall.get("/api/hazard-sources")).status_code == 200
        assert (await wall.post(f"/api/alarms/{alarm}/ack", json={})).status_code == 403
        assert (await wall.get("/api/users")).status_code == 403
    assert app.auth.audit_log(action="denied")[0].user == "display:大屏"


async def test_the_start_page_leads_where_each_one_works(app: AppKit) -> None:
    """``/``: a wall display to the wall, a signed-in person to the console, nobody to the
    login page (which comes back to the console)."""
    _, token = app.auth.create_display_token("大屏", actor="admin")
    async with app.client(headers={"Authorization": f"Bearer {token}"}) as wall:
        assert (await wall.get("/")).headers["location"] == "/wall"
    async with app.login("viewer") as viewer:
        assert (await viewer.get("/")).headers["location"] == "/console"
    async with app.client(headers={"Authorization": "Bearer hzs_forged"}) as forged:
        assert (await forged.get("/")).headers["location"] == "/login?next=/console"


# ---------------------------------------------------------------------- websocket


async def _closed_with(ws: object, code: int) -> None:
    from websockets.asyncio.client import ClientConnection

    assert isinstance(ws, ClientConnection)
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(ws.recv(), WAIT)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == code


@pytest.mark.parametrize("credential", ["none", "forged-token", "forged-cookie"])
async def test_websocket_without_a_session_is_closed_4401(app: AppKit, credential: str) -> None:
    kwargs = {
        "none": {},
        "forged-token": {"token": "hzs_forged"},
        "forged-cookie": {"cookie": "hzs_forged"},
    }[credential]
    ws = await open_ws(app, **kwargs)  # type: ignore[arg-type]
    await _closed_with(ws, 4401)
    assert app.hub.stats().clients == 0


async def test_websocket_with_a_session_cookie_or_token(app: AppKit) -> None:
    token = await app.token("viewer")
    for kwargs in ({"cookie": token}, {"token": token},
                   {"headers": {"Authorization": f"Bearer {token}"}}):
        ws = await open_ws(app, **kwargs)  # type: ignore[arg-type]
        async with ws:
            assert (await recv_json(ws))["type"] == "snapshot"


async def test_websocket_cookie_from_another_origin_is_refused(app: AppKit) -> None:
    token = await app.token("viewer")
    ws = await open_ws(app, cookie=token, headers={"Origin": "http://evil.example"})
    await _closed_with(ws, 4401)
    ws = await open_ws(app, cookie=token, headers={"Origin": app.url})
    async with ws:
        assert (await recv_json(ws))["type"] == "snapshot"


async def test_revoking_a_display_token_disconnects_the_wall(app: AppKit) -> None:
    record, token = app.auth.create_display_token("wall-1", actor="admin")
    _, other = app.auth.create_display_token("wall-2", actor="admin")
    wall = await open_ws(app, token=token)
    bystander = await open_ws(app, token=other)
    assert (await recv_json(wall))["type"] == "snapshot"
    assert (await recv_json(bystander))["type"] == "snapshot"
    async with app.login("admin") as admin:
        assert (await admin.delete(f"/api/display-tokens/{record.id}")).status_code == 204
    await _closed_with(wall, 4401)
    # The other wall stays connected and keeps receiving.
    app.raise_alarm()
    message = await recv_json(bystander)
    assert message["type"] == "delta"
    await bystander.close()
    refused = await open_ws(app, token=token)
    await _closed_with(refused, 4401)


async def test_logout_disconnects_that_sessions_websocket(app: AppKit) -> None:
    token = await app.token("operator")
    ws = await open_ws(app, cookie=token)
    assert (await recv_json(ws))["type"] == "snapshot"
    async with app.client(headers={"Authorization": f"Bearer {token}"}) as client:
        assert (await client.post("/api/logout")).status_code == 204
    await _closed_with(ws, 4401)
    await asyncio.wait_for(_until_no_clients(app), WAIT)


async def _until_no_clients(app: AppKit) -> None:
    # Neither the hub nor the registry signals a departure: poll, bounded by the caller.
    while app.hub.stats().clients or len(app.auth.connections):  # noqa: ASYNC110
        await asyncio.sleep(0.02)


async def test_the_http_handshake_is_not_refused(app: AppKit) -> None:
    """4401 after accept, not a refused handshake: a browser could not tell that from a
    dead gateway."""
    try:
        ws = await open_ws(app)
    except InvalidStatus as error:  # pragma: no cover - the failure this test is about
        pytest.fail(f"handshake refused with HTTP {error.response.status_code}")
    await _closed_with(ws, 4401)


async def test_httpx_sees_the_unauthenticated_api_as_json(app: AppKit) -> None:
    async with httpx.AsyncClient(base_url=app.url) as client:
        response = await client.get("/api/alarms")
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json() == {"detail": "未登录 / not signed in"}
