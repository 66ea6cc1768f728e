"""Digests for leads: built from frozen period figures, shown only to those who lead the group.

A team lead reads their team; a department lead reads the department roll-up and its teams; an
organisation lead reads everything. Anyone else is told digests are for leads and sees no figure,
not even whether a group exists or had enough answers.
"""

from __future__ import annotations

import asyncio

from bot.domain.digest import HISTORY_ROUNDS, GroupDigest, build_group_digest
from bot.domain.digest_present import digest_card, trend_chart
from bot.domain.events import Actor, Command, Outcome, Reply
from bot.domain.messages import Card, Image
from bot.domain.org import Viewer, viewer_for
from bot.domain.ports import AuditEntry
from bot.domain.rollup import GroupFigures
from bot.infra.i18n import _
from handlers.deps import Deps


def not_a_lead() -> Card:
    """The answer to anyone who leads nothing: no figure, not even whether a group exists."""
    return Card(
        title=_("Digests are for leads"),
        blocks=(
            _(
                "Only a team's leads, a department's leads and the organisation's leads can read "
                "digests. Everyone's own answers stay anonymous; see `{command}` for what is "
                "shared."
            ).format(command="privacy"),
        ),
    )


async def group_digest(deps: Deps, group_id: str) -> GroupDigest | None:
    """The digest of a team, department or the organisation for its newest frozen period."""
    store = deps.digests
    history = await store.history(group_id, HISTORY_ROUNDS)
    if not history:
        return None
    children = []
    if history[0].kind != "team":
        children = await store.period_groups(history[0].period, group_id)
    return build_group_digest(deps.instrument, history, children)


async def all_digests(deps: Deps) -> dict[str, GroupDigest]:
    """Every group's digest for its newest frozen period, from one read of the window.

    This is what a period's fan-out uses: two queries whatever the number of groups.
    """
    figures = await deps.digests.recent(HISTORY_ROUNDS)
    history: dict[str, list[GroupFigures]] = {}
    children: dict[tuple[str, str], list[GroupFigures]] = {}
    for g in figures:  # newest period first
        history.setdefault(g.group_id, []).append(g)
        if g.parent_id is not None:
            children.setdefault((g.period, g.parent_id), []).append(g)
    out = {}
    for group_id, hist in history.items():
        kids = children.get((hist[0].period, group_id), []) if hist[0].kind != "team" else []
        digest = build_group_digest(deps.instrument, hist, sorted(kids, key=lambda k: k.name))
        if digest is not None:
            out[group_id] = digest
    return out


def chart_image(deps: Deps, digest: GroupDigest) -> Image | None:
    """The trend chart as an image; None without a chart renderer, or with nothing to chart."""
    if not deps.charts.enabled:
        return None
    chart = trend_chart(deps.instrument, digest)
    if chart is None:
        return None
    return Image(png=deps.charts.trend_png(chart), alt_text=chart.alt_text, title=chart.title)


def card_for(deps: Deps, digest: GroupDigest) -> Card:
    return digest_card(digest, chart_image(deps, digest))


async def card_drawn_aside(deps: Deps, digest: GroupDigest) -> Card:
    """The digest's card, its chart drawn in a worker thread (a tenth of a second each) so the
    event loop keeps answering; no thread at all when there is no chart to draw."""
    chart = trend_chart(deps.instrument, digest) if deps.charts.enabled else None
    if chart is None:
        return digest_card(digest)
    png = await asyncio.to_thread(deps.charts.trend_png, chart)
    return digest_card(digest, Image(png=png, alt_text=chart.alt_text, title=chart.title))


def viewer(deps: Deps, actor: Actor) -> Viewer:
    return viewer_for(deps.org, deps.directory.teams(), actor.platform, actor.user_id)


def can_see(deps: Deps, who: Viewer, group_id: str) -> bool:
    if group_id == deps.org.id:
        return who.can_see_organisation()
    if deps.org.department(group_id) is not None:
        return who.can_see_department(group_id)
    if deps.directory.team(group_id) is not None:
        return who.can_see_team(deps.org, group_id)
    return False


def default_groups(deps: Deps, who: Viewer) -> list[str]:
    """What `/respite digest` shows without an argument: the widest groups one leads."""
    if who.everything:
        return [deps.org.id]
    groups = [d.id for d in deps.org.departments if d.id in who.departments]
    groups += [
        t
        for t in sorted(who.teams)
        if not any(d.id in who.departments for d in [deps.org.department_of(t)] if d)
    ]
    return groups


async def on_demand(deps: Deps, command: Command) -> Outcome:
    who = viewer(deps, command.actor)
    if who.nothing:
        return Reply(not_a_lead())
    target = command.args.strip()
    if target:
        if not can_see(deps, who, target):
            return Reply(
                Card(
                    title=_("No digest you can read"),
                    blocks=(
                        _(
                            "There is no digest for “{group}” among the groups you lead. Ask "
                            "without a name to see yours."
                        ).format(group=target),
                    ),
                )
            )
        groups = [target]
    else:
        groups = default_groups(deps, who)
    cards = []
    for group_id in groups:
        digest = await group_digest(deps, group_id)
        if digest is not None:
            await audit_read(deps, command.actor, group_id, "chat")
        cards.append(
            await card_drawn_aside(deps, digest)
            if digest
            else Card(
                title=_("No digest yet for {group}").format(group=group_id),
                blocks=(_("A digest appears once the first check-in round closes."),),
            )
        )
    return Reply(cards[0], extra=tuple(cards[1:]))


async def audit_read(deps: Deps, actor: Actor, group_id: str, via: str) -> None:
    """Note in the audit log that this lead read this group's digest (NullAudit drops it)."""
    who = f"{actor.platform.value}:{actor.user_id}"
    await deps.audit.record(AuditEntry(deps.clock.now(), who, "digest.read", group_id, via))
