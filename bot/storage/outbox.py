"""The delivery outbox on SQL: one row per intended message, unique by key.

Claiming uses `FOR UPDATE SKIP LOCKED` on PostgreSQL so several workers share the queue without
sending a row twice; on SQLite the IMMEDIATE transaction already serialises claimers. A claim is a
lease, short and renewed while its batch runs: a worker that dies mid-batch leaves rows that
become claimable again when its last renewal ends, and a worker that stops gives back at once the
rows it never tried. Each claim writes a fresh token, and a row is renewed, given back or settled
only by the claim that still holds it, so a worker whose lease lapsed cannot mark sent, defer or
put back a row another worker now holds.
A row carries its card, or refers to one in `outbox_cards` that many rows share.

This module alone knows the shape of an outbox row. Others queue rows through it: one at a time
(`enqueue`), many in one statement (`queue_rows`), or from a SELECT of their own
(`queue_select`, which break plans fan out with), and share cards through `SharedCards`.

Messages to many people that are queued as one row elsewhere (a break plan's prompt) are turned
into their outbox rows by the `fan_outs` given, just before each claim: whatever delivers also
fans out, and nothing fanned out waits for another process. Whatever must know that a message
really went out (break uptake counts the people a prompt reached) is told by the `on_sent`
given, after the row is settled as sent.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    bindparam,
    delete,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from bot.domain.messages import Card, Platform, Recipient, card_from_dict, card_to_dict
from bot.domain.ports import OutboxItem
from bot.storage.tables import outbox, outbox_cards
from bot.storage.types import UtcDateTime

MAX_ATTEMPTS = 8
# Keys looked up per statement (`existing`): well under every backend's limit on bound parameters.
_KEYS_PER_READ = 500
log = logging.getLogger(__name__)

# The columns every new row is given, in the order the set-based statements list them
# (`queue_select`, and the SQL of `queue_rows`).
NEW_ROW = (
    "key",
    "platform",
    "recipient",
    "card_id",
    "status",
    "attempts",
    "not_before",
    "drop_after",
    "created_at",
)


def recipient_to_dict(recipient: Recipient) -> dict[str, Any]:
    return {
        "platform": recipient.platform.value,
        "user_id": recipient.user_id,
        "channel_id": recipient.channel_id,
    }


def recipient_from_dict(data: dict[str, Any]) -> Recipient:
    return Recipient(Platform(data["platform"]), data.get("user_id"), data.get("channel_id"))


def new_row(
    key: str,
    recipient: Recipient,
    card: Card,
    not_before: datetime,
    drop_after: datetime | None,
    holds: bool,
    created_at: datetime,
) -> dict[str, Any]:
    """The values of a new row that carries its own card."""
    return {
        "key": key,
        "platform": recipient.platform.value,
        "recipient": recipient_to_dict(recipient),
        "card": card_to_dict(card),
        "status": "pending",
        "attempts": 0,
        "not_before": not_before,
        "drop_after": drop_after,
        "holds": holds,
        "created_at": created_at,
    }


class QueuedRow(NamedTuple):
    """A new row whose card is shared (`SharedCards`)."""

    key: str
    recipient: Recipient
    card_id: str
    not_before: datetime
    drop_after: datetime | None


# PostgreSQL reads the rows from arrays: a handful of parameters however many rows, so the
# driver parses one short statement instead of thousands of placeholders.
_QUEUE_PG = text(
    "INSERT INTO outbox (key, platform, recipient, card_id, status, attempts, not_before, "
    "drop_after, created_at) "
    "SELECT k, p, json_build_object('platform', p, 'user_id', u, 'channel_id', ch), c, "
    "'pending', 0, nb, da, :created_at "
    "FROM unnest(CAST(:keys AS text[]), CAST(:platforms AS text[]), CAST(:users AS text[]), "
    "CAST(:channels AS text[]), CAST(:card_ids AS text[]), CAST(:not_before AS timestamptz[]), "
    "CAST(:drop_after AS timestamptz[])) AS t(k, p, u, ch, c, nb, da) "
    "ON CONFLICT (key) DO NOTHING RETURNING key"
).bindparams(bindparam("created_at", type_=UtcDateTime()))
# SQLite reads the same rows from one JSON document.
_QUEUE_SQLITE = text(
    "INSERT INTO outbox (key, platform, recipient, card_id, status, attempts, not_before, "
    "drop_after, created_at) "
    "SELECT r.value ->> 0, r.value ->> 1, json_object('platform', r.value ->> 1, "
    "'user_id', r.value ->> 2, 'channel_id', r.value ->> 3), r.value ->> 4, 'pending', 0, "
    "r.value ->> 5, r.value ->> 6, :created_at FROM json_each(:rows) AS r WHERE true "
    "ON CONFLICT (key) DO NOTHING RETURNING key"
)


def _sqlite_time(value: datetime | None) -> str | None:
    """The text form SQLAlchemy's SQLite dialect stores, so comparisons keep working."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


async def queue_rows(
    conn: AsyncConnection, rows: Sequence[QueuedRow], created_at: datetime | None
) -> set[str]:
    """Insert rows in one statement within the caller's transaction, skipping keys already
    queued; returns the keys inserted."""
    if conn.dialect.name == "postgresql":
        result = await conn.execute(
            _QUEUE_PG,
            {
                "keys": [r.key for r in rows],
                "platforms": [r.recipient.platform.value for r in rows],
                "users": [r.recipient.user_id for r in rows],
                "channels": [r.recipient.channel_id for r in rows],
                "card_ids": [r.card_id for r in rows],
                "not_before": [r.not_before for r in rows],
                "drop_after": [r.drop_after for r in rows],
                "created_at": created_at,
            },
        )
        return {row[0] for row in result}
    document = [
        [
            r.key,
            r.recipient.platform.value,
            r.recipient.user_id,
            r.recipient.channel_id,
            r.card_id,
            _sqlite_time(r.not_before),
            _sqlite_time(r.drop_after),
        ]
        for r in rows
    ]
    result = await conn.execute(
        _QUEUE_SQLITE, {"rows": json.dumps(document), "created_at": _sqlite_time(created_at)}
    )
    return {row[0] for row in result}


def queue_select(
    postgres: bool,
    key: ColumnElement[Any],
    platform: ColumnElement[Any],
    user_id: ColumnElement[Any],
    card_id: ColumnElement[Any],
    not_before: ColumnElement[Any],
    drop_after: ColumnElement[Any],
    *where: ColumnElement[bool],
) -> Any:
    """One INSERT ... SELECT of new rows to people (no channel), a row for each row `where`
    selects, skipping keys already queued. Each row is created at its `not_before`."""
    recipient = (func.json_build_object if postgres else func.json_object)(
        "platform", platform, "user_id", user_id, "channel_id", null()
    )
    rows = select(
        key,
        platform,
        recipient,
        card_id,
        literal("pending"),
        literal(0),
        not_before,
        drop_after,
        not_before,
    ).where(*where)
    stmt = (postgresql.insert if postgres else sqlite.insert)(outbox)
    return (
        stmt.from_select(list(NEW_ROW), rows)
        .on_conflict_do_nothing(index_elements=["key"])
        .execution_options(preserve_rowcount=True)  # how many were new, to count them
    )


_SHARE_CARD = (
    "INSERT INTO outbox_cards (id, card, created_at) VALUES (:id, {}, :created_at) "
    "ON CONFLICT (id) DO NOTHING"
)
_SHARE_CARD_PG = text(_SHARE_CARD.format("CAST(:card AS json)")).bindparams(
    bindparam("created_at", type_=UtcDateTime())
)
_SHARE_CARD_SQLITE = text(_SHARE_CARD.format(":card")).bindparams(
    bindparam("created_at", type_=UtcDateTime())
)


@lru_cache(maxsize=512)
def _shared_card(card: Card) -> tuple[str, str]:
    data = json.dumps(card_to_dict(card), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(data.encode()).hexdigest()[:32], data


class SharedCards:
    """Cards kept once in `outbox_cards` for many rows to refer to, each named by a hash of
    its JSON. It remembers the cards this process saw committed, so it writes each once."""

    def __init__(self) -> None:
        self._stored: set[str] = set()

    @staticmethod
    def id_of(card: Card) -> str:
        return _shared_card(card)[0]

    async def store(
        self, conn: AsyncConnection, cards: Iterable[Card], created_at: datetime | None
    ) -> list[str]:
        """Write the cards not known to be stored, within the caller's transaction; returns
        the ids written, for `committed` once that transaction has committed."""
        fresh = dict(_shared_card(c) for c in cards)
        for known in self._stored & fresh.keys():
            del fresh[known]
        if fresh:
            postgres = conn.dialect.name == "postgresql"
            await conn.execute(
                _SHARE_CARD_PG if postgres else _SHARE_CARD_SQLITE,
                [
                    {"id": card_id, "card": data, "created_at": created_at}
                    for card_id, data in sorted(fresh.items())
                ],
            )
        return list(fresh)

    def committed(self, ids: Iterable[str]) -> None:
        if len(self._stored) > 100_000:
            self._stored.clear()
        self._stored.update(ids)


FanOut = Callable[[datetime], Awaitable[int]]
OnSent = Callable[[OutboxItem, datetime], Awaitable[None]]


class SqlOutbox:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock_now: Any,
        fan_outs: Sequence[FanOut] = (),
        on_sent: Sequence[OnSent] = (),
    ) -> None:
        self._sessions = sessions
        self._now = clock_now
        self.fan_outs = list(fan_outs)
        self.on_sent = list(on_sent)

    async def enqueue(
        self,
        key: str,
        recipient: Recipient,
        card: Card,
        not_before: datetime,
        drop_after: datetime | None = None,
        holds: bool = False,
    ) -> bool:
        try:
            async with self._sessions.begin() as s:
                await s.execute(
                    insert(outbox).values(
                        new_row(key, recipient, card, not_before, drop_after, holds, self._now())
                    )
                )
        except IntegrityError:
            return False
        return True

    async def claim(
        self, now: datetime, limit: int, lease_seconds: float, platforms: Collection[Platform]
    ) -> list[OutboxItem]:
        if not platforms:
            return []
        for fan_out in self.fan_outs:
            try:
                await fan_out(now)
            except Exception as exc:  # what is queued already still goes; fanned out next claim
                log.warning("fan-out failed, to be tried at the next claim: %r", exc)
        async with self._sessions.begin() as s:
            due = or_(
                (outbox.c.status == "pending") & (outbox.c.not_before <= now),
                (outbox.c.status == "sending") & (outbox.c.claimed_until <= now),
            ) & outbox.c.platform.in_(sorted(p.value for p in platforms))
            rows = (
                await s.execute(
                    select(outbox, outbox_cards.c.card.label("shared_card"))
                    .select_from(
                        outbox.outerjoin(outbox_cards, outbox.c.card_id == outbox_cards.c.id)
                    )
                    .where(due)
                    .order_by(outbox.c.not_before, outbox.c.id)
                    .limit(limit)
                    .with_for_update(of=outbox, skip_locked=True)
                )
            ).all()
            if not rows:
                return []
            token = secrets.token_hex(16)
            await s.execute(
                update(outbox)
                .where(outbox.c.id.in_([r.id for r in rows]))
                .values(
                    status="sending",
                    claimed_until=now + timedelta(seconds=lease_seconds),
                    claim=token,
                    attempts=outbox.c.attempts + 1,
                )
            )
            return [
                OutboxItem(
                    id=r.id,
                    key=r.key,
                    recipient=recipient_from_dict(r.recipient),
                    card=card_from_dict(r.card if r.card is not None else r.shared_card),
                    attempts=r.attempts + 1,
                    drop_after=r.drop_after,
                    holds=r.holds,
                    claim=token,
                )
                for r in rows
            ]

    async def renew(
        self, items: Sequence[OutboxItem], now: datetime, lease_seconds: float
    ) -> set[int]:
        """Extend the claim on these rows to `now + lease_seconds`; the ids it still holds.

        One statement for a whole batch, by primary key (the claim token is not indexed). A row
        missing from the answer was settled meanwhile, or taken by another claim after this one
        lapsed: either way it is not this claim's to send.
        """
        held: set[int] = set()
        for claim, ids in _by_claim(items).items():
            async with self._sessions.begin() as s:
                result = await s.execute(
                    update(outbox)
                    .where(
                        outbox.c.id.in_(ids),
                        outbox.c.status == "sending",
                        outbox.c.claim == claim,
                    )
                    .values(claimed_until=now + timedelta(seconds=lease_seconds))
                    .returning(outbox.c.id)
                )
                held.update(result.scalars())
        return held

    async def give_back(self, items: Sequence[OutboxItem]) -> int:
        """Put claimed rows that were never tried back in the queue at once (a stopping worker):
        claimable again now instead of when the lease ends, the claim's attempt not counted."""
        given = 0
        for claim, ids in _by_claim(items).items():
            async with self._sessions.begin() as s:
                result = await s.execute(
                    update(outbox)
                    .where(
                        outbox.c.id.in_(ids),
                        outbox.c.status == "sending",
                        outbox.c.claim == claim,
                    )
                    .values(
                        status="pending",
                        claimed_until=None,
                        claim=None,
                        attempts=outbox.c.attempts - 1,
                    )
                )
                given += int(result.rowcount)  # type: ignore[attr-defined]
        return given

    async def _settle(self, item: OutboxItem, **values: Any) -> bool:
        """Apply `values` only if this claim still holds the row; False when it no longer does."""
        async with self._sessions.begin() as s:
            result = await s.execute(
                update(outbox)
                .where(
                    outbox.c.id == item.id,
                    outbox.c.status == "sending",
                    outbox.c.claim == item.claim,
                )
                .values(claimed_until=None, claim=None, **values)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def mark_sent(self, item: OutboxItem, now: datetime) -> bool:
        settled = await self._settle(item, status="sent", sent_at=now, last_error=None)
        # The message went out whether or not this claim still held the row. Each listener
        # writes in its own transaction: one failing must not undo the settle, or the row
        # would be claimed and sent again once its lease ends.
        for listener in self.on_sent:
            try:
                await listener(item, now)
            except Exception as exc:
                log.warning("outbox %s: after the send: %s", item.id, type(exc).__name__)
        return settled

    async def defer(self, item: OutboxItem, until: datetime, error: str) -> bool:
        return await self._settle(item, status="pending", not_before=until, last_error=error[:500])

    async def fail(self, item: OutboxItem, error: str) -> bool:
        return await self._settle(item, status="failed", last_error=error[:500])

    async def hold(self, item: OutboxItem, until: datetime, reason: str) -> bool:
        return await self._settle(
            item,
            status="pending",
            not_before=until,
            attempts=outbox.c.attempts - 1,
            last_error=f"held: {reason}"[:500],
        )

    async def drop(self, item: OutboxItem, reason: str) -> bool:
        return await self._settle(item, status="dropped", last_error=reason[:500])

    async def cancel(self, key_prefix: str) -> int:
        if not key_prefix:
            raise ValueError("an empty prefix would cancel every message")
        async with self._sessions.begin() as s:
            result = await s.execute(
                delete(outbox).where(
                    outbox.c.key.startswith(key_prefix, autoescape=True),
                    outbox.c.status.in_(("pending", "sending")),
                )
            )
            return int(result.rowcount)  # type: ignore[attr-defined]

    async def existing(self, keys: Collection[str]) -> set[str]:
        wanted = sorted(set(keys))
        found: set[str] = set()
        async with self._sessions() as s:
            for start in range(0, len(wanted), _KEYS_PER_READ):
                chunk = wanted[start : start + _KEYS_PER_READ]
                found.update(await s.scalars(select(outbox.c.key).where(outbox.c.key.in_(chunk))))
        return found

    async def pending_count(self) -> int:
        async with self._sessions() as s:
            count = await s.scalar(
                select(func.count())
                .select_from(outbox)
                .where(outbox.c.status != "sent")
                .where(outbox.c.status != "failed")
                .where(outbox.c.status != "dropped")
            )
            return int(count or 0)


def _by_claim(items: Sequence[OutboxItem]) -> dict[str, list[int]]:
    grouped: dict[str, list[int]] = {}
    for item in items:
        grouped.setdefault(item.claim, []).append(item.id)
    return grouped
