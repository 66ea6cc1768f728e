"""What a job did, said once to the log and kept for the CLI that ran it."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass(slots=True)
class JobReport:
    """What a job did, for the CLI and the admin's log."""

    lines: list[str] = field(default_factory=list)

    def say(self, line: str) -> None:
        self.lines.append(line)
        log.info(line)
