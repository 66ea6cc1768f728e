"""A calendar feed address cannot reach the server's own network: not by any form of a private
address written in the URL, and not by DNS rebinding (a name that resolves to a public address
for a check and to loopback for the connection). The address checked is the address used."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.test_utils import TestServer

from bot.adapters.calendar_feed import (
    IcsCalendarFeed,
    PublicOnlyResolver,
    is_public,
    literal_address,
)
from bot.domain.ports import CalendarUnavailable

ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nEND:VCALENDAR\r\n"
START, END = datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 2, tzinfo=UTC)
PUBLIC = "93.184.215.14"


@dataclass
class Feed:
    port: int
    hits: int = 0


@pytest.fixture
async def feed() -> AsyncIterator[Feed]:
    """A calendar on 127.0.0.1: what an attacker's address would like to reach."""
    state: list[Feed] = []

    async def handle(request: web.Request) -> web.StreamResponse:
        state[0].hits += 1
        return web.Response(body=ICS, content_type="text/calendar")

    app = web.Application()
    app.router.add_get("/basic.ics", handle)
    server = TestServer(app, host="127.0.0.1", access_log=None)
    await server.start_server()
    assert server.port is not None
    state.append(Feed(server.port))
    yield state[0]
    await server.close()


@dataclass
class Rebinding(AbstractResolver):
    """A DNS server under an attacker's control: each look-up gets the next answer."""

    answers: list[str]
    asked: list[str] = field(default_factory=list)

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.asked.append(host)
        address = self.answers[min(len(self.asked), len(self.answers)) - 1]
        kind = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [
            {
                "hostname": host,
                "host": address,
                "port": port,
                "family": kind,
                "proto": 0,
                "flags": 0,
            }
        ]

    async def close(self) -> None:
        return None


# Fourteen ways to write an address of the server's own network into a feed URL.
PRIVATE_HOSTS = [
    "127.0.0.1",
    "127.1",
    "2130706433",
    "0x7f000001",
    "0177.0.0.1",
    "0.0.0.0",  # noqa: S104 (a URL's host: connecting to it reaches this machine)
    "[::1]",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "localhost",
    "169.254.169.254",
    "10.0.0.1",
    "192.168.1.10",
    "[fe80::1]",
]


@pytest.mark.parametrize("host", PRIVATE_HOSTS)
async def test_private_addresses_in_any_form_are_refused(feed: Feed, host: str) -> None:
    url = f"http://{host}:{feed.port}/basic.ics"
    with pytest.raises(CalendarUnavailable, match="private network") as err:
        await IcsCalendarFeed(timeout=2.0, cache_seconds=0).busy(url, START, END, "UTC")
    assert str(feed.port) not in str(err.value)
    assert feed.hits == 0
    # Allowed (a test server, a demo), the very same address reaches the feed where it can.
    if host in ("127.0.0.1", "localhost", "0.0.0.0"):  # noqa: S104
        allowed = IcsCalendarFeed(timeout=2.0, cache_seconds=0, allow_private=True)
        assert await allowed.busy(url, START, END, "UTC") == []
        assert feed.hits == 1


async def test_a_name_rebound_to_loopback_after_the_check_never_reaches_it(feed: Feed) -> None:
    """Public for the first look-up, loopback for every one after: only one is made, and the
    connection goes to the public address it returned (unreachable here), never to loopback."""
    resolvers: list[Rebinding] = []

    def rebinding() -> Rebinding:
        resolvers.append(Rebinding([PUBLIC, "127.0.0.1"]))
        return resolvers[-1]

    guarded = IcsCalendarFeed(timeout=1.0, cache_seconds=0, resolver=rebinding)
    url = f"http://calendar.attacker.example:{feed.port}/basic.ics"
    refused = 0
    for _ in range(5):
        with pytest.raises(CalendarUnavailable) as err:
            await guarded.busy(url, START, END, "UTC")
        assert "private network" not in str(err.value)  # unreachable or timed out instead
        refused += 1
    assert refused == 5
    assert feed.hits == 0
    assert [len(r.asked) for r in resolvers] == [1] * 5  # one look-up per fetch, the checked one


async def test_a_name_answering_loopback_first_is_refused_before_connecting(feed: Feed) -> None:
    feed_guard = IcsCalendarFeed(
        timeout=1.0, cache_seconds=0, resolver=lambda: Rebinding(["127.0.0.1", PUBLIC])
    )
    url = f"http://calendar.attacker.example:{feed.port}/basic.ics"
    with pytest.raises(CalendarUnavailable, match="private network"):
        await feed_guard.busy(url, START, END, "UTC")
    assert feed.hits == 0


async def test_the_guard_hands_on_exactly_the_answers_it_checked() -> None:
    inner = Rebinding([PUBLIC, "127.0.0.1"])
    guard = PublicOnlyResolver(inner)
    [answer] = await guard.resolve("calendar.example", 443)
    assert answer["host"] == PUBLIC and inner.asked == ["calendar.example"]
    with pytest.raises(CalendarUnavailable, match="private network"):
        await guard.resolve("calendar.example", 443)  # the second answer, loopback

    class Mixed(Rebinding):
        async def resolve(
            self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
        ) -> list[ResolveResult]:
            public, private = await super().resolve(host, port), await super().resolve(host, port)
            return public + private

    with pytest.raises(CalendarUnavailable, match="private network"):
        await PublicOnlyResolver(Mixed([PUBLIC, "10.1.2.3"])).resolve("calendar.example", 443)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        (PUBLIC, True),
        ("2606:4700:4700::1111", True),
        ("100.64.0.1", False),  # carrier-grade NAT
        ("172.16.0.1", False),
        ("224.0.0.1", False),  # multicast
        ("240.0.0.1", False),  # reserved
        ("fc00::1", False),  # unique local
        ("64:ff9b::7f00:1", False),  # NAT64 of 127.0.0.1
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
        ("::7f00:1", False),  # IPv4-compatible
    ],
)
def test_which_addresses_are_public(address: str, public: bool) -> None:
    parsed = literal_address(address)
    assert parsed is not None
    assert is_public(parsed) is public


def test_host_names_are_not_addresses() -> None:
    assert literal_address("calendar.example.org") is None
    assert literal_address("outlook.office365.com") is None
