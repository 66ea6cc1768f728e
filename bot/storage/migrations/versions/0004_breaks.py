"""Break prompts: per-person settings and schedule, team-week uptake, droppable outbox rows.

Revision ID: 0004_breaks
Revises: 0003_kudos
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.storage.types import UtcDateTime

revision: str = "0004_breaks"
down_revision: str | None = "0003_kudos"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("drop_after", UtcDateTime(), nullable=True))

    op.create_table(
        "break_people",
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("team_id", sa.String(length=64), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("tz_checked", sa.Boolean(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=True),
        sa.Column("times", sa.JSON(), nullable=True),
        sa.Column("work", sa.JSON(), nullable=True),
        sa.Column("paused_until", sa.Date(), nullable=True),
        sa.Column("skip_date", sa.Date(), nullable=True),
        sa.Column("calendar_url", sa.Text(), nullable=True),
        sa.Column("calendar_warned", sa.Boolean(), nullable=False),
        sa.Column("last_practice", sa.Integer(), nullable=True),
        sa.Column("next_at", UtcDateTime(), nullable=True),
        sa.Column("next_slot", sa.String(length=40), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("platform", "user_id", name=op.f("pk_break_people")),
    )
    with op.batch_alter_table("break_people", schema=None) as batch_op:
        batch_op.create_index("ix_break_people_next_at", ["next_at"], unique=False)

    op.create_table(
        "break_uptake",
        sa.Column("team_id", sa.String(length=64), nullable=False),
        sa.Column("week_start", UtcDateTime(), nullable=False),
        sa.Column("week_end", UtcDateTime(), nullable=False),
        sa.Column("prompted", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("team_id", "week_start", name=op.f("pk_break_uptake")),
    )


def downgrade() -> None:
    op.drop_table("break_uptake")
    with op.batch_alter_table("break_people", schema=None) as batch_op:
        batch_op.drop_index("ix_break_people_next_at")
    op.drop_table("break_people")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("drop_after")
