"""Calendar feed addresses sealed at rest.

Revision ID: 0018_calendar_sealed
Revises: 0017_audit_log

Every calendar address still stored in clear is sealed with a key derived from RESPITE_SECRET
(read from the environment: the value the server uses; bot/storage/calendar_seal.py). Without
the secret the addresses are removed, with a warning: the people concerned are prompted at their
usual times until they give their address again. Downgrading opens them again when the secret is
set, and otherwise removes them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.storage.calendar_seal import CalendarSeal, is_sealed

revision: str = "0018_calendar_sealed"
down_revision: str | None = "0017_audit_log"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")

_people = sa.table(
    "break_people",
    sa.column("platform", sa.String),
    sa.column("user_id", sa.String),
    sa.column("calendar_url", sa.Text),
    sa.column("calendar_warned", sa.Boolean),
)

# .env.example's placeholder is no secret: sealing with it would seal with a published key.
_PLACEHOLDER = "replace-with-64-hex-characters"


def _secret() -> bytes | None:
    value = os.environ.get("RESPITE_SECRET")
    return value.encode() if value and value != _PLACEHOLDER else None


def _stored(conn: sa.Connection) -> list[tuple[str, str, str]]:
    rows = conn.execute(
        sa.select(_people.c.platform, _people.c.user_id, _people.c.calendar_url).where(
            _people.c.calendar_url.is_not(None)
        )
    ).all()
    return [(r[0], r[1], r[2]) for r in rows]


def _write(conn: sa.Connection, platform: str, user_id: str, value: str | None) -> None:
    conn.execute(
        sa.update(_people)
        .where(_people.c.platform == platform, _people.c.user_id == user_id)
        .values(calendar_url=value, calendar_warned=False)
    )


def upgrade() -> None:
    conn = op.get_bind()
    plain = [(p, u, url) for p, u, url in _stored(conn) if not is_sealed(url)]
    if not plain:
        return
    secret = _secret()
    if secret is None:
        log.warning(
            "RESPITE_SECRET is not set: removing %d calendar address(es) stored in clear; "
            "those people are prompted at their usual times until they give it again",
            len(plain),
        )
        for platform, user_id, _ in plain:
            _write(conn, platform, user_id, None)
        return
    seal = CalendarSeal(secret)
    for platform, user_id, url in plain:
        _write(conn, platform, user_id, seal.seal(platform, user_id, url))


def downgrade() -> None:
    conn = op.get_bind()
    sealed = [(p, u, v) for p, u, v in _stored(conn) if is_sealed(v)]
    if not sealed:
        return
    secret = _secret()
    if secret is None:
        log.warning("RESPITE_SECRET is not set: removing the sealed calendar addresses")
    seal = CalendarSeal(secret) if secret is not None else None
    for platform, user_id, value in sealed:
        url = seal.open(platform, user_id, value) if seal is not None else None
        _write(conn, platform, user_id, url)
