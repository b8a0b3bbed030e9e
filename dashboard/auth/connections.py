"""Open websocket connections by who opened them, so that revoking a credential ends them.

The auth middleware registers each authenticated websocket with the principal it was
opened with; logout, a revoked display token, a removed user or a changed role or password
*kick* the matching connections (their ``kicked`` event is set and the middleware closes
them with code 4401). Expiry of a session does not end an open websocket: it is checked
when the screen reconnects or makes its next HTTP request.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from dashboard.auth.principal import Principal


@dataclass(slots=True)
class LiveConnection:
    principal: Principal
    kicked: asyncio.Event = field(default_factory=asyncio.Event)
    reason: str = ""


class LiveConnections:
    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._open: dict[int, LiveConnection] = {}

    def open(self, principal: Principal) -> tuple[int, LiveConnection]:
        ident = next(self._ids)
        connection = self._open[ident] = LiveConnection(principal)
        return ident, connection

    def close(self, ident: int) -> None:
        self._open.pop(ident, None)

    def kick(self, matches: Callable[[Principal], bool], reason: str) -> int:
        """Kick every open connection whose principal ``matches``; returns how many."""
        kicked = 0
        for connection in self._open.values():
            if not connection.kicked.is_set() and matches(connection.principal):
                connection.reason = reason
                connection.kicked.set()
                kicked += 1
        return kicked

    def __len__(self) -> int:
        return len(self._open)
