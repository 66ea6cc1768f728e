"""Break uptake counts the distinct people prompted in a week.

Revision ID: 0014_break_people_prompted
Revises: 0013_kudos_unlinkable

One row per person actually sent a break prompt in a team-week, as a keyed hash: uptake of a
week where one person was prompted is that person's own record, and is withheld. Weeks before
this revision have no rows, so their uptake stays out of digests frozen after it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.storage.types import UtcDateTime

revision: str = "0014_break_people_prompted"
down_revision: str | None = "0013_kudos_unlinkable"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "break_people_prompted",
        sa.Column("team_id", sa.String(64), nullable=False),
        sa.Column("week_start", UtcDateTime(), nullable=False),
        sa.Column("mark", sa.String(32), nullable=False),
        sa.Column("week_end", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint(
            "team_id", "week_start", "mark", name=op.f("pk_break_people_prompted")
        ),
    )
    op.create_index("ix_break_people_prompted_week_end", "break_people_prompted", ["week_end"])


def downgrade() -> None:
    op.drop_index("ix_break_people_prompted_week_end", table_name="break_people_prompted")
    op.drop_table("break_people_prompted")
