"""Teams 429/412/502/504 are retried with exponential backoff and jitter, then deferred; each
conversation is paced under 7 messages per second."""

from __future__ import annotations

import os
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from bot.demo.bot_connector import FakeConnector
from bot.domain.messages import Platform, Recipient, text_card
from bot.domain.ports import DeliveryDeferred, DeliveryFailed
from bot.domain.ports.addresses import Address
from bot.infra.clock import FixedClock
from bot.platforms.msteams.adapter import TeamsCredentials
from bot.platforms.msteams.app import build_teams
from bot.platforms.msteams.retry import ConversationPacer, Retrier, RetryPolicy
from bot.platforms.msteams.sender import TeamsSender
from bot.storage.addresses import SqlAddressBook
from bot.storage.db import create_engine_async, session_factory
from bot.storage.outbox import SqlOutbox
from scheduler.delivery import deliver_due
from tests.support.msteams_driver import BOT_ID, TENANT, aad, personal_conversation, teams_user_id


class RecordedSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@dataclass
class SenderKit:
    sender: TeamsSender
    sleep: RecordedSleep
    connector: FakeConnector
    outbox: SqlOutbox
    policy: RetryPolicy


POLICY = RetryPolicy(attempts=4, base_seconds=0.01, cap_seconds=0.08, defer_seconds=60)


@pytest.fixture
async def kit(
    database_url: str, fake_connector: FakeConnector, clock: FixedClock
) -> AsyncIterator[SenderKit]:
    from bot.config import load_instrument, parse_roster
    from bot.domain.directory import RosterDirectory
    from bot.storage.pulse import SqlRoundStore
    from handlers.deps import Deps  # only to satisfy build_teams; handlers are not used here
    from scheduler.periods import CronCalendar
    from tests.support.msteams_harness import teams_roster

    engine = create_engine_async(database_url)
    sessions = session_factory(engine)
    contacts = SqlAddressBook(sessions)
    outbox = SqlOutbox(sessions, clock.now)
    instrument = load_instrument()
    deps = Deps(
        instrument=instrument,
        directory=RosterDirectory(parse_roster(teams_roster()).team_list),
        calendar=CronCalendar(),
        rounds=SqlRoundStore(sessions, instrument, b"retry-test-secret-0123456789abcdef"),
        outbox=outbox,
        clock=clock,
    )
    sleep = RecordedSleep()
    retrier = Retrier(POLICY, ConversationPacer(sleep=sleep), sleep=sleep, rng=random.Random(7))
    credentials = TeamsCredentials(sdk=os.environ.get("TEAMS_SDK", "botbuilder"))
    teams = build_teams(deps, contacts, credentials, clock.now, retrier)
    await contacts.upsert(
        Address(
            "user",
            aad(1),
            reference={
                "user": {"id": teams_user_id(1), "aadObjectId": aad(1)},
                "bot": {"id": BOT_ID, "name": "Respite"},
                "conversation": {"id": personal_conversation(1), "conversationType": "personal"},
                "channelId": "msteams",
                "serviceUrl": fake_connector.url,
            },
            teams_user_id=teams_user_id(1),
            tenant_id=TENANT,
            service_url=fake_connector.url,
        ),
        clock.now(),
    )
    yield SenderKit(teams.sender, sleep, fake_connector, outbox, POLICY)
    await engine.dispose()


ANA = Recipient(Platform.TEAMS, user_id=aad(1))


@pytest.mark.parametrize("status", [429, 412, 502, 504])
async def test_transient_answers_are_retried_then_succeed(kit: SenderKit, status: int) -> None:
    kit.connector.script("reply", status, times=2)
    ref = await kit.sender.send(ANA, text_card("Hello"))
    assert ref is not None
    assert len(kit.connector.of("reply")) == 3
    assert len(kit.sleep.delays) == 2
    # Exponential ceilings with jitter: each delay within [ceiling/2, ceiling].
    for attempt, delay in enumerate(kit.sleep.delays):
        ceiling = min(POLICY.cap_seconds, POLICY.base_seconds * 2**attempt)
        assert ceiling / 2 <= delay <= ceiling


async def test_retries_run_out_into_a_deferral(kit: SenderKit) -> None:
    kit.connector.script("reply", 502, times=10)
    with pytest.raises(DeliveryDeferred) as caught:
        await kit.sender.send(ANA, text_card("Hello"))
    assert caught.value.retry_after == POLICY.defer_seconds
    assert len(kit.connector.of("reply")) == POLICY.attempts


async def test_retry_after_is_honoured(kit: SenderKit) -> None:
    kit.connector.script("reply", 429, times=1, **{"Retry-After": "0.05"})
    await kit.sender.send(ANA, text_card("Hello"))
    assert kit.sleep.delays[0] >= 0.05


async def test_permanent_refusal_fails_at_once(kit: SenderKit) -> None:
    kit.connector.script("reply", 403, times=1)
    with pytest.raises(DeliveryFailed):
        await kit.sender.send(ANA, text_card("Hello"))
    assert len(kit.connector.of("reply")) == 1


async def test_the_outbox_keeps_a_deferred_message(kit: SenderKit, clock: FixedClock) -> None:
    kit.connector.script("reply", 504, times=POLICY.attempts)
    await kit.outbox.enqueue("k1", ANA, text_card("Weekly check-in"), clock.now())
    assert await deliver_due(kit.outbox, {Platform.TEAMS: kit.sender}, clock) == 0
    assert await kit.outbox.pending_count() == 1
    from datetime import timedelta

    clock.advance(timedelta(seconds=POLICY.defer_seconds + 1))
    assert await deliver_due(kit.outbox, {Platform.TEAMS: kit.sender}, clock) == 1
    assert await kit.outbox.pending_count() == 0
    assert len(kit.connector.of("reply")) == POLICY.attempts + 1


async def test_a_conversation_is_paced_under_seven_per_second() -> None:
    now = [0.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = ConversationPacer(monotonic=lambda: now[0], sleep=sleep)
    stamps: list[float] = []
    for _ in range(30):
        await pacer.wait("a:one")
        stamps.append(now[0])
    for i, start in enumerate(stamps):
        in_window = [s for s in stamps[i:] if s < start + 1.0]
        assert len(in_window) < 7
    assert slept  # it had to wait
    # Another conversation is not held up by the busy one.
    before = len(slept)
    await pacer.wait("a:other")
    assert len(slept) == before
