"""Start-up checks a platform offers: does the service accept our credentials?

A wrong token otherwise passes silently until the first send, and the first sign an admin sees is
a pulse stuck in the outbox. So each configured platform hands the composition root a check, and
the commands that send (`serve`, `pulse`) run them before anything else. A refusal stops the
command with one line naming the setting; a service that cannot be reached is a warning, because
it may come back, and sends wait in the outbox until it does.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import Enum

log = logging.getLogger(__name__)

CHECK_TIMEOUT_SECONDS = 15.0


class Verdict(Enum):
    OK = "ok"
    UNREACHABLE = "unreachable"  # could not tell: start anyway, with a warning
    REFUSED = "refused"  # the service said no: do not start


@dataclass(frozen=True, slots=True)
class Finding:
    verdict: Verdict
    line: str


StartupCheck = Callable[[], Awaitable[Finding]]


async def run_checks(
    checks: Sequence[tuple[str, StartupCheck]], deadline_seconds: float = CHECK_TIMEOUT_SECONDS
) -> list[Finding]:
    """Every check's finding, side by side; a check that overruns counts as unreachable."""

    async def one(name: str, check: StartupCheck) -> Finding:
        try:
            async with asyncio.timeout(deadline_seconds):
                return await check()
        except TimeoutError:
            return Finding(Verdict.UNREACHABLE, f"{name}: no answer within {deadline_seconds:g} s")

    findings = list(await asyncio.gather(*(one(name, check) for name, check in checks)))
    for finding in findings:
        if finding.verdict is Verdict.OK:
            log.info("%s", finding.line)
        elif finding.verdict is Verdict.UNREACHABLE:
            log.warning("%s; starting anyway, and messages wait in the outbox", finding.line)
    return findings


def refusals(findings: Sequence[Finding]) -> list[str]:
    return [f.line for f in findings if f.verdict is Verdict.REFUSED]
