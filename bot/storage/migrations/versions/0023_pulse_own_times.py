"""Who a round invites at their own pulse time, and when, decided once as the round opens.

Revision ID: 0023_pulse_own_times
Revises: 0022_person_locales
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.storage.types import UtcDateTime

revision: str = "0023_pulse_own_times"
down_revision: str | None = "0022_person_locales"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pulse_own_times",
        sa.Column("round_id", sa.String(32), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("invite_at", UtcDateTime(), nullable=False),
        sa.Column("remind_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["pulse_rounds.id"],
            name=op.f("fk_pulse_own_times_round_id_pulse_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("round_id", "platform", "user_id", name=op.f("pk_pulse_own_times")),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("pulse_own_times")
