"""`respite demo`: six weekly rounds of a demo team, through the production code paths.

Everything here goes through the same handlers, scheduler jobs, outbox and SQL storage as
`respite serve`; only the platform (console) and the clock (fixed, moved by the script) differ.
Answers are simulated with a seeded generator so every run prints the same story.
"""

from __future__ import annotations

import asyncio
import random
import shlex
import shutil
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from bot.app.compose import Respite, build
from bot.config import parse_roster
from bot.demo.kudos import show_recognition
from bot.demo.settings import demo_settings
from bot.domain.events import Actor, ButtonPress, FormSubmission, Reply, ShowForm
from bot.domain.messages import Platform
from bot.domain.pulse import START_CHECKIN
from bot.infra.clock import FixedClock
from bot.infra.i18n import N_, _, format_datetime, ngettext, use_locale
from bot.platforms.console.render import card_text
from bot.platforms.console.sender import ConsoleSender
from bot.storage.migrate import upgrade
from handlers import router
from scheduler import pulse
from scheduler.delivery import deliver_due

TZ = "Europe/London"
START = datetime(2027, 1, 4, 9, 0, tzinfo=ZoneInfo(TZ))  # a Monday


@dataclass(frozen=True)
class Clinician:
    user_id: str
    role: str  # a name and profession, marked for translation: read it through `name`
    strain: float  # 1 (thriving) to 5 (overwhelmed): the persona's starting point

    @property
    def name(self) -> str:
        """The persona's name and profession in the demo's language."""
        return _(self.role)


CLINICIANS = (
    Clinician("u-ana", N_("Ana (psychotherapist)"), 2.2),
    Clinician("u-ben", N_("Ben (counsellor)"), 2.8),
    Clinician("u-chloe", N_("Chloe (clinical psychologist)"), 3.4),
    Clinician("u-dev", N_("Dev (CBT therapist)"), 2.5),
    Clinician("u-eli", N_("Eli (family therapist)"), 3.0),
    Clinician("u-fatima", N_("Fatima (trauma specialist)"), 3.9),
    Clinician("u-george", N_("George (psychotherapist)"), 2.0),
    Clinician("u-hana", N_("Hana (counsellor)"), 2.7),
)
LEAD = ("u-lee", N_("Dr Lee (team lead)"))
TEAM_ID = "demo"

# Who answers each week (by position in CLINICIANS): the same seven most weeks. Week 3 is those
# seven plus Hana: its exact figures less week 2's would be Hana's answers, so it shows bands.
# Week 4 falls below the minimum group size of 5.
RESPONDERS_BY_WEEK: tuple[tuple[int, ...], ...] = (
    (0, 1, 2, 3, 4, 5, 6),
    (0, 1, 2, 3, 4, 5, 6),
    (0, 1, 2, 3, 4, 5, 6, 7),
    (1, 3, 6),
    (0, 1, 2, 3, 4, 5, 6),
    (0, 1, 2, 3, 4, 5, 6),
)
# What the lead's digest shows and why, said after it for the weeks where that is not plain.
WEEK_NOTES = {
    2: N_(
        "  Everyone answered this week, and weeks 1 and 2 had the same people but Hana.\n"
        "  Week 3's exact figures times 8, less week 2's times 7, would be Hana's own answers\n"
        "  (as nearly as the others answered as before), so the lead gets each dimension's\n"
        "  band and the actions it calls for, without numbers or a count."
    ),
    3: N_("  Three answers, below the minimum of 5: nothing is shown, and the trend keeps a gap."),
}
# How a week's start is written: a date pattern (CLDR), so each language orders it its own way.
WEEK_START = N_("EEEE dd MMMM y, HH:mm")
# Caseload pressure added to everyone's strain, week by week (a colleague leaves in week 3).
PRESSURE_BY_WEEK = (0.0, 0.1, 0.5, 0.8, 1.0, 0.6)

# The team's support resources (label, text), marked for translation: `roster` translates them.
RESOURCES = (
    (N_("Employee Assistance Programme"), "0800 123 4567, 24/7"),
    (N_("Peer consultation"), N_("Thursdays 12:30, room 2")),
    (N_("Crisis line"), N_("Samaritans, 116 123")),
)
ROSTER: dict[str, list[dict[str, object]]] = {
    "teams": [
        {
            "id": TEAM_ID,
            "name": "Riverside Therapy",
            "platform": "console",
            "timezone": TZ,
            "members": [c.user_id for c in CLINICIANS],
            "leads": [LEAD[0]],
            "min_group_size": 5,
            "kudos_channel": "#recognition",
            "pulse": {"cron": "0 10 * * mon", "open_hours": 72, "remind_after_hours": 48},
            "resources": [{"label": label, "text": text} for label, text in RESOURCES],
        }
    ]
}


def roster(language: str = "en") -> dict[str, list[dict[str, object]]]:
    """The demo team's roster for a demo told in `language`.

    English is the roster as written. Another language is set as the team's `language`, so the
    clinicians' cards speak it through the same resolution as any deployment's; the resources are
    what a team in that country would list, so their labels are translated here.
    """
    if language == "en":
        return ROSTER
    with use_locale(language):
        resources = [{"label": _(label), "text": _(text)} for label, text in RESOURCES]
        teams = [{**team, "language": language, "resources": resources} for team in ROSTER["teams"]]
    return {"teams": teams}


def _answers(
    rng: random.Random, persona: Clinician, week: int, items: Sequence[tuple[str, str, bool]]
) -> dict[str, str]:
    """A persona's answers: strain for 'worse' dimensions, its mirror for 'better' ones."""
    strain = persona.strain + PRESSURE_BY_WEEK[week]
    result: dict[str, str] = {}
    for item_id, higher_is, reverse in items:
        value = strain + rng.uniform(-0.7, 0.7)
        if item_id == "supported":
            value -= PRESSURE_BY_WEEK[week] * 0.8  # supervision thins out as caseloads grow
        wanted = value if higher_is == "worse" else 6 - value
        if reverse:
            wanted = 6 - wanted
        result[item_id] = str(min(5, max(1, round(wanted))))
    return result


@dataclass(frozen=True)
class KeptFiles:
    """What `respite demo --db PATH` keeps: the parts that freeze digests, each as a database
    with its roster beside it, so `respite digest` reads them back like any deployment's.

    The demo team's six weeks and its recognition week go to PATH. The department part runs with
    another roster and organisation, whose roll-ups would mix with the team's in one database, so
    it keeps its own pair. The Teams and break-prompt parts keep nothing.
    """

    database: Path
    roster: Path
    department_database: Path
    department_roster: Path
    language: str = "en"

    @classmethod
    def beside(cls, database: Path, language: str = "en") -> KeptFiles:
        suffix = database.suffix if database.suffix not in ("", ".yaml") else ".db"
        department = database.with_name(f"{database.stem}-department{suffix}")
        return cls(
            database=database,
            roster=_roster_path(database),
            department_database=department,
            department_roster=_roster_path(department),
            language=language,
        )

    def paths(self) -> tuple[Path, ...]:
        return (self.database, self.roster, self.department_database, self.department_roster)

    def commands(self) -> tuple[str, str]:
        """The `respite digest` commands that show the digests the demo froze, as their leads."""
        from bot.demo.digest import DEPT_LEAD

        return (
            _digest_command(self.roster, self.database, f"--team {TEAM_ID}", LEAD[0]),
            _digest_command(
                self.department_roster, self.department_database, "--department adult", DEPT_LEAD
            ),
        )

    def write_rosters(self) -> None:
        from bot.demo.digest import roster as department_roster

        _write_roster(
            self.roster,
            roster(self.language),
            self.database,
            "one team's six weekly rounds and a week of kudos",
        )
        _write_roster(
            self.department_roster,
            department_roster(self.language),
            self.department_database,
            "a department of three teams, one frozen week",
        )

    def note(self) -> str:
        first, second = self.commands()
        return _(
            "\nThe demo database is kept at {database}, its roster at {roster}; "
            "the department part's at {department_database}, its roster at "
            "{department_roster}. (The Teams and break-prompt parts keep nothing.)\n"
            "Read their digests back as the leads would:\n"
            "  {first}\n"
            "  {second}"
        ).format(
            database=self.database,
            roster=self.roster,
            department_database=self.department_database,
            department_roster=self.department_roster,
            first=first,
            second=second,
        )


def _roster_path(database: Path) -> Path:
    if database.suffix == ".yaml":
        return database.with_name(f"{database.name}.roster.yaml")
    return database.with_suffix(".yaml")


def _digest_command(roster: Path, database: Path, group: str, lead: str) -> str:
    config = shlex.quote(str(roster))
    url = shlex.quote(f"sqlite:///{database}")
    return (
        f"RESPITE_CONFIG={config} DATABASE_URL={url} respite digest {group} "
        f"--as {Platform.CONSOLE.value}:{lead}"
    )


def _write_roster(path: Path, roster: Mapping[str, object], database: Path, what: str) -> None:
    header = f"# The roster of `respite demo`: {what}. Its rounds and digests are in {database}.\n"
    path.write_text(header + yaml.safe_dump(dict(roster), sort_keys=False), encoding="utf-8")


async def run_demo(
    db_path: str | None, write: Callable[[str], None] = print, language: str = "en"
) -> int:
    """Tell the whole story in `language`: the narration, and the clinicians' and leads' cards."""
    with use_locale(language):
        return await _run_demo(db_path, write, language)


async def _run_demo(db_path: str | None, write: Callable[[str], None], language: str) -> int:
    kept = KeptFiles.beside(Path(db_path), language) if db_path else None
    if kept is not None:
        there = [str(p) for p in kept.paths() if p.exists()]
        if there:
            message = ngettext(
                "error: {paths} exists already; the demo starts from empty "
                "databases: remove it or choose another --db path",
                "error: {paths} exist already; the demo starts from empty "
                "databases: remove them or choose another --db path",
                len(there),
            )
            print(message.format(paths=", ".join(there)), file=sys.stderr)
            return 2
        kept.database.parent.mkdir(parents=True, exist_ok=True)
    tmp = None
    if kept is None:
        tmp = tempfile.mkdtemp(prefix="respite-demo-")
        path = Path(tmp) / "demo.db"
    else:
        path = kept.database
    url = f"sqlite:///{path}"
    try:
        await asyncio.to_thread(upgrade, url)
        clock = FixedClock(START)
        names = {c.user_id: c.name for c in CLINICIANS} | {LEAD[0]: _(LEAD[1])}
        console = ConsoleSender(write, names)
        respite = await build(
            demo_settings(url),
            clock=clock,
            roster=parse_roster(roster(language)),
            senders={Platform.CONSOLE: console},
        )
        try:
            await _simulate(respite, clock, console, write)
            await show_recognition(respite, clock, console, write)
        finally:
            await respite.close()
        from bot.demo.digest import run_digest_demo

        await run_digest_demo(write, kept.department_database if kept else None, language)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    if kept is not None:
        kept.write_rosters()
        write(kept.note())
    from bot.demo.msteams import run_teams_demo

    await run_teams_demo(write, language)

    from bot.demo.breaks import run_breaks_demo

    await run_breaks_demo(write, language)
    return 0


async def _deliver(respite: Respite) -> None:
    while await deliver_due(respite.runtime.queue, respite.senders, respite.deps.clock):
        pass


async def _simulate(
    respite: Respite, clock: FixedClock, console: ConsoleSender, write: Callable[[str], None]
) -> None:
    deps = respite.deps
    team = deps.directory.team("demo")
    assert team is not None
    items = [
        (it.id, deps.instrument.dimensions[it.dimension].higher_is, it.reverse)
        for it in deps.instrument.items
    ]
    rng = random.Random(20270104)
    write(
        _(
            "Respite demo: {team}, {members} clinicians and 1 lead, weekly check-ins "
            "(Mondays 10:00 {timezone}, open 72 h, reminder after 48 h), minimum group size "
            "{minimum}.\n"
        ).format(
            team=team.name,
            members=len(team.members),
            timezone=TZ,
            minimum=team.min_group_size,
        )
    )
    for week, who in enumerate(RESPONDERS_BY_WEEK):
        monday = START + timedelta(weeks=week)
        clock.set(monday.replace(hour=10, minute=0))
        when = format_datetime(clock.now().astimezone(ZoneInfo(TZ)), _(WEEK_START))
        write("\n══ " + _("Week {number}: {date}").format(number=week + 1, date=when) + " ══")
        await pulse.tick(deps)
        if week == 0:
            await _deliver(respite)
        else:
            before = len(console.sent)
            await _quiet_deliver(respite, console)
            delivered = len(console.sent) - before
            write(
                ngettext(
                    "  (invitation delivered to {count} clinician)",
                    "  (invitations delivered to {count} clinicians)",
                    delivered,
                ).format(count=delivered)
            )

        responders = [CLINICIANS[i] for i in who]
        clock.advance(timedelta(hours=2))
        for i, persona in enumerate(responders):
            actor = Actor(Platform.CONSOLE, persona.user_id)
            outcome = await router.on_button(deps, ButtonPress(actor, START_CHECKIN, team.id))
            assert isinstance(outcome, ShowForm), outcome
            if week == 0 and i == 0:
                write(
                    _("\n  {name} presses {button} and sees:").format(
                        name=persona.name, button=_("Start check-in")
                    )
                )
                write(card_text(outcome.card))
            values = _answers(rng, persona, week, items)
            shown = ", ".join(f"{k}={v}" for k, v in values.items())
            write(_("  {name} answers: {answers}").format(name=persona.name, answers=shown))
            reply = await router.on_form(deps, FormSubmission(actor, "pulse", values, team.id))
            assert isinstance(reply, Reply)
            if len(reply.card.blocks) > 1:
                write(_("  Only {name} sees:").format(name=persona.name))
                write(card_text(reply.card, indent="      "))
            if week == 0 and i == 0:
                again = await router.on_button(deps, ButtonPress(actor, START_CHECKIN, team.id))
                write(_("  {name} tries a second check-in and is told:").format(name=persona.name))
                write(
                    card_text(
                        again.card if isinstance(again, Reply | ShowForm) else reply.card,
                        indent="      ",
                    )
                )

        clock.set(monday.replace(hour=10) + timedelta(hours=48))
        await pulse.tick(deps)
        before = len(console.sent)
        await _quiet_deliver(respite, console)
        reminded = len(console.sent) - before
        write(
            ngettext(
                "  Wednesday 10:00: a reminder goes to the {count} who have not answered.",
                "  Wednesday 10:00: a reminder goes to the {count} who have not answered.",
                reminded,
            ).format(count=reminded)
        )

        clock.set(monday.replace(hour=10) + timedelta(hours=72))
        write(_("  Thursday 10:00: the round closes; its answers are re-written in random order."))
        await pulse.tick(deps)
        await _deliver(respite)
        if week in WEEK_NOTES:
            write(_(WEEK_NOTES[week]))


async def _quiet_deliver(respite: Respite, console: ConsoleSender) -> None:
    """Deliver without printing every invitation again after the first week."""
    quiet = ConsoleSender(lambda _text: None)
    senders = {Platform.CONSOLE: quiet}
    while await deliver_due(respite.runtime.queue, senders, respite.deps.clock):
        pass
    console.sent.extend(quiet.sent)
