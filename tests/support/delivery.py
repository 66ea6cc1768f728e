"""Drive the outbox by hand: tests on a fixed clock send what is due when they choose."""

from __future__ import annotations

from bot.app.compose import Respite
from bot.infra.clock import FixedClock


async def deliver_all(
    respite: Respite,
    clock: FixedClock,
    concurrency: int | None = None,
    *,
    boundaries: bool = False,
) -> int:
    """Run the outbox worker until nothing more is due; returns how many were sent. With
    `boundaries`, it asks the runtime's working-time boundaries before each send, as it does
    in service."""
    from scheduler.delivery import CONCURRENCY, deliver_due

    total = 0
    rt = respite.runtime
    while sent := await deliver_due(
        rt.queue,
        respite.senders,
        clock,
        concurrency=concurrency or CONCURRENCY,
        boundaries=rt.boundaries if boundaries else None,
    ):
        total += sent
    return total
