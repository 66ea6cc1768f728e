"""When people left the roster, so the retention policy can count from it.

Revision ID: 0019_roster_departures
Revises: 0018_calendar_sealed
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_roster_departures"
down_revision: str | None = "0018_calendar_sealed"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "roster_departures",
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("platform", "user_id", name=op.f("pk_roster_departures")),
    )


def downgrade() -> None:
    op.drop_table("roster_departures")
