"""The `respite` command line."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

from bot.app.logs import configure_logging
from bot.cli import governance
from bot.config import (
    GENERATE_SECRET,
    ConfigError,
    Settings,
    environment_ignored,
    load_instrument,
    load_roster,
    load_settings,
)
from bot.infra.i18n import DEFAULT_LOCALE, LOCALES
from bot.storage.migrate import DatabaseUnavailable

DESCRIPTION = (
    "Respite: anonymous pulses, break prompts, recognition and team-level digests for clinical "
    "teams, in Slack and Microsoft Teams."
)


def _settings() -> Settings:
    return load_settings()


def _version() -> str:
    try:
        return metadata.version("respite")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="respite",
        description=DESCRIPTION,
        epilog="Settings come from environment variables: .env.example lists them.",
    )
    p.add_argument("--version", action="version", version=f"respite {_version()}")
    p.add_argument("--log-level", default=None, help="DEBUG, INFO, WARNING (default: LOG_LEVEL)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", title="commands")

    s = sub.add_parser("serve", help="serve HTTP and run the scheduler")
    s.add_argument("--host", default=None, help="address to listen on (default: HOST, 0.0.0.0)")
    s.add_argument("--port", type=int, default=None, help="port to listen on (default: PORT, 3000)")

    d = sub.add_parser("demo", help="simulate a team over six weekly rounds on the console")
    d.add_argument(
        "--db",
        default=None,
        metavar="PATH",
        help=(
            "keep the demo's databases (PATH, and PATH-department for the department part), "
            "each with its roster beside it (.yaml), and print the `respite digest` commands "
            "that read them"
        ),
    )
    d.add_argument(
        "--language",
        choices=LOCALES,
        default=DEFAULT_LOCALE,
        help="tell the story in this language: the narration and everyone's cards (default: en)",
    )

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="upgrade")
    db_sub.add_parser("upgrade", help="apply migrations up to the newest")

    pulse = sub.add_parser("pulse", help="open or close a team's pulse round now")
    pulse_sub = pulse.add_subparsers(dest="pulse_command", required=True, metavar="open|close")
    for name, what in (
        ("open", "open a round now and send its invitations"),
        ("close", "close the team's open round now"),
    ):
        pp = pulse_sub.add_parser(name, help=what)
        pp.add_argument("--team", required=True, help="a team id from the roster")

    dg = sub.add_parser("digest", help="a lead's digest of the latest frozen period")
    which = dg.add_mutually_exclusive_group(required=True)
    which.add_argument("--team", help="a team id")
    which.add_argument("--department", help="a department id: its roll-up and its teams")
    which.add_argument(
        "--organisation", action="store_true", help="every group: departments and teams too"
    )
    dg.add_argument(
        "--format",
        choices=("text", "json", "html"),
        default="text",
        help="text for a terminal, json for other tools, html for a browser (default: text)",
    )
    dg.add_argument("--out", type=Path, default=None, help="write to this file (e.g. digest.html)")
    dg.add_argument(
        "--language",
        metavar="LANG",
        default=None,
        help="render in this language: en, de or es (default: the lead's, with --as, else the "
        "group's language from the roster)",
    )
    dg.add_argument(
        "--as",
        dest="as_user",
        default=None,
        metavar="PLATFORM:USER",
        help="show only what this person may read (nothing unless they lead the group)",
    )

    cc = sub.add_parser("check-config", help="validate the roster and instrument")
    cc.add_argument(
        "--reach",
        action="store_true",
        help="also list Teams members the bot cannot message yet (reads the database)",
    )

    tp = sub.add_parser("teams-package", help="build the Teams app package (manifest and icons)")
    tp.add_argument("--out", default="respite-teams.zip", help="zip file to write")
    tp.add_argument("--app-id", default=None, help="Microsoft app id (default: MICROSOFT_APP_ID)")
    tp.add_argument(
        "--version",
        default=None,
        metavar="X.Y.Z",
        help="app version, MAJOR.MINOR.PATCH (default: 1.0.0); raise it for each package you "
        "upload again, or Teams keeps the old one",
    )
    tp.add_argument(
        "--privacy-url",
        default=None,
        metavar="HTTPS_URL",
        help="your privacy statement, shown in Teams' app details (default: a placeholder)",
    )
    tp.add_argument(
        "--terms-url",
        default=None,
        metavar="HTTPS_URL",
        help="your terms of use, shown in Teams' app details (default: a placeholder)",
    )
    governance.add_parsers(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    # Each registered platform defines itself on import, so a roster and `forget` may name it.
    from bot.platforms import registry  # noqa: F401

    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        if args.command == "demo":
            # The demo simulates everything, so the environment (even a bad variable) is ignored.
            configure_logging((args.log_level or "WARNING").upper())
            with environment_ignored():
                return _demo(args)
        settings = _settings()
        configure_logging((args.log_level or settings.log_level).upper(), settings.log_format)
        return _run(args, settings)
    except ConfigError as exc:
        for line in exc.errors:
            print(f"error: {line}", file=sys.stderr)
        return 2
    except DatabaseUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except LookupError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2


def _demo(args: argparse.Namespace) -> int:
    from bot.demo.run import run_demo

    return asyncio.run(run_demo(args.db, language=args.language))


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "serve":
        from bot.cli.serve import serve

        asyncio.run(serve(settings, args.host or settings.host, args.port or settings.port))
        return 0
    if args.command == "db":
        from bot.storage.migrate import upgrade_when_ready

        upgrade_when_ready(settings.database_url, settings.database_wait_seconds)
        print("database is at the newest schema")
        return 0
    if args.command == "pulse":
        return asyncio.run(_pulse(settings, args.pulse_command, args.team))
    if args.command == "digest":
        from bot.cli.digest import DigestRequest, run_digest

        return asyncio.run(
            run_digest(
                settings,
                DigestRequest(
                    team=args.team,
                    department=args.department,
                    organisation=args.organisation,
                    fmt=args.format,
                    out=args.out,
                    as_user=args.as_user,
                    language=args.language,
                ),
            )
        )
    if args.command == "check-config":
        status = _check_config(settings)
        if args.reach:
            status = max(status, asyncio.run(_check_reach(settings)))
        return status
    if args.command == "teams-package":
        return _teams_package(settings, args)
    governed = governance.run(args, settings)
    if governed is not None:
        return governed
    raise AssertionError(args.command)


async def _pulse(settings: Settings, action: str, team_id: str) -> int:
    """Open or close a team's round now, as the scheduler would.

    It refuses without the server's RESPITE_SECRET, as `serve` does: closing a round can freeze
    a period, and its release marks keyed by a throwaway secret could never be compared with
    later weeks' (a newcomer could then be subtracted out of a group).
    """
    if settings.secret_is_placeholder:
        raise ConfigError(
            [
                "RESPITE_SECRET is still the example's placeholder: set the server's own (or "
                f"generate one with `{GENERATE_SECRET}`)"
            ]
        )
    if settings.respite_secret is None:
        raise ConfigError(
            [
                "RESPITE_SECRET is not set: set the server's own, the one `respite serve` uses. "
                "Closing a round can freeze a period, and its release marks must be keyed by "
                "the same secret as every other week's."
            ]
        )
    from bot.app.compose import build
    from bot.cli.serve import start_up
    from bot.storage.migrate import upgrade_when_ready
    from scheduler import pulse
    from scheduler.delivery import deliver_due
    from scheduler.report import JobReport

    await asyncio.to_thread(
        upgrade_when_ready, settings.database_url, settings.database_wait_seconds
    )
    respite = await build(settings)
    try:
        await start_up(respite)
        report = JobReport()
        if action == "open":
            await pulse.open_round(respite.deps, team_id, report)
        else:
            await pulse.close_team_round(respite.deps, team_id, report)
        sent = 0
        if respite.senders:
            while batch := await deliver_due(
                respite.runtime.queue,
                respite.senders,
                respite.deps.clock,
                boundaries=respite.runtime.boundaries,
                concurrency=settings.outbox_concurrency,
            ):
                sent += batch
        for line in report.lines:
            print(line)
        from bot.domain.ports import AuditEntry

        now = respite.deps.clock.now()
        who = governance.operator()
        await respite.deps.audit.record(AuditEntry(now, who, f"pulse.{action}", team_id, "cli"))
        pending = await respite.runtime.queue.pending_count()
        print(f"{sent} message(s) sent now; {pending} waiting in the outbox")
        return 0
    finally:
        await respite.close()


def _check_config(settings: Settings) -> int:
    from datetime import UTC, datetime

    from bot.domain.shifts import describe_work
    from scheduler.periods import rounds_per_week

    roster = load_roster(settings.respite_config)
    instrument = load_instrument(roster.instrument)
    print(
        f"{settings.respite_config}: {len(roster.teams)} team(s); instrument "
        f"{instrument.id} with {len(instrument.items)} items"
    )
    for team in roster.team_list:
        synced = (
            f", plus members from {team.members_from.kind} {team.members_from.id}"
            if (team.members_from)
            else ""
        )
        print(
            f"  {team.id} ({team.platform.value}, {team.timezone}): {len(team.members)} "
            f"member(s){synced}, {len(team.leads)} lead(s), min group size "
            f"{team.min_group_size}, pulse '{team.pulse.cron}'"
        )
        print(f"    working time: {describe_work(team.work)}")
        per_week = rounds_per_week(team, datetime.now(UTC))
        if per_week > 1:
            print(
                f"  warning: team '{team.id}': pulse '{team.pulse.cron}' starts up to "
                f"{per_week} rounds a week. A week's figures count each person once, so "
                "several rounds add no respondents, and people who answer every round weigh "
                "more than those who answer once; one round a week is what the digest expects."
            )
    print("retention:")
    for line in roster.retention.lines():
        print(f"  {line}")
    return 0


async def _check_reach(settings: Settings) -> int:
    """Teams members without a chat with the bot and not seen in an installed team."""
    from bot.domain.directory import RosterDirectory
    from bot.platforms.msteams.graph_setup import graph_credentials
    from bot.platforms.msteams.reach import install_advice, reach
    from bot.storage.addresses import SqlAddressBook
    from bot.storage.db import create_engine_async, session_factory
    from bot.storage.members import SqlMemberSync
    from bot.storage.migrate import upgrade_when_ready

    roster = load_roster(settings.respite_config)
    await asyncio.to_thread(
        upgrade_when_ready, settings.database_url, settings.database_wait_seconds
    )
    engine = create_engine_async(settings.database_url)
    try:
        contacts = SqlAddressBook(session_factory(engine))
        # Members synced from channels and groups count too.
        directory = RosterDirectory(roster.team_list)
        directory.apply_synced(await SqlMemberSync(session_factory(engine)).load())
        report = await reach(directory.teams(), contacts)
        total = 0
        for team in report:
            print(
                f"  {team.team.id} (teams): {len(team.reachable)} reachable, "
                f"{len(team.unreachable)} not reachable yet"
            )
            for user in team.unreachable:
                contact = await contacts.get("user", user)
                name = f" ({contact.name})" if contact and contact.name else ""
                print(f"    cannot reach {user}{name}")
            total += len(team.unreachable)
        if total:
            print(
                f"{total} Teams member(s) cannot be reached: install Respite for them, or in a "
                "team they belong to, so the bot can start a chat."
            )
            password = settings.microsoft_app_password
            creds = graph_credentials(
                settings.microsoft_app_id,
                password.get_secret_value() if password else None,
                settings.microsoft_app_tenant_id,
                settings.microsoft_login_url,
            )
            sample = next(u for t in report for u in t.unreachable)
            print(await install_advice(creds, settings.graph_api_url, contacts, sample))
        elif report:
            print("every Teams member can be reached")
        return 0
    finally:
        await engine.dispose()


def _given(value: str | None, default: str) -> str:
    """An option's value, even an empty one (then refused), or its default when left out."""
    return default if value is None else value


def _teams_package(settings: Settings, args: argparse.Namespace) -> int:
    from bot.platforms.msteams import package

    app_id = args.app_id or settings.microsoft_app_id
    if not app_id:
        print("error: set MICROSOFT_APP_ID or pass --app-id", file=sys.stderr)
        return 2
    try:
        options = package.PackageOptions(
            app_id=app_id,
            version=_given(args.version, package.DEFAULT_VERSION),
            privacy_url=_given(args.privacy_url, package.DEFAULT_PRIVACY_URL),
            terms_url=_given(args.terms_url, package.DEFAULT_TERMS_URL),
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        path = package.build_package(Path(args.out), options)
    except OSError as exc:
        print(f"error: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(
        f"{path}: Teams app package {options.version} for app id {app_id}; "
        "upload it in Teams admin center"
    )
    placeholders = [
        flag
        for flag, given in (("--privacy-url", args.privacy_url), ("--terms-url", args.terms_url))
        if given is None
    ]
    if placeholders:
        print(
            "note: the manifest links to placeholder pages; pass "
            f"{' and '.join(placeholders)} with your organisation's own before people install it",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
