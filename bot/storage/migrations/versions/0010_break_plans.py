"""Break plans: people who share all that plans their breaks follow one schedule.

Revision ID: 0010_break_plans
Revises: 0009_outbox_holds

People stored before keep their own next moment; the tick moves them onto plans as they come
due, so nothing is lost or sent twice on the way.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.storage.types import UtcDateTime

revision: str = "0010_break_plans"
down_revision: str | None = "0009_outbox_holds"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "break_plans",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("team_id", sa.String(64), nullable=False),
        sa.Column("timezone", sa.String(64)),
        sa.Column("enabled", sa.Boolean()),
        sa.Column("times", sa.JSON()),
        sa.Column("work", sa.JSON()),
        sa.Column("paused_until", sa.Date()),
        sa.Column("skip_date", sa.Date()),
        sa.Column("next_at", UtcDateTime()),
        sa.Column("next_slot", sa.String(40)),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_break_plans_next_at", "break_plans", ["next_at"])
    op.create_table(
        "break_fanouts",
        sa.Column("plan_id", sa.String(32), primary_key=True),
        sa.Column("slot", sa.String(40), primary_key=True),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("team_id", sa.String(64), nullable=False),
        sa.Column("not_before", UtcDateTime(), nullable=False),
        sa.Column("drop_after", UtcDateTime()),
        sa.Column("week_start", UtcDateTime(), nullable=False),
        sa.Column("week_end", UtcDateTime(), nullable=False),
        sa.Column("cards", sa.JSON(), nullable=False),
    )
    with op.batch_alter_table("break_people") as batch_op:
        batch_op.add_column(sa.Column("plan_id", sa.String(32)))
        batch_op.add_column(sa.Column("plan_sent", sa.Integer()))
        batch_op.create_index("ix_break_people_plan", ["plan_id"])


def downgrade() -> None:
    # Followers get their own schedule back (due now, re-planned alone by the next tick) and
    # their practice written out, as leaving a plan does at this revision. Plans' prompts not
    # yet fanned out into the outbox are dropped with their table.
    op.execute(
        "UPDATE break_people SET "
        "last_practice = CASE WHEN s.sent > break_people.plan_sent THEN "
        "((CASE WHEN last_practice >= 0 AND last_practice < 13 THEN last_practice ELSE 0 END) "
        "+ (s.sent - break_people.plan_sent) * practice_stride) % 13 "
        "ELSE last_practice END, next_at = break_people.updated_at, next_slot = NULL "
        "FROM break_plans AS s WHERE s.id = break_people.plan_id"
    )
    op.execute(
        "UPDATE break_people SET next_at = updated_at, next_slot = NULL "
        "WHERE plan_id IS NOT NULL AND next_at IS NULL"
    )
    with op.batch_alter_table("break_people") as batch_op:
        batch_op.drop_index("ix_break_people_plan")
        batch_op.drop_column("plan_sent")
        batch_op.drop_column("plan_id")
    op.drop_table("break_fanouts")
    op.drop_index("ix_break_plans_next_at", table_name="break_plans")
    op.drop_table("break_plans")
