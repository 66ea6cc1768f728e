"""`respite digest`: a team's, a department's or the organisation's digest as text, JSON or HTML.

Reads frozen period figures only. With `--as PLATFORM:USER` it shows exactly what that person may
read in chat (nothing at all for someone who leads nothing); without it, it is the operator's
view, which is still only what the release rules allowed.

It speaks the lead's language: the `--as` person's, else the group's (the roster's team or
organisation `language`), unless `--language` names one, so an operator can render a lead's
digest as that lead reads it, or in another language to compare.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.domain.digest import GroupDigest
from bot.domain.digest_present import TITLES, digest_card, digest_json, trend_chart
from bot.domain.events import Actor
from bot.domain.messages import Platform
from bot.infra.i18n import LOCALES, _, use_locale

# Show a progress bar on stderr from this many groups on.
PROGRESS_FROM = 5


@dataclass(frozen=True, slots=True)
class DigestRequest:
    team: str | None = None
    department: str | None = None
    organisation: bool = False
    fmt: str = "text"
    out: Path | None = None
    as_user: str | None = None
    language: str | None = None  # None: the lead's (see `_language`)


def _groups(respite: Any, req: DigestRequest) -> list[str]:
    deps = respite.deps
    org = deps.org
    if req.team is not None:
        if deps.directory.team(req.team) is None:
            raise LookupError(f"no team with id {req.team!r} in the roster")
        return [req.team]
    if req.department is not None:
        dept = org.department(req.department)
        if dept is None:
            raise LookupError(f"no department with id {req.department!r} in the roster")
        return [dept.id, *dept.team_ids]
    return [
        org.id,
        *(d.id for d in org.departments),
        *(t.id for d in org.departments for t in [deps.directory.team(x) for x in d.team_ids] if t),
        *(t.id for t in deps.directory.teams() if org.department_of(t.id) is None),
    ]


def _actor(as_user: str) -> Actor:
    platform, sep, user = as_user.partition(":")
    if not sep or not user:
        raise LookupError("--as takes PLATFORM:USER, for example slack:U012ABC")
    try:
        return Actor(Platform(platform), user)
    except ValueError:
        raise LookupError(f"unknown platform {platform!r} in --as") from None


async def _language(deps: Any, req: DigestRequest, group_id: str) -> str:
    """The language to render in: the one asked for, else the `--as` lead's, else the group's."""
    if req.language is not None:
        return req.language
    team_id = group_id if deps.directory.team(group_id) is not None else None
    if req.as_user is not None:
        actor = _actor(req.as_user)
        locale: str = await deps.languages.of(actor.platform, actor.user_id, team_id)
        return locale
    default: str = deps.languages.default_for(team_id)
    return default


async def run_digest(settings: Settings, req: DigestRequest) -> int:
    from bot.app.compose import build
    from bot.storage.migrate import upgrade_when_ready
    from handlers.digest import all_digests, can_see, group_digest, viewer

    if req.language is not None and req.language not in LOCALES:
        print(
            f"error: --language takes one of {', '.join(LOCALES)}, not {req.language!r}",
            file=sys.stderr,
        )
        return 2
    # A database never served yet has no tables: bring it to the schema, as every command does.
    await asyncio.to_thread(
        upgrade_when_ready, settings.database_url, settings.database_wait_seconds
    )
    respite = await build(settings)
    try:
        deps = respite.deps
        groups = _groups(respite, req)
        if req.as_user is not None:
            who = viewer(deps, _actor(req.as_user))
            if who.nothing or not can_see(deps, who, groups[0]):
                print(f"error: {req.as_user} may not read this digest", file=sys.stderr)
                return 3
            groups = [g for g in groups if can_see(deps, who, g)]
        locale = await _language(deps, req, groups[0])
        with use_locale(locale):
            digests: list[GroupDigest] = []
            sections: list[tuple[GroupDigest, Any, str | None]] = []
            from tqdm import tqdm

            bar = tqdm(
                groups,
                desc="digests",
                unit="group",
                file=sys.stderr,
                disable=len(groups) < PROGRESS_FROM,
            )
            everything = await all_digests(deps) if len(groups) >= PROGRESS_FROM else None
            for group_id in bar:
                digest = (
                    everything.get(group_id)
                    if everything is not None
                    else await group_digest(deps, group_id)
                )
                if digest is None:
                    continue
                digests.append(digest)
                if req.fmt == "html":
                    from bot.adapters.charts import render_trend

                    chart = trend_chart(deps.instrument, digest)
                    sections.append(
                        (
                            digest,
                            render_trend(chart) if chart else None,
                            chart.alt_text if chart else None,
                        )
                    )
            bar.close()
            if not digests:
                print(f"{groups[0]}: no frozen period yet", file=sys.stderr)
                return 1
            text = _render(req, digests, sections, deps)
        await _audit(deps, req, digests)
        if req.out is not None:
            req.out.write_text(text, encoding="utf-8")
            print(f"wrote {req.out}", file=sys.stderr)
        else:
            sys.stdout.write(text)
        return 0
    finally:
        await respite.close()


def _render(
    req: DigestRequest,
    digests: Sequence[GroupDigest],
    sections: Sequence[tuple[GroupDigest, Any, str | None]],
    deps: Any,
) -> str:
    if req.fmt == "json":
        first, rest = digests[0], digests[1:]
        data = digest_json(first)
        if first.kind == "department":
            data["teams"] = [digest_json(d) for d in rest]
        elif first.kind == "organisation":
            data["departments"] = [digest_json(d) for d in rest if d.kind == "department"]
            data["teams"] = [digest_json(d) for d in rest if d.kind == "team"]
        return json.dumps(data, indent=2) + "\n"
    if req.fmt == "html":
        from bot.adapters.digest_html import digest_html

        title = _(TITLES["team"]).format(name=digests[0].name, period=digests[0].period)
        return digest_html(title, sections, deps.clock.now())
    from bot.platforms.console.render import card_text

    out = []
    for d in digests:
        image = None
        chart = trend_chart(deps.instrument, d)
        if chart is not None:
            from bot.domain.messages import Image

            image = Image(b"", chart.alt_text, chart.title)  # text shows the alt text only
        out.append(card_text(digest_card(d, image), indent=""))
    return "\n\n".join(out) + "\n"


async def _audit(deps: Any, req: DigestRequest, digests: Sequence[GroupDigest]) -> None:
    """Note each group read in the audit log: as the `--as` lead, or as the operator."""
    from bot.cli.governance import operator
    from bot.domain.ports import AuditEntry

    actor = req.as_user or operator()
    via = "html" if req.fmt == "html" else "cli"
    for d in digests:
        await deps.audit.record(AuditEntry(deps.clock.now(), actor, "digest.read", d.group_id, via))
