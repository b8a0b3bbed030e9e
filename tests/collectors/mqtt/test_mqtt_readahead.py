"""paho made lean: the read-ahead socket gives the same bytes as the socket, with fewer
system calls, and ``pending()`` telling the reader that messages wait in the buffer; the
per-filter callback tree is skipped only while it is empty."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import aiomqtt
import pytest

from collectors.mqtt.connection import READ_AHEAD, ReadAhead, lean_paho


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    near, far = socket.socketpair()
    near.setblocking(False)
    yield near, far
    near.close()
    far.close()


def test_small_reads_are_served_from_one_receive(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    near, far = pair
    sock = ReadAhead(near)
    far.sendall(b"\x30\x05hello\x30\x02hi")
    assert sock.recv(1) == b"\x30"
    assert sock.pending() == 10
    assert sock.recv(1) == b"\x05"
    assert sock.recv(5) == b"hello"
    assert sock.pending() == 4
    assert sock.recv(1) == b"\x30"
    # A read beyond what is buffered gets the rest (as a socket returns a short read).
    assert sock.recv(10) == b"\x02hi"
    assert sock.pending() == 0
    with pytest.raises(BlockingIOError):
        sock.recv(1)


def test_one_read_ahead_per_readiness_event(pair: tuple[socket.socket, socket.socket]) -> None:
    """Until the reader saw nothing pending, a message cut at the end of the buffer is
    completed with exact reads: what the broker sends meanwhile stays in TCP, not in the
    bounded queue behind paho."""
    near, far = pair
    sock = ReadAhead(near)
    far.sendall(b"abcdef")
    assert sock.recv(1) == b"a"
    assert sock.recv(5) == b"bcdef"
    far.sendall(b"ghij")
    assert sock.recv(1) == b"g"  # exact: "hij" is left in the socket
    assert sock.pending() == 0  # the reader's callback ends here
    assert sock.recv(1) == b"h"  # the next readiness event reads ahead again
    assert sock.pending() == 2


def test_no_read_ahead_while_the_queue_lacks_room(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    near, far = pair
    room = [False]
    sock = ReadAhead(near, lambda: room[0])
    far.sendall(b"abcdef")
    assert sock.recv(1) == b"a"  # as paho alone: what the queue cannot take stays in TCP
    assert sock.pending() == 0
    room[0] = True
    assert sock.recv(1) == b"b"
    assert sock.pending() == 4


def test_a_large_read_goes_straight_through(pair: tuple[socket.socket, socket.socket]) -> None:
    near, far = pair
    sock = ReadAhead(near)
    far.sendall(b"x" * 100)
    assert sock.recv(READ_AHEAD * 2) == b"x" * 100
    assert sock.pending() == 0


def test_closed_by_the_peer_reads_empty_after_the_buffer(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    near, far = pair
    sock = ReadAhead(near)
    far.sendall(b"ab")
    far.close()
    assert sock.recv(1) == b"a"
    assert sock.recv(1) == b"b"
    assert sock.recv(1) == b""


def test_everything_else_is_the_socket(pair: tuple[socket.socket, socket.socket]) -> None:
    near, far = pair
    sock = ReadAhead(near)
    assert sock.fileno() == near.fileno()
    assert sock.send(b"ping") == 4
    assert far.recv(4) == b"ping"


async def test_filtered_callbacks_still_match_once_added() -> None:
    client = aiomqtt.Client("127.0.0.1")
    lean_paho(client)
    paho = client._client
    assert list(paho._on_message_filtered.iter_match("plant/dp")) == []

    def callback(*_: object) -> None:
        pass

    paho.message_callback_add("plant/+", callback)
    assert list(paho._on_message_filtered.iter_match("plant/dp")) == [callback]
    paho.message_callback_remove("plant/+")
    assert list(paho._on_message_filtered.iter_match("plant/dp")) == []
