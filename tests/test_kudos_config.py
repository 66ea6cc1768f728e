"""Roster and settings for recognition: errors an admin can act on."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.cli.serve import serve
from bot.config import ConfigError, Settings, parse_roster
from tests.support.roster import roster_data


def test_kudos_channel_and_limit_reach_the_team() -> None:
    roster = parse_roster(roster_data(kudos_channel="C0KUDOS01", kudos_daily_limit=2))
    [team] = roster.team_list
    assert (team.kudos_channel, team.kudos_daily_limit) == ("C0KUDOS01", 2)
    [default] = parse_roster(roster_data()).team_list
    assert (default.kudos_channel, default.kudos_daily_limit) == (None, 5)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"kudos_channel": "#recognition"},
            "team 'riverside': kudos_channel: '#recognition' is not a Slack channel id; use the "
            "id (like C0123456789, from the channel's details), not its name",
        ),
        (
            {"kudos_daily_limit": 0},
            "team 'riverside': kudos_daily_limit: Input should be greater than or equal to 1",
        ),
        (
            {"kudos_daily_limit": 51},
            "team 'riverside': kudos_daily_limit: Input should be less than or equal to 50",
        ),
    ],
)
def test_roster_errors_name_team_and_field(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_roster(roster_data(**overrides))
    assert caught.value.errors == [message]


def test_teams_channel_ids_are_not_slack_ids() -> None:
    data = roster_data(platform="teams", kudos_channel="19:abc@thread.tacv2")
    assert parse_roster(data).team_list[0].kudos_channel == "19:abc@thread.tacv2"


def test_secret_must_be_long_enough() -> None:
    with pytest.raises(ValidationError, match="at least 32 characters"):
        Settings(respite_secret="too-short")
    assert Settings(respite_secret="s" * 32).respite_secret is not None


async def test_serve_refuses_to_start_without_a_secret(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'r.db'}")
    with pytest.raises(ConfigError, match="RESPITE_SECRET is not set"):
        await serve(settings, "127.0.0.1", 0)
    assert not (tmp_path / "r.db").exists()
