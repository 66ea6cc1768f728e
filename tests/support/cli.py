"""Run the `respite` command as a real process, with a roster and a database of the test's own."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]


def cli_env(tmp_path: Path, roster: dict[str, Any], **extra: str) -> dict[str, str]:
    """The environment of a CLI run: the roster written to a file, a SQLite database in
    `tmp_path`, and no Slack or database settings inherited from the shell."""
    path = tmp_path / "respite.yaml"
    path.write_text(yaml.safe_dump(roster))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))}
    env.update(RESPITE_CONFIG=str(path), DATABASE_URL=f"sqlite:///{tmp_path / 'r.db'}", **extra)
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def arun(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()
