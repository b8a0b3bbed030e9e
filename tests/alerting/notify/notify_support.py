"""Helpers for the notification tests: a two-site catalog, an event factory, a settable
clock, and real local servers (an aiohttp robot/webhook endpoint, an aiosmtpd SMTP server).

A uniquely named module (not conftest) so that test files can import it by name."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiohttp import web
from aiosmtpd.smtp import SMTP, Envelope, Session

from alerting.events import AlarmEvent, AlarmState, EventKind, alarm_id
from alerting.publisher import AlarmPublisher
from config.catalog import PointKey
from config.site import Site
from config.vocabulary import AlarmType, Priority

CHEM = "DEMO-CHEM"
DUST = "DUST-01"
T0 = 1_714_543_385.0  # 2024-05-01 14:03:05 Beijing time

FLOOD_TAGS = [f"TT-F{n:03d}" for n in range(100)]  # site DUST
_TANK_POINT = {"kind": "level", "unit": "m", "range": {"low": 0, "high": 20}}
SITES = [
    {
        "enterprise": {"name": "示例化工有限公司", "code": CHEM},
        "hazard_sources": [
            {"id": "HS-TF1", "name": "1号储罐区（甲醇/液氨）", "grade": 2, "kind": "tank_farm"},
            {"id": "HS-WH1", "name": "甲类仓库", "grade": 3, "kind": "warehouse"},
        ],
        "devices": [
            {
                "id": "tank-gauges",
                "transport": "modbus_tcp",
                "host": "127.0.0.1",
                "points": [
                    {
                        "tag": "LT-101",
                        "name": "1号甲醇罐液位",
                        **_TANK_POINT,
                        "hazard_source": "HS-TF1",
                        "source": {"table": "holding", "address": 0, "type": "float32"},
                    },
                    {
                        "tag": "TT-301",
                        "name": "仓库温度",
                        "kind": "temperature",
                        "unit": "°C",
                        "range": {"low": -40, "high": 120},
                        "hazard_source": "HS-WH1",
                        "source": {"table": "holding", "address": 2, "type": "float32"},
                    },
                ],
            },
            {
                "id": "gas-controller",
                "transport": "modbus_rtu_tcp",
                "host": "127.0.0.1",
                "port": 15021,
                "points": [
                    {
                        "tag": "GT-201",
                        "name": "罐区可燃气体探测器1",
                        "kind": "combustible_gas",
                        "unit": "%LEL",
                        "range": {"low": 0, "high": 100},
                        "hazard_source": "HS-TF1",
                        "source": {"table": "holding", "address": 0, "scale": 0.1},
                    },
                    {
                        "tag": "GT-202",
                        "name": "液氨罐区氨气探测器",
                        "kind": "toxic_gas",
                        "gas": "NH3",
                        "unit": "ppm",
                        "range": {"low": 0, "high": 100},
                        "hazard_source": "HS-TF1",
                        "source": {"table": "holding", "address": 2, "scale": 0.1},
                    },
                ],
            },
        ],
    },
    {
        "enterprise": {"name": "示例铝业有限公司", "code": DUST},
        "hazard_sources": [
            {"id": "DL-1", "name": "抛光除尘系统", "grade": 4, "kind": "dust_line"},
        ],
        "devices": [
            {
                "id": "dust-plc",
                "transport": "modbus_tcp",
                "host": "127.0.0.1",
                "points": [
                    {
                        "tag": "TT-11",
                        "name": "灰斗温度",
                        "kind": "temperature",
                        "unit": "°C",
                        "range": {"low": 0, "high": 200},
                        "hazard_source": "DL-1",
                        "source": {"table": "holding", "address": 0},
                    },
                    {
                        "tag": "GT-12",
                        "name": "除尘器可燃气体",
                        "kind": "combustible_gas",
                        "unit": "%LEL",
                        "range": {"low": 0, "high": 100},
                        "hazard_source": "DL-1",
                        "source": {"table": "holding", "address": 1},
                    },
                ],
            },
            {
                # 100 points for flood tests: FLOOD_TAGS
                "id": "flood-plc",
                "transport": "modbus_tcp",
                "host": "127.0.0.1",
                "points": [
                    {
                        "tag": f"TT-F{n:03d}",
                        "name": f"{n}号测温点",
                        "kind": "temperature",
                        "unit": "°C",
                        "range": {"low": 0, "high": 200},
                        "hazard_source": "DL-1",
                        "source": {"table": "holding", "address": 10 + n},
                    }
                    for n in range(100)
                ],
            },
        ],
    },
]


def make_sites() -> list[Site]:
    return [Site.model_validate(site) for site in SITES]


_DEFAULT_PRIORITY = {
    AlarmType.HIGH_HIGH: Priority.CRITICAL,
    AlarmType.LOW_LOW: Priority.CRITICAL,
    AlarmType.HIGH: Priority.HIGH,
    AlarmType.LOW: Priority.HIGH,
    AlarmType.SENSOR_FAULT: Priority.HIGH,
    AlarmType.COMM_LOSS: Priority.HIGH,
    AlarmType.RATE_OF_CHANGE: Priority.MEDIUM,
    AlarmType.DISCRETE: Priority.MEDIUM,
}
_STATE_AFTER = {
    EventKind.RAISED: AlarmState.UNACK,
    EventKind.ACKNOWLEDGED: AlarmState.ACKED,
    EventKind.RETURNED: AlarmState.RTN_UNACK,
    EventKind.CLEARED: AlarmState.NORMAL,
    EventKind.SHELVED: AlarmState.SHELVED,
    EventKind.REMOVED_FROM_SERVICE: AlarmState.OUT_OF_SERVICE,
    EventKind.REALARMED: AlarmState.UNACK,
}


def event(
    tag: str = "GT-201",
    alarm_type: AlarmType = AlarmType.HIGH_HIGH,
    kind: EventKind = EventKind.RAISED,
    *,
    site: str = CHEM,
    priority: Priority | None = None,
    value: float | bool | None = 52.3,
    limit: float | None = 50.0,
    ts: float = T0,
    state: AlarmState | None = None,
    user: str | None = None,
    hazard_source: str = "",
) -> AlarmEvent:
    point = PointKey(site, tag)
    return AlarmEvent(
        alarm_id=alarm_id(point, alarm_type),
        point=point,
        alarm_type=alarm_type,
        kind=kind,
        state=state or _STATE_AFTER.get(kind, AlarmState.UNACK),
        priority=priority or _DEFAULT_PRIORITY[alarm_type],
        ts=ts,
        value=value,
        limit=limit,
        user=user,
        hazard_source=hazard_source,
    )


class Clock:
    """The notifier's clock and its way to wait (``Notifier(clock=c, wait=c.wait)``),
    driven by the test: time passes only in ``advance``, never on its own.

    A wait with a wake event (the timer's) ends when the event is set or when ``advance``
    reaches its deadline. A plain pause (a retry's back-off) is recorded in ``pauses`` and
    passes at once, moving the clock by its length; with ``hold_pauses`` set it waits for
    ``advance`` like the others, so a test can see a channel stuck in its back-off."""

    def __init__(self, now: float = T0) -> None:
        self.now = now
        self.pauses: list[float] = []
        self.hold_pauses = False
        self.watch = Watch()
        self._waiting: list[tuple[float, asyncio.Future[None]]] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        for deadline, done in self._waiting:
            if deadline <= self.now and not done.done():
                done.set_result(None)
        self.watch.poke()
        return self.now

    async def wait(self, wake: asyncio.Event | None, seconds: float) -> None:
        if wake is None:
            self.pauses.append(seconds)
            self.watch.poke()
            if not self.hold_pauses:
                self.advance(seconds)
                await asyncio.sleep(0)  # a real pause yields to the loop; so does this one
                return
        elif wake.is_set():
            return
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        entry = (self.now + seconds, done)
        self._waiting.append(entry)
        woken = None
        if wake is not None:
            woken = loop.create_task(wake.wait())
            woken.add_done_callback(lambda _: done.done() or done.set_result(None))
        try:
            await done
        finally:
            self._waiting.remove(entry)
            if woken is not None:
                woken.cancel()


class Watch:
    """Something that changes under the event loop; tests await a condition on it."""

    def __init__(self) -> None:
        self._changed = asyncio.Event()

    def poke(self) -> None:
        self._changed.set()

    async def until(self, condition: Callable[[], bool], within: float = 10.0) -> None:
        async with asyncio.timeout(within):
            while not condition():
                self._changed.clear()
                await self._changed.wait()


class LogWatch(logging.Handler):
    """Wakes a test on every record a logger emits: a failing journal tells no listener,
    but it does log each failed commit."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.watch = Watch()

    def emit(self, record: logging.LogRecord) -> None:
        self.watch.poke()


@contextlib.contextmanager
def watching_log(name: str) -> Iterator[Watch]:
    handler = LogWatch()
    logger = logging.getLogger(name)
    logger.addHandler(handler)
    try:
        yield handler.watch
    finally:
        logger.removeHandler(handler)


class Recorder:
    """A listener of a real publisher over a real journal: keeps what the listeners hear
    (committed events only), batch by batch, and wakes waiting tests."""

    def __init__(self, publisher: AlarmPublisher) -> None:
        self.publisher = publisher
        self.batches: list[list[AlarmEvent]] = []
        self.watch = Watch()
        publisher.add_listener(self)

    def __call__(self, events: Sequence[AlarmEvent]) -> None:
        self.batches.append(list(events))
        self.watch.poke()

    @property
    def events(self) -> list[AlarmEvent]:
        return [event for batch in self.batches for event in batch]

    def of(self, kind: EventKind) -> list[AlarmEvent]:
        return [e for e in self.events if e.kind is kind]


# ----------------------------------------------------------------- HTTP endpoint


@dataclass
class Request:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() on arrival

    @property
    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


@dataclass
class Endpoint:
    """A real HTTP server playing the generic webhook, WeCom and DingTalk robots.

    Paths: /hook/<name> answers 200 "ok"; /wecom/<name> and /dingtalk/<name> answer
    {"errcode": 0}. ``fail(path, n, status)`` makes the next n requests to a path fail.
    """

    base: str = ""
    requests: list[Request] = field(default_factory=list)
    failures: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    errcodes: dict[str, int] = field(default_factory=dict)
    watch: Watch = field(default_factory=Watch)

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def fail(self, path: str, times: int, status: int = 500, body: str = "boom") -> None:
        self.failures.setdefault(path, []).extend([(status, body)] * times)

    def to(self, path: str) -> list[Request]:
        return [request for request in self.requests if request.path == path]

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.requests.append(
            Request(
                request.path, dict(request.query), dict(request.headers), body, time.monotonic()
            )
        )
        self.watch.poke()
        pending = self.failures.get(request.path)
        if pending:
            status, text = pending.pop(0)
            return web.Response(status=status, text=text)
        if request.path.startswith(("/wecom/", "/dingtalk/")):
            code = self.errcodes.get(request.path, 0)
            return web.json_response({"errcode": code, "errmsg": "ok" if code == 0 else "bad"})
        return web.Response(text="ok")


@contextlib.asynccontextmanager
async def serve_endpoint() -> AsyncIterator[Endpoint]:
    state = Endpoint()
    app = web.Application()
    app.router.add_route("POST", "/{kind}/{name}", state.handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    state.base = f"http://127.0.0.1:{port}"
    try:
        yield state
    finally:
        await runner.cleanup()


# ------------------------------------------------------------------ SMTP server


@dataclass
class Mailbox:
    port: int = 0
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    temporary_failures: int = 0
    watch: Watch = field(default_factory=Watch)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.temporary_failures > 0:
            self.temporary_failures -= 1
            self.watch.poke()
            return "451 4.3.0 try again later"
        content = envelope.original_content or b""
        parsed = message_from_bytes(content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        self.envelopes.append((envelope.mail_from or "", list(envelope.rcpt_tos)))
        self.watch.poke()
        return "250 OK"


@contextlib.asynccontextmanager
async def serve_mailbox() -> AsyncIterator[Mailbox]:
    """aiosmtpd's SMTP protocol served on this test's own event loop, on a free port."""
    box = Mailbox()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(box, hostname="127.0.0.1", decode_data=False),
        "127.0.0.1",
        0,
    )
    box.port = server.sockets[0].getsockname()[1]
    try:
        yield box
    finally:
        server.close()
        await server.wait_closed()
