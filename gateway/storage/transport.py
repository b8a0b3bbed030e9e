"""The one small protocol both InfluxDB transports implement."""

from __future__ import annotations

from typing import Protocol


class Transport(Protocol):
    """Sends line-protocol bodies to one target.

    ``write`` returns when every line was stored, and otherwise raises a
    ``gateway.storage.errors.WriteError`` subclass saying whether to retry, split or give up.
    ``open`` is idempotent and does no network I/O that can fail; ``close`` releases the
    HTTP connections.
    """

    @property
    def description(self) -> str:
        """Where the lines go, for logs and /api/health (never the password or token)."""
        ...

    async def open(self) -> None: ...

    async def write(self, body: bytes, lines: int) -> None: ...

    async def close(self) -> None: ...
