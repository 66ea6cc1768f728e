"""The `respite` command line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.config import ConfigError, Settings, load_instrument, load_roster


def _settings() -> Settings:
    return Settings()


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="respite", description=__doc__)
    p.add_argument("--log-level", default=None, help="DEBUG, INFO, WARNING (default: LOG_LEVEL)")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("serve", help="serve HTTP and run the scheduler")
    s.add_argument("--host", default=None)
    s.add_argument("--port", type=int, default=None)

    d = sub.add_parser("demo", help="simulate a team over six weekly rounds on the console")
    d.add_argument("--db", default=None, help="keep the demo database at this path")

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply migrations up to the newest")

    pulse = sub.add_parser("pulse", help="open or close a team's pulse round now")
    pulse_sub = pulse.add_subparsers(dest="pulse_command", required=True)
    for name in ("open", "close"):
        pp = pulse_sub.add_parser(name)
        pp.add_argument("--team", required=True)

    dg = sub.add_parser("digest", help="a lead's digest of the latest frozen period")
    which = dg.add_mutually_exclusive_group(required=True)
    which.add_argument("--team", help="a team id")
    which.add_argument("--department", help="a department id: its roll-up and its teams")
    which.add_argument("--organisation", action="store_true", help="everything")
    dg.add_argument("--format", choices=("text", "json", "html"), default="text")
    dg.add_argument("--out", type=Path, default=None, help="write to this file (e.g. digest.html)")
    dg.add_argument(
        "--as",
        dest="as_user",
        default=None,
        metavar="PLATFORM:USER",
        help="show only what this person may read (nothing unless they lead the group)",
    )

    sub.add_parser("check-config", help="validate the roster and instrument")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = _settings()
    logging.basicConfig(
        level=(
            args.log_level or ("WARNING" if args.command == "demo" else settings.log_level)
        ).upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return _run(args, settings)
    except ConfigError as exc:
        for line in exc.errors:
            print(f"error: {line}", file=sys.stderr)
        return 2
    except LookupError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "serve":
        from bot.serve import serve

        asyncio.run(serve(settings, args.host or settings.host, args.port or settings.port))
        return 0
    if args.command == "demo":
        from bot.demo import run_demo

        return asyncio.run(run_demo(args.db))
    if args.command == "db":
        from bot.storage.migrate import upgrade

        upgrade(settings.database_url)
        print("database is at the newest schema")
        return 0
    if args.command == "pulse":
        return asyncio.run(_pulse(settings, args.pulse_command, args.team))
    if args.command == "digest":
        from bot.digest_cli import DigestRequest, run_digest

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
                ),
            )
        )
    if args.command == "check-config":
        return _check_config(settings)
    raise AssertionError(args.command)


async def _pulse(settings: Settings, action: str, team_id: str) -> int:
    from bot.main import build
    from bot.storage.migrate import upgrade
    from scheduler import pulse_jobs
    from scheduler.delivery import deliver_due

    await asyncio.to_thread(upgrade, settings.database_url)
    respite = await build(settings)
    try:
        report = pulse_jobs.JobReport()
        if action == "open":
            await pulse_jobs.open_round(respite.deps, team_id, report)
        else:
            await pulse_jobs.close_team_round(respite.deps, team_id, report)
        sent = 0
        if respite.senders:
            while batch := await deliver_due(
                respite.runtime.queue, respite.senders, respite.deps.clock
            ):
                sent += batch
        for line in report.lines:
            print(line)
        pending = await respite.runtime.queue.pending_count()
        print(f"{sent} message(s) sent now; {pending} waiting in the outbox")
        return 0
    finally:
        await respite.close()


def _check_config(settings: Settings) -> int:
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
