"""What the auth service takes and gives: settings, results, errors, and the name rule.

Apart from ``AuthService`` so that routes, the CLI and tests name these without the
service's machinery (store, hasher, limiter).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from alerting.identity import InvalidUserName, valid_name
from dashboard.auth.passwords import DEFAULT_COST, HashCost
from dashboard.auth.principal import Principal
from dashboard.auth.ratelimit import Block, Limit
from dashboard.auth.roles import Role
from dashboard.auth.store import UserRecord

MAX_PASSWORD_LENGTH = 1024


@dataclass(frozen=True, slots=True)
class AuthSettings:
    session_idle: float = 12 * 3600.0  # seconds without use before a session ends
    session_max: float = 72 * 3600.0  # seconds after login, however busy
    renew_interval: float = 300.0
    min_password_length: int = 8
    # Five wrong passwords for one account from one address, then 30 s, 60 s, ... 15 min.
    per_account_address: Limit = field(
        default_factory=lambda: Limit(free=5, first_delay=30.0, max_delay=900.0,
                                      forget_after=3600.0)
    )
    # Thirty wrong passwords from one address (any accounts), then the same growing locks.
    per_address: Limit = field(
        default_factory=lambda: Limit(free=30, first_delay=30.0, max_delay=900.0,
                                      forget_after=3600.0)
    )
    hash_cost: HashCost = DEFAULT_COST
    concurrent_hashes: int = 2
    # The Secure flag on the cookie: None sets it when the request came over https.
    cookie_secure: bool | None = None

    def __post_init__(self) -> None:
        if not 0 < self.session_idle <= self.session_max:
            raise ValueError("session_idle must be positive and at most session_max")


class AuthError(ValueError):
    """A request about users or tokens that cannot be done; the message says why."""


class NotFound(AuthError):
    pass


class Conflict(AuthError):
    pass


class LoginRefused(Exception):
    """Wrong user name or password (deliberately not saying which)."""


class LoginThrottled(Exception):
    def __init__(self, block: Block) -> None:
        super().__init__(f"too many failed logins; retry after {block.retry_after_header} s")
        self.block = block


@dataclass(frozen=True, slots=True)
class LoginResult:
    principal: Principal
    token: str
    expires_at: float


@dataclass(frozen=True, slots=True)
class UserInfo:
    name: str
    role: Role
    created_at: float
    created_by: str | None
    last_login_at: float | None

    @staticmethod
    def of(record: UserRecord) -> UserInfo:
        return UserInfo(
            record.name, record.role, record.created_at, record.created_by, record.last_login_at
        )


@dataclass(slots=True)
class AuthStats:
    logins: int = 0
    failed_logins: int = 0
    throttled_logins: int = 0
    audit_failures: int = 0


def check_name(raw: str, what: str = "user name") -> str:
    """A user or display name: printable, at most 64 characters, trimmed."""
    try:
        name = valid_name(raw)
    except InvalidUserName as error:
        raise AuthError(f"{what}: {error}") from error
    if name.startswith("display:"):
        raise AuthError(f"{what}: the prefix 'display:' is reserved")
    return name
