"""The sample Slack roster most tests start from, and the Monday morning they start on."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

# Monday 30 November 2026, 09:00 UTC: an hour before the default weekly pulse opens.
MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)

CLINICIANS = [f"U00{i}" for i in range(1, 9)]
LEAD = "ULEAD01"

BASE_ROSTER: dict[str, Any] = {
    "teams": [
        {
            "id": "riverside",
            "name": "Riverside Therapy",
            "platform": "slack",
            "timezone": "UTC",
            "members": CLINICIANS,
            "leads": [LEAD],
            "min_group_size": 5,
            "pulse": {"cron": "0 10 * * mon", "open_hours": 72, "remind_after_hours": 48},
            "resources": [
                {"label": "Employee Assistance Programme", "text": "0800 123 4567"},
                {"label": "Crisis line", "url": "https://example.org/crisis"},
            ],
        }
    ]
}


# Working hours that never hold a message, for tests that run on the wall clock.
AROUND_THE_CLOCK = {"working_hours": "00:00-24:00", "working_days": "mon-sun"}


def roster_data(**team_overrides: Any) -> dict[str, Any]:
    """A fresh copy of the sample roster, so a test's changes stay its own."""
    data = copy.deepcopy(BASE_ROSTER)
    data["teams"][0].update(team_overrides)
    return data
