"""Client addresses behind proxies: headers count only from listed proxies.

The attack from the issue: a program on the gateway's machine sends X-Forwarded-For with a
new address on every guess, hoping each guess counts against a fresh address."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
from authkit import FakeClock, make_site, running_app

from dashboard.proxies import forwarded_chain

WRONG = {"username": "operator", "password": "wrong-guess-1"}
RIGHT = {"username": "operator", "password": "operator-pass-1"}


def _chain(headers: dict[str, str]) -> tuple[list[str], str | None] | None:
    found = forwarded_chain(headers)
    return None if found is None else ([str(a) for a in found[0]], found[1])


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"x-forwarded-for": "10.0.0.7"}, (["10.0.0.7"], None)),
        ({"x-forwarded-for": "10.0.0.7, 192.168.1.2", "x-forwarded-proto": "HTTPS"},
         (["10.0.0.7", "192.168.1.2"], "https")),
        ({"x-forwarded-for": "10.0.0.7:5555"}, (["10.0.0.7"], None)),
        ({"x-forwarded-for": "not-an-address"}, None),
        ({"x-forwarded-for": "10.0.0.7, , 10.0.0.8"}, None),
        ({"forwarded": 'for=192.0.2.60;proto=https;by=203.0.113.43'}, (["192.0.2.60"], "https")),
        ({"forwarded": 'for="[2001:db8:cafe::17]:4711"'}, (["2001:db8:cafe::17"], None)),
        ({"forwarded": "for=192.0.2.43, for=198.51.100.17"}, (["192.0.2.43", "198.51.100.17"],
                                                             None)),
        ({"forwarded": "for=unknown"}, None),
        ({"forwarded": "for=_hidden"}, None),
        # Forwarded wins over X-Forwarded-For when both come.
        ({"forwarded": "for=192.0.2.1", "x-forwarded-for": "10.9.9.9"}, (["192.0.2.1"], None)),
    ],
)
def test_forwarded_headers_are_read(
    headers: dict[str, str], expected: tuple[list[str], str | None] | None
) -> None:
    assert _chain(headers) == expected


async def test_forwarded_for_from_an_unlisted_peer_is_ignored(
    tmp_path: Path, clock: FakeClock
) -> None:
    async with running_app(tmp_path, make_site(), clock=clock) as app:
        limit = app.auth.settings.per_address
        codes = []
        async with app.client() as client:
            for n in range(limit.free + 5):
                response = await client.post(
                    "/api/login",
                    json={"username": f"user{n}", "password": "wrong-guess-1"},
                    headers={"X-Forwarded-For": f"10.66.{n // 250}.{n % 250}"},
                )
                codes.append(response.status_code)
        # Every guess counted against 127.0.0.1: the address limit stopped the rest.
        assert codes[: limit.free] == [401] * limit.free
        assert set(codes[limit.free :]) == {429}
        failed = app.auth.audit_log(action="login.failed", limit=500)
        assert {entry.address for entry in failed} == {"127.0.0.1"}


async def test_a_listed_proxy_names_the_client(tmp_path: Path, clock: FakeClock) -> None:
    async with running_app(
        tmp_path, make_site(), clock=clock, trusted_proxies=["127.0.0.1/32", "10.0.0.0/8"]
    ) as app:
        free = app.auth.settings.per_account_address.free
        async with app.client() as client:
            attacker = {"X-Forwarded-For": "192.168.5.5, 10.1.2.3"}  # 10.x: a listed proxy
            for _ in range(free):
                response = await client.post("/api/login", json=WRONG, headers=attacker)
                assert response.status_code == 401
            response = await client.post("/api/login", json=RIGHT, headers=attacker)
            assert response.status_code == 429
            # The operator behind the same proxy, at another desk, gets in.
            desk = {"Forwarded": 'for=192.168.5.20;proto=https'}
            response = await client.post("/api/login", json=RIGHT, headers=desk)
            assert response.status_code == 200
            # proto=https from the proxy: the cookie is only sent back over https.
            assert "secure" in response.headers["set-cookie"].lower()
        failed = app.auth.audit_log(action="login.failed")
        assert {entry.address for entry in failed} == {"192.168.5.5"}
        logins = app.auth.audit_log(action="login")
        assert [entry.address for entry in logins] == ["192.168.5.20"]
        assert ipaddress.ip_address(logins[0].address or "")  # an address, not a header
