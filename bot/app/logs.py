"""Logging set-up that keeps the privacy promise even at DEBUG.

Third-party libraries log whole payloads and SQL parameters at DEBUG (a view submission carries
the user id and the answers together), so their loggers are capped regardless of LOG_LEVEL. Our
own modules never log a user id beside an answer.

LOG_FORMAT=json writes one JSON object a line (time, level, logger, message, and the traceback
when there is one) for log collectors that parse lines. It carries what the text format carries
and nothing more: fields a library attaches to a record (`extra=`) are left out, as the text
format leaves them out, since they are where a request body or an API argument would travel.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from pythonjsonlogger.json import JsonFormatter

# Loggers that may print request bodies, API arguments or SQL parameters.
CAPPED = {
    "slack_bolt": logging.INFO,
    "slack_sdk": logging.INFO,
    "botbuilder": logging.INFO,
    "botframework": logging.INFO,
    "msal": logging.INFO,
    "aiohttp.access": logging.INFO,
    "sqlalchemy": logging.WARNING,
    "alembic": logging.INFO,
    "apscheduler": logging.INFO,
    # botbuilder's connector calls go through requests: at DEBUG each URL names a person's chat.
    "urllib3": logging.INFO,
    # The Agents SDK's loggers are capped where it is used (bot/platforms/msteams/agents).
}

# slack_sdk decides whether to format a whole request and response for DEBUG by reading its
# module logger's own `level`, which is 0 (unset) unless someone sets it, so without this it
# renders every payload to a string and throws it away: about 0.2 ms per Web API call.
SLACK_SDK_MODULE_LOGGERS = (
    "slack_sdk.web.async_base_client",
    "slack_sdk.web.base_client",
    "slack_sdk.webhook.async_client",
    "slack_sdk.webhook.client",
)

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# The JSON fields, in this order; anything else a record carries is not written.
JSON_FIELDS = ("time", "level", "logger", "message", "exc_info", "stack_info")

LogFormat = Literal["text", "json"]


class JsonLines(JsonFormatter):
    """One JSON object a line with JSON_FIELDS only (see the module's docstring)."""

    def __init__(self) -> None:
        super().__init__(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",
            json_ensure_ascii=False,
        )

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        return {key: log_data[key] for key in JSON_FIELDS if key in log_data}

    def format(self, record: logging.LogRecord) -> str:
        # A dict logged as the message is written as text renders it, not spread into fields.
        if isinstance(record.msg, dict):
            record = logging.makeLogRecord(
                {**record.__dict__, "msg": record.getMessage(), "args": None}
            )
        return super().format(record)


class BelowCaps(logging.Filter):
    """Drops a capped library's record below its cap, whatever level its logger was given.

    Loggers made after `configure_logging` may copy the root's level onto themselves (slack-bolt
    does so for its app's logger, `slack_bolt.AsyncApp`, whose DEBUG lines carry response
    bodies), which the caps on their parents cannot stop; the handler's filter does.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        name = record.name
        while name:
            floor = CAPPED.get(name)
            if floor is not None:
                return record.levelno >= floor
            name = name.rpartition(".")[0]
        return True


def configure_logging(level: str | int, log_format: LogFormat = "text") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLines() if log_format == "json" else logging.Formatter(FORMAT))
    handler.addFilter(BelowCaps())
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # In JSON, warnings go through logging too, so that stderr holds JSON lines only.
    logging.captureWarnings(log_format == "json")
    cap_third_party()


def cap_third_party() -> None:
    for name, floor in CAPPED.items():
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < floor:
            logger.setLevel(floor)
    for name in SLACK_SDK_MODULE_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(max(CAPPED["slack_sdk"], logger.getEffectiveLevel()))
