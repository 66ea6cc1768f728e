"""`respite demo`, digests part: a department of three teams where one small team is suppressed,
and the complementary suppression that keeps it from being worked out by subtraction.

It runs on its own database through the same scheduler jobs, release rules, frozen figures and
digest handlers as `respite serve`; only the platform (console) and the clock are simulated.
"""

from __future__ import annotations

import random
import shutil
import tempfile
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.app.compose import Respite, build
from bot.config import parse_roster
from bot.demo.settings import demo_settings
from bot.domain.messages import Platform
from bot.infra.clock import FixedClock
from bot.infra.i18n import N_, _, ngettext
from bot.platforms.console.render import card_text
from bot.storage.migrate import upgrade
from handlers.digest import card_for, group_digest
from scheduler import pulse

TZ = "Europe/London"
START = datetime(2027, 3, 1, 9, 0, tzinfo=ZoneInfo(TZ))  # a Monday
TEAMS = {
    "riverside": ("Riverside Therapy", 8),
    "lighthouse": ("Lighthouse Counselling", 7),
    "harbour": ("Harbour Trauma Service", 5),
}
# Answers this week: only three of Harbour's five answer. (One week: the first demo shows how
# weeks are compared with each other.)
ANSWERING = ({"riverside": 7, "lighthouse": 6, "harbour": 3},)
DEPT_LEAD = "u-dana"
# The digests shown at the end, and who reads each (marked for translation).
READERS = (("adult", N_("the department lead")), ("harbour", N_("Harbour's lead")))


def roster(language: str = "en") -> dict[str, object]:
    """The department part's roster (what `respite demo --db` writes beside its database).

    A demo told in another language sets it as the organisation's, so the leads read it.
    """
    organisation: dict[str, object] = {"name": "Northside Clinics", "platform": "console"}
    if language != "en":
        organisation["language"] = language
    return {
        "organisation": organisation,
        "departments": [
            {
                "id": "adult",
                "name": "Adult Services",
                "platform": "console",
                "teams": list(TEAMS),
                "leads": [DEPT_LEAD],
            }
        ],
        "teams": [
            {
                "id": tid,
                "name": name,
                "platform": "console",
                "timezone": TZ,
                "members": [f"u-{tid}-{i}" for i in range(1, size + 1)],
                "leads": [f"u-lead-{tid}"],
                "min_group_size": 5,
            }
            for tid, (name, size) in TEAMS.items()
        ],
    }


async def run_digest_demo(
    write: Callable[[str], None] = print, db_path: Path | None = None, language: str = "en"
) -> None:
    """Run the department part; on a throwaway database unless `db_path` is given (then kept)."""
    tmp = None
    if db_path is None:
        tmp = tempfile.mkdtemp(prefix="respite-demo-digest-")
        db_path = Path(tmp) / "digest.db"
    url = f"sqlite:///{db_path}"
    try:
        upgrade(url)
        clock = FixedClock(START)
        respite = await build(
            demo_settings(url), clock=clock, roster=parse_roster(roster(language)), senders={}
        )
        try:
            await _simulate(respite, clock, write)
        finally:
            await respite.close()
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


async def _simulate(respite: Respite, clock: FixedClock, write: Callable[[str], None]) -> None:
    deps = respite.deps
    rng = random.Random(20270301)
    write(
        "\n\n══ "
        + _("Department digests: Adult Services, three teams, minimum group size 5")
        + " ══"
    )
    for name, size in TEAMS.values():
        write(
            ngettext("  {team}: {count} clinician", "  {team}: {count} clinicians", size).format(
                team=name, count=size
            )
        )
    for week, answering in enumerate(ANSWERING):
        monday = START + timedelta(weeks=week)
        clock.set(monday.replace(hour=10))
        await pulse.tick(deps)
        for tid, count in answering.items():
            team = deps.directory.team(tid)
            assert team is not None
            rnd = next(r for r in await deps.rounds.open_rounds() if r.team_id == tid)
            strain = 2.6 + 0.6 * week + (0.8 if tid == "harbour" else 0.0)
            for user in sorted(team.members)[:count]:
                answers = {}
                for item in deps.instrument.items:
                    worse = deps.instrument.dimensions[item.dimension].higher_is == "worse"
                    value = strain + rng.uniform(-0.8, 0.8)
                    value = value if worse != item.reverse else 6 - value
                    answers[item.id] = min(5, max(1, round(value)))
                await deps.rounds.record_response(rnd.id, tid, Platform.CONSOLE, user, answers)
        counts = ", ".join(
            ngettext("{team} {count} answer", "{team} {count} answers", n).format(
                team=TEAMS[t][0], count=n
            )
            for t, n in answering.items()
        )
        write("\n  " + _("Week {number}: {answers}").format(number=week + 1, answers=counts))
        clock.set(monday.replace(hour=10) + timedelta(hours=72))
        report = await pulse.tick(deps)
        for line in report.lines:
            if "withheld" in line or "frozen" in line:
                write(f"    {line}")
    write(
        _(
            "\n  Harbour had 3 answers, below 5, so it shows nothing. Showing the other two teams "
            "would still expose it: Adult Services minus Riverside minus Lighthouse is Harbour. "
            "So the next smallest team, Lighthouse, is withheld too (complementary suppression); "
            "the department figure and Riverside stay, and Harbour's three answers cannot be "
            "worked out."
        )
    )
    for gid, who in READERS:
        digest = await group_digest(deps, gid)
        assert digest is not None
        write(_("\n  What {who} receives:").format(who=_(who)))
        write(card_text(card_for(deps, digest)))
