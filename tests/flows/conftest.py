"""Each flow test runs once per platform (and per database): `flow` is the app serving the
sample team on that platform, driven through `tests.support.flows`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.demo.bot_connector import FakeConnector
from bot.infra.clock import FixedClock
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.flows import PLATFORMS, Flow, running


@pytest.fixture
def team_settings() -> dict[str, Any]:
    """Roster settings of the sample team; a module overrides this to change them."""
    return {}


@pytest.fixture(params=PLATFORMS)
async def flow(
    request: pytest.FixtureRequest,
    database_url: str,
    clock: FixedClock,
    fake_slack: FakeSlackApi,
    fake_connector: FakeConnector,
    team_settings: dict[str, Any],
) -> AsyncIterator[Flow]:
    async with running(
        request.param, database_url, clock, fake_slack, fake_connector, **team_settings
    ) as found:
        yield found
