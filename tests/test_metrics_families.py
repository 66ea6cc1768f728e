"""What /metrics tells an admin: the outbox backlog and its oldest message (read from the
database at each scrape, on SQLite and PostgreSQL), sends by platform and outcome, the scheduler's
leadership and tick duration, and the process itself; never a user id."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp.test_utils import TestServer
from prometheus_client.parser import text_string_to_metric_families

from bot.cli.serve import metrics_app
from bot.domain.messages import Card, Platform, Recipient
from bot.infra.metrics import REGISTRY, Backlog, OutboxBacklog, exposition
from bot.storage.backlog import BacklogGroup, outbox_backlog
from bot.storage.db import create_engine_async, session_factory
from bot.storage.outbox import SqlOutbox
from scheduler.runner import SchedulerRunner
from tests.support.pulse_answers import CALM, answer_on_slack
from tests.support.roster import CLINICIANS, LEAD
from tests.support.slack_harness import SlackHarness
from tests.support.waiting import until

NOW = datetime(2026, 11, 30, 10, tzinfo=UTC)
USERS = (*CLINICIANS, LEAD)


def _card() -> Card:
    return Card(title="Time for a check-in", blocks=("One minute, anonymous.",))


async def test_backlog_counts_the_unsettled_rows_by_platform_and_state(database_url: str) -> None:
    engine = create_engine_async(database_url)
    queued_at = [NOW]
    box = SqlOutbox(session_factory(engine), lambda: queued_at[0])

    async def queue(key: str, platform: Platform, ago: float, not_before: float) -> None:
        queued_at[0] = NOW - timedelta(minutes=ago)
        to = Recipient(platform, user_id=f"U-{key}")
        assert await box.enqueue(key, to, _card(), NOW + timedelta(minutes=not_before))

    try:
        await queue("sent", Platform.SLACK, ago=20, not_before=-20)
        await queue("sending", Platform.SLACK, ago=10, not_before=-10)
        await queue("due", Platform.SLACK, ago=5, not_before=-5)
        await queue("held", Platform.SLACK, ago=6, not_before=60)
        await queue("due-later", Platform.SLACK, ago=3, not_before=-3)
        await queue("teams", Platform.TEAMS, ago=4, not_before=0)
        await queue("failed", Platform.TEAMS, ago=30, not_before=-30)
        sent, _sending = await box.claim(NOW, 2, 30, [Platform.SLACK])
        assert await box.mark_sent(sent, NOW)
        [failed] = await box.claim(NOW, 1, 30, [Platform.TEAMS])
        assert await box.fail(failed, "gone")

        groups = await outbox_backlog(engine, NOW)
    finally:
        await engine.dispose()
    minutes_ago = lambda m: NOW - timedelta(minutes=m)  # noqa: E731
    assert groups == [
        BacklogGroup("slack", "due", 2, minutes_ago(5)),
        BacklogGroup("slack", "held", 1, minutes_ago(6)),
        BacklogGroup("slack", "sending", 1, minutes_ago(10)),
        BacklogGroup("teams", "due", 1, minutes_ago(4)),
    ]


def _value(text: str, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    raise AssertionError(f"no {name}{labels} in the scrape")


def _count(text: str, name: str, **labels: str) -> float:
    """A counter's value; a labelled counter shows no sample before its first count."""
    try:
        return _value(text, name, **labels)
    except AssertionError:
        return 0.0


Scrape = Callable[[], Awaitable[str]]


@pytest.fixture
async def scrape(slack_app: SlackHarness) -> AsyncIterator[Scrape]:
    """GET /metrics from a metrics listener for the harness's Respite, as `serve` starts it;
    every scrape is checked for user ids."""
    server = TestServer(metrics_app(slack_app.respite), host="127.0.0.1")
    await server.start_server()

    async def get() -> str:
        async with slack_app.slack.session.get(server.make_url("/metrics")) as resp:
            assert resp.status == 200
            text = await resp.text()
        for user in USERS:
            assert user not in text, user
        return text

    yield get
    await server.close()


def _ticks() -> float:
    return REGISTRY.get_sample_value("respite_scheduler_tick_seconds_count") or 0.0


async def test_a_pulse_round_through_slack_shows_in_every_family(
    slack_app: SlackHarness, scrape: Scrape
) -> None:
    h = slack_app
    before = await scrape()
    sent_before = _count(before, "respite_deliveries_total", platform="slack", outcome="sent")
    ticks_before = _value(before, "respite_scheduler_tick_seconds_count")
    presses_before = _count(before, "respite_interactions_total", platform="slack", kind="button")
    # Nothing queued yet: the configured platform shows an empty backlog, not a gap.
    assert _value(before, "respite_outbox_backlog_up") == 1
    for state in ("due", "held", "sending"):
        assert _value(before, "respite_outbox_backlog", platform="slack", state=state) == 0
    assert _value(before, "respite_scheduler_leader") == 0

    # 10:00 Monday: the scheduler takes the lease, and its first tick opens the round.
    h.clock.advance(timedelta(hours=1))
    runner = SchedulerRunner(h.respite.runtime, tick_seconds=3600, outbox_seconds=3600)
    runner.start()
    try:
        await until(lambda: _ticks() > ticks_before, "a scheduler tick")
        h.clock.advance(timedelta(seconds=90))
        during = await scrape()
        assert _value(during, "respite_scheduler_leader") == 1
        assert _value(during, "respite_scheduler_tick_seconds_count") == ticks_before + 1
        backlog = {
            state: _value(during, "respite_outbox_backlog", platform="slack", state=state)
            for state in ("due", "held", "sending")
        }
        assert backlog == {"due": len(CLINICIANS), "held": 0, "sending": 0}
        oldest = "respite_outbox_oldest_pending_age_seconds"
        assert _value(during, oldest, platform="slack", state="due") == 90
    finally:
        await runner.stop()
    assert _value(await scrape(), "respite_scheduler_leader") == 0

    # Delivered and answered: the backlog drains, sends and presses are counted.
    assert await h.deliver() == len(CLINICIANS)
    for user in CLINICIANS[:6]:
        await answer_on_slack(h, user, CALM)
    after = await scrape()
    assert _value(after, "respite_outbox_backlog", platform="slack", state="due") == 0
    assert (
        _value(after, "respite_outbox_oldest_pending_age_seconds", platform="slack", state="due")
        == 0
    )
    sent = _value(after, "respite_deliveries_total", platform="slack", outcome="sent")
    assert sent == sent_before + len(CLINICIANS)
    presses = _value(after, "respite_interactions_total", platform="slack", kind="button")
    assert presses == presses_before + 6

    # The process, the interpreter and its collector, as every Python exporter shows them.
    families = {f.name for f in text_string_to_metric_families(after)}
    for name in (
        "process_cpu_seconds",
        "process_resident_memory_bytes",
        "python_info",
        "python_gc_objects_collected",
    ):
        assert name in families, name


class _Stalled:
    """A backlog read that never answers, like a database that has stopped responding."""

    def __init__(self) -> None:
        self.cancelled = asyncio.Event()

    async def read(self) -> Sequence[Backlog]:
        try:
            await asyncio.Event().wait()
        finally:
            self.cancelled.set()
        raise AssertionError("unreachable")


async def test_a_database_that_does_not_answer_costs_the_backlog_not_the_scrape() -> None:
    stalled = _Stalled()
    text = (await exposition(OutboxBacklog(stalled.read, ["slack"], timeout=0.05))).decode()
    assert _value(text, "respite_outbox_backlog_up") == 0
    assert "respite_outbox_backlog{" not in text
    assert "respite_deliveries_total" in text
    await asyncio.wait_for(stalled.cancelled.wait(), 5)
