"""From a validated ``Broker`` model to an ``aiomqtt.Client``: credentials, TLS, a bounded
incoming queue whose drops are counted. No network I/O here (TLS files are read when the
client is made, which ``run`` does on every connection attempt)."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable, Iterator
from typing import Any

import aiomqtt
from paho.mqtt.matcher import MQTTMatcher

from config.mqtt import Broker, Tls

Message = aiomqtt.Message


def tls_context(tls: Tls) -> ssl.SSLContext:
    """A client context that verifies the broker against ``ca_file`` (system CAs if unset).

    ``insecure`` skips only the host-name check, as ``mosquitto_sub --insecure`` does; the
    certificate chain is still verified. Raises OSError naming the file that cannot be used.
    """
    ca_file = str(tls.ca_file) if tls.ca_file is not None else None
    try:
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca_file)
    except OSError as error:
        raise OSError(f"ca_file {ca_file}: {_reason(error)}") from error
    if tls.cert_file is not None:
        key_file = str(tls.key_file) if tls.key_file is not None else None
        try:
            context.load_cert_chain(str(tls.cert_file), key_file)
        except OSError as error:
            raise OSError(
                f"cert_file {tls.cert_file} / key_file {key_file}: {_reason(error)}"
            ) from error
    if tls.insecure:
        context.check_hostname = False
    return context


def _reason(error: OSError) -> str:
    return error.strerror or str(error)


class MessageQueueProbe:
    """Hands aiomqtt a queue class of our own, so that we can (1) count the messages it
    discards when the bounded queue is full, which aiomqtt only logs per message, and
    (2) drain the queue without an await per message."""

    def __init__(self, on_drop: Callable[[], None]) -> None:
        self.queue: asyncio.Queue[Message] | None = None
        probe = self

        class _ProbedQueue(asyncio.Queue[Message]):
            def __init__(self, maxsize: int = 0) -> None:
                super().__init__(maxsize)
                probe.queue = self

            def put_nowait(self, item: Message) -> None:
                if self.full():
                    on_drop()
                    return
                super().put_nowait(item)

        self.queue_type: type[asyncio.Queue[Message]] = _ProbedQueue

    def pending(self) -> int:
        return self.queue.qsize() if self.queue is not None else 0

    def room(self) -> int:
        """Messages the bounded queue can still take."""
        if self.queue is None:
            return 0
        return self.queue.maxsize - self.queue.qsize()

    def take_nowait(self) -> Message | None:
        if self.queue is None or self.queue.empty():
            return None
        return self.queue.get_nowait()


READ_AHEAD = 16384  # bytes: one recv serves a burst of small messages
# The most messages one read ahead can bring: a PUBLISH is at least 5 bytes (fixed header
# 2, topic length 2, a topic of 1). Read ahead only while the queue has room for them.
READ_AHEAD_MESSAGES = READ_AHEAD // 5


class ReadAhead:
    """The broker connection's socket, read ahead.

    paho reads a message in three or more ``recv`` calls (the command byte, the length a
    byte at a time, the rest), each a system call, and one message per readiness event:
    at thousands of messages a second the calls cost more than the messages' decoding.
    Here one ``recv`` of up to ``READ_AHEAD`` bytes serves every message it brought;
    ``pending()`` (what an SSL socket offers too) makes aiomqtt's reader go on calling
    ``loop_read`` while bytes wait here, so none waits for the next readiness event.

    Backpressure stays with the broker: a collector that falls behind must leave the
    messages in TCP (and so with the broker), never take them into the bounded incoming
    queue that drops them when full. So there is at most one read ahead per readiness
    event (the reader's callback ends when nothing is pending; until then a message cut
    at the end of the buffer is completed with reads of exactly what it lacks), and none
    at all while ``room()`` says the queue could not take what one might bring: paho then
    reads as it would on its own, a message per event. Everything else is the socket's.
    """

    __slots__ = ("_ahead", "_buffer", "_position", "_room", "_sock")

    def __init__(self, sock: Any, room: Callable[[], bool] = lambda: True) -> None:
        self._sock = sock
        self._room = room
        self._buffer = b""
        self._position = 0
        self._ahead = True  # this readiness event may still read ahead

    def recv(self, size: int) -> bytes:
        position = self._position
        buffer: bytes = self._buffer
        if position >= len(buffer):
            # BlockingIOError, an OSError or b"" (closed) reach paho as from the socket.
            if not self._ahead or not self._room():
                data: bytes = self._sock.recv(size)
                return data
            self._ahead = False
            buffer = self._sock.recv(max(size, READ_AHEAD))
            if len(buffer) <= size:
                self._buffer, self._position = b"", 0
                return buffer
            self._buffer = buffer
            position = 0
        end = position + size
        self._position = end
        return buffer[position:end]

    def pending(self) -> int:
        left = max(len(self._buffer) - self._position, 0)
        inner = getattr(self._sock, "pending", None)  # an SSL socket's decrypted bytes
        if inner is not None:
            left += inner()
        if not left:
            self._ahead = True  # the reader is done with this event: the next may read ahead
        return left

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class _Filters(MQTTMatcher):
    """paho's per-filter callbacks (``message_callback_add``), which aiomqtt never adds.
    paho still walks this empty tree for every message; while it is empty the walk is
    skipped."""

    def iter_match(self, topic: str) -> Iterator[Any]:
        if not self._root._children:
            return iter(())
        return super().iter_match(topic)  # type: ignore[no-any-return,no-untyped-call]


def lean_paho(client: aiomqtt.Client, room: Callable[[], bool] = lambda: True) -> None:
    """Per-message work of paho's that this gateway does not use, taken off its client:
    the socket reads ahead (``ReadAhead``, from the next connect on, while ``room()``
    says the incoming queue can take what a read ahead may bring) and the empty
    per-filter callback tree is not walked (``_Filters``).

    paho offers no hook for either: its ``Client._create_socket`` (paho-mqtt 2.x) is
    wrapped on the instance and its ``_on_message_filtered`` replaced before any
    callback is added. aiomqtt's reader already loops on ``pending()`` (paho issue 131,
    for SSL sockets)."""
    paho = client._client
    create = paho._create_socket

    def create_reading_ahead() -> Any:
        return ReadAhead(create(), room)

    setattr(paho, "_create_socket", create_reading_ahead)  # noqa: B010 - a method, not a field
    paho._on_message_filtered = _Filters()  # type: ignore[no-untyped-call]


def make_client(
    broker: Broker,
    probe: MessageQueueProbe,
    *,
    client_id: str | None = None,
    manual_acks: bool = False,
    max_queued_messages: int,
    timeout: float,
    logger: logging.Logger,
) -> aiomqtt.Client:
    """One connection's client. With a ``client_id`` (``broker.client_id`` wins) the session
    is persistent unless ``broker.clean_session``: the broker keeps our subscriptions and
    queues QoS 1/2 messages while we reconnect, so the first seconds after a drop are not
    lost. ``manual_acks``: QoS 1/2 messages are acknowledged by the caller, not on receipt."""
    identifier = broker.client_id or client_id
    client = aiomqtt.Client(
        broker.host,
        broker.port,
        username=broker.username,
        password=broker.password.get_secret_value() if broker.password is not None else None,
        identifier=identifier,
        clean_session=identifier is None or broker.clean_session,
        keepalive=broker.keepalive,
        timeout=timeout,
        max_queued_incoming_messages=max_queued_messages,
        queue_type=probe.queue_type,
        tls_context=tls_context(broker.tls) if broker.tls is not None else None,
        logger=logger,
    )
    if manual_acks:
        client._client.manual_ack_set(True)
    lean_paho(client, lambda: probe.room() >= READ_AHEAD_MESSAGES)
    return client
