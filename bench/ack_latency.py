"""Ack latency of signed /checkin slash commands: `respite serve` against a bare slack-bolt app.

Slack gives an app 3 seconds to acknowledge a slash command. Respite acks first and then does its
work (find the member's team and round, open the modal with views.open), so its ack should cost
little more than bolt's own. This script measures that, in one run, on this machine:

- target A, the baseline: a slack-bolt AsyncApp whose /checkin listener only acks, served by
  aiohttp with the same signing secret and the same Web API client settings, in its own process;
- target B, the honest peer: a slack-bolt AsyncApp whose /checkin listener does the same work the
  simplest way, in its own process: ack, then views.open of the same pulse modal (built once at
  start, from the same roster) through slack_sdk;
- target C: the real `respite serve` process on a temporary SQLite database and roster, its Slack
  Web API client pointed (SLACK_API_URL) at a fake Slack server this script starts in another
  process on 127.0.0.1.

Each target gets the same signed requests from 50 concurrent clients, in alternating rounds so
that drift on a shared machine hits both alike, with a pause between rounds so that the work
respite does after its acks cannot spill into the bare app's round and flatter the ratio. There
are two modes: saturated (each client sends again as soon as it is answered, so latency mostly
reflects CPU cost per request) and paced (a fixed request rate well below saturation, latency
counted from when each request was due). The number of requests is bounded; the script stops its
processes and exits by itself. It prints p50 and p99 for every target and two ratios: respite
over the ack-only app (target <= 1.3: what acking after a look-up costs) and respite over the
peer (target <= 1.15: what Respite's own machinery costs for the same work). With the default
fake it also prints how long after each /checkin was sent its views.open call reached the fake
Slack: what the clinician waits for, since the modal opens then.
Saturated, it also prints each server's CPU per request (from /proc, the work after the acks
included), which is what the saturated latency ratio follows.

The fake Slack server, the load generator and both apps share this machine's cores; on a real
deployment Slack's side costs the bot nothing. By default the fake answers from canned bytes (the
same answers as the test suite's fake, which `--fake recording` uses instead) so that it takes as
little CPU from the measured processes as it can; its share still makes these ratios pessimistic.

With `--socket-mode` the same three targets are reached the way Slack reaches an app in Socket
Mode instead: each opens a WebSocket to this script (apps.connections.open on the fake Slack
answers with its address, told apart by each target's app-level token), the slash commands
arrive as `slash_commands` envelopes, and latency runs from sending an envelope to reading its
ack on the socket. The baseline and the peer use slack-bolt's own AsyncSocketModeHandler;
`respite serve` runs with SLACK_APP_TOKEN and no signing secret.

    python bench/ack_latency.py [--requests 300] [--rounds 6] [--concurrency 50] [--rate 150]
        [--fake lean|recording] [--database-url postgresql://...] [--socket-mode]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import re
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

SCRIPT = Path(__file__).resolve()
ROOT = SCRIPT.parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from aiohttp import ClientSession, ClientTimeout, TCPConnector, WSMsgType, web  # noqa: E402

from tests.support.serve_process import (  # noqa: E402
    ServeProcess,
    free_port,
    respite_env,
    write_roster,
)
from tests.support.slack_driver import SIGNING_SECRET, load, signed_headers  # noqa: E402

MEMBERS = [f"U{1000 + i}" for i in range(60)]
TARGET_RATIO = 1.3  # respite / the ack-only app
PEER_TARGET_RATIO = 1.15  # respite / the peer doing the same work
# Hard bounds: the whole run, and any one child process getting ready.
RUN_SECONDS = 900.0
READY_SECONDS = 60.0
# Socket Mode: each target's app-level token is this and its name.
APP_TOKEN_PREFIX = "xapp-bench-"


# ---- child process: the fake Slack Web API ----------------------------------------------------


async def run_fake_slack() -> None:
    """Serve the fake Slack API until SIGTERM; print its URL, and its call counts last."""
    from tests.support.fakes.slack_api import FakeSlackApi

    fake = FakeSlackApi()
    await fake.start()
    print(json.dumps({"url": fake.url}), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    counts: dict[str, int] = {}
    for call in fake.calls:
        counts[call.method] = counts.get(call.method, 0) + 1
    print(json.dumps({"calls": counts}), flush=True)
    await fake.close()


async def run_lean_fake_slack(socket_url: str = "") -> None:
    """A Slack Web API stand-in that costs this machine as little as it can: it answers each
    method with the body the test fake would give its first call (same size, so the client's
    work is the same), kept as bytes, and only counts calls. The test fake parses and keeps
    every request, which on two shared cores takes CPU from the processes being measured."""
    from tests.support.fakes.slack_api import FakeSlackApi

    model = FakeSlackApi()  # its default answers, computed once per method
    answers: dict[str, bytes] = {}
    counts: dict[str, int] = {}
    modal_at: dict[str, float] = {}  # trigger_id -> when its views.open arrived (monotonic)

    async def handle(request: web.Request) -> web.Response:
        method = request.match_info.get("method", "response_url")
        raw = await request.read()
        counts[method] = counts.get(method, 0) + 1
        if method == "views.open" and (found := TRIGGER_IN_BODY.search(raw)):
            modal_at[found.group(1).decode()] = time.monotonic()
        if method == "response_url":
            return web.Response(text="ok")
        if method == "apps.connections.open" and socket_url:
            # Socket Mode: each target's app token names the connection it opens.
            token = request.headers.get("Authorization", "").removeprefix("Bearer ")
            target = token.removeprefix(APP_TOKEN_PREFIX)
            return web.json_response({"ok": True, "url": f"{socket_url}?target={target}"})
        body = answers.get(method)
        if body is None:
            params = json.loads(raw) if request.content_type == "application/json" and raw else {}
            responder = getattr(model, "_" + method.replace(".", "_"), None)
            body = answers[method] = json.dumps(
                responder(params) if responder else {"ok": True}
            ).encode()
        return web.Response(body=body, content_type="application/json")

    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_route("*", "/api/{method}", handle)  # some methods are GETs
    app.router.add_post("/response/{token}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    print(json.dumps({"url": f"http://127.0.0.1:{port}/api/"}), flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    print(json.dumps({"calls": counts, "modal_at": modal_at}), flush=True)
    await runner.cleanup()


# ---- child process: the baseline, a bolt app that only acks -----------------------------------


async def run_bare_app(port: int, slack_api_url: str, socket_mode: bool = False) -> None:
    from slack_bolt.async_app import AsyncAck, AsyncApp

    from bot.platforms.slack.client import web_client

    app = AsyncApp(
        client=web_client("xoxb-test-token", slack_api_url),
        signing_secret=SIGNING_SECRET,
        request_verification_enabled=True,
        raise_error_for_unhandled_request=False,
    )

    @app.command("/checkin")
    async def _checkin(ack: AsyncAck) -> None:
        await ack()

    await serve_bolt_app(app, port, "bare" if socket_mode else "")


# ---- child process: the honest peer, a bolt app that acks and opens the same modal --------------


async def run_peer_app(
    port: int, slack_api_url: str, roster_path: str, socket_mode: bool = False
) -> None:
    """What a good engineer would write with slack-bolt for /checkin: ack, then views.open with
    the pulse modal. The view is Respite's own rendering of the same card, kept as a dict and
    built once; slack_sdk encodes it per call, as it does for any app."""
    from slack_bolt.async_app import AsyncAck, AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.config import load_instrument, load_roster
    from bot.domain.pulse import PULSE_FORM, pulse_card
    from bot.platforms.slack.client import web_client
    from bot.platforms.slack.render import modal_view

    team = load_roster(Path(roster_path)).team_list[0]
    view = json.loads(modal_view(pulse_card(load_instrument(), team), PULSE_FORM, team.id).text)
    app = AsyncApp(
        client=web_client("xoxb-test-token", slack_api_url),
        signing_secret=SIGNING_SECRET,
        request_verification_enabled=True,
        raise_error_for_unhandled_request=False,
    )

    @app.command("/checkin")
    async def _checkin(ack: AsyncAck, body: dict[str, str], client: AsyncWebClient) -> None:
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    await serve_bolt_app(app, port, "peer" if socket_mode else "")


async def serve_bolt_app(app: Any, port: int, socket_target: str) -> None:
    """Serve a bolt app until SIGTERM: POST /slack/events, or with a `socket_target` a Socket Mode
    connection through slack-bolt's own handler (its app token names the target); /healthz
    either way."""
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
    from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

    async def events(request: web.Request) -> web.StreamResponse:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    web_app = web.Application(client_max_size=1024 * 1024)
    if not socket_target:
        web_app.router.add_post("/slack/events", events)
    web_app.router.add_get("/healthz", healthz)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    handler = None
    if socket_target:
        handler = AsyncSocketModeHandler(app, APP_TOKEN_PREFIX + socket_target)
        await handler.connect_async()  # type: ignore[no-untyped-call]
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    if handler is not None:
        await handler.close_async()  # type: ignore[no-untyped-call]
    await runner.cleanup()


# ---- the load ---------------------------------------------------------------------------------


TRIGGER = "TRIGGER-ID"
TRIGGER_IN_BODY = re.compile(rb'"trigger_id":\s*"([^"]+)"')
_triggers = itertools.count()


def slash_fields(slack_url: str) -> list[dict[str, str]]:
    """A /checkin's fields for each member, with TRIGGER in place of the trigger_id each request
    gets anew."""
    # Replies to the response_url land on the fake Slack server too, never on Slack's hosts.
    response_url = slack_url.rstrip("/").removesuffix("/api") + "/response/bench"
    template = load("slash_command.json")
    return [
        dict(
            template,
            command="/checkin",
            text="",
            user_id=user,
            response_url=response_url,
            trigger_id=TRIGGER,
        )
        for user in MEMBERS
    ]


def slash_bodies(slack_url: str) -> list[str]:
    """One form-encoded body per member."""
    return [urlencode(fields) for fields in slash_fields(slack_url)]


@dataclass
class Sample:
    latencies: list[float] = field(default_factory=list)
    errors: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0
    sent: dict[str, float] = field(default_factory=dict)  # trigger_id -> when it counts from
    cpu: float = 0.0  # CPU seconds the target process spent during the round

    def add(self, other: Sample) -> None:
        self.latencies += other.latencies
        for status, n in other.errors.items():
            self.errors[status] = self.errors.get(status, 0) + n
        self.seconds += other.seconds
        self.sent |= other.sent
        self.cpu += other.cpu


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux /proc; 0 where there is none)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def load_round(
    base_url: str, requests: int, concurrency: int, bodies: list[str], rate: float = 0.0
) -> Sample:
    """`concurrency` clients share `requests` requests. With `rate` 0 each client sends its next
    request as soon as the previous one is answered (saturation); otherwise request i is due at
    i / rate seconds and its latency counts from then, so a slow server cannot hide its queue."""
    url = base_url + "/slack/events"
    sample = Sample()
    numbers = iter(range(requests))
    connector = TCPConnector(limit=concurrency)
    async with ClientSession(connector=connector, timeout=ClientTimeout(total=30)) as session:
        begun = time.perf_counter()

        async def client() -> None:
            for i in numbers:
                trigger = f"{next(_triggers)}.bench"
                body = bodies[i % len(bodies)].replace(TRIGGER, trigger)
                if rate:
                    due = begun + i / rate
                    await asyncio.sleep(max(0.0, due - time.perf_counter()))
                headers = signed_headers(body)
                started = due if rate else time.perf_counter()
                # perf_counter and monotonic are one clock on Linux, but only monotonic is
                # documented to be comparable with the fake Slack process's readings.
                sample.sent[trigger] = time.monotonic() - (time.perf_counter() - started)
                async with session.post(url, data=body.encode(), headers=headers) as resp:
                    await resp.read()
                    status = resp.status
                elapsed = time.perf_counter() - started
                if status == 200:
                    sample.latencies.append(elapsed)
                else:
                    sample.errors[status] = sample.errors.get(status, 0) + 1

        await asyncio.gather(*(client() for _ in range(concurrency)))
        sample.seconds = time.perf_counter() - begun
    return sample


ENVELOPE = "ENVELOPE-ID"
ACKED_ENVELOPE = re.compile(r'"envelope_id":\s*"([^"]+)"')


def slash_envelopes(slack_url: str) -> list[str]:
    """Socket Mode: one `slash_commands` envelope per member, its payload the fields a slash
    command posts, with ENVELOPE and TRIGGER in place of what each request gets anew."""
    envelopes = []
    for fields in slash_fields(slack_url):
        envelope = {
            "envelope_id": ENVELOPE,
            "type": "slash_commands",
            "payload": fields,
            "accepts_response_payload": True,
        }
        envelopes.append(json.dumps(envelope))
    return envelopes


class SocketSlack:
    """Slack's end of Socket Mode for the bench: each target connects here (the address the fake
    gives for its app token), is greeted with `hello`, and acks the envelopes sent to it."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"ws://127.0.0.1:{self.port}/link/"
        self.sockets: dict[str, web.WebSocketResponse] = {}
        self.waiting: dict[str, asyncio.Future[None]] = {}
        self.runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/link/", self.link)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def close(self) -> None:
        for ws in self.sockets.values():
            await ws.close()
        if self.runner is not None:
            await self.runner.cleanup()

    async def link(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets[request.query["target"]] = ws
        await ws.send_str(json.dumps({"type": "hello", "num_connections": 1}))
        async for message in ws:
            if message.type == WSMsgType.TEXT and (found := ACKED_ENVELOPE.search(message.data)):
                future = self.waiting.pop(found.group(1), None)
                if future is not None and not future.done():
                    future.set_result(None)
        return ws

    async def wait_connected(self, names: list[str]) -> None:
        deadline = time.monotonic() + READY_SECONDS
        while not all(n in self.sockets and not self.sockets[n].closed for n in names):
            if time.monotonic() > deadline:
                raise SystemExit(f"not all of {names} connected within {READY_SECONDS:.0f}s")
            await asyncio.sleep(0.1)

    async def send(self, target: str, envelope_id: str, text: str) -> bool:
        """Send an envelope to the target; whether its ack came (within 30 s)."""
        future = asyncio.get_running_loop().create_future()
        self.waiting[envelope_id] = future
        await self.sockets[target].send_str(text)
        try:
            await asyncio.wait_for(future, 30)
        except TimeoutError:
            self.waiting.pop(envelope_id, None)
            return False
        return True


async def socket_round(
    slack: SocketSlack,
    target: str,
    requests: int,
    concurrency: int,
    envelopes: list[str],
    rate: float = 0.0,
) -> Sample:
    """`load_round` over Socket Mode: latency from sending each envelope to reading its ack."""
    sample = Sample()
    numbers = iter(range(requests))
    begun = time.perf_counter()

    async def client() -> None:
        for i in numbers:
            n = next(_triggers)
            trigger, envelope_id = f"{n}.bench", f"bench-{n}"
            text = envelopes[i % len(envelopes)].replace(TRIGGER, trigger)
            text = text.replace(ENVELOPE, envelope_id)
            if rate:
                due = begun + i / rate
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
            started = due if rate else time.perf_counter()
            sample.sent[trigger] = time.monotonic() - (time.perf_counter() - started)
            acked = await slack.send(target, envelope_id, text)
            elapsed = time.perf_counter() - started
            if acked:
                sample.latencies.append(elapsed)
            else:
                sample.errors[0] = sample.errors.get(0, 0) + 1  # 0: no ack within 30 s

    await asyncio.gather(*(client() for _ in range(concurrency)))
    sample.seconds = time.perf_counter() - begun
    return sample


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


async def wait_ready(base_url: str, proc: asyncio.subprocess.Process, name: str) -> None:
    deadline = time.monotonic() + READY_SECONDS
    async with ClientSession(timeout=ClientTimeout(total=5)) as session:
        while time.monotonic() < deadline:
            if proc.returncode is not None:
                raise SystemExit(f"{name} exited with {proc.returncode} before it was ready")
            try:
                async with session.get(base_url + "/healthz") as resp:
                    if resp.status == 200:
                        return
            except OSError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit(f"{name} was not ready within {READY_SECONDS:.0f}s")


async def stop_child(proc: asyncio.subprocess.Process) -> str:
    """SIGTERM, then SIGKILL after 20 s; says how it ended."""
    if proc.returncode is not None:
        return f"had already exited with {proc.returncode}"
    proc.send_signal(signal.SIGTERM)
    started = time.monotonic()
    try:
        code = await asyncio.wait_for(proc.wait(), 20)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        return "ignored SIGTERM for 20 s and was killed"
    return f"exited with {code} {time.monotonic() - started:.1f} s after SIGTERM"


async def bench(args: argparse.Namespace) -> int:
    script = str(SCRIPT)
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    role = "fake-slack" if args.fake == "recording" else "lean-fake-slack"
    socket_slack: SocketSlack | None = None
    socket_args: list[str] = []
    if args.socket_mode:
        socket_slack = SocketSlack()
        await socket_slack.start()
        socket_args = ["--socket-mode"]
    fake = await asyncio.create_subprocess_exec(
        sys.executable,
        script,
        "--role",
        role,
        *(["--socket-url", socket_slack.url] if socket_slack else []),
        stdout=asyncio.subprocess.PIPE,
        env=env,
    )
    assert fake.stdout is not None
    first = await asyncio.wait_for(fake.stdout.readline(), READY_SECONDS)
    slack_url = json.loads(first)["url"]

    bare_port = free_port()
    bare = await asyncio.create_subprocess_exec(
        sys.executable,
        script,
        "--role",
        "bare",
        "--port",
        str(bare_port),
        "--slack-url",
        slack_url,
        *socket_args,
        env=env,
    )
    with tempfile.TemporaryDirectory(prefix="respite-bench-") as tmp:
        tmpdir = Path(tmp)
        roster = write_roster(
            tmpdir / "respite.yaml",
            {
                "teams": [
                    {
                        "id": "bench",
                        "name": "Bench Team",
                        "platform": "slack",
                        "timezone": "UTC",
                        "members": MEMBERS,
                        "leads": ["ULEAD01"],
                        # Nothing scheduled during the run: only the /checkin path is measured.
                        "pulse": {"cron": "0 10 1 1 *", "open_hours": 24, "remind_after_hours": 12},
                    }
                ]
            },
        )
        serve_env = respite_env(
            args.database_url or f"sqlite:///{tmpdir / 'respite.db'}",
            roster,
            slack_url,
            LOG_LEVEL=args.log_level,
        )
        if args.socket_mode:
            # Slack over the socket only: no signing secret, no /slack/events.
            del serve_env["SLACK_SIGNING_SECRET"]
            serve_env["SLACK_APP_TOKEN"] = APP_TOKEN_PREFIX + "respite"
        serve = ServeProcess(serve_env, tmpdir / "serve.log")
        peer_port = free_port()
        peer = await asyncio.create_subprocess_exec(
            sys.executable,
            script,
            "--role",
            "peer",
            "--port",
            str(peer_port),
            "--slack-url",
            slack_url,
            "--roster",
            str(roster),
            *socket_args,
            env=env,
        )
        try:
            await serve.start()
            assert serve.proc is not None
            bare_url = f"http://127.0.0.1:{bare_port}"
            peer_url = f"http://127.0.0.1:{peer_port}"
            await wait_ready(bare_url, bare, "the bare bolt app")
            await wait_ready(peer_url, peer, "the peer bolt app")
            await wait_ready(serve.base_url, serve.proc, "respite serve")

            bodies = slash_bodies(slack_url)
            envelopes = slash_envelopes(slack_url)
            modes = [("saturated", 0.0)] + ([("paced", args.rate)] if args.rate else [])
            runs: dict[str, dict[str, Sample]] = {}
            targets = {"bare": bare_url, "peer": peer_url, "respite": serve.base_url}
            pids = {"bare": bare.pid, "peer": peer.pid, "respite": serve.proc.pid}

            async def one_round(name: str, requests: int, rate: float = 0.0) -> Sample:
                if socket_slack is not None:
                    return await socket_round(
                        socket_slack, name, requests, args.concurrency, envelopes, rate
                    )
                return await load_round(targets[name], requests, args.concurrency, bodies, rate)

            if socket_slack is not None:
                await socket_slack.wait_connected(list(targets))
            for name in targets:  # warm-up: connections, caches, bolt's auth.test
                await one_round(name, args.warmup)
            for mode, rate in modes:
                results = runs[mode] = {name: Sample() for name in targets}
                for r in range(args.rounds):
                    # Each target goes first, middle and last in turn, so drift hits all alike.
                    names = list(targets)
                    order = names[r % 3 :] + names[: r % 3]
                    for name in order:
                        cpu_before = cpu_seconds(pids[name])
                        sample = await one_round(name, args.requests, rate)
                        # Let the work a target does after its acks (respite's views.open
                        # calls) finish before the other target's round, not during it; its
                        # CPU counts with the round's.
                        await asyncio.sleep(args.pause)
                        sample.cpu = cpu_seconds(pids[name]) - cpu_before
                        results[name].add(sample)
        finally:
            serve_end = "did not start"
            if serve.proc is not None:
                serve_end = await stop_child(serve.proc)
            await stop_child(bare)
            await stop_child(peer)
            if socket_slack is not None:
                await socket_slack.close()
            fake_calls: dict[str, int] = {}
            modal_at: dict[str, float] = {}
            await stop_child(fake)
            rest = await fake.stdout.read()
            for line in rest.decode().splitlines():
                if line.startswith("{"):
                    fake_calls = json.loads(line).get("calls", fake_calls)
                    modal_at = json.loads(line).get("modal_at", modal_at)

    total = args.rounds * args.requests
    how_sent = (
        "/checkin slash commands over Socket Mode (envelope sent -> ack read)"
        if args.socket_mode
        else "signed /checkin slash commands"
    )
    print(
        f"ack latency of {how_sent} from {args.concurrency} concurrent "
        f"clients: {total} requests per target and mode in {args.rounds} alternating rounds "
        f"(after {args.warmup} warm-up each)"
    )
    for mode, rate in modes:
        how = (
            "each client sends again as soon as it is answered"
            if not rate
            else f"{rate:.0f} requests/s in all, latency counted from when each was due"
        )
        print(f"{mode} ({how}):")
        if report(runs[mode], saturated=not rate) is None:
            return 1
        for name in ("peer", "respite"):
            sent = runs[mode][name].sent
            waits = [modal_at[t] - sent[t] for t in sent if t in modal_at]
            if len(waits) >= 100:
                p50, p99 = percentile(waits, 50) * 1000, percentile(waits, 99) * 1000
                label = f"{name}'s views.open reached Slack:"
                print(
                    f"  {label:40s} p50 {p50:7.1f} ms   "
                    f"p99 {p99:7.1f} ms   after the /checkin was sent ({len(waits)} of {len(sent)})"
                )
    opened = fake_calls.get("views.open", 0)
    print(
        f"fake Slack saw {opened} views.open call(s) (the peer's and respite's work after each "
        f"ack) and {fake_calls.get('auth.test', 0)} auth.test (bolt's first requests)"
    )
    print(f"respite serve {serve_end}")
    return 0


def report(results: dict[str, Sample], saturated: bool) -> tuple[float, float] | None:
    p: dict[str, tuple[float, float]] = {}
    for name, label in (
        ("bare", "bare slack-bolt AsyncApp, ack only"),
        ("peer", "slack-bolt peer (ack -> views.open)"),
        ("respite", "respite serve (/checkin -> views.open)"),
    ):
        s = results[name]
        if len(s.latencies) < 100:
            print(f"  {label}: too few successful requests ({len(s.latencies)}); errors {s.errors}")
            return None
        p50, p99 = percentile(s.latencies, 50), percentile(s.latencies, 99)
        p[name] = (p50, p99)
        errors = f", non-200: {s.errors}" if s.errors else ""
        print(
            f"  {label:40s} p50 {p50 * 1000:7.1f} ms   p99 {p99 * 1000:7.1f} ms   "
            f"{len(s.latencies) / s.seconds:6.0f} req/s{errors}"
        )
    ratios = {}
    for base, target in (("bare", TARGET_RATIO), ("peer", PEER_TARGET_RATIO)):
        r50 = p["respite"][0] / p[base][0]
        r99 = p["respite"][1] / p[base][1]
        ratios[base] = (r50, r99)
        verdict = "within" if max(r50, r99) <= target else "above"
        print(
            f"  {'ratio respite / ' + base + ':':40s} p50 {r50:7.2f}      p99 {r99:7.2f}"
            f"      ({verdict} target {target})"
        )
    cpu = {n: results[n].cpu / len(results[n].latencies) for n in results}
    if saturated and all(cpu.values()):
        # When the clients keep every slot busy, latency is clients / throughput (Little's
        # law), and throughput is what a core gives divided by CPU per request.
        print(
            f"  server CPU per request:                  bare {cpu['bare'] * 1e6:5.0f} µs, "
            f"peer {cpu['peer'] * 1e6:5.0f} µs, respite {cpu['respite'] * 1e6:5.0f} µs "
            f"(respite / peer {cpu['respite'] / cpu['peer']:.2f}; saturated, latency follows it)"
        )
    return ratios["peer"]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--requests", type=int, default=300, help="requests per target per round")
    p.add_argument("--rounds", type=int, default=6)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--concurrency", type=int, default=50)
    p.add_argument(
        "--rate",
        type=float,
        default=150.0,
        help="requests/s of the paced mode, run after the saturated one (0: skip it)",
    )
    p.add_argument(
        "--pause",
        type=float,
        default=1.0,
        help="seconds between rounds, for work left after the acks to finish",
    )
    p.add_argument("--log-level", default="INFO", help="respite serve's LOG_LEVEL")
    p.add_argument(
        "--database-url",
        default="",
        help="respite serve's DATABASE_URL (default: a new SQLite file in a temporary directory)",
    )
    p.add_argument(
        "--fake",
        choices=("lean", "recording"),
        default="lean",
        help="the fake Slack Web API: canned answers kept as bytes (default), or the test suite's "
        "fake, which parses and keeps every request",
    )
    p.add_argument(
        "--role",
        choices=("bench", "fake-slack", "lean-fake-slack", "bare", "peer"),
        default="bench",
    )
    p.add_argument(
        "--socket-mode",
        action="store_true",
        help="reach every target over Socket Mode (a WebSocket each opens) instead of HTTP",
    )
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--slack-url", default="")
    p.add_argument("--socket-url", default="")
    p.add_argument("--roster", default="")
    args = p.parse_args()
    if args.socket_mode and args.fake == "recording":
        p.error("--socket-mode needs the lean fake, which answers apps.connections.open")
    if args.role == "fake-slack":
        asyncio.run(run_fake_slack())
        return 0
    if args.role == "lean-fake-slack":
        asyncio.run(run_lean_fake_slack(args.socket_url))
        return 0
    if args.role == "bare":
        asyncio.run(run_bare_app(args.port, args.slack_url, args.socket_mode))
        return 0
    if args.role == "peer":
        asyncio.run(run_peer_app(args.port, args.slack_url, args.roster, args.socket_mode))
        return 0

    async def bounded() -> int:
        return await asyncio.wait_for(bench(args), RUN_SECONDS)

    return asyncio.run(bounded())


if __name__ == "__main__":
    raise SystemExit(main())
