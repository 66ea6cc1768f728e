"""`forget` leaves no trace of a person on SQLite and PostgreSQL: every table, every column, read
as text before and after, holds neither their id nor any keyed hash derived from it, while the
people beside them and the frozen figures stay as they were."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.domain.breaks import BreakSettings
from bot.domain.kudos import GiverKey, Kudos, giver, once_marks
from bot.domain.messages import Platform
from bot.domain.pulse_times import PulseTime
from bot.storage.breaks import SqlBreakStore
from bot.storage.db import create_engine_async, session_factory
from bot.storage.forget import PersonKeys, StillAnswering, forget_person
from bot.storage.kudos import SqlKudosStore
from bot.storage.pulse_times import SqlPulseTimes
from bot.storage.tables import (
    audit_log,
    break_people_prompted,
    break_presses,
    break_uptake,
    digest_groups,
    digest_periods,
    kudos_name_optouts,
    metadata,
    outbox,
    outbox_cards,
    pulse_participation,
    pulse_rounds,
    release_people,
    roster_departures,
    slack_installations,
    team_members,
    teams_contacts,
)

SECRET = b"forget-test-secret-of-32-bytes!!"
NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
GONE, STAY, OTHER = "U0GONE1", "U0STAY1", "U0OTHER"
# A Teams person: their Entra object id (the roster's id) and their Bot Framework id.
T_GONE, T_GONE_BF, T_STAY = "a1b2c3d4-0000-4000-8000-00000000gone", "29:1GoneBotFwId", "t-stay-1"
SLOT = "2026-12-01T10:00"
CALENDAR = "https://calendar.example.org/private/abc123/basic.ics"


def _mac(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def derived(platform: str, user_id: str, kudos_ids: list[str]) -> set[str]:
    """Every keyed hash the stores derive from one person, computed here from the formulas and
    keys the stores use (bot/storage/breaks.py, digests.py, bot/domain/kudos.py)."""
    press_key = hmac.new(SECRET, b"break-presses", "sha256").digest()
    release_key = hmac.new(SECRET, b"respite:release-people", hashlib.sha256).digest()
    key = GiverKey(SECRET)
    return {
        _mac(SECRET, f"break-prompted\0{platform}\0{user_id}")[:32],
        _mac(press_key, f"break-press\0{platform}\0{user_id}\0{SLOT}")[:32],
        _mac(release_key, f"{platform}\0{user_id}")[:32],
        key.hash(Platform(platform), user_id),
        *(key.tag(k, Platform(platform), user_id) for k in kudos_ids),
    }


async def dump(engine: AsyncEngine) -> dict[str, list[str]]:
    """Every row of every table, all columns as text."""
    out: dict[str, list[str]] = {}
    async with AsyncSession(engine) as s:
        for table in metadata.sorted_tables:
            rows = (await s.execute(select(table))).all()
            out[table.name] = [" | ".join(_text(v) for v in row) for row in rows]
    return out


def _text(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def traces(tables: dict[str, list[str]], needles: set[str]) -> dict[str, list[str]]:
    return {
        name: [n for n in needles if any(n in row for row in rows)]
        for name, rows in tables.items()
        if any(n in row for row in rows for n in needles)
    }


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine_async(database_url)
    yield engine
    await engine.dispose()


def a_kudos(kudos_id: str, who: str, to: tuple[str, ...], anonymous: bool, message: str) -> Kudos:
    return Kudos(
        id=kudos_id,
        team_id="riverside",
        platform=Platform.SLACK,
        recipients=to,
        category="support",
        message=message,
        anonymous=anonymous,
        giver_id=None if anonymous else who,
        giver_tag=GiverKey(SECRET).tag(kudos_id, Platform.SLACK, who) if anonymous else None,
        created_at=NOW.replace(minute=0) if anonymous else NOW,
        channel_id="C1",
    )


async def seed(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Data of the person to forget and of colleagues, through the stores where they write it."""
    breaks = SqlBreakStore(sessions, lambda _: None, mark_key=SECRET)
    for user in (GONE, STAY):
        settings = BreakSettings("slack", user, "riverside", calendar_url=CALENDAR)
        await breaks.save(settings, NOW)
    own_times = SqlPulseTimes(sessions)
    for user in (GONE, STAY):
        await own_times.set(Platform.SLACK, user, PulseTime(3, 8 * 60))
    kudos = SqlKudosStore(sessions)
    key = GiverKey(SECRET)
    given = [
        a_kudos("k-named-by-gone", GONE, (STAY,), False, "thanks for covering"),
        a_kudos("k-anon-by-gone", GONE, (STAY,), True, "you were great"),
        a_kudos("k-to-gone", STAY, (GONE,), False, "welcome back"),
        a_kudos("k-to-both", OTHER, (GONE, STAY), False, "thanks both"),
        a_kudos("k-names-gone", STAY, (OTHER,), False, f"as <@{GONE}> said, well done"),
        a_kudos("k-stays", STAY, (OTHER,), True, "lovely session"),
    ]
    for k in given:
        who = k.giver_id or (GONE if k.id == "k-anon-by-gone" else STAY)
        marks = once_marks(
            key, Platform.SLACK, who, k.recipients, k.category, k.message, k.anonymous, k.id
        )
        result = await kudos.add_within_quota(k, giver(key, Platform.SLACK, who), 10, NOW, marks)
        assert result is None
    await kudos.set_names_shown(Platform.SLACK, GONE, False, NOW)
    press_key = hmac.new(SECRET, b"break-presses", "sha256").digest()
    async with sessions.begin() as s:
        # The person installed Respite in the workspace (Slack's OAuth flow); a colleague in
        # another one.
        await s.execute(
            insert(slack_installations),
            [
                {
                    "client_id": "C1",
                    "app_id": "A1",
                    "team_id": team,
                    "bot_token": "tok1:sealed",
                    "user_id": who,
                    "user_token": f"xoxp-of-{who}",
                    "installed_at": NOW.replace(tzinfo=None),
                }
                for team, who in (("T1", GONE), ("T2", STAY))
            ],
        )
        await s.execute(
            insert(pulse_rounds).values(
                id="r1",
                team_id="riverside",
                period_key="2026-W49",
                opens_at=NOW,
                remind_at=NOW,
                closes_at=NOW + timedelta(days=3),
                # Closed, not yet frozen: who took part is still kept (an open round refuses).
                closed_at=NOW,
                members=8,
            )
        )
        await s.execute(
            insert(pulse_participation),
            [{"round_id": "r1", "platform": "slack", "user_id": u} for u in (GONE, STAY, OTHER)],
        )
        await s.execute(insert(digest_periods).values(period="2026-W48", frozen_at=NOW))
        await s.execute(
            insert(digest_groups).values(
                period="2026-W48",
                group_id="riverside",
                kind="team",
                name="Riverside Therapy",
                min_group_size=5,
                released=True,
                closed_at=NOW,
                members=8,
                respondents=6,
                figures={"exhaustion": [6, 18.0]},
            )
        )
        release_key = hmac.new(SECRET, b"respite:release-people", hashlib.sha256).digest()
        await s.execute(
            insert(release_people),
            [
                {
                    "period": "2026-W48",
                    "group_id": "riverside",
                    "mark": _mac(release_key, f"slack\0{u}")[:32],
                    "banded": False,
                }
                for u in (GONE, STAY)
            ],
        )
        await s.execute(
            insert(break_uptake).values(
                team_id="riverside",
                week_start=NOW,
                week_end=NOW + timedelta(days=7),
                prompted=9,
                done=4,
                skipped=1,
            )
        )
        await s.execute(
            insert(break_people_prompted),
            [
                {
                    "team_id": "riverside",
                    "week_start": NOW,
                    "mark": _mac(SECRET, f"break-prompted\0slack\0{u}")[:32],
                    "week_end": NOW + timedelta(days=7),
                }
                for u in (GONE, STAY)
            ],
        )
        await s.execute(
            insert(break_presses),
            [
                {
                    "mark": _mac(press_key, f"break-press\0slack\0{u}\0{SLOT}")[:32],
                    "forget_after": NOW + timedelta(days=1),
                }
                for u in (GONE, STAY)
            ],
        )
        await s.execute(
            insert(outbox_cards),
            [
                {"id": "card-shared", "card": {"title": "Time for a break"}, "created_at": NOW},
                {"id": "card-names", "card": {"text": f"Kudos to <@{GONE}>"}, "created_at": NOW},
            ],
        )

        def row(key: str, recipient: dict[str, Any], **card: Any) -> dict[str, Any]:
            return {
                "key": key,
                "platform": recipient["platform"],
                "recipient": recipient,
                "status": "sent",
                "attempts": 1,
                "not_before": NOW,
                "created_at": NOW,
                "sent_at": NOW,
            } | card

        def to_user(platform: str, user_id: str) -> dict[str, Any]:
            return {"platform": platform, "user_id": user_id, "channel_id": None}

        channel = {"platform": "slack", "user_id": None, "channel_id": "C1"}
        for values in [
            row(f"break:slack:u:{GONE}:{SLOT}", to_user("slack", GONE), card_id="card-shared"),
            row(f"break:slack:u:{STAY}:{SLOT}", to_user("slack", STAY), card_id="card-shared"),
            row("pulse:r1:invite:x", to_user("slack", GONE), card={"title": "Check in"}),
            row("kudos:k-to-gone", channel, card_id="card-names"),
            row("kudos:k-inline", channel, card={"text": f"thanks <@{GONE}>"}),
            row("kudos:k-stays", channel, card={"text": f"thanks <@{STAY}>"}),
            row(f"break:teams:u:{T_GONE}:{SLOT}", to_user("teams", T_GONE), card={"t": 1}),
        ]:
            await s.execute(insert(outbox).values(**values))
        await s.execute(
            insert(team_members),
            [
                {"team_id": "riverside", "platform": "slack", "user_id": u, "synced_at": NOW}
                for u in (GONE, STAY)
            ],
        )
        await s.execute(
            insert(roster_departures).values(
                platform="slack", user_id=GONE, left_on=date(2026, 11, 2)
            )
        )
        read = {"action": "digest.read", "subject": "riverside", "via": "chat", "at": NOW}
        await s.execute(
            insert(audit_log),
            [read | {"actor": f"slack:{GONE}"}, read | {"actor": f"slack:{STAY}"}],
        )
        day = NOW.replace(hour=0, minute=30)
        reference = {
            "user": {"id": T_GONE_BF, "aadObjectId": T_GONE},
            "bot": {"id": "28:bot"},
            "conversation": {"id": "19:channel@thread.tacv2"},
            "serviceUrl": "https://smba.example.com/",
        }
        await s.execute(
            insert(teams_contacts),
            [
                {"kind": "user", "key": T_GONE, "teams_user_id": T_GONE_BF, "name": "Gone Person",
                 "reference": reference, "updated_at": day},
                {"kind": "user", "key": T_STAY, "teams_user_id": "29:stay", "name": "Stays",
                 "reference": {"user": {"id": "29:stay"}}, "updated_at": day},
                {"kind": "channel", "key": "19:channel@thread.tacv2", "reference": reference,
                 "teams_user_id": None, "name": "General",
                 "updated_at": day},
            ],
        )  # fmt: skip
        await s.execute(
            insert(pulse_participation).values(round_id="r1", platform="teams", user_id=T_GONE)
        )


async def counts(engine: AsyncEngine) -> dict[str, int]:
    return {name: len(rows) for name, rows in (await dump(engine)).items()}


async def test_forget_leaves_no_trace_of_the_person(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    await seed(sessions)
    kudos_ids = ["k-named-by-gone", "k-anon-by-gone", "k-to-gone", "k-to-both", "k-names-gone"]
    slack_needles = {GONE, *derived("slack", GONE, kudos_ids)}
    teams_needles = {T_GONE, T_GONE_BF, *derived("teams", T_GONE, [])}
    before = await dump(engine)
    found = traces(before, slack_needles | teams_needles)
    # The seed put the person (and their hashes) in every table keyed by people.
    assert set(found) >= {
        "break_people", "break_people_prompted", "break_presses", "kudos", "kudos_recipients",
        "kudos_quota", "kudos_name_optouts", "outbox", "outbox_cards", "pulse_participation",
        "release_people", "team_members", "roster_departures", "audit_log", "teams_contacts",
        "pulse_times",
    }  # fmt: skip
    rows_before = {name: len(rows) for name, rows in before.items()}
    frozen_before = (before["digest_groups"], before["digest_periods"], before["break_uptake"])

    keys = PersonKeys(SECRET)
    removed = await forget_person(sessions, keys, Platform.SLACK, GONE)
    removed_teams = await forget_person(sessions, keys, Platform.TEAMS, T_GONE)

    after = await dump(engine)
    assert traces(after, slack_needles | teams_needles) == {}
    # Frozen figures are untouched; colleagues keep their data.
    assert (after["digest_groups"], after["digest_periods"], after["break_uptake"]) == frozen_before
    stay = derived("slack", STAY, ["k-stays"])
    assert set(traces(after, {STAY, *stay})) >= {
        "break_people", "break_people_prompted", "break_presses", "kudos_recipients",
        "kudos_quota", "outbox", "pulse_participation", "release_people", "team_members",
        "audit_log", "pulse_times",
    }  # fmt: skip
    # Where their presence protects their answers, a stand-in keeps the counts as they were.
    assert len(after["pulse_participation"]) == rows_before["pulse_participation"]
    assert len(after["release_people"]) == rows_before["release_people"]
    async with AsyncSession(engine) as s:
        stand_ins = set((await s.scalars(select(pulse_participation.c.user_id))).all()) - {
            STAY,
            OTHER,
        }
        assert len(stand_ins) == 2  # one per erasure, never shared
        # Each shaped like the id it replaces (GONE's Slack id; T_GONE, which is not a GUID,
        # letter for letter and digit for digit), with nothing that says it stands in for someone.
        shapes = (
            r"U[A-Z0-9]{6}",
            r"a[0-9][a-z][0-9][a-z][0-9][a-z][0-9]-[0-9]{4}-[0-9]{4}-[0-9]{4}-[0-9]{8}[a-z]{4}",
        )
        assert all(any(re.fullmatch(x, who) for x in shapes) for who in stand_ins), stand_ins
        kept_kudos = set((await s.scalars(select(kudos_name_optouts.c.user_id))).all())
        assert kept_kudos == set()
    # A kudos with another recipient stays, for them; the shared break card stays.
    assert any(r.startswith("k-to-both") for r in after["kudos"])
    assert any(r.startswith("card-shared") for r in after["outbox_cards"])
    # The channel's saved reference keeps what sending to it needs.
    channel = next(r for r in after["teams_contacts"] if r.startswith("channel"))
    assert "19:channel@thread.tacv2" in channel and "smba.example.com" in channel
    rows_after = {name: len(rows) for name, rows in after.items()}
    per_table = {
        n: rows_before[n] - rows_after[n] for n in rows_before if rows_before[n] != rows_after[n]
    }
    print(f"\nrows removed per table: {per_table}")
    print(f"rows removed or rewritten (slack): {removed}; (teams): {removed_teams}")
    assert per_table["break_people"] == 1
    assert per_table["break_people_prompted"] == 1
    assert per_table["break_presses"] == 1
    assert per_table["kudos"] == 4  # named and anonymous given, received alone, naming them
    assert per_table["kudos_name_optouts"] == 1
    assert per_table["kudos_quota"] == 1
    assert per_table["outbox"] == 5
    assert per_table["outbox_cards"] == 1
    assert per_table["pulse_times"] == 1  # their own time; a colleague's stays
    assert per_table["roster_departures"] == 1
    assert per_table["team_members"] == 1
    assert per_table["teams_contacts"] == 1  # their own; the channel's is scrubbed
    assert "audit_log" not in per_table  # the reader shows as "forgotten", the read stays
    assert any("forgotten | digest.read" in r for r in after["audit_log"])


async def test_forget_sealed_calendar_is_gone_and_a_colleagues_still_opens(
    engine: AsyncEngine,
) -> None:
    sessions = session_factory(engine)
    await seed(sessions)
    breaks = SqlBreakStore(sessions, lambda _: None, mark_key=SECRET)
    await forget_person(sessions, PersonKeys(SECRET), Platform.SLACK, GONE)
    assert await breaks.get(Platform.SLACK, GONE) is None
    kept = await breaks.get(Platform.SLACK, STAY)
    assert kept is not None and kept.calendar_url == CALENDAR


async def test_someone_in_an_open_round_is_not_forgotten_until_it_closes(
    engine: AsyncEngine,
) -> None:
    """Replaced by a stand-in while their round is open, they would be invited again and counted
    twice: four people released as five."""
    sessions = session_factory(engine)
    async with sessions.begin() as s:
        await s.execute(
            insert(pulse_rounds).values(
                id="open",
                team_id="riverside",
                period_key="2026-W49",
                opens_at=NOW,
                remind_at=NOW,
                closes_at=NOW + timedelta(days=3),
                members=6,
            )
        )
        await s.execute(
            insert(pulse_participation),
            [{"round_id": "open", "platform": "slack", "user_id": u} for u in (GONE, STAY)],
        )
    before = await dump(engine)
    with pytest.raises(StillAnswering) as refused:
        await forget_person(sessions, PersonKeys(SECRET), Platform.SLACK, GONE)
    assert refused.value.closes_at == NOW + timedelta(days=3)
    assert await dump(engine) == before

    async with sessions.begin() as s:
        await s.execute(
            update(pulse_rounds).where(pulse_rounds.c.id == "open").values(closed_at=NOW)
        )
    counts = await forget_person(sessions, PersonKeys(SECRET), Platform.SLACK, GONE)
    assert counts["pulse_participation"] == 1
    async with AsyncSession(engine) as s:
        people = set((await s.scalars(select(pulse_participation.c.user_id))).all())
    assert GONE not in people and STAY in people and len(people) == 2
