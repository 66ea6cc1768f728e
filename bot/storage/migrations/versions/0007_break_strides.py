"""Break prompts: each person's practice stride is stored, so a tick can rotate it in SQL.

Revision ID: 0007_break_strides
Revises: 0006_responses_by_round
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_break_strides"
down_revision: str | None = "0006_responses_by_round"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PRACTICES = 13  # as many as bot.domain.break_cards.PRACTICES held at this revision


def _stride(user_id: str) -> int:
    """`person_stride` as it was at this revision (a migration does not follow later code)."""
    return 1 + hashlib.sha256(user_id.encode()).digest()[0] % (PRACTICES - 1)


def upgrade() -> None:
    with op.batch_alter_table("break_people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("practice_stride", sa.SmallInteger(), nullable=True))
    people = sa.table(
        "break_people",
        sa.column("platform", sa.String()),
        sa.column("user_id", sa.String()),
        sa.column("practice_stride", sa.SmallInteger()),
    )
    conn = op.get_bind()
    rows = conn.execute(sa.select(people.c.platform, people.c.user_id)).all()
    if rows:
        conn.execute(
            people.update()
            .where(
                people.c.platform == sa.bindparam("p"),
                people.c.user_id == sa.bindparam("u"),
            )
            .values(practice_stride=sa.bindparam("s")),
            [{"p": p, "u": u, "s": _stride(u)} for p, u in rows],
        )
    with op.batch_alter_table("break_people", schema=None) as batch_op:
        batch_op.alter_column("practice_stride", existing_type=sa.SmallInteger(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("break_people", schema=None) as batch_op:
        batch_op.drop_column("practice_stride")
