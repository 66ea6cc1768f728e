"""The Graph client waits as Graph asks (429 Retry-After, for every call), backs off on 503/504,
gives up after a bounded number of attempts, and asks for a new token once on 401."""

from __future__ import annotations

import asyncio
import email.utils
from collections.abc import AsyncIterator

import pytest

from bot.platforms.msteams.graph import GraphClient, GraphError, retry_after
from tests.support.fakes.graph import FakeGraph

TOKEN = "token-for-graph-tests"
GROUP = "0a7e5f00-1c2d-4e3f-8a9b-00000000a001"
MEMBERS_PATH = f"/groups/{GROUP}/transitiveMembers/microsoft.graph.user"


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    fake = FakeGraph(TOKEN, "00000000-0000-0000-0000-0000000000b0")
    fake.groups[GROUP] = ["u1", "u2", "u3"]
    await fake.start()
    yield fake
    await fake.close()


class Tokens:
    """Hands out tokens as Entra would: `stale` until asked for a fresh one."""

    def __init__(self, first: str = TOKEN) -> None:
        self.current = first
        self.fresh_asked = 0

    async def __call__(self, fresh: bool) -> str:
        if fresh:
            self.fresh_asked += 1
            self.current = TOKEN
        return self.current


class Sleeps:
    """A sleep that moves its own monotonic clock; with `held`, it waits to be let go."""

    def __init__(self, held: bool = False) -> None:
        self.now = 1000.0
        self.waits: list[float] = []
        self.asleep: asyncio.Queue[float] = asyncio.Queue()
        self.go = asyncio.Event()
        if not held:
            self.go.set()

    def clock(self) -> float:
        return self.now

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.asleep.put_nowait(seconds)
        await self.go.wait()
        self.now += seconds


async def test_unavailable_is_retried_with_growing_backoff(graph: FakeGraph) -> None:
    sleeps = Sleeps()
    client = GraphClient(
        graph.url, Tokens(), sleep=sleeps, backoff_seconds=0.5, monotonic=sleeps.clock
    )
    graph.fail("members", 503)
    graph.fail("members", 504)
    try:
        users = [u["id"] async for u in client.pages(MEMBERS_PATH)]
    finally:
        await client.close()
    assert users == ["u1", "u2", "u3"]
    assert sleeps.waits == [0.5, 1.0]
    assert client.calls == 3


async def test_attempts_are_bounded(graph: FakeGraph) -> None:
    client = GraphClient(graph.url, Tokens(), sleep=Sleeps(), max_attempts=3)
    graph.fail("members", 503, times=5)
    try:
        with pytest.raises(GraphError) as failed:
            await client.get(MEMBERS_PATH)
    finally:
        await client.close()
    assert failed.value.status == 503
    assert "gave up after 3 attempts" in str(failed.value)
    assert len(graph.of("members")) == 3


async def test_a_429_holds_every_call_until_graph_said(graph: FakeGraph) -> None:
    sleeps = Sleeps(held=True)
    client = GraphClient(graph.url, Tokens(), sleep=sleeps, monotonic=sleeps.clock)
    graph.throttle("members", retry_after="7")
    try:
        first = asyncio.create_task(client.get(MEMBERS_PATH))
        assert await sleeps.asleep.get() == 7.0  # throttled: waits as Graph said
        second = asyncio.create_task(client.get(MEMBERS_PATH))
        assert await sleeps.asleep.get() == 7.0  # a new call waits out the same pause
        assert [c.status for c in graph.of("members")] == [429]
        sleeps.go.set()
        await asyncio.gather(first, second)
    finally:
        await client.close()
    assert client.throttled == 1
    assert [c.status for c in graph.of("members")] == [429, 200, 200]


async def test_a_refused_token_is_renewed_once(graph: FakeGraph) -> None:
    tokens = Tokens(first="revoked")
    client = GraphClient(graph.url, tokens, sleep=Sleeps())
    try:
        body = await client.get(MEMBERS_PATH)
    finally:
        await client.close()
    assert [u["id"] for u in body["value"]] == ["u1", "u2", "u3"]
    assert tokens.fresh_asked == 1
    assert [c.status for c in graph.of("members")] == [401, 200]


async def test_a_refusal_is_one_line_with_graphs_code(graph: FakeGraph) -> None:
    graph.granted.clear()
    client = GraphClient(graph.url, Tokens(), sleep=Sleeps())
    try:
        with pytest.raises(GraphError) as refused:
            await client.get(MEMBERS_PATH)
    finally:
        await client.close()
    assert refused.value.status == 403
    assert refused.value.code == "Authorization_RequestDenied"
    assert "\n" not in str(refused.value)
    assert len(graph.of("members")) == 1  # a refusal is not retried


def test_retry_after_takes_seconds_or_a_date() -> None:
    assert retry_after({"Retry-After": "3"}) == 3.0
    assert retry_after({}) is None
    assert retry_after({"Retry-After": "soon"}) is None
    date = email.utils.formatdate(1_000_030, usegmt=True)
    assert retry_after({"Retry-After": date}, now=1_000_000) == 30.0
