"""The read-ahead socket under paho: the same bytes as the socket gives, fewer system calls,
and ``pending()`` telling the reader that messages wait in the buffer."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from collectors.mqtt.connection import READ_AHEAD, ReadAhead


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
