"""Logging set-up: capped third-party loggers cost nothing when they would not print."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import ClientSession

from bot.app.logs import configure_logging
from bot.platforms.slack.client import web_client
from tests.support.fakes.slack_api import FakeSlackApi


class _CountingDict(dict[str, Any]):
    """A payload that counts how often it is rendered for a log line."""

    renders = 0

    def __repr__(self) -> str:
        type(self).renders += 1
        return super().__repr__()


async def test_slack_web_api_calls_do_not_render_payloads_for_a_debug_line_nobody_prints(
    fake_slack: FakeSlackApi,
) -> None:
    configure_logging("INFO")
    view = _CountingDict(type="modal", title={"type": "plain_text", "text": "Check-in"}, blocks=[])
    async with ClientSession() as http:
        client = web_client("xoxb-test", fake_slack.url, http)
        await client.views_open(trigger_id="t1", view=view)
    assert fake_slack.called("views.open")
    assert _CountingDict.renders == 0


def test_debug_level_keeps_third_party_payload_loggers_capped() -> None:
    configure_logging("DEBUG")
    for name in ("slack_sdk.web.async_base_client", "slack_sdk.webhook.async_client"):
        assert logging.getLogger(name).getEffectiveLevel() >= logging.INFO
