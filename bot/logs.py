"""Logging set-up that keeps the privacy promise even at DEBUG.

Third-party libraries log whole payloads and SQL parameters at DEBUG (a view submission carries
the user id and the answers together), so their loggers are capped regardless of LOG_LEVEL. Our
own modules never log a user id beside an answer.
"""

from __future__ import annotations

import logging

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


def configure_logging(level: str | int) -> None:
    logging.basicConfig(level=level, format=FORMAT, force=True)
    cap_third_party()


def cap_third_party() -> None:
    for name, floor in CAPPED.items():
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < floor:
            logger.setLevel(floor)
    for name in SLACK_SDK_MODULE_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(max(CAPPED["slack_sdk"], logger.getEffectiveLevel()))
