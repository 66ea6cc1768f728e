"""Waiting in tests. `until` polls for something outside the app (a subprocess's output, a socket,
a fake service's log); `settle` waits for the app's own background work through the in-flight
registry rather than a polling loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.app.compose import Respite


async def until(check: Callable[[], bool], what: str, within: float = 30, log: str = "") -> None:
    """Poll `check` until it holds; fail naming `what` (and `log`) after `within` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not check():
        if loop.time() > deadline:
            raise AssertionError(f"gave up waiting for {what}\n{log}".rstrip())
        await asyncio.sleep(0.01)


async def settle(respite: Respite, within: float = 15) -> None:
    """Wait until the work the app's requests left in flight is done: the slash command's
    reply, the modal a button opens. A request's handler registers that work before its
    response, so once this returns, whatever the work sent has reached the fakes."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    await asyncio.sleep(0)
    while len(respite.inflight):
        if loop.time() > deadline:
            raise AssertionError(f"{len(respite.inflight)} request(s) still in flight")
        await asyncio.sleep(0.002)
