"""The client's address and scheme, from proxy headers only when a listed proxy sent them.

Uvicorn by default believes ``X-Forwarded-For`` from 127.0.0.1: any program on the
gateway's own machine could then claim any address and walk past the per-address login
limit. ``DashboardServer`` turns that off and puts ``ProxyHeaders`` in front instead:

- The peer is not a listed proxy (the default: none are listed): the headers are ignored,
  the client is the peer.
- The peer is a listed proxy: ``Forwarded`` (RFC 7239, preferred) or ``X-Forwarded-For``
  is read from the right, skipping listed proxies; the first address that is not one is the
  client. The scheme comes from ``proto=`` / ``X-Forwarded-Proto`` (so that cookies get the
  Secure flag and HSTS is sent behind a TLS-terminating proxy).
- A listed proxy sending a header that cannot be read: the peer stays the client (a
  proxy's whole chain is then one address, which the per-address limit still covers), and
  this is logged once per proxy.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable, Sequence

from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
MAX_HOPS = 32  # a longer chain is not read: nobody has that many proxies


def networks(entries: Iterable[str | Network]) -> tuple[Network, ...]:
    """``"10.0.0.5"``, ``"10.0.0.0/24"`` or networks, as networks (ValueError if not)."""
    return tuple(
        entry if isinstance(entry, Network) else ipaddress.ip_network(entry, strict=False)
        for entry in entries
    )


def _address(text: str) -> Address | None:
    value = text.strip().strip('"')
    if value.startswith("["):  # [v6]:port
        value = value[1:].partition("]")[0]
    elif value.count(":") == 1:  # v4:port
        value = value.partition(":")[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def forwarded_chain(headers: dict[str, str]) -> tuple[list[Address], str | None] | None:
    """The addresses a request passed through (client first) and the scheme, from
    ``Forwarded`` or else ``X-Forwarded-For``/``-Proto``; None when absent or unreadable."""
    forwarded = headers.get("forwarded")
    if forwarded is not None:
        chain: list[Address] = []
        proto: str | None = None
        for element in forwarded.split(",")[-MAX_HOPS:]:
            hop: Address | None = None
            for pair in element.split(";"):
                name, _, value = pair.strip().partition("=")
                name = name.strip().lower()
                if name == "for":
                    hop = _address(value)
                elif name == "proto":
                    proto = value.strip().strip('"').lower()
            if hop is None:
                return None  # "unknown", an obfuscated name, or garbage
            chain.append(hop)
        return (chain, proto) if chain else None
    listed = headers.get("x-forwarded-for")
    if listed is None:
        return None
    chain = []
    for item in listed.split(",")[-MAX_HOPS:]:
        hop = _address(item)
        if hop is None:
            return None
        chain.append(hop)
    proto = headers.get("x-forwarded-proto")
    return (chain, proto.strip().lower() if proto else None) if chain else None


class ProxyHeaders:
    def __init__(self, app: ASGIApp, trusted: Sequence[Network]) -> None:
        self.app = app
        self.trusted = tuple(trusted)
        self._complained: set[str] = set()

    def is_trusted(self, address: Address) -> bool:
        return any(address in network for network in self.trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and self.trusted and scope.get("client"):
            self._resolve(scope)
        await self.app(scope, receive, send)

    def _resolve(self, scope: Scope) -> None:
        peer_host, peer_port = scope["client"]
        peer = _address(peer_host)
        if peer is None or not self.is_trusted(peer):
            return
        headers = {
            name.decode("latin-1").lower(): value.decode("latin-1")
            for name, value in scope["headers"]
            if name.lower() in (b"forwarded", b"x-forwarded-for", b"x-forwarded-proto")
        }
        if not headers:
            return
        found = forwarded_chain(headers)
        if found is None:
            if peer_host not in self._complained:
                self._complained.add(peer_host)
                log.warning("proxy %s sent forwarding headers that cannot be read; its "
                            "requests count as its own address", peer_host)
            return
        chain, proto = found
        client = chain[0]
        for hop in reversed(chain):
            if not self.is_trusted(hop):
                client = hop
                break
        scope["client"] = (str(client), peer_port)
        if proto in ("http", "https"):
            secure = proto == "https"
            if scope["type"] == "websocket":
                scope["scheme"] = "wss" if secure else "ws"
            else:
                scope["scheme"] = proto
