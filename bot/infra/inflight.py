"""Work a request started and its response does not wait for.

Slack wants an ack within 3 seconds and the ack of a slash command or a button press carries
nothing, so the Slack listeners ack at once and leave the rest (the read, the modal, the reply)
running here. Kept here rather than as loose tasks, so that a task is never collected half done,
a failure that escaped its own handling is still logged, and stopping the process lets the work
in hand finish: a clinician who typed /checkin while the server was being restarted still gets
the form.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)

# How long a stopping process waits for work in hand. A Web API call gives up after 10 s and
# Slack's trigger_id lasts 3 s, so a request's work is over well within this.
DRAIN_SECONDS = 15.0


class InFlight:
    def __init__(self, drain_seconds: float = DRAIN_SECONDS) -> None:
        self._tasks: set[asyncio.Task[None]] = set()
        self._drain_seconds = drain_seconds

    def __len__(self) -> int:
        return len(self._tasks)

    def start(self, work: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.get_running_loop().create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("%s failed", task.get_name(), exc_info=error)

    async def drain(self) -> None:
        """Wait for the work in hand, for a while; cancel whatever is still running then."""
        if not self._tasks:
            return
        log.info("waiting for %d request(s) in hand to finish", len(self._tasks))
        _, pending = await asyncio.wait(set(self._tasks), timeout=self._drain_seconds)
        if pending:
            log.warning(
                "%d request(s) did not finish within %.0f s; cut off",
                len(pending),
                self._drain_seconds,
            )
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
