"""When each person wants their pulse invitation within a round (`/respite pulse at thu 08:00`).

Revision ID: 0021_pulse_times
Revises: 0020_slack_installations
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_pulse_times"
down_revision: str | None = "0020_slack_installations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pulse_times",
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        # Monday is 0; the time is minutes after local midnight in the person's time zone.
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("minute", sa.SmallInteger(), nullable=False),
        sa.PrimaryKeyConstraint("platform", "user_id", name=op.f("pk_pulse_times")),
    )


def downgrade() -> None:
    op.drop_table("pulse_times")
