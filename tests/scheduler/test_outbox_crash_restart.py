"""A real `respite serve` killed or stopped in the middle of a 2,000-member fan-out, then started
again on the same database (SQLite and PostgreSQL): nobody is left out, only the sends in flight at
a kill -9 can reach anyone twice, and a SIGTERM sends nobody anything twice.

The time each run takes is printed (bench/outbox_crash.py measures it); the test checks what the
stopped process left behind instead: no claim outlives the stop by more than one lease.
"""

from __future__ import annotations

from pathlib import Path

from scheduler.delivery import CONCURRENCY, LEASE_SECONDS
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.outbox_crash import FanOut

MEMBERS = 2000


async def test_kill_9_mid_fan_out_loses_nobody_and_repeats_only_what_was_in_flight(
    database_url: str, fake_slack: FakeSlackApi, tmp_path: Path
) -> None:
    fan_out = FanOut(database_url, fake_slack, tmp_path, MEMBERS)
    try:
        figures = await fan_out.run(stop_after=MEMBERS // 2, kill=True, hold=True)
    finally:
        await fan_out.close()
    print(figures.line())
    assert figures.lost == 0
    assert sorted(figures.counts) == fan_out.people
    # Every line of the worker was mid-send when it died: those sends, and only those, may be
    # made again, and each at most once more.
    assert 0 < figures.in_flight <= CONCURRENCY
    assert figures.duplicated <= figures.in_flight
    assert max(figures.counts.values()) <= 2
    # The dead process's claims lapse within one lease of the kill, not five minutes later.
    assert figures.claimed_at_stop >= figures.in_flight
    assert figures.claims_lapse_after <= LEASE_SECONDS


async def test_sigterm_mid_fan_out_gives_the_rest_back_and_repeats_nothing(
    database_url: str, fake_slack: FakeSlackApi, tmp_path: Path
) -> None:
    fan_out = FanOut(database_url, fake_slack, tmp_path, MEMBERS)
    try:
        figures = await fan_out.run(stop_after=MEMBERS // 4, kill=False, hold=False)
    finally:
        await fan_out.close()
    print(figures.line())
    assert figures.exit_code == 0
    # The sends in flight finished and were recorded; the rest went back to the queue at once.
    assert figures.in_flight == 0
    assert figures.claimed_at_stop == 0
    assert figures.settled_at_stop + figures.pending_at_stop == MEMBERS
    assert figures.counts == dict.fromkeys(fan_out.people, 1)
