"""Open rounds' answers sealed at rest; participation written in random order.

Revision ID: 0011_sealed_answers
Revises: 0010_break_plans

Answers of open rounds are sealed with a key derived from RESPITE_SECRET (read from the
environment), the reporting unit with them; answers of closed rounds, already tallied into
round_figures, are deleted. The participation rows of open rounds are written again in random
order. Downgrading opens the answers again when RESPITE_SECRET is set, and otherwise deletes them:
a downgraded database has no sealed answers it could not read.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from bot.config import ConfigError
from bot.storage.sealed import Answer, AnswerSeal

revision: str = "0011_sealed_answers"
down_revision: str | None = "0010_break_plans"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")

MUST_SET_IT = (
    "RESPITE_SECRET is not set: set it (the same value the server uses) and run the upgrade "
    "again, so the answers of pulse rounds still open can be sealed with it"
)

_rounds = sa.table("pulse_rounds", sa.column("id", sa.String), sa.column("closed_at"))
_participation = sa.table(
    "pulse_participation",
    sa.column("round_id", sa.String),
    sa.column("platform", sa.String),
    sa.column("user_id", sa.String),
)
_OPEN = sa.select(_rounds.c.id).where(_rounds.c.closed_at.is_(None))


def _responses(*columns: sa.ColumnClause[Any]) -> sa.TableClause:
    return sa.table(
        "pulse_responses", sa.column("round_id", sa.String), sa.column("id", sa.String), *columns
    )


# .env.example's placeholder is no secret: sealing with it would seal with a published key.
_PLACEHOLDER = "replace-with-64-hex-characters"


def _secret() -> bytes | None:
    value = os.environ.get("RESPITE_SECRET")
    return value.encode() if value and value != _PLACEHOLDER else None


def upgrade() -> None:
    conn = op.get_bind()
    plain = _responses(sa.column("unit_id", sa.String), sa.column("answers", sa.JSON))
    left = conn.execute(
        sa.select(plain.c.round_id, plain.c.unit_id, plain.c.answers).where(
            plain.c.round_id.in_(_OPEN)
        )
    ).all()
    secret = _secret()
    if left and secret is None:
        raise ConfigError([MUST_SET_IT])
    by_round: dict[str, list[Answer]] = {}
    for round_id, unit_id, answers in left:
        values = json.loads(answers) if isinstance(answers, str) else answers
        by_round.setdefault(round_id, []).append(Answer(unit_id, dict(values)))
    conn.execute(sa.delete(plain))  # closed rounds' answers live on as round_figures
    with op.batch_alter_table(
        "pulse_responses", recreate="auto", table_kwargs={"sqlite_with_rowid": False}
    ) as batch_op:
        batch_op.drop_column("unit_id")
        batch_op.drop_column("answers")
        batch_op.add_column(sa.Column("sealed", sa.Text(), nullable=False))
    if by_round:
        seal = AnswerSeal(secret)
        sealed = _responses(sa.column("sealed", sa.Text))
        rows = [
            {"round_id": round_id, "id": secrets.token_hex(16), "sealed": token}
            for round_id, answers in by_round.items()
            for token in seal.seal_all(round_id, answers)
        ]
        conn.execute(sa.insert(sealed), sorted(rows, key=lambda r: (r["round_id"], r["id"])))
    _shuffle_participation(conn)


def _shuffle_participation(conn: sa.Connection) -> None:
    """Write the participation rows of open rounds again in random order."""
    where = _participation.c.round_id.in_(_OPEN)
    rows = [dict(r._mapping) for r in conn.execute(sa.select(_participation).where(where))]
    if not rows:
        return
    secrets.SystemRandom().shuffle(rows)
    conn.execute(sa.delete(_participation).where(where))
    conn.execute(sa.insert(_participation), rows)


def downgrade() -> None:
    conn = op.get_bind()
    sealed = _responses(sa.column("sealed", sa.Text))
    stored = conn.execute(sa.select(sealed.c.round_id, sealed.c.sealed)).all()
    secret = _secret()
    opened: list[dict[str, Any]] = []
    if stored and secret is None:
        log.warning("RESPITE_SECRET is not set: deleting the sealed answers of open rounds")
    elif stored:
        seal = AnswerSeal(secret)
        for round_id, token in stored:
            [answer] = seal.open_all(round_id, [token])
            opened.append(
                {
                    "round_id": round_id,
                    "id": secrets.token_hex(16),
                    "unit_id": answer.unit_id,
                    "answers": answer.answers,
                }
            )
    conn.execute(sa.delete(sealed))
    with op.batch_alter_table(
        "pulse_responses", recreate="auto", table_kwargs={"sqlite_with_rowid": False}
    ) as batch_op:
        batch_op.drop_column("sealed")
        batch_op.add_column(sa.Column("unit_id", sa.String(64), nullable=False))
        batch_op.add_column(sa.Column("answers", sa.JSON(), nullable=False))
    if opened:
        plain = _responses(sa.column("unit_id", sa.String), sa.column("answers", sa.JSON))
        conn.execute(sa.insert(plain), opened)
