"""`respite serve` as a real child process, the way the container image runs it.

The process gets only environment variables (DATABASE_URL, RESPITE_CONFIG, the Slack secrets,
SLACK_API_URL pointing at the fake Slack server) and command-line flags, like production. Its
output goes to a log file so a failing test can show it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from aiohttp import ClientError, ClientSession, ClientTimeout

from tests.support.roster import AROUND_THE_CLOCK, roster_data
from tests.support.slack_driver import SIGNING_SECRET

# Variables of the surrounding shell that would change how the child behaves.
_SCRUB = ("DATABASE_URL", "RESPITE_CONFIG", "PORT", "HOST", "LOG_LEVEL")
_SCRUB_PREFIXES = ("SLACK_",)

# Bounds, so a hung child fails the test instead of hanging the run.
CLI_SECONDS = 120.0
STOP_SECONDS = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def write_roster(path: Path, roster: Mapping[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(dict(roster), sort_keys=False), encoding="utf-8")
    return path


def respite_env(
    database_url: str, roster: Path, slack_api_url: str, **extra: str
) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in _SCRUB and not k.startswith(_SCRUB_PREFIXES)
    }
    env.update(
        DATABASE_URL=database_url,
        RESPITE_CONFIG=str(roster),
        SLACK_BOT_TOKEN="xoxb-test-token",
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack_api_url,
        RESPITE_SECRET="serve-process-test-secret-0123456789abcdef",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


async def run_cli(env: Mapping[str, str], *args: str) -> tuple[int, str]:
    """`respite ARGS...` as a child process; returns (exit code, stdout+stderr)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=dict(env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), CLI_SECONDS)
    assert proc.returncode is not None
    return proc.returncode, out.decode()


@dataclass
class ServeProcess:
    env: dict[str, str]
    log_path: Path
    host: str = "127.0.0.1"
    port: int = field(default_factory=free_port)
    proc: asyncio.subprocess.Process | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    async def start(self) -> None:
        log = self.log_path.open("ab")
        try:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "serve",
                "--host",
                self.host,
                "--port",
                str(self.port),
                env=self.env,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
        finally:
            log.close()

    async def healthz(self, session: ClientSession) -> int | None:
        """The /healthz status, or None when nothing answers yet."""
        try:
            async with session.get(
                self.base_url + "/healthz", timeout=ClientTimeout(total=5)
            ) as resp:
                return resp.status
        except (TimeoutError, ClientError, OSError):
            return None

    async def wait_healthy(self, session: ClientSession, within: float = 60) -> None:
        """Wait for /healthz 200; fail with the process log if it dies or never gets there."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.returncode is not None:
                raise AssertionError(
                    f"respite serve exited with {self.proc.returncode}:\n{self.log()}"
                )
            if await self.healthz(session) == 200:
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"respite serve never became healthy:\n{self.log()}")

    async def stop(self) -> int:
        """SIGTERM, as `docker stop` sends, and the exit code."""
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.proc.wait(), STOP_SECONDS)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()
            raise AssertionError(f"respite serve ignored SIGTERM:\n{self.log()}") from None

    async def kill(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()


def dormant_cron() -> str:
    """A yearly schedule whose next round starts in ten days: nothing is due while a test runs,
    so only the commands the test gives open a round."""
    start = datetime.now(UTC) + timedelta(days=10)
    return f"0 10 {start.day} {start.month} *"


def dormant_roster(tmp_path: Path) -> Path:
    """The sample roster around the clock, with no round due while a test runs."""
    data = roster_data(
        pulse={"cron": dormant_cron(), "open_hours": 72, "remind_after_hours": 48},
        **AROUND_THE_CLOCK,
    )
    return write_roster(tmp_path / "respite.yaml", data)
