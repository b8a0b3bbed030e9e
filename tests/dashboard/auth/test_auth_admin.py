"""User, display-token and audit administration through the real app (admin only)."""

from __future__ import annotations

import pytest
from authkit import AppKit, open_ws, recv_json


@pytest.mark.parametrize("role", ["viewer", "operator", "engineer"])
async def test_only_admins_administer(app: AppKit, role: str) -> None:
    async with app.login(role) as client:
        for method, path, body in (
            ("GET", "/api/users", None),
            ("POST", "/api/users", {"username": "x", "password": "long-enough-1",
                                    "role": "admin"}),
            ("PATCH", "/api/users/viewer", {"role": "admin"}),
            ("DELETE", "/api/users/viewer", None),
            ("GET", "/api/display-tokens", None),
            ("POST", "/api/display-tokens", {"name": "wall"}),
            ("DELETE", "/api/display-tokens/1", None),
            ("GET", "/api/audit", None),
        ):
            response = await client.request(method, path, json=body)
            assert response.status_code == 403, f"{role} {method} {path}"
    assert app.auth.get_user("x") is None
    users = {u.name: u.role.value for u in app.auth.users()}
    assert users["viewer"] == "viewer"


async def test_admin_manages_users(app: AppKit) -> None:
    async with app.login("admin") as admin:
        listed = (await admin.get("/api/users")).json()
        assert [u["name"] for u in listed] == ["admin", "engineer", "operator", "viewer"]
        assert {"name", "role", "created_at", "created_by", "last_login_at"} <= set(listed[0])

        new = {"username": "张三", "password": "zhang-pass-1", "role": "operator"}
        response = await admin.post("/api/users", json=new)
        assert response.status_code == 201
        assert response.json()["name"] == "张三" and response.json()["created_by"] == "admin"
        assert (await admin.post("/api/users", json=new)).status_code == 409
        weak = {"username": "li", "password": "short", "role": "viewer"}
        response = await admin.post("/api/users", json=weak)
        assert response.status_code == 422 and "at least 8" in response.json()["detail"]
        bad_role = {"username": "li", "password": "long-enough-1", "role": "root"}
        assert (await admin.post("/api/users", json=bad_role)).status_code == 422

    async with app.login("张三", "zhang-pass-1") as zhang:
        assert (await zhang.get("/api/me")).json()["role"] == "operator"
        async with app.login("admin") as admin:
            response = await admin.patch("/api/users/张三", json={"role": "engineer"})
            assert response.status_code == 200 and response.json()["role"] == "engineer"
            assert (await zhang.get("/api/me")).json()["role"] == "engineer"  # at once
            # A weak new password changes nothing, not even the role given with it.
            response = await admin.patch("/api/users/张三",
                                         json={"role": "viewer", "password": "short"})
            assert response.status_code == 422
            assert (await zhang.get("/api/me")).json()["role"] == "engineer"
            response = await admin.patch("/api/users/张三", json={"password": "new-pass-123"})
            assert response.status_code == 200
            assert (await zhang.get("/api/me")).status_code == 401  # sessions ended
            assert (await admin.delete("/api/users/张三")).status_code == 204
            assert (await admin.delete("/api/users/张三")).status_code == 404
            assert (await admin.patch("/api/users/nobody", json={"role": "viewer"})
                    ).status_code == 404
            response = await admin.delete("/api/users/admin")
            assert response.status_code == 409 and "yourself" in response.json()["detail"]

    actions = [(e.user, e.action, e.target) for e in app.auth.audit_log(user="admin")]
    assert ("admin", "user.added", "张三") in actions
    assert ("admin", "user.role", "张三") in actions
    assert ("admin", "user.password", "张三") in actions
    assert ("admin", "user.removed", "张三") in actions


async def test_the_last_admin_cannot_be_demoted(app: AppKit) -> None:
    async with app.login("admin") as admin:
        await admin.post("/api/users",
                         json={"username": "root2", "password": "long-enough-1", "role": "admin"})
        async with app.login("root2", "long-enough-1") as root2:
            assert (await root2.delete("/api/users/admin")).status_code == 204
            response = await root2.patch("/api/users/root2", json={"role": "viewer"})
            assert response.status_code == 409 and "last admin" in response.json()["detail"]


async def test_admin_pairs_and_unpairs_a_wall(app: AppKit) -> None:
    async with app.login("admin") as admin:
        response = await admin.post("/api/display-tokens", json={"name": "指挥中心大屏"})
        assert response.status_code == 201
        created = response.json()
        assert set(created) == {"id", "name", "token"} and created["token"].startswith("hzd_")

        ws = await open_ws(app, token=created["token"])
        assert (await recv_json(ws))["type"] == "snapshot"

        listed = (await admin.get("/api/display-tokens")).json()
        assert [(t["id"], t["name"], t["active"]) for t in listed] == [
            (created["id"], "指挥中心大屏", True)
        ]
        assert "token" not in listed[0]
        assert listed[0]["last_used_at"] is not None

        assert (await admin.delete(f"/api/display-tokens/{created['id']}")).status_code == 204
        assert (await admin.delete("/api/display-tokens/999")).status_code == 404
        listed = (await admin.get("/api/display-tokens")).json()
        assert listed[0]["active"] is False and listed[0]["revoked_by"] == "admin"
    async with app.client(headers={"Authorization": f"Bearer {created['token']}"}) as wall:
        assert (await wall.get("/api/me")).status_code == 401
    await ws.close()


async def test_audit_log_through_the_api(app: AppKit) -> None:
    alarm = app.raise_alarm()
    async with app.login("operator") as operator:
        await operator.post(
            f"/api/alarms/{alarm}/ack", json={"comment": "收到", "disposition": "real"}
        )
    async with app.client() as client:
        await client.post("/api/login", json={"username": "admin", "password": "nope-nope"})
    async with app.login("admin") as admin:
        entries = (await admin.get("/api/audit", params={"limit": 50})).json()
        assert set(entries[0]) == {"id", "ts", "user", "action", "target", "detail", "address"}
        actions = [(e["user"], e["action"]) for e in entries]
        assert ("operator", "login") in actions
        assert ("operator", "alarm.acknowledged") in actions
        assert ("admin", "login.failed") in actions
        ids = [e["id"] for e in entries]
        assert ids == sorted(ids, reverse=True)  # newest first
        two = (await admin.get("/api/audit", params={"limit": 2})).json()
        assert [e["id"] for e in two] == ids[:2]
        only = (await admin.get("/api/audit", params={"action": "alarm.acknowledged"})).json()
        assert [(e["target"], e["detail"]) for e in only] == [(alarm, "处置结论：真实报警。收到")]
        assert (await admin.get("/api/audit", params={"limit": 0})).status_code == 422
