"""Websocket /ws: a snapshot (or a resumed catch-up), then deltas, per docs/websocket.md.

Each connection runs three tasks: a sender draining the client's hub channel, a
receiver that keeps reading (without it a client that leaves is never noticed and
uvicorn's graceful shutdown waits for ever), and a watcher for the hub closing the
channel, which must be able to abort a send that is blocked on a stalled client.
"""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.websockets import WebSocketDisconnected

from dashboard.channel import ChannelClosed, ClientChannel
from dashboard.deps import HubDep
from dashboard.hub import Hub
from dashboard.protocol import ProtocolError, Resume, parse_hello

log = logging.getLogger(__name__)

HELLO_TIMEOUT = 0.5  # a client that says nothing gets a snapshot after this long
CLOSE_TIMEOUT = 2.0  # a stalled client cannot take a close frame either: give up after this

# How a task of a connection may end without that being a bug in the server.
_EXPECTED_ENDINGS = (
    asyncio.CancelledError,
    ChannelClosed,
    WebSocketDisconnect,
    WebSocketDisconnected,
    OSError,
)


def router() -> APIRouter:
    api = APIRouter(tags=["live"])

    @api.websocket("/ws")
    async def live(websocket: WebSocket, hub: HubDep) -> None:
        await serve_client(websocket, hub)

    return api


async def serve_client(
    websocket: WebSocket, hub: Hub, *, hello_timeout: float = HELLO_TIMEOUT
) -> None:
    client = websocket.client
    label = f"{client.host}:{client.port}" if client else "unknown"
    await websocket.accept()
    try:
        resume = await _read_hello(websocket, label, hello_timeout)
    except WebSocketDisconnect:
        return
    channel = hub.connect(resume, label)
    log.info("websocket client %s connected (resume %s)", label, resume)
    try:
        await _serve(websocket, channel)
    finally:
        hub.disconnect(channel)
        log.info("websocket client %s gone", label)


async def _receive_text(websocket: WebSocket) -> str | None:
    """The next text message, None for a binary one; WebSocketDisconnect when it leaves."""
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
    text = message.get("text")
    return text if isinstance(text, str) else None


async def _read_hello(websocket: WebSocket, label: str, wait: float) -> Resume | None:
    try:
        text = await asyncio.wait_for(_receive_text(websocket), wait)
    except TimeoutError:
        return None
    if text is None:
        log.warning("websocket client %s: binary hello ignored; sending a snapshot", label)
        return None
    try:
        return parse_hello(text)
    except ProtocolError as error:
        log.warning("websocket client %s: %s; sending a snapshot", label, error)
        return None


async def _send_loop(websocket: WebSocket, channel: ClientChannel) -> None:
    while True:
        message = await channel.next_message()
        await websocket.send_text(message)


async def _receive_loop(websocket: WebSocket, channel: ClientChannel) -> None:
    """Messages after the hello are reserved for later protocol versions: read, ignore."""
    while True:
        text = await _receive_text(websocket)
        log.debug("websocket client %s: ignored message %.80r", channel.label, text)


async def _serve(websocket: WebSocket, channel: ClientChannel) -> None:
    tasks = [
        asyncio.create_task(_send_loop(websocket, channel)),
        asyncio.create_task(_receive_loop(websocket, channel)),
        asyncio.create_task(channel.wait_closed()),
    ]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, _EXPECTED_ENDINGS):
            raise result
    if channel.closed and channel.close_code != 1000:
        # The hub closed the channel (too slow for alarm events, or shutting down). The
        # close frame may never get through to a stalled client: bounded, then uvicorn
        # closes the transport when the handler returns.
        try:
            await asyncio.wait_for(
                websocket.close(channel.close_code, channel.close_reason), CLOSE_TIMEOUT
            )
        except TimeoutError:
            log.warning(
                "websocket client %s does not read; closed without a close frame", channel.label
            )
        except (WebSocketDisconnect, WebSocketDisconnected, RuntimeError, OSError):
            pass  # already gone
