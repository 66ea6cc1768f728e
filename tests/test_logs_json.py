"""LOG_FORMAT=json: one JSON object a line (time, level, logger, message), carrying no more than
the text format does: the third-party loggers stay capped, fields attached to a record stay out,
and no user id stands beside an answer."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession

from bot.app.logs import JSON_FIELDS, configure_logging
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.pulse_answers import HEAVY
from tests.support.roster import CLINICIANS
from tests.support.serve_process import ServeProcess, dormant_roster, free_port, respite_env
from tests.support.slack_driver import SlackDriver
from tests.support.waiting import until

NAMED = {"time", "level", "logger", "message"}


def _objects(text: str) -> list[dict[str, Any]]:
    """Every line as a JSON object with the named fields, or an AssertionError naming the line."""
    objects = []
    for line in text.splitlines():
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            raise AssertionError(f"not a JSON line: {line!r}") from None
        assert isinstance(obj, dict), line
        assert NAMED <= set(obj) <= set(JSON_FIELDS), line
        assert datetime.fromisoformat(obj["time"]).utcoffset() is not None, line
        objects.append(obj)
    return objects


def test_json_lines_carry_the_named_fields_and_nothing_attached(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("DEBUG", "json")
    log = logging.getLogger("bot.example")
    log.info("queued %d messages", 8, extra={"body": {"user": "U001", "drained": "5"}})
    log.info({"a": "dict", "as": "message"})
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("sending failed")
    # A library's DEBUG line (whole payloads) does not pass its cap, in JSON as in text.
    logging.getLogger("slack_sdk.web.async_base_client").debug("payload U001 drained=5")

    lines = _objects(capsys.readouterr().err)
    assert [line["message"] for line in lines] == [
        "queued 8 messages",
        "{'a': 'dict', 'as': 'message'}",
        "sending failed",
    ]
    assert {line["logger"] for line in lines} == {"bot.example"}
    assert [line["level"] for line in lines] == ["INFO", "INFO", "ERROR"]
    assert "ValueError: boom" in lines[2]["exc_info"]
    assert "U001" not in json.dumps(lines)


def test_text_stays_the_default(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO")
    logging.getLogger("bot.example").info("hello")
    err = capsys.readouterr().err
    assert err.endswith(" INFO bot.example: hello\n")


@pytest.fixture
async def http() -> AsyncIterator[ClientSession]:
    async with ClientSession() as session:
        yield session


async def test_serve_with_log_format_json_writes_only_json_lines(
    tmp_path: Path, fake_slack: FakeSlackApi, http: ClientSession
) -> None:
    env = respite_env(
        f"sqlite:///{tmp_path / 'respite.db'}",
        dormant_roster(tmp_path),
        fake_slack.url,
        LOG_FORMAT="json",
        LOG_LEVEL="DEBUG",
        METRICS_PORT=str(free_port()),
    )
    server = ServeProcess(env, tmp_path / "serve.log")
    await server.start()
    try:
        await server.wait_healthy(http)
        # A check-in answered through the running process, and a forged request it refuses.
        slack = SlackDriver(http, server.base_url, fake_slack.response_url())
        assert (await slack.slash("/checkin", "", CLINICIANS[0])).status == 200
        await until(lambda: bool(fake_slack.called("views.open")), "views.open", log=server.log())
        view = fake_slack.called("views.open")[0].params["view"]
        resp = await slack.submit(view, HEAVY, CLINICIANS[0])
        assert (await resp.json())["response_action"] == "update"
        body = slack.slash_body("/checkin", "", CLINICIANS[1])
        forged = await slack.post(
            body, headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        assert forged.status == 401
        assert await server.stop() == 0
    finally:
        await server.kill()

    lines = _objects(server.log())
    messages = [line["message"] for line in lines]
    assert any(m.startswith("Respite is listening on") for m in messages)
    assert any(m.startswith("metrics: http://127.0.0.1:") for m in messages)
    assert "Respite is stopping" in messages
    assert {"INFO", "WARNING"} <= {line["level"] for line in lines}
    # At DEBUG too, the libraries that log bodies and parameters stay at their caps, even
    # slack-bolt's app logger, which takes the root's level when the app is built.
    capped = [
        line
        for line in lines
        if line["logger"].split(".")[0] in {"slack_bolt", "slack_sdk", "sqlalchemy", "aiohttp"}
        and line["level"] == "DEBUG"
    ]
    assert not capped, capped
    for line in lines:
        text = json.dumps(line)
        assert CLINICIANS[0] not in text or not any(v in text for v in HEAVY.values()), text
