"""The audit log: who read or changed what, for the data-protection officer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One line of the audit log: who (a lead, an admin) did what to which group, and when.
    Never anything about an answer."""

    at: datetime
    actor: str  # "slack:U012", "teams:<object id>", "cli:<operating-system user>"
    action: str  # digest.read, digest.export, pulse.open, pulse.close, forget
    subject: str  # the group read or acted on
    via: str  # chat, cli, html, csv


class AuditLog(Protocol):
    """Append-only: entries are recorded and read, never changed (retention aside)."""

    async def record(self, entry: AuditEntry) -> None: ...


class NullAudit:
    """No audit log is wired in: entries are dropped, so callers record without asking first."""

    async def record(self, entry: AuditEntry) -> None:
        return None
