"""Waiting for work no longer than a deadline, without waiting for its clean-up either.

`asyncio.timeout` cancels the work when time runs out, then waits for it to unwind. Work stuck on a
database that does not answer unwinds slowly: psycopg answers a cancellation by asking the server
to cancel the query (up to 5 s, over a new connection to the same silent server) and waiting for
it (5 s more) before it closes the connection. A caller with a deadline of its own (Slack's 3 s for
a view submission, a health probe's timeout) cannot wait that long. `within` stops waiting at the
deadline and leaves the cancelled work to unwind in the background, where its transaction rolls
back and its connection is closed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

# Cancelled work still unwinding: held here so that it is not collected half way.
_unwinding: set[asyncio.Task[Any]] = set()


def _unwound(task: asyncio.Task[Any]) -> None:
    _unwinding.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.debug("work abandoned at its deadline ended with %r", task.exception())


async def within(seconds: float, work: Coroutine[Any, Any, T]) -> T:
    """The result of `work` if it ends within `seconds`; else TimeoutError at the deadline.

    Past the deadline `work` is cancelled but not awaited (see the module's docstring); if the
    caller itself is cancelled, so is `work`.
    """
    task = asyncio.ensure_future(work)
    try:
        done, _ = await asyncio.wait({task}, timeout=seconds)
    except asyncio.CancelledError:
        _abandon(task)
        raise
    if task in done:
        return task.result()
    _abandon(task)
    raise TimeoutError(f"not finished within {seconds:g} s")


def _abandon(task: asyncio.Task[Any]) -> None:
    task.cancel()
    _unwinding.add(task)
    task.add_done_callback(_unwound)


async def settled() -> None:
    """Wait until all abandoned work has unwound (on shutdown, and in tests)."""
    loop = asyncio.get_running_loop()
    while mine := [task for task in _unwinding if task.get_loop() is loop and not task.done()]:
        await asyncio.gather(*mine, return_exceptions=True)
