"""What the outbox still holds, for the metrics scrape: rows by platform and state, and the oldest.

An admin's first question when messages seem late is whether the outbox is draining. One grouped
query over the unsettled rows (`pending` and `sending`, which the `ix_outbox_due` index leads
with) answers it; sent, failed and dropped rows are not read. The figures carry platforms and
states only, never a recipient.

A scrape must not hang on a slow database, so on PostgreSQL the statement carries a short
`statement_timeout` of its own (the server gives up, not only the client); the caller puts its own
deadline around the whole read as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, case, func, select, text, type_coerce
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.tables import outbox
from bot.storage.types import UtcDateTime

# Held: pending, but not before a later moment (outside working hours, a Retry-After, a deferral).
STATES = ("due", "held", "sending")
STATEMENT_TIMEOUT_MS = 2000


@dataclass(frozen=True, slots=True)
class BacklogGroup:
    platform: str
    state: str
    rows: int
    # When the oldest of these rows was queued.
    oldest: datetime


async def outbox_backlog(engine: AsyncEngine, now: datetime) -> list[BacklogGroup]:
    """The unsettled outbox rows as of `now`, grouped by platform and state (empty groups left
    out)."""
    later = outbox.c.not_before > now

    def oldest(where: ColumnElement[bool]) -> ColumnElement[datetime]:
        return type_coerce(func.min(case((where, outbox.c.created_at))), UtcDateTime())

    # Grouped by stored columns only: PostgreSQL would not match a GROUP BY expression holding
    # a bound `now` against the same expression in the select list.
    query = (
        select(
            outbox.c.platform,
            outbox.c.status,
            func.count(),
            func.sum(case((later, 1), else_=0)),
            oldest(later),
            oldest(~later),
        )
        .where(outbox.c.status.in_(("pending", "sending")))
        .group_by(outbox.c.platform, outbox.c.status)
    )
    async with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            # SET LOCAL lasts until the end of this transaction, which the block rolls back.
            await conn.execute(text(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}"))
        rows = (await conn.execute(query)).all()
    groups: list[BacklogGroup] = []
    for platform, status, count, held, oldest_held, oldest_due in rows:
        if status == "sending":
            # A claimed row is on its way whatever its not_before says.
            first = min(t for t in (oldest_held, oldest_due) if t is not None)
            groups.append(BacklogGroup(platform, "sending", int(count), first))
            continue
        if count > held:
            groups.append(BacklogGroup(platform, "due", int(count - held), oldest_due))
        if held:
            groups.append(BacklogGroup(platform, "held", int(held), oldest_held))
    return sorted(groups, key=lambda g: (g.platform, STATES.index(g.state)))
