"""One MQTT device (its own broker connection) → batches of readings.

``run`` connects, subscribes to the device's topics with their QoS, and hands the readings
of each burst of messages (at most ``_DRAIN_BATCH`` + 1 messages) to one ``emit`` call, in
arrival order. When the connection drops it emits a BAD ``comm_loss`` reading for every
point of the device (once per outage), then reconnects with capped exponential backoff and
subscribes again. Malformed payloads are counted per reason in ``health.counters``
(``payload.<problem>``), logged at most once per topic and reason per minute, and never
stop the collector.

The session is persistent (clean session off) under a stable client id, by default
``<gateway id>-<site>-<device id>``: the broker keeps the subscriptions and the QoS 1/2
messages meant for us while we are away. Given ``durable`` (the gateway's store-and-forward
buffer), QoS 1/2 messages are acknowledged only after their readings are durable (see
``collectors.mqtt.acks``): what the broker accepted is then never lost to a reconnect, a
broker restart or a gateway crash, only sent again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence

import aiomqtt
from paho.mqtt.reasoncodes import ReasonCode

from collectors.backoff import backoff_delays
from collectors.base import Clock, Emit
from collectors.cancelling import cancel_pending
from collectors.health import CollectorHealth, LinkState
from collectors.logonce import LogOnce
from collectors.mqtt.acks import Acker, Durable
from collectors.mqtt.connection import Message, MessageQueueProbe, make_client
from collectors.mqtt.payload import PayloadError, PayloadParser, Problem
from collectors.mqtt.topics import Router
from collectors.readings import Reading, Reason, bad
from config.catalog import PointKey
from config.mqtt import MqttDevice, Subscription
from config.site import Site

log = logging.getLogger(__name__)

# Health counters, besides "payload.<Problem>" per rejected key or payload.
MESSAGES = "messages"
READINGS = "readings"
DROPPED = "dropped_messages"  # the bounded incoming queue was full
CONNECTS = "connects"
COMM_LOSS = "comm_loss"  # outages for which comm-loss readings were emitted
SUBSCRIBE_REFUSED = "subscribe_refused"
ACKED = "acked"  # QoS 1/2 messages acknowledged after their readings were durable

# Queued messages taken behind the awaited one into one emit call (then other tasks get a
# turn): bounds the batch and the time the event loop spends here.
_DRAIN_BATCH = 256
# Event-loop turns without a new message that end a batch.
_IDLE_TURNS = 2


RECENT_PAYLOADS = 50
RECENT_PAYLOAD_BYTES = 4096  # enough to read a payload, bounded for huge batches


def payload_counter(problem: Problem) -> str:
    return f"payload.{problem.value}"


def default_client_id(gateway_id: str, site: str, device_id: str) -> str:
    """Stable across restarts, distinct per gateway and device: the broker's key to the
    persistent session."""
    return f"{gateway_id}-{site}-{device_id}"


TLS_INSECURE = "tls_insecure_host_name_unchecked"


class MqttCollector:
    """Implements ``collectors.base.Collector`` for one ``MqttDevice`` of one site."""

    def __init__(
        self,
        site: str,
        device: MqttDevice,
        clock: Clock = time.time,
        *,
        max_queued_messages: int = 10_000,
        reconnect_delays: Callable[[], Iterator[float]] = backoff_delays,
        timeout: float = 10.0,
        log_window: float = 60.0,
        gateway_id: str = "hazgw",
        durable: Durable | None = None,
        max_unacked: int = 5_000,
    ) -> None:
        if max_queued_messages < 1:
            raise ValueError("max_queued_messages must be positive: the queue is bounded")
        self.site = site
        self.device = device
        self.clock = clock
        self.name = f"mqtt:{site}/{device.id}"
        self.health = CollectorHealth(self.name, "mqtt")
        self.device_health = self.health.device(device.id)
        self.parser = PayloadParser(site, device)
        self.router: Router[Subscription] = Router(
            [(subscription.topic, subscription) for subscription in device.subscriptions]
        )
        self.point_keys = [PointKey(site, point.tag) for point in device.points]
        self._max_queued = max_queued_messages
        self.client_id = device.broker.client_id or default_client_id(
            gateway_id, site, device.id
        )
        self._durable = durable
        # Below the incoming queue's size: unacknowledged messages are never dropped there.
        self._max_unacked = max(1, min(max_unacked, max_queued_messages - 1))
        self._reconnect_delays = reconnect_delays
        self._timeout = timeout
        self._log_once = LogOnce(log, log_window, clock=clock)
        self._outage_reported = False
        # The last raw payloads, for the commissioning view (bounded; newest last).
        self._recent: deque[tuple[str, float, bytes]] = deque(maxlen=RECENT_PAYLOADS)
        self._state_event = asyncio.Event()
        self._where = f"mqtt device {device.id} ({device.broker.host}:{device.broker.port})"
        self._client_log = logging.getLogger(f"{__name__}.client")

    # ---------------------------------------------------------------- lifecycle

    async def run(self, emit: Emit) -> None:
        tls = self.device.broker.tls
        if tls is not None and tls.insecure:
            # Loud, once per start, and in /api/health: anyone holding any certificate of
            # the trusted CA can pose as this broker and feed the gateway readings.
            self.health.counters[TLS_INSECURE] = 1
            log.warning(
                "%s: TLS insecure: the broker's host name is NOT checked against its "
                "certificate; set insecure: false once the certificate names %s",
                self._where, self.device.broker.host,
            )
        delays = self._reconnect_delays()
        while True:
            subscribed = False
            probe = MessageQueueProbe(self._dropped)
            try:
                client = make_client(
                    self.device.broker,
                    probe,
                    client_id=self.client_id,
                    manual_acks=self._durable is not None,
                    max_queued_messages=self._max_queued,
                    timeout=self._timeout,
                    logger=self._client_log,
                )
            except (OSError, ValueError) as failure:
                # TLS files unreadable or invalid (ssl.SSLError is an OSError). Retried,
                # since the files may be put right while the gateway runs.
                error = f"TLS set-up failed: {failure}"
            else:
                try:
                    await self._session(client, probe, emit)
                    error = "the broker ended the message stream"
                except aiomqtt.MqttError as failure:
                    error = f"{type(failure).__name__}: {failure}"
                if cancel_pending():
                    # Cancelled while leaving the session (aiomqtt waits for the disconnect
                    # with wait_for, which can swallow the cancel): stop, do not reconnect.
                    raise asyncio.CancelledError
                subscribed = self.health.state is LinkState.CONNECTED
            self._lost(emit, error)
            if subscribed:
                delays = self._reconnect_delays()  # a fresh outage starts from the short delay
            await asyncio.sleep(next(delays))

    async def _session(
        self, client: aiomqtt.Client, probe: MessageQueueProbe, emit: Emit
    ) -> None:
        # The state stays DISCONNECTED through retries: an outage must read as one.
        async with client:
            await self._subscribe(client)
            self._connected()
            acker: Acker | None = None
            acking: asyncio.Task[None] | None = None
            if self._durable is not None:
                acker = Acker(
                    self._ack_sender(client), self._durable, self._max_unacked,
                    on_acked=lambda count: self.health.count(ACKED, count),
                )
                acking = asyncio.create_task(acker.run(), name=f"{self.name} acks")
            try:
                async for message in client.messages:
                    room = _DRAIN_BATCH
                    if acker is not None:  # the bound holds within a burst too
                        room = min(room, self._max_unacked - acker.unacked - 1)
                    readings, acks = await self._drain(message, probe, emit, room)
                    if readings:
                        emit(readings)
                    if acker is not None:
                        acker.emitted(acks)
                        await acker.room()
            except aiomqtt.MqttError:
                # Messages that arrived before the drop are real data: hand them on first.
                # Unacknowledged, the broker sends them again: stored twice, harmlessly.
                readings = []
                while (queued := probe.take_nowait()) is not None:
                    readings.extend(self._readings_of(queued))
                if readings:
                    emit(readings)
                raise
            finally:
                if acking is not None:
                    acking.cancel()
                    # asyncio.wait, not suppress(CancelledError) around the await: a cancel
                    # of this task arriving meanwhile must go on, not be swallowed with the
                    # acker's own.
                    await asyncio.wait({acking})
                    failure = None if acking.cancelled() else acking.exception()
                    if failure is not None:
                        raise failure  # the acker failed: as loud as before

    @staticmethod
    def _ack_sender(client: aiomqtt.Client) -> Callable[[int, int], object]:
        # aiomqtt 2.x does not expose paho's manual acknowledgement; its paho client does
        # (paho-mqtt >= 2.0: ``manual_ack_set`` and ``ack``), on this event loop's thread.
        paho = client._client
        return paho.ack

    async def _drain(
        self, first: Message, probe: MessageQueueProbe, emit: Emit, limit: int = _DRAIN_BATCH
    ) -> tuple[list[Reading], list[tuple[int, int]]]:
        """``first`` and the messages that follow it in a burst, as one batch of readings:
        one pass through the pipeline per burst, not per message.

        aiomqtt reads one packet from the socket per event-loop turn, so a burst reaches the
        queue a message per turn: give the loop a turn while messages keep coming, stop at
        ``_DRAIN_BATCH`` messages or when two turns brought nothing (costs a lone message two
        loop turns, microseconds). Also the (id, qos) of the messages to acknowledge."""
        readings = list(self._readings_of(first))
        acks = [(first.mid, first.qos)] if first.qos else []
        taken = idle = 0
        while taken < limit:
            queued = probe.take_nowait()
            if queued is not None:
                readings.extend(self._readings_of(queued))
                if queued.qos:
                    acks.append((queued.mid, queued.qos))
                taken += 1
                idle = 0
                continue
            if idle == _IDLE_TURNS:
                break
            idle += 1
            try:
                await asyncio.sleep(0)
            except asyncio.CancelledError:
                if readings:
                    emit(readings)  # taken off the queue: not to be lost on the way out
                raise
        return readings, acks

    async def _subscribe(self, client: aiomqtt.Client) -> None:
        subscriptions = self.device.subscriptions
        topics: list[tuple[str, int]] = [
            (subscription.topic, subscription.qos) for subscription in subscriptions
        ]
        granted = await client.subscribe(topics)
        for subscription, code in zip(subscriptions, granted, strict=False):
            if isinstance(code, ReasonCode):
                refused = code.is_failure
            else:
                refused = isinstance(code, int) and code >= 0x80
            if refused:
                self.health.count(SUBSCRIBE_REFUSED)
                message = f"the broker refused the subscription to {subscription.topic!r}"
                self._note_error(self.clock(), message)
                log.error("%s: %s (check the broker's ACL)", self._where, message)

    def _connected(self) -> None:
        self._outage_reported = False
        self.health.count(CONNECTS)
        self._set_state(LinkState.CONNECTED)
        log.info("%s: connected, subscribed to %d topic(s)", self._where,
                 len(self.device.subscriptions))

    def _lost(self, emit: Emit, error: str) -> None:
        now = self.clock()
        was_connected = self.health.state is LinkState.CONNECTED
        self.device_health.failed(now, error)
        self._set_state(LinkState.DISCONNECTED)
        # A broker that accepts and drops us at once must not flood the log either.
        if was_connected:
            self._log_once.log(
                logging.ERROR, "lost", "%s: connection lost: %s", self._where, error, now=now
            )
        else:
            self._log_once.log(
                logging.WARNING, "connect", "%s: cannot connect: %s", self._where, error, now=now
            )
        if not self._outage_reported:
            # Pushed values would otherwise look live on the dashboard for the whole outage.
            self._outage_reported = True
            self.health.count(COMM_LOSS)
            emit([bad(key, now, Reason.COMM_LOSS) for key in self.point_keys])

    def _set_state(self, state: LinkState) -> None:
        self.health.state = state
        self.device_health.state = state
        event, self._state_event = self._state_event, asyncio.Event()
        event.set()

    async def wait_state(self, state: LinkState) -> None:
        """Wait until the link is in ``state`` (bound it with ``asyncio.timeout``)."""
        while self.health.state is not state:
            await self._state_event.wait()

    # ----------------------------------------------------------------- messages

    def _readings_of(self, message: Message) -> Sequence[Reading]:
        return self.readings_of(message.topic.value, message.payload, retained=message.retain)

    def last_payloads(self) -> Sequence[tuple[str, float, bytes]]:
        """The last raw payloads received: (topic, received at, payload), newest last."""
        return list(self._recent)

    def handle_message(
        self, topic: str, payload: bytes, emit: Emit, *, retained: bool = False
    ) -> None:
        """One received message → at most one ``emit`` call. No I/O."""
        readings = self.readings_of(topic, payload, retained=retained)
        if readings:
            emit(readings)

    def readings_of(
        self, topic: str, payload: bytes, *, retained: bool = False
    ) -> Sequence[Reading]:
        """One received message → its readings (possibly none), counted in ``health``;
        malformed parts are counted and logged here. No I/O; ``run`` batches the result."""
        now = self.clock()
        self._recent.append((topic, now, payload[:RECENT_PAYLOAD_BYTES]))
        self.health.count(MESSAGES)
        self.device_health.succeeded(now)
        subscription = self.router.route(topic)
        if subscription is None:
            self._report(
                topic,
                [PayloadError(Problem.NO_SUBSCRIPTION, None, "no subscription matches the topic")],
                now,
            )
            return ()
        parsed = self.parser.parse(subscription, payload, now, retained=retained)
        if parsed.readings:
            self.health.count(READINGS, len(parsed.readings))
        if parsed.errors:
            self._report(topic, parsed.errors, now)
        return parsed.readings

    def _report(self, topic: str, errors: Sequence[PayloadError], now: float) -> None:
        by_problem: dict[Problem, list[PayloadError]] = {}
        for error in errors:
            by_problem.setdefault(error.problem, []).append(error)
        for problem, group in by_problem.items():
            self.health.count(payload_counter(problem), len(group))
            first = group[0]
            self._note_error(now, f"topic {topic}: {first}", count=len(group))
            others = f" (and {len(group) - 1} more in this message)" if len(group) > 1 else ""
            self._log_once.log(
                logging.WARNING, ("topic", topic, problem),
                "%s topic %s: rejected %s%s", self._where, topic, first, others, now=now,
            )

    def _note_error(self, now: float, message: str, count: int = 1) -> None:
        # Not DeviceHealth.failed(): a bad payload does not mean the link is down.
        self.device_health.last_error = message
        self.device_health.last_error_at = now
        self.device_health.error_count += count

    def _dropped(self) -> None:
        self.health.count(DROPPED)
        self._log_once.log(
            logging.ERROR, "queue_full",
            "%s: incoming queue full (%d messages): message dropped, %d dropped so far",
            self._where, self._max_queued, self.health.counters[DROPPED],
        )


def build_mqtt_collectors(
    sites: Sequence[Site],
    clock: Clock,
    *,
    gateway_id: str = "hazgw",
    durable: Durable | None = None,
) -> list[MqttCollector]:
    """One collector (one broker connection) per MQTT device of every site; ``durable``:
    acknowledge QoS 1/2 messages only once it says their readings are durable."""
    return [
        MqttCollector(site.enterprise.code, device, clock, gateway_id=gateway_id,
                      durable=durable)
        for site in sites
        for device in site.devices
        if isinstance(device, MqttDevice)
    ]
