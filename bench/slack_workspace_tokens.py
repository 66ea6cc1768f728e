"""What a per-workspace bot token costs a send: OAuth installs against one SLACK_BOT_TOKEN.

Installed through OAuth, every chat.postMessage first finds the recipient's roster team, its
workspace, and that workspace's bot token (cached; the installation store on the database is asked
once per workspace every few minutes). This script sends `--messages` direct messages through the
real SlackSender, 16 at a time, to a local server that answers chat.postMessage at once, with one
token (the baseline) and with per-workspace tokens for a roster of two workspaces, in alternating
rounds on a temporary SQLite database, and prints the time per send of each and their ratio. It
also prints what one uncached look-up in the installation store costs.

    python bench/slack_workspace_tokens.py [--messages 2000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiohttp import web
from slack_sdk.oauth.installation_store.models.installation import Installation

from bot.config import parse_roster
from bot.domain.directory import RosterDirectory
from bot.domain.messages import Card, Platform, Recipient
from bot.platforms.slack.client import web_client, web_session
from bot.platforms.slack.installations import Installations, Workspace, WorkspaceTokens
from bot.platforms.slack.sender import SlackSender
from bot.storage.db import create_engine_async
from bot.storage.migrate import upgrade

CONCURRENT = 16
ANSWER = b'{"ok": true, "channel": "D1", "ts": "1700000000.000001"}'


async def answer(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(body=ANSWER, content_type="application/json")


def roster(people: int) -> dict[str, object]:
    half = people // 2
    teams = []
    for n, workspace in enumerate(("T0001", "T0002")):
        teams.append(
            {
                "id": f"team{n}",
                "name": f"Team {n}",
                "members": [f"U{n}{i:06d}" for i in range(half)],
                "slack_team_id": workspace,
            }
        )
    return {"teams": teams}


async def timed(sender: SlackSender, people: list[str]) -> float:
    card = Card(title="Pulse", blocks=("One minute, anonymous.",))
    queue = list(people)
    start = time.perf_counter()

    async def worker() -> None:
        while queue:
            user = queue.pop()
            await sender.send(Recipient(Platform.SLACK, user_id=user), card)

    await asyncio.gather(*(worker() for _ in range(CONCURRENT)))
    return (time.perf_counter() - start) / len(people)


async def main(messages: int, rounds: int) -> None:
    app = web.Application()
    app.router.add_post("/api/{method}", answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    base = f"http://127.0.0.1:{port}/api/"
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        engine = create_engine_async(url)
        store = Installations("bench-client", engine)
        for workspace in ("T0001", "T0002"):
            await store.async_save(
                Installation(
                    app_id="A1",
                    enterprise_id=None,
                    team_id=workspace,
                    bot_token=f"xoxb-{workspace}",
                    bot_id="B1",
                    bot_user_id="UBOT",
                    user_id="U1",
                )
            )
        config = parse_roster(roster(messages))
        directory = RosterDirectory(config.team_list)
        workspaces = {t.id: Workspace(t.slack_team_id) for t in config.teams}
        tokens = WorkspaceTokens(store, workspaces, directory)
        people = sorted(u for t in config.team_list for u in t.members)
        http = web_session()
        single = SlackSender(web_client("xoxb-one", base, http))
        per_workspace = SlackSender(web_client(None, base, http), tokens)
        await timed(single, people[:200])  # warm both paths up
        await timed(per_workspace, people[:200])
        one: list[float] = []
        each: list[float] = []
        for _ in range(rounds):
            one.append(await timed(single, people))
            each.append(await timed(per_workspace, people))
        uncached = WorkspaceTokens(store, workspaces, directory, cache_seconds=0)
        start = time.perf_counter()
        for _ in range(200):
            await uncached.token(Workspace("T0001"))
        lookup = (time.perf_counter() - start) / 200
        await http.close()
        await engine.dispose()
    await runner.cleanup()
    a, b = statistics.median(one), statistics.median(each)
    print(f"{len(people)} sends a round, {rounds} rounds, {CONCURRENT} at a time")
    print(f"one SLACK_BOT_TOKEN:      {a * 1e6:8.1f} us a send")
    print(f"per-workspace tokens:     {b * 1e6:8.1f} us a send")
    print(f"ratio (per-workspace / one token): {b / a:.3f}")
    print(f"one uncached installation-store look-up (SQLite): {lookup * 1e6:.1f} us")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.messages, args.rounds))
