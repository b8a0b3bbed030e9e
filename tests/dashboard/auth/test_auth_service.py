"""AuthService over a real SQLite file: users, logins, sessions, tokens, audit."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from authkit import FakeClock, add_role_users

from alerting.events import AlarmEvent, AlarmState, EventKind
from config.catalog import PointKey
from config.vocabulary import AlarmType, Priority
from dashboard.auth import (
    TEST_COST,
    AuthError,
    AuthService,
    AuthSettings,
    Conflict,
    HashCost,
    LoginRefused,
    LoginThrottled,
    NotFound,
    Role,
    create_demo_users,
    parse_role,
)
from dashboard.auth.principal import CredentialKind
from dashboard.auth.service import check_name

ADDRESS = "192.0.2.7"


# ----------------------------------------------------------------- roles and names


@pytest.mark.parametrize(
    ("role", "needed", "allowed"),
    [
        (Role.VIEWER, Role.VIEWER, True),
        (Role.VIEWER, Role.OPERATOR, False),
        (Role.OPERATOR, Role.OPERATOR, True),
        (Role.OPERATOR, Role.ENGINEER, False),
        (Role.ENGINEER, Role.OPERATOR, True),
        (Role.ENGINEER, Role.ADMIN, False),
        (Role.ADMIN, Role.ENGINEER, True),
        (Role.ADMIN, Role.VIEWER, True),
    ],
)
def test_roles_are_ordered(role: Role, needed: Role, allowed: bool) -> None:
    assert role.at_least(needed) is allowed


@pytest.mark.parametrize(
    ("text", "role"),
    [("viewer", Role.VIEWER), (" Operator ", Role.OPERATOR), ("ADMIN", Role.ADMIN)],
)
def test_parse_role(text: str, role: Role) -> None:
    assert parse_role(text) is role


def test_parse_role_names_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="viewer, operator, engineer, admin"):
        parse_role("root")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("zhang", "zhang"), ("  张三 ", "张三"), ("duty-1", "duty-1")],
)
def test_good_names(raw: str, expected: str) -> None:
    assert check_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("x" * 65, "longer than 64"),
        ("a\nb", "control characters"),
        ("display:wall", "reserved"),
    ],
)
def test_bad_names(raw: str, message: str) -> None:
    with pytest.raises(AuthError, match=message):
        check_name(raw)


# -------------------------------------------------------------------------- users


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "at least 8"),
        (" padded-password ", "spaces"),
        ("x" * 1025, "longer than 1024"),
    ],
)
def test_weak_passwords_are_refused(auth: AuthService, password: str, message: str) -> None:
    with pytest.raises(AuthError, match=message):
        auth.add_user("zhang", password, Role.OPERATOR, actor="test")
    assert auth.get_user("zhang") is None


def test_names_are_unique_regardless_of_case(auth: AuthService) -> None:
    auth.add_user("Zhang", "long-enough-1", Role.OPERATOR, actor="test")
    with pytest.raises(Conflict):
        auth.add_user("zhang", "long-enough-2", Role.VIEWER, actor="test")
    user = auth.get_user("ZHANG")
    assert user is not None and user.name == "Zhang" and user.role is Role.OPERATOR


def test_only_a_hash_is_stored(auth: AuthService, tmp_path: Path) -> None:
    auth.add_user("zhang", "secret-password-9", Role.OPERATOR, actor="test")
    raw = (tmp_path / "users.db").read_bytes()
    assert b"secret-password-9" not in raw
    stored = auth.store.get_user("zhang")
    assert stored is not None and stored.password_hash.startswith("$argon2id$")


def test_the_last_admin_stays(auth: AuthService) -> None:
    auth.add_user("root", "long-enough-1", Role.ADMIN, actor="test")
    with pytest.raises(Conflict, match="last admin"):
        auth.remove_user("root", actor="test")
    with pytest.raises(Conflict, match="last admin"):
        auth.set_role("root", Role.ENGINEER, actor="test")
    auth.add_user("second", "long-enough-2", Role.ADMIN, actor="test")
    auth.set_role("root", Role.ENGINEER, actor="test")
    with pytest.raises(Conflict):
        auth.remove_user("second", actor="test")


def test_unknown_users(auth: AuthService) -> None:
    with pytest.raises(NotFound):
        auth.remove_user("ghost", actor="test")
    with pytest.raises(NotFound):
        auth.set_role("ghost", Role.ADMIN, actor="test")
    with pytest.raises(NotFound):
        auth.set_password("ghost", "long-enough-1", actor="test")


# -------------------------------------------------------------------------- login


async def test_login_opens_a_session(auth: AuthService, clock: FakeClock) -> None:
    add_role_users(auth)
    result = await auth.login("operator", "operator-pass-1", ADDRESS)
    assert result.token.startswith("hzs_")
    assert result.expires_at == clock() + auth.settings.session_idle
    principal = auth.authenticate(result.token)
    assert principal is not None
    assert (principal.name, principal.role, principal.kind) == (
        "operator", Role.OPERATOR, CredentialKind.SESSION
    )
    user = auth.get_user("operator")
    assert user is not None and user.last_login_at == clock()


@pytest.mark.parametrize(("name", "password"), [("operator", "wrong-password"),
                                                ("nobody", "operator-pass-1"),
                                                ("", "x"), ("operator", "x" * 2000)])
async def test_bad_logins_are_refused_alike(auth: AuthService, name: str, password: str) -> None:
    add_role_users(auth)
    with pytest.raises(LoginRefused):
        await auth.login(name, password, ADDRESS)
    failed = auth.audit_log(action="login.failed")
    assert len(failed) == 1 and failed[0].address == ADDRESS


async def test_login_is_throttled(auth: AuthService, clock: FakeClock) -> None:
    add_role_users(auth)
    limit = auth.settings.per_account_address
    for _ in range(limit.free):
        with pytest.raises(LoginRefused):
            await auth.login("operator", "wrong-password", ADDRESS)
    # From this address even the right password is refused, without being checked ...
    with pytest.raises(LoginThrottled) as throttled:
        await auth.login("operator", "operator-pass-1", ADDRESS)
    assert throttled.value.block.retry_after == pytest.approx(limit.first_delay)
    with pytest.raises(LoginThrottled):
        await auth.login("operator", "operator-pass-1", ADDRESS)
    throttled_entries = auth.audit_log(action="login.throttled")
    assert len(throttled_entries) == 1  # once per lock
    assert throttled_entries[0].user == "operator"
    assert "until" in (throttled_entries[0].detail or "")
    # ... while the operator at the desk next door signs in at once.
    at_desk = await auth.login("operator", "operator-pass-1", "10.1.1.1")
    assert auth.authenticate(at_desk.token) is not None
    clock.advance(limit.first_delay)
    result = await auth.login("operator", "operator-pass-1", ADDRESS)
    assert auth.authenticate(result.token) is not None


async def test_a_failed_login_for_no_such_user_keeps_no_typed_name(auth: AuthService) -> None:
    add_role_users(auth)
    with pytest.raises(LoginRefused):
        await auth.login("Secret-Passw0rd!", "anything-at-all", ADDRESS)
    with pytest.raises(LoginRefused):
        await auth.login("operator", "wrong-password", ADDRESS)
    unknown, known = sorted(auth.audit_log(action="login.failed"), key=lambda e: e.id)
    assert unknown.user is None and unknown.detail == "no such user"
    assert "Secret" not in repr(unknown)
    assert known.user == "operator"


async def test_a_weaker_hash_is_upgraded_at_login(tmp_path: Path, clock: FakeClock) -> None:
    weak = AuthService.open(tmp_path, clock=clock, settings=AuthSettings(hash_cost=TEST_COST))
    weak.add_user("zhang", "long-enough-1", Role.OPERATOR, actor="test")
    weak.close()
    stronger = HashCost(time_cost=2, memory_kib=16, parallelism=1)
    auth = AuthService.open(tmp_path, clock=clock, settings=AuthSettings(hash_cost=stronger))
    try:
        await auth.login("zhang", "long-enough-1", ADDRESS)
        stored = auth.store.get_user("zhang")
        assert stored is not None and "m=16,t=2,p=1" in stored.password_hash
        await auth.login("zhang", "long-enough-1", ADDRESS)  # still verifies
    finally:
        auth.close()


# ----------------------------------------------------------------------- sessions


async def test_sessions_expire_when_idle_and_renew_when_used(
    tmp_path: Path, clock: FakeClock
) -> None:
    settings = AuthSettings(hash_cost=TEST_COST, session_idle=3600.0, session_max=3 * 3600.0,
                            renew_interval=300.0)
    auth = AuthService.open(tmp_path, clock=clock, settings=settings)
    try:
        add_role_users(auth)
        result = await auth.login("viewer", "viewer-pass-1", ADDRESS)
        start = clock()
        clock.advance(200)  # too soon to renew: the expiry stays
        principal = auth.authenticate(result.token)
        assert principal is not None and principal.expires_at == start + 3600
        clock.advance(1000)  # used again: renewed to an hour from now
        principal = auth.authenticate(result.token)
        assert principal is not None and principal.expires_at == clock() + 3600
        for _ in range(5):  # busy, but never past session_max after login
            clock.advance(1800)
            principal = auth.authenticate(result.token)
            assert principal is not None
            assert principal.expires_at is not None
            assert principal.expires_at <= start + 3 * 3600
        clock.advance(3 * 3600)
        assert auth.authenticate(result.token) is None
        other = await auth.login("viewer", "viewer-pass-1", ADDRESS)
        clock.advance(3600)  # exactly idle: gone
        assert auth.authenticate(other.token) is None
    finally:
        auth.close()


async def test_logout_and_user_changes_end_sessions(auth: AuthService) -> None:
    add_role_users(auth)
    first = await auth.login("operator", "operator-pass-1", ADDRESS)
    second = await auth.login("operator", "operator-pass-1", ADDRESS)
    assert auth.logout(first.token)
    assert auth.authenticate(first.token) is None
    assert auth.authenticate(second.token) is not None
    assert not auth.logout(first.token)  # already gone

    auth.set_role("operator", Role.ENGINEER, actor="admin")
    promoted = auth.authenticate(second.token)
    assert promoted is not None and promoted.role is Role.ENGINEER  # at once

    auth.set_password("operator", "new-password-1", actor="admin")
    assert auth.authenticate(second.token) is None
    third = await auth.login("operator", "new-password-1", ADDRESS)
    auth.remove_user("operator", actor="admin")
    assert auth.authenticate(third.token) is None
    assert auth.store.session_count() == 0


@pytest.mark.parametrize(
    "token", ["", "hzs_", "hzs_unknown", "hzd_unknown", "Bearer x", "x" * 500, "hzs_" + "a" * 300]
)
def test_unknown_tokens(auth: AuthService, token: str) -> None:
    assert auth.authenticate(token) is None


# ------------------------------------------------------------------ display tokens


def test_display_tokens(auth: AuthService, tmp_path: Path, clock: FakeClock) -> None:
    record, token = auth.create_display_token("指挥中心大屏", actor="admin")
    assert token.startswith("hzd_")
    assert token.encode() not in (tmp_path / "users.db").read_bytes()
    principal = auth.authenticate(token)
    assert principal is not None
    assert principal.display and principal.role is Role.VIEWER
    assert principal.name == "指挥中心大屏" and principal.credential == str(record.id)
    listed = auth.display_tokens()
    assert [t.id for t in listed] == [record.id] and listed[0].last_used_at == clock()

    clock.advance(10)
    revoked = auth.revoke_display_token(record.id, actor="admin")
    assert revoked.revoked_at == clock() and revoked.revoked_by == "admin"
    assert auth.authenticate(token) is None
    auth.revoke_display_token(record.id, actor="admin")  # again: no error, no second entry
    assert len(auth.audit_log(action="display_token.revoked")) == 1
    with pytest.raises(NotFound):
        auth.revoke_display_token(999, actor="admin")


# -------------------------------------------------------------------------- audit


def _event(kind: EventKind, user: str | None, comment: str | None = None) -> AlarmEvent:
    return AlarmEvent(
        alarm_id="S/LT-1/HH", point=PointKey("S", "LT-1"), alarm_type=AlarmType.HIGH_HIGH,
        kind=kind, state=AlarmState.ACKED, priority=Priority.CRITICAL, ts=1234.5, user=user,
        comment=comment,
    )


def test_alarm_actions_by_people_are_audited(auth: AuthService) -> None:
    auth.alarm_listener([
        _event(EventKind.RAISED, None),
        _event(EventKind.ACKNOWLEDGED, "张三", "现场确认"),
        _event(EventKind.NOTIFIED, None),
        _event(EventKind.SHELVED, "李四", "检修"),
        _event(EventKind.NOTE, "张三", "已关闭阀门"),
    ])
    entries = auth.audit_log()
    assert [(e.action, e.user, e.target, e.detail) for e in reversed(entries)] == [
        ("alarm.acknowledged", "张三", "S/LT-1/HH", "现场确认"),
        ("alarm.shelved", "李四", "S/LT-1/HH", "检修"),
        ("alarm.note", "张三", "S/LT-1/HH", "已关闭阀门"),
    ]
    assert all(e.ts == 1234.5 for e in entries)


async def test_every_change_is_audited(auth: AuthService, clock: FakeClock) -> None:
    auth.add_user("root", "long-enough-1", Role.ADMIN, actor="cli:ops")
    auth.add_user("zhang", "long-enough-2", Role.VIEWER, actor="root")
    auth.set_role("zhang", Role.OPERATOR, actor="root")
    auth.set_password("zhang", "long-enough-3", actor="root")
    result = await auth.login("zhang", "long-enough-3", ADDRESS)
    auth.logout(result.token, address=ADDRESS)
    record, _ = auth.create_display_token("wall", actor="root")
    auth.revoke_display_token(record.id, actor="root")
    auth.remove_user("zhang", actor="root")
    actions = [(e.user, e.action, e.target) for e in reversed(auth.audit_log())]
    assert actions == [
        ("cli:ops", "user.added", "root"),
        ("root", "user.added", "zhang"),
        ("root", "user.role", "zhang"),
        ("root", "user.password", "zhang"),
        ("zhang", "login", None),
        ("zhang", "logout", None),
        ("root", "display_token.created", str(record.id)),
        ("root", "display_token.revoked", str(record.id)),
        ("root", "user.removed", "zhang"),
    ]
    assert all(e.ts == clock() for e in auth.audit_log())
    # Paging and filters.
    newest = auth.audit_log(limit=2)
    older = auth.audit_log(limit=2, before_id=newest[-1].id)
    assert [e.id for e in older] == [newest[-1].id - 1, newest[-1].id - 2]
    assert [e.action for e in auth.audit_log(user="zhang")] == ["logout", "login"]


def test_an_audit_failure_is_counted_not_raised(auth: AuthService) -> None:
    auth.store._db.execute("DROP TABLE audit")  # the disk "fails" for the audit only
    auth.alarm_listener([_event(EventKind.ACKNOWLEDGED, "张三")])
    auth.add_user("zhang", "long-enough-1", Role.VIEWER, actor="test")
    assert auth.stats.audit_failures == 2
    assert auth.get_user("zhang") is not None
    with pytest.raises(sqlite3.Error):
        auth.audit_log()


# --------------------------------------------------------------------------- demo


async def test_demo_users(auth: AuthService) -> None:
    created = create_demo_users(auth)
    assert created == [(role.value, role, "demo") for role in Role]
    auth.set_password("admin", "changed-pass-1", actor="x", check_strength=True)
    assert create_demo_users(auth) == created  # again: reset, not duplicated
    for name, role, password in created:
        result = await auth.login(name, password, ADDRESS)
        assert result.principal.role is role


async def test_restarting_the_demo_keeps_sessions_of_unchanged_users(auth: AuthService) -> None:
    create_demo_users(auth)
    session = await auth.login("operator", "demo", ADDRESS)
    create_demo_users(auth)  # the demo starts again on the same state folder
    assert auth.authenticate(session.token) is not None
