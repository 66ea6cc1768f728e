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

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str | int) -> None:
    logging.basicConfig(level=level, format=FORMAT, force=True)
    cap_third_party()


def cap_third_party() -> None:
    for name, floor in CAPPED.items():
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < floor:
            logger.setLevel(floor)
