"""``AuthService``: users, logins, sessions, display tokens and the audit log, in one place.

Built once per gateway (``AuthService.open(state_dir)``) and shared by the HTTP middleware,
the routes and the ``hazgw user`` command. Everything runs on one thread (the event loop's
or the CLI's); only password hashing leaves it, through ``asyncio.to_thread`` and bounded by
a semaphore, so that a burst of logins cannot hold the loop or eat memory (argon2 takes
64 MiB per hash by default).

Sessions are server-side rows keyed by the digest of a random token. A session expires
after ``session_idle`` seconds without use (use extends it, at most once per
``renew_interval`` to spare the disk) and at the latest ``session_max`` after login.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from dashboard.auth import audit
from dashboard.auth.auditlog import AuditTrail
from dashboard.auth.connections import LiveConnections
from dashboard.auth.model import (
    MAX_PASSWORD_LENGTH,
    AuthError,
    AuthSettings,
    AuthStats,
    Conflict,
    LoginRefused,
    LoginResult,
    LoginThrottled,
    NotFound,
    UserInfo,
    check_name,
)
from dashboard.auth.passwords import PasswordHasher
from dashboard.auth.principal import CredentialKind, Principal
from dashboard.auth.ratelimit import LoginLimiter, Scope
from dashboard.auth.roles import Role
from dashboard.auth.store import (
    AuthStore,
    DisplayTokenRecord,
    UserExists,
    UserRecord,
)
from dashboard.auth.tokens import TokenKind, digest, new_token, token_kind

__all__ = [
    "AuthError",
    "AuthService",
    "AuthSettings",
    "Conflict",
    "LoginRefused",
    "LoginThrottled",
    "NotFound",
    "UserInfo",
    "audit_name",
    "check_name",
]

log = logging.getLogger(__name__)

Clock = Callable[[], float]
T = TypeVar("T")
DB_NAME = "users.db"


class AuthService:
    def __init__(
        self,
        store: AuthStore,
        *,
        clock: Clock = time.time,
        settings: AuthSettings | None = None,
    ) -> None:
        self.store = store
        self.settings = settings or AuthSettings()
        self.clock = clock
        self.hasher = PasswordHasher(self.settings.hash_cost)
        self.limiter = LoginLimiter(
            self.settings.per_account_address, self.settings.per_address, clock
        )
        self.connections = LiveConnections()
        self.stats = AuthStats()
        self.trail = AuditTrail(store, clock, self.stats)
        # The audit trail's own calls, on the service as before: one place to ask.
        self.record = self.trail.record
        self.audit_log = self.trail.audit_log
        self.alarm_listener = self.trail.alarm_listener
        self._hash_slots: asyncio.Semaphore | None = None

    @classmethod
    def open(
        cls, state_dir: Path, *, clock: Clock = time.time, settings: AuthSettings | None = None
    ) -> AuthService:
        """The service over ``<state_dir>/users.db`` (created if missing)."""
        return cls(AuthStore(state_dir / DB_NAME), clock=clock, settings=settings)

    def close(self) -> None:
        self.store.close()

    # ---------------------------------------------------------------- passwords

    def check_password(self, password: str, check_strength: bool = True) -> None:
        """AuthError if ``password`` is not acceptable (too short, too long, padded)."""
        if len(password) > MAX_PASSWORD_LENGTH:
            raise AuthError(f"the password is longer than {MAX_PASSWORD_LENGTH} characters")
        if not check_strength:
            return
        minimum = self.settings.min_password_length
        if len(password) < minimum:
            raise AuthError(f"the password must have at least {minimum} characters")
        if password.strip() != password or not password.strip():
            raise AuthError("the password must not start or end with spaces")

    async def _in_thread(self, work: Callable[[], T]) -> T:
        if self._hash_slots is None:
            self._hash_slots = asyncio.Semaphore(self.settings.concurrent_hashes)
        async with self._hash_slots:
            return await asyncio.to_thread(work)

    # -------------------------------------------------------------------- users

    def _prepare_user(
        self, name: str, password: str, check_strength: bool
    ) -> tuple[str, Callable[[], str]]:
        name = check_name(name)
        self.check_password(password, check_strength)
        if self.store.get_user(name) is not None:
            raise Conflict(f"user {name!r} exists already")
        return name, lambda: self.hasher.hash(password)

    def _store_user(
        self, name: str, role: Role, password_hash: str, actor: str, address: str | None
    ) -> UserInfo:
        try:
            record = self.store.add_user(name, role, password_hash, self.clock(), actor)
        except UserExists as error:
            raise Conflict(str(error)) from error
        self.record(audit.USER_ADDED, user=actor, target=name, detail=f"role {role.value}",
                    address=address)
        return UserInfo.of(record)

    def add_user(
        self, name: str, password: str, role: Role, *, actor: str,
        check_strength: bool = True, address: str | None = None,
    ) -> UserInfo:
        """Create a user (hashing inline: for the CLI; routes use ``add_user_async``)."""
        name, hash_it = self._prepare_user(name, password, check_strength)
        return self._store_user(name, role, hash_it(), actor, address)

    async def add_user_async(
        self, name: str, password: str, role: Role, *, actor: str, address: str | None = None
    ) -> UserInfo:
        name, hash_it = self._prepare_user(name, password, True)
        password_hash = await self._in_thread(hash_it)
        return self._store_user(name, role, password_hash, actor, address)

    def users(self) -> list[UserInfo]:
        return [UserInfo.of(record) for record in self.store.users()]

    def get_user(self, name: str) -> UserInfo | None:
        record = self.store.get_user(name)
        return None if record is None else UserInfo.of(record)

    def _existing(self, name: str) -> UserRecord:
        record = self.store.get_user(name)
        if record is None:
            raise NotFound(f"no user {name!r}")
        return record

    def _keep_an_admin(self, record: UserRecord, new_role: Role | None) -> None:
        demoted = record.role is Role.ADMIN and new_role is not Role.ADMIN
        if demoted and self.store.count_role(Role.ADMIN) <= 1:
            raise Conflict(
                f"{record.name!r} is the last admin: add another admin first, "
                "or nobody could manage users"
            )

    def remove_user(self, name: str, *, actor: str, address: str | None = None) -> None:
        record = self._existing(name)
        self._keep_an_admin(record, None)
        self.store.remove_user(record.name)
        self.connections.kick(lambda p: _is_user(p, record.name), "user removed")
        self.record(audit.USER_REMOVED, user=actor, target=record.name, address=address)

    def set_role(
        self, name: str, role: Role, *, actor: str, address: str | None = None
    ) -> UserInfo:
        record = self._existing(name)
        if record.role is role:
            return UserInfo.of(record)
        self._keep_an_admin(record, role)
        self.store.set_role(record.name, role)
        # Screens opened under the old role reconnect and get the new one.
        self.connections.kick(lambda p: _is_user(p, record.name), "role changed")
        self.record(audit.USER_ROLE, user=actor, target=record.name,
                    detail=f"{record.role.value} → {role.value}", address=address)
        return UserInfo.of(self._existing(record.name))

    def _password_changed(
        self, record: UserRecord, password_hash: str, actor: str, address: str | None
    ) -> None:
        self.store.set_password(record.name, password_hash, self.clock())
        ended = self.store.delete_sessions_of(record.name)
        self.connections.kick(lambda p: _is_user(p, record.name), "password changed")
        self.record(audit.USER_PASSWORD, user=actor, target=record.name,
                    detail=f"{ended} session(s) ended", address=address)

    def set_password(
        self, name: str, password: str, *, actor: str, check_strength: bool = True,
        address: str | None = None,
    ) -> None:
        """New password; every session of the user ends (they sign in again)."""
        record = self._existing(name)
        self.check_password(password, check_strength)
        self._password_changed(record, self.hasher.hash(password), actor, address)

    async def set_password_async(
        self, name: str, password: str, *, actor: str, address: str | None = None
    ) -> None:
        record = self._existing(name)
        self.check_password(password, True)
        password_hash = await self._in_thread(lambda: self.hasher.hash(password))
        self._password_changed(record, password_hash, actor, address)

    # -------------------------------------------------------------------- login

    async def login(self, username: str, password: str, address: str) -> LoginResult:
        """Check the password (off the event loop) and open a session.

        Raises ``LoginThrottled`` while this account from this address, or this address,
        is locked (the password is then not even checked) and ``LoginRefused`` for an
        unknown user or a wrong password alike. A lock never reaches another address."""
        record = self.store.get_user(username.strip()) if _plausible(username) else None
        # A name that is no account is often a password typed in the wrong box: it is
        # never written to the audit log or the log.
        who = record.name if record is not None else None
        block = self.limiter.check(username, address)
        if block is not None:
            self.stats.throttled_logins += 1
            if block.first:
                scope = "this account from" if block.scope is Scope.ACCOUNT_ADDRESS else "all"
                detail = (f"{block.failures} failures: {scope} {address} locked for "
                          f"{block.retry_after_header} s, until {_clock_time(block.until)}")
                log.warning("login locked: %s%s", detail,
                            f" (user {who})" if who is not None else " (no such user)")
                self.record(audit.LOGIN_THROTTLED, user=who, address=address, detail=detail)
            raise LoginThrottled(block)
        if len(password) > MAX_PASSWORD_LENGTH:
            ok = False
        elif record is None:
            await self._in_thread(lambda: self.hasher.verify_nobody(password))
            ok = False
        else:
            stored = record.password_hash
            ok = await self._in_thread(lambda: self.hasher.verify(stored, password))
        if not ok or record is None:
            self.limiter.failed(username, address)
            self.stats.failed_logins += 1
            self.record(audit.LOGIN_FAILED, user=who, address=address,
                        detail=None if record is not None else "no such user")
            raise LoginRefused()
        self.limiter.succeeded(username, address)
        if self.hasher.needs_rehash(record.password_hash):
            new_hash = await self._in_thread(lambda: self.hasher.hash(password))
            self.store.rehash(record.name, record.password_hash, new_hash)
        now = self.clock()
        token = new_token(TokenKind.SESSION)
        expires_at = now + self.settings.session_idle
        self.store.purge_sessions(now)
        self.store.add_session(digest(token), record.name, now, expires_at, address)
        self.store.logged_in(record.name, now)
        self.stats.logins += 1
        self.record(audit.LOGIN, user=record.name, address=address)
        principal = Principal(
            record.name, record.role, CredentialKind.SESSION, digest(token), expires_at
        )
        return LoginResult(principal, token, expires_at)

    async def verify_signature(self, username: str, password: str, address: str) -> UserInfo:
        """Check a person's own password for a signature (a handover), without opening a
        session. The login rate limits apply (a signature box is a password box too);
        raises ``LoginThrottled`` or ``LoginRefused`` as ``login`` does."""
        block = self.limiter.check(username, address)
        if block is not None:
            self.stats.throttled_logins += 1
            raise LoginThrottled(block)
        record = self.store.get_user(username.strip()) if _plausible(username) else None
        if len(password) > MAX_PASSWORD_LENGTH:
            ok = False
        elif record is None:
            await self._in_thread(lambda: self.hasher.verify_nobody(password))
            ok = False
        else:
            stored = record.password_hash
            ok = await self._in_thread(lambda: self.hasher.verify(stored, password))
        if not ok or record is None:
            self.limiter.failed(username, address)
            # A name that is no account is often a password typed in the wrong box: not kept.
            self.record(audit.SIGNATURE_FAILED, user=record.name if record else None,
                        address=address, detail=None if record is not None else "no such user")
            raise LoginRefused()
        self.limiter.succeeded(username, address)
        return UserInfo.of(record)

    def logout(self, token: str, *, address: str | None = None) -> bool:
        if token_kind(token) is not TokenKind.SESSION:
            return False
        token_hash = digest(token)
        user = self.store.delete_session(token_hash)
        if user is None:
            return False
        self.connections.kick(
            lambda p: p.kind is CredentialKind.SESSION and p.credential == token_hash, "logout"
        )
        self.record(audit.LOGOUT, user=user, address=address)
        return True

    # ----------------------------------------------------------- authentication

    def authenticate(self, token: str) -> Principal | None:
        """The principal a session or display token stands for, or None (unknown, expired,
        revoked, or its user removed)."""
        kind = token_kind(token)
        if kind is TokenKind.SESSION:
            return self._session(token)
        if kind is TokenKind.DISPLAY:
            return self._display(token)
        return None

    def _session(self, token: str) -> Principal | None:
        token_hash = digest(token)
        session = self.store.get_session(token_hash)
        now = self.clock()
        if session is None or session.expires_at <= now:
            return None
        settings = self.settings
        expires_at = session.expires_at
        latest = session.created_at + settings.session_max
        renewed = min(now + settings.session_idle, latest)
        if renewed - expires_at >= settings.renew_interval:
            self.store.extend_session(token_hash, renewed)
            expires_at = renewed
        return Principal(
            session.user_name, session.role, CredentialKind.SESSION, token_hash, expires_at
        )

    def _display(self, token: str) -> Principal | None:
        record = self.store.find_display_token(digest(token))
        if record is None:
            return None
        now = self.clock()
        if record.last_used_at is None or now - record.last_used_at >= self.settings.renew_interval:
            self.store.touch_display_token(record.id, now)
        return Principal(record.name, Role.VIEWER, CredentialKind.DISPLAY, str(record.id))

    # ----------------------------------------------------------- display tokens

    def create_display_token(
        self, name: str, *, actor: str, address: str | None = None
    ) -> tuple[DisplayTokenRecord, str]:
        """A new display token; the token itself is returned once and never stored."""
        name = check_name(name, "display name")
        token = new_token(TokenKind.DISPLAY)
        record = self.store.add_display_token(name, digest(token), self.clock(), actor)
        self.record(audit.TOKEN_CREATED, user=actor, target=f"{record.id}", detail=name,
                    address=address)
        return record, token

    def display_tokens(self) -> list[DisplayTokenRecord]:
        return self.store.display_tokens()

    def revoke_display_token(
        self, ident: int, *, actor: str, address: str | None = None
    ) -> DisplayTokenRecord:
        record = self.store.get_display_token(ident)
        if record is None:
            raise NotFound(f"no display token {ident}")
        if self.store.revoke_display_token(ident, self.clock(), actor):
            self.connections.kick(
                lambda p: p.kind is CredentialKind.DISPLAY and p.credential == str(ident),
                "display token revoked",
            )
            self.record(audit.TOKEN_REVOKED, user=actor, target=f"{ident}", detail=record.name,
                        address=address)
        revoked = self.store.get_display_token(ident)
        assert revoked is not None
        return revoked


def audit_name(principal: Principal) -> str:
    """How a principal appears in the audit log (a display is marked as one)."""
    return f"display:{principal.name}" if principal.display else principal.name


def _is_user(principal: Principal, name: str) -> bool:
    return principal.kind is CredentialKind.SESSION and principal.name.casefold() == name.casefold()


def _plausible(username: str) -> bool:
    try:
        check_name(username)
    except AuthError:
        return False
    return True


def _clock_time(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(ts))
