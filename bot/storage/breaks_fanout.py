"""A shared plan's prompt turned into its followers' outbox rows (see docs/breaks.md).

A tick that moves a plan to a prompt leaves one `break_fanouts` row. The outbox worker fans that
row out before it claims what is due: one INSERT ... SELECT queues every follower's prompt, each
with a key unique per (person, slot), counts them per team-week and deletes the fan-out row, in
one transaction. So overlapping ticks, two workers or a restart still send a slot to a person at
most once, and each prompt costs one write per person (its outbox row).

A follower's practice is not written on every prompt: their `last_practice` holds as of the
plan's `sent` count being their `plan_sent`, and steps on by their own stride once per prompt
since, as `rotate` says.

Each follower reads the prompt in their own language. The tick renders the cards in every
shipped language; the plan keeps one set of shared cards for each language its followers speak
(read once when the plan moves), plus the plan's own language, which anyone else gets (no
language of their own, one Respite does not ship, or one chosen since the plan moved). The same
INSERT ... SELECT picks each follower's card by their language and practice.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    and_,
    bindparam,
    case,
    delete,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.domain.break_cards import PRACTICES
from bot.domain.messages import Card
from bot.domain.ports import PlanPrompt
from bot.infra.i18n import DEFAULT_LOCALE, LOCALES, supported
from bot.storage.breaks_uptake import count_prompted
from bot.storage.outbox import queue_select
from bot.storage.tables import break_fanouts, break_people, person_locales
from bot.storage.types import UtcDateTime

FANOUTS_PER_CALL = 50


def practice_after(steps: Any) -> ColumnElement[Any]:
    """`rotate` applied `steps` times (at least once) from a row's last_practice."""
    last = break_people.c.last_practice
    base = case((and_(last >= 0, last < len(PRACTICES)), last), else_=0)
    rotated: ColumnElement[Any] = (base + steps * break_people.c.practice_stride) % len(PRACTICES)
    return rotated


async def follower_locales(conn: AsyncConnection, plan_ids: Collection[str]) -> dict[str, set[str]]:
    """The shipped languages the followers of these plans have (chosen or reported), by plan;
    one query for all of them."""
    if not plan_ids:
        return {}
    people, langs = break_people.c, person_locales.c
    query = (
        select(people.plan_id, langs.locale)
        .distinct()
        .select_from(
            break_people.join(
                person_locales,
                and_(langs.platform == people.platform, langs.user_id == people.user_id),
            )
        )
        .where(people.plan_id.in_(sorted(plan_ids)))
    )
    found: dict[str, set[str]] = {}
    for pid, tag in (await conn.execute(query)).all():
        if locale := supported(tag):
            found.setdefault(pid, set()).add(locale)
    return found


def cards_kept(prompt: PlanPrompt, spoken: Collection[str]) -> dict[str, tuple[Card, ...]]:
    """A prompt's cards in the plan's own language (first) and in each language its followers
    speak, and no others."""
    fallback = prompt.fallback if prompt.fallback in prompt.cards else next(iter(prompt.cards))
    kept = {fallback: prompt.cards[fallback]}
    for locale in LOCALES:
        if locale in spoken and locale in prompt.cards:
            kept.setdefault(locale, prompt.cards[locale])
    return kept


def _card_sets(stored: Any) -> list[tuple[str, list[str]]]:
    """A fan-out row's card ids by language, the plan's own language first. A row from before
    cards had languages holds one list, in English."""
    if isinstance(stored, list):
        return [(DEFAULT_LOCALE, list(stored))]
    fallback = stored["fallback"]
    by_locale: dict[str, list[str]] = stored["cards"]
    return [(fallback, list(by_locale[fallback]))] + [
        (locale, list(ids)) for locale, ids in sorted(by_locale.items()) if locale != fallback
    ]


async def leave_fanout(
    conn: AsyncConnection,
    pid: str,
    platform: str,
    sent: int,
    slot: str,
    card_ids: Mapping[str, Sequence[str]],
    fallback: str,
    not_before: datetime,
    drop_after: datetime | None,
    team_id: str,
    week: tuple[datetime, datetime],
) -> None:
    """Leave a plan's prompt to be fanned out, once per (plan, slot); `card_ids` by language,
    each by practice."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(break_fanouts).values(
        plan_id=pid,
        slot=slot,
        sent=sent,
        platform=platform,
        team_id=team_id,
        not_before=not_before,
        drop_after=drop_after,
        week_start=week[0],
        week_end=week[1],
        cards={"fallback": fallback, "cards": {k: list(v) for k, v in card_ids.items()}},
    )
    await conn.execute(stmt.on_conflict_do_nothing(index_elements=["plan_id", "slot"]))


def language_index(locales: Sequence[str]) -> ColumnElement[Any]:
    """A follower's language as its place in `locales` ("de-AT" and "de_DE" are "de"); 0, the
    plan's own language, for anyone whose language is not among them. One primary-key look-up
    a row."""
    people, langs = break_people.c, person_locales.c
    tag = func.lower(func.replace(langs.locale, "_", "-"))
    spoken = case(
        *(
            (or_(tag == locale, tag.like(f"{locale}-%")), literal(place))
            for place, locale in enumerate(locales)
            if place > 0
        ),
        else_=literal(0),
    )
    own = (
        select(spoken)
        .where(langs.platform == people.platform, langs.user_id == people.user_id)
        .scalar_subquery()
    )
    return func.coalesce(own, 0)


@lru_cache(maxsize=32)
def _fanout_insert(postgres: bool, locales: tuple[str, ...], cards: int) -> Any:
    """One prompt per follower who joined before the prompt was made, rotated by their stride,
    in their language: card `c{language * cards + practice}`."""
    people = break_people.c
    practice = practice_after(bindparam("sent", type_=Integer()) - people.plan_sent)
    not_before = bindparam("not_before", type_=UtcDateTime())
    pick = practice if len(locales) == 1 else language_index(locales) * cards + practice
    return queue_select(
        postgres,
        bindparam("prefix", type_=String()) + people.user_id + bindparam("suffix", type_=String()),
        people.platform,
        people.user_id,
        case(
            {i: bindparam(f"c{i}", type_=String()) for i in range(len(locales) * cards)},
            value=pick,
        ),
        not_before,
        bindparam("drop_after", type_=UtcDateTime()),
        people.plan_id == bindparam("plan"),
        people.platform == bindparam("platform"),
        people.team_id == bindparam("team_id"),
        people.plan_sent < bindparam("sent"),
    )


async def fanouts_where(conn: AsyncConnection, where: ColumnElement[bool]) -> list[Any]:
    """Fan-outs not yet made that match `where`, locked on PostgreSQL: a worker fanning one out
    (which skips locked rows) finishes before these are read, or leaves them to the caller."""
    query = select(break_fanouts).where(where).order_by(break_fanouts.c.not_before)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return list((await conn.execute(query)).all())


async def pending_fanouts(conn: AsyncConnection) -> list[Any]:
    query = (
        select(break_fanouts)
        .order_by(break_fanouts.c.not_before)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return list((await conn.execute(query)).all())


async def fan_out_one(conn: AsyncConnection, row: Any, now: datetime) -> int:
    """Queue one plan prompt's outbox rows and remove it; returns the rows queued (a prompt
    found after its moment has passed is removed unsent, as a late one would be dropped)."""
    inserted = 0
    if row.drop_after is None or row.drop_after > now:
        sets = _card_sets(row.cards)
        cards = [card for _locale, ids in sets for card in ids]
        per_language = len(sets[0][1])
        params: dict[str, Any] = {
            "plan": row.plan_id,
            "platform": row.platform,
            "team_id": row.team_id,
            "sent": row.sent,
            "prefix": f"break:{row.platform}:u:",
            "suffix": f":{row.slot}",
            "not_before": row.not_before,
            "drop_after": row.drop_after,
        } | {f"c{i}": c for i, c in enumerate(cards)}
        locales = tuple(locale for locale, _ids in sets)
        sql = _fanout_insert(conn.dialect.name == "postgresql", locales, per_language)
        inserted = int((await conn.execute(sql, params)).rowcount)
    await conn.execute(
        delete(break_fanouts).where(
            break_fanouts.c.plan_id == row.plan_id, break_fanouts.c.slot == row.slot
        )
    )
    return inserted


async def fan_out_rows(conn: AsyncConnection, rows: Sequence[Any], now: datetime) -> int:
    """Fan out these rows within the caller's transaction and count what they queued."""
    queued = 0
    for row in rows:
        n = await fan_out_one(conn, row, now)
        if n:
            await count_prompted(conn, {(row.team_id, row.week_start): (row.week_end, n)})
        queued += n
    return queued


async def fan_out(engine: AsyncEngine, now: datetime) -> int:
    """Fan out pending prompts, one transaction each, skipping those another worker holds."""
    queued = 0
    for _ in range(FANOUTS_PER_CALL):
        async with engine.begin() as conn:
            pending = await pending_fanouts(conn)
            if not pending:
                break
            queued += await fan_out_rows(conn, pending, now)
    return queued
