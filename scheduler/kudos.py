"""Recognition on a clock: the weekly roundup and forgetting anonymous kudos' givers.

Both run from the minute tick on the lease holder. The roundup is keyed by (team, week) through
its outbox key, so running it every minute, twice, or late after downtime posts it once; it always
looks at the latest roundup that is due, which is how it catches up.

The roundup is posted in the team's channel, which many people read, so it speaks the team's
language (the roster's `language`), not any one reader's.
"""

from __future__ import annotations

from bot.domain.kudos import QUOTA_WINDOW, build_roundup, roundup_window
from bot.domain.kudos_cards import roundup_card
from bot.domain.messages import Recipient
from bot.infra.i18n import use_locale
from handlers.deps import Deps
from scheduler.report import JobReport


async def post_roundups(deps: Deps, report: JobReport | None = None) -> int:
    """Queue each team's latest due roundup; returns how many were newly queued."""
    report = report or JobReport()
    store = deps.kudos
    now = deps.clock.now()
    queued = 0
    for team in deps.directory.teams():
        if not team.kudos_channel:
            continue
        window = roundup_window(team, now)
        given = await store.between(team.id, window.start, window.end)
        if not given:
            continue
        recognised = sorted({u for k in given for u in k.recipients})
        hidden = await store.names_hidden(team.platform, recognised)
        with use_locale(deps.languages.default_for(team.id)):
            card = roundup_card(build_roundup(team, window, given, hidden), team)
        channel = Recipient(team.platform, channel_id=team.kudos_channel)
        if await deps.outbox.enqueue(f"kudos-roundup:{team.id}:{window.key}", channel, card, now):
            queued += 1
            report.say(f"{team.id}: recognition roundup {window.key} queued ({len(given)} kudos)")
    return queued


async def forget_givers(deps: Deps, report: JobReport | None = None) -> int:
    """Forget givers past the quota window: the quota ledger's entries, and withdrawal tags."""
    erased = await deps.kudos.forget_givers(deps.clock.now() - QUOTA_WINDOW)
    if erased and report is not None:
        report.say(f"kudos: forgot {erased} giver hash(es) and tag(s) past the quota window")
    return erased


async def tick(deps: Deps) -> None:
    await forget_givers(deps)
    await post_roundups(deps)
