"""collectors.http against a real local HTTP/1.1 server (asyncio streams, written here so that
each test can see connections and hold answers back)."""

from __future__ import annotations

import asyncio
import base64
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from collectors.http import HttpClient, HttpError, form_body


@dataclass
class Seen:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Server:
    port: int = 0
    connections: int = 0
    requests: list[Seen] = field(default_factory=list)
    hanging: asyncio.Event = field(default_factory=asyncio.Event)  # set: a /hang arrived

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if line:
                        name, _, value = line.partition(":")
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self.requests.append(Seen(method, target, headers, body))
                if target.startswith("/hang"):
                    self.hanging.set()
                    await reader.read()  # until the client gives up and closes
                    return
                if target.startswith("/chunked"):
                    writer.write(
                        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                        b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
                        b"5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n"
                    )
                elif target.startswith("/status/"):
                    status = int(target.split("/")[2])
                    answer = b'{"error":"nope"}'
                    writer.write(
                        f"HTTP/1.1 {status} Whatever\r\nRetry-After: 7\r\n"
                        f"Content-Length: {len(answer)}\r\n\r\n".encode() + answer
                    )
                else:
                    answer = b"ok \xff"  # not UTF-8 at the end: decoded with a U+FFFD
                    writer.write(
                        f"HTTP/1.1 200 OK\r\nContent-Length: {len(answer)}\r\n"
                        "X-Twice: a\r\nX-Twice: b\r\n\r\n".encode() + answer
                    )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    state = Server()
    listening = await asyncio.start_server(state.handle, "127.0.0.1", 0)
    state.port = listening.sockets[0].getsockname()[1]
    async with listening:
        yield state
        listening.close()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_keep_alive_reuses_one_connection(server: Server) -> None:
    async with HttpClient(headers={"Authorization": "Bearer t"}, timeout=5) as client:
        for n in range(5):
            response = await client.get(server.url("/x"), params={"n": str(n), "q": "a b&c"})
            assert response.status == 200
            assert response.text() == "ok \N{REPLACEMENT CHARACTER}"
            assert response.header("X-TWICE") == "a, b"
    assert server.connections == 1
    assert [seen.target for seen in server.requests][:2] == [
        "/x?n=0&q=a+b%26c", "/x?n=1&q=a+b%26c"
    ]
    assert all(seen.headers["authorization"] == "Bearer t" for seen in server.requests)
    assert server.requests[0].headers["host"] == f"127.0.0.1:{server.port}"


async def test_post_body_headers_and_url_credentials(server: Server) -> None:
    body, headers = form_body({"q": 'CREATE DATABASE "x"'})
    url = f"http://me:s3cret@127.0.0.1:{server.port}/query?db=a"
    async with HttpClient(timeout=5) as client:
        response = await client.post(url, body, headers=headers)
    assert response.status == 200
    (seen,) = server.requests
    assert (seen.method, seen.target) == ("POST", "/query?db=a")
    assert seen.body == b"q=CREATE+DATABASE+%22x%22"
    assert seen.headers["content-type"] == "application/x-www-form-urlencoded"
    assert seen.headers["authorization"] == "Basic " + base64.b64encode(b"me:s3cret").decode()


async def test_a_chunked_answer_is_read_whole(server: Server) -> None:
    async with HttpClient(timeout=5) as client:
        response = await client.get(server.url("/chunked"))
    assert (response.status, response.body, response.text()) == (200, b"hello, world",
                                                                 "hello, world")


async def test_an_error_status_is_returned_not_raised(server: Server) -> None:
    async with HttpClient(timeout=5) as client:
        response = await client.post(server.url("/status/503"), b"x")
        assert response.status == 503
        assert response.header("retry-after") == "7"
        assert response.text() == '{"error":"nope"}'
        # ... and the connection is still good for the next request.
        assert (await client.get(server.url("/status/404"))).status == 404
    assert server.connections == 1


async def test_a_refused_connection_is_an_http_error() -> None:
    async with HttpClient(timeout=5) as client:
        with pytest.raises(HttpError) as raised:
            await client.get(f"http://u:pa55word@127.0.0.1:{closed_port()}/x?token=tok3n")
    assert isinstance(raised.value, OSError)
    assert not raised.value.timed_out
    for secret in ("pa55word", "tok3n"):
        assert secret not in str(raised.value) and secret not in repr(raised.value)


async def test_a_server_that_never_answers_is_an_http_error_within_the_limit(
    server: Server,
) -> None:
    loop = asyncio.get_running_loop()
    async with HttpClient(timeout=5) as client:
        started = loop.time()
        request = asyncio.create_task(client.get(server.url("/hang"), time_limit=0.3))
        await asyncio.wait_for(server.hanging.wait(), 5)
        with pytest.raises(HttpError, match="timed out") as raised:
            await asyncio.wait_for(request, 5)
        assert raised.value.timed_out
        assert 0.25 <= loop.time() - started < 3
        # The pool is not left holding the dead connection: the next request goes through.
        assert (await client.get(server.url("/x"))).status == 200


async def test_bad_urls_and_a_closed_client() -> None:
    client = HttpClient(timeout=5)
    with pytest.raises(HttpError, match="bad URL"):
        await client.get("ftp://127.0.0.1/x")
    with pytest.raises(HttpError, match="bad URL"):
        await client.get("http://127.0.0.1:99999/x")
    await client.close()
    assert client.closed
    with pytest.raises(RuntimeError, match="closed"):
        await client.get("http://127.0.0.1:9/x")


async def test_no_tls_context_for_http(server: Server) -> None:
    async with HttpClient(timeout=5) as client:
        await client.get(server.url("/x"))
        assert client._tls is None  # the https pool (and its TLS context) is never made
