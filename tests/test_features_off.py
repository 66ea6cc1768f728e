"""A deployment with recognition, break prompts, digests, charts and the audit log switched off.

Each of those is a null object in `Deps` (bot/domain/ports/*), never None. A person who reaches
for a feature that is off gets the plain answer the handler always gave, and the clock's jobs run
through the same code and find nothing to do.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest

from bot.app.compose import Respite, build
from bot.config import Settings, parse_roster
from bot.domain.events import Actor, ButtonPress, Command, Reply, ShowForm
from bot.domain.messages import Platform
from bot.domain.ports.audit import NullAudit
from bot.domain.ports.breaks import NullBreaks
from bot.domain.ports.digest import NullCharts, NullDigests
from bot.domain.ports.kudos import NullKudos
from bot.infra.clock import FixedClock
from handlers import breaks, digest, kudos
from handlers.deps import Deps
from scheduler import digest as digest_jobs
from scheduler import kudos as kudos_jobs
from scheduler.report import JobReport
from tests.support.roster import CLINICIANS, LEAD, MONDAY, roster_data

ME = Actor(Platform.SLACK, CLINICIANS[0])


@pytest.fixture
async def respite(database_url: str) -> AsyncIterator[Respite]:
    roster = parse_roster(roster_data(kudos_channel="C0KUDOS"))
    settings = Settings(database_url=database_url)
    built = await build(settings, clock=FixedClock(MONDAY), roster=roster)
    try:
        yield built
    finally:
        await built.close()


def _off(deps: Deps) -> Deps:
    return dataclasses.replace(
        deps,
        kudos=NullKudos(),
        breaks=NullBreaks(),
        digests=NullDigests(),
        charts=NullCharts(),
        audit=NullAudit(),
    )


def _title(outcome: object) -> str:
    assert isinstance(outcome, Reply)
    return outcome.card.title


async def test_recognition_off_says_so_for_every_way_in(respite: Respite) -> None:
    deps = _off(respite.deps)
    assert isinstance(await kudos.open_form(respite.deps, ME), ShowForm)  # on: the form
    assert _title(await kudos.open_form(deps, ME)) == kudos.NOT_SET_UP.title
    given = Command(ME, "kudos", f"<@{CLINICIANS[1]}> thanks for covering", (CLINICIANS[1],))
    assert _title(await kudos.give(deps, given)) == kudos.NOT_SET_UP.title
    withdraw = Command(ME, "kudos", "withdraw 0123456789ab")
    assert _title(await kudos.give(deps, withdraw)) == kudos.NOT_SET_UP.title
    assert _title(await kudos.names(deps, Command(ME, "kudos-names", "off"))) == (
        kudos.NOT_SET_UP.title
    )
    assert await kudos_jobs.post_roundups(deps) == 0
    assert await kudos_jobs.forget_givers(deps) == 0


async def test_break_prompts_off_say_so_to_commands_and_buttons(respite: Respite) -> None:
    deps = _off(respite.deps)
    assert _title(await breaks.command(deps, Command(ME, "breaks", "status"))) == (
        breaks.NOT_SET_UP.card.title
    )
    press = ButtonPress(ME, "break_done", "10:30|0")
    assert _title(await breaks.done(deps, press)) == breaks.NOT_SET_UP.card.title


async def test_digests_off_freeze_nothing_and_a_lead_reads_no_digest_yet(
    respite: Respite,
) -> None:
    deps = _off(respite.deps)
    assert await digest_jobs.freeze_due(deps, JobReport()) == []
    assert await digest.all_digests(deps) == {}
    reply = await digest.on_demand(deps, Command(Actor(Platform.SLACK, LEAD), "respite", ""))
    assert _title(reply) == "No digest yet for riverside"
