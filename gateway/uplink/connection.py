"""Connecting to the park's NATS cluster, the same way for edges and central instances."""

from __future__ import annotations

import asyncio
import logging
import ssl
from pathlib import Path
from typing import TYPE_CHECKING

from collectors.backoff import backoff_delays
from collectors.cancelling import honour_cancel
from collectors.logonce import LogOnce

if TYPE_CHECKING:
    from nats.aio.client import Client

log = logging.getLogger(__name__)


def tls_context(ca_file: Path | None) -> ssl.SSLContext | None:
    return ssl.create_default_context(cafile=str(ca_file)) if ca_file is not None else None


async def connect(
    servers: list[str],
    *,
    user: str,
    password: str | None,
    name: str,
    tls_ca_file: Path | None = None,
    inbox_prefix: str | None = None,
    nkey_seed_file: Path | None = None,
) -> Client:
    """Connect, retrying with backoff until a server answers (cancel to give up). Once
    connected the client reconnects by itself, forever, to any server of the cluster.
    With ``nkey_seed_file`` the client proves its nkey (signing the server's nonce) and
    sends no user name or password."""
    # Imported here, not at the top: nats-py (and what it loads, ~10 MB) only in a gateway
    # that has a park uplink, or in a central instance.
    import nats

    once = LogOnce(log, 60.0)
    delays = backoff_delays(initial=0.2, cap=5.0)
    options: dict[str, object] = {}
    if inbox_prefix is not None:
        options["inbox_prefix"] = inbox_prefix
    if nkey_seed_file is not None:
        options["nkeys_seed"] = str(nkey_seed_file)
    else:
        options["user"] = user
        options["password"] = password
    while True:
        honour_cancel()
        try:
            return await nats.connect(
                servers,
                name=name,
                tls=tls_context(tls_ca_file),
                connect_timeout=2,
                reconnect_time_wait=1,
                max_reconnect_attempts=-1,
                allow_reconnect=True,
                # A park whose servers are all down at start is retried here, not by nats-py.
                max_outstanding_pings=3,
                ping_interval=5,
                error_cb=_log_error,
                **options,  # type: ignore[arg-type]
            )
        except (nats.errors.Error, OSError, TimeoutError) as exc:
            delay = next(delays)
            once.log(
                logging.WARNING, "connect",
                "%s: cannot connect to the park (%s); retrying in %.1f s",
                name, exc or type(exc).__name__, delay,
            )
            await asyncio.sleep(delay)


async def _log_error(exc: Exception) -> None:
    # nats-py reports permission violations and lost connections here; they must show.
    log.warning("nats: %s", exc or type(exc).__name__)
