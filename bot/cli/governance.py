"""`respite forget`, `respite audit` and `respite export`: the data-protection officer's commands.

- `forget` erases one person (bot/storage/forget.py) and prints what went, table by table. It
  needs RESPITE_SECRET, the server's own: the person's keyed hashes are found with it.
- `audit` prints the audit log: who read which digest, which admin command ran, and when.
- `export --format csv` writes the frozen, released figures (bot/adapters/export_csv.py).

Each of them that reads or changes people's data is itself noted in the audit log, with the
operating-system user who ran it; `forget` notes that a person was forgotten, never whom.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.config import Settings, load_roster
from bot.domain.digest import HISTORY_ROUNDS
from bot.domain.messages import Platform
from bot.domain.ports import AuditEntry


def add_parsers(sub: Any) -> None:
    """The three subcommands, on the `respite` parser's subparsers."""
    fg = sub.add_parser("forget", help="erase everything Respite keeps about one person")
    fg.add_argument(
        "--platform",
        required=True,
        choices=[p.value for p in Platform],
        help="the platform the person is known on",
    )
    fg.add_argument(
        "--user",
        required=True,
        metavar="ID",
        help="their user id (Slack U…, Teams Entra object id), as in the roster",
    )
    au = sub.add_parser("audit", help="print who read which digest and which admin command ran")
    au.add_argument(
        "--since",
        default=None,
        metavar="YYYY-MM-DD",
        help="only entries from this (UTC) day on (default: all that retention kept)",
    )
    ex = sub.add_parser("export", help="the frozen, released figures for HR and quality teams")
    ex.add_argument(
        "--format",
        choices=("csv",),
        default="csv",
        help="csv: one row per period, group and dimension (default: csv)",
    )
    ex.add_argument("--out", type=Path, default=None, help="write to this file (default: stdout)")
    span = ex.add_mutually_exclusive_group()
    span.add_argument(
        "--periods",
        type=int,
        default=None,
        metavar="N",
        help=f"the newest N frozen periods (default: {HISTORY_ROUNDS}, the trend a lead reads)",
    )
    span.add_argument(
        "--all",
        action="store_true",
        dest="all_periods",
        help="every frozen period kept: weeks far apart can be compared in ways the digests' "
        "rules do not guard (docs/privacy.md), so give it only to whom you would give them all",
    )


def run(args: argparse.Namespace, settings: Settings) -> int | None:
    """Run one of the commands above; None when `args` is none of them."""
    if args.command == "forget":
        return asyncio.run(_forget(settings, Platform(args.platform), args.user))
    if args.command == "audit":
        return asyncio.run(_audit(settings, args.since))
    if args.command == "export":
        periods = None if args.all_periods else (args.periods or HISTORY_ROUNDS)
        return asyncio.run(_export(settings, args.out, periods))
    return None


def operator() -> str:
    """Who runs a command, as the audit log names them."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


async def _sessions(settings: Settings) -> Any:
    from bot.storage.db import create_engine_async
    from bot.storage.migrate import upgrade_when_ready

    await asyncio.to_thread(
        upgrade_when_ready, settings.database_url, settings.database_wait_seconds
    )
    return create_engine_async(settings.database_url)


async def _forget(settings: Settings, platform: Platform, user_id: str) -> int:
    from bot.storage.audit import SqlAuditLog
    from bot.storage.db import session_factory
    from bot.storage.forget import PersonKeys, StillAnswering, forget_person

    if settings.respite_secret is None:
        print(
            "error: RESPITE_SECRET is not set: set the server's own, so the person's keyed "
            "hashes (kudos quota, break marks) can be found and removed",
            file=sys.stderr,
        )
        return 2
    roster = load_roster(settings.respite_config)
    if any(
        t.platform == platform and (user_id in t.members or user_id in t.leads)
        for t in roster.team_list
    ):
        print(
            f"warning: {platform.value}:{user_id} is still on the roster: remove them from it, "
            "or Respite will know them again (break settings at their team's defaults) at its "
            "next start",
            file=sys.stderr,
        )
    engine = await _sessions(settings)
    try:
        sessions = session_factory(engine)
        keys = PersonKeys(settings.respite_secret.get_secret_value().encode())
        try:
            counts = await forget_person(sessions, keys, platform, user_id)
        except StillAnswering as exc:
            print(
                f"error: not forgotten yet: {exc}; forget them once it has closed, so they "
                "cannot be counted twice",
                file=sys.stderr,
            )
            return 2
        now = datetime.now(UTC)
        total = sum(counts.values())
        await SqlAuditLog(sessions).record(
            AuditEntry(now, operator(), "forget", "one person", "cli")
        )
    finally:
        await engine.dispose()
    for table, n in sorted(counts.items()):
        print(f"  {table}: {n}")
    print(f"forgot {platform.value}:{user_id}: {total} row(s) removed or made anonymous")
    return 0


async def _audit(settings: Settings, since: str | None) -> int:
    from bot.storage.audit import SqlAuditLog
    from bot.storage.db import session_factory

    start = None
    if since is not None:
        try:
            start = datetime.strptime(since, "%Y-%m-%d").replace(tzinfo=UTC)
        except ValueError:
            print(f"error: --since takes YYYY-MM-DD, not {since!r}", file=sys.stderr)
            return 2
    engine = await _sessions(settings)
    try:
        entries = await SqlAuditLog(session_factory(engine)).entries(start)
    finally:
        await engine.dispose()
    for e in entries:
        when = e.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        print(f"{when}  {e.actor}  {e.action}  {e.subject}  ({e.via})")
    print(f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}", file=sys.stderr)
    return 0


async def _export(settings: Settings, out: Path | None, periods: int | None) -> int:
    from bot.adapters.export_csv import export_rows, to_csv
    from bot.config import load_instrument
    from bot.storage.audit import SqlAuditLog
    from bot.storage.db import session_factory
    from bot.storage.digest import SqlDigestStore

    if periods is not None and periods < 1:
        print("error: --periods takes a number of periods, 1 or more", file=sys.stderr)
        return 2
    roster = load_roster(settings.respite_config)
    instrument = load_instrument(roster.instrument)
    engine = await _sessions(settings)
    try:
        sessions = session_factory(engine)
        # The figures only: no mark key is needed to read them.
        store = SqlDigestStore(sessions, mark_key=b"\0" * 32)
        figures = await store.recent(periods or 1_000_000)
        text = to_csv(export_rows(instrument, figures))
        subject = "every group" + (f", newest {periods} period(s)" if periods else ", every period")
        await SqlAuditLog(sessions).record(
            AuditEntry(datetime.now(UTC), operator(), "digest.export", subject, "csv")
        )
    finally:
        await engine.dispose()
    if out is not None:
        await asyncio.to_thread(out.write_text, text, encoding="utf-8")
        print(f"wrote {out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
