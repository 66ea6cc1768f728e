"""Break settings as stored: own times and working hours as JSON, a row as `BreakSettings`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import time
from typing import Any

from sqlalchemy.engine import Row

from bot.domain.breaks import BreakSettings
from bot.domain.team import WorkPattern


def times_to_json(times: Sequence[time] | None) -> list[str] | None:
    return None if times is None else [t.strftime("%H:%M") for t in times]


def times_from_json(data: Any) -> tuple[time, ...] | None:
    return None if data is None else tuple(time.fromisoformat(t) for t in data)


def work_to_json(work: WorkPattern | None) -> dict[str, Any] | None:
    if work is None:
        return None
    return {
        "days": sorted(work.days),
        "start": work.start.strftime("%H:%M"),
        "end": work.end.strftime("%H:%M"),
    } | _shifts_to_json(work)


def _shifts_to_json(work: WorkPattern) -> dict[str, Any]:
    """Shifts from a calendar, only when chosen: hours without them keep the JSON (and so the
    plan) they always had."""
    return {} if work.calendar is None else {"calendar": work.calendar}


def work_from_json(data: Any) -> WorkPattern | None:
    if data is None:
        return None
    return WorkPattern(
        frozenset(int(d) for d in data["days"]),
        time.fromisoformat(data["start"]),
        time.fromisoformat(data["end"]),
        calendar=data.get("calendar"),
    )


def json_text(data: str | None) -> Any:
    """A setting read as JSON text (a grouped query reads it so), parsed."""
    return None if data is None else json.loads(data)


def settings_from_row(row: Row[Any]) -> BreakSettings:
    """A person's settings as stored (their calendar address still sealed)."""
    return BreakSettings(
        platform=row.platform,
        user_id=row.user_id,
        team_id=row.team_id,
        timezone=row.timezone,
        enabled=row.enabled,
        times=times_from_json(row.times),
        work=work_from_json(row.work),
        paused_until=row.paused_until,
        skip_date=row.skip_date,
        calendar_url=row.calendar_url,
        calendar_warned=bool(row.calendar_warned),
    )
