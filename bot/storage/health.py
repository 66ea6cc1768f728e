"""A cheap database round-trip for health checks, with a deadline of its own.

A health probe that hangs with the database tells the orchestrator nothing until its own timeout
(the image's HEALTHCHECK allows 4 s), so the ping gives up first: a database that does not answer
within `PING_DEADLINE_SECONDS` is unavailable. The abandoned round-trip unwinds in the background
(see `bot.infra.deadline`).
"""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.infra.deadline import within

log = logging.getLogger(__name__)

PING_DEADLINE_SECONDS = 2.0


async def _round_trip(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


async def ping(engine: AsyncEngine, deadline: float = PING_DEADLINE_SECONDS) -> bool:
    try:
        await within(deadline, _round_trip(engine))
    except TimeoutError:
        log.warning("the database did not answer a health check within %g s", deadline)
        return False
    except Exception:
        return False
    return True
