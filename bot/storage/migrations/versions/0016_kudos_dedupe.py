"""A kudos is given once however often it is submitted.

Revision ID: 0016_kudos_dedupe
Revises: 0015_break_presses

Keyed marks of each kudos just given (its giver with its request's id, and with its content),
kept for minutes, so that a repeated or replayed submission gives nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.storage.types import UtcDateTime

revision: str = "0016_kudos_dedupe"
down_revision: str | None = "0015_break_presses"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kudos_dedupe",
        sa.Column("mark", sa.String(64), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("mark", name=op.f("pk_kudos_dedupe")),
    )
    op.create_index("ix_kudos_dedupe_expires_at", "kudos_dedupe", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_kudos_dedupe_expires_at", table_name="kudos_dedupe")
    op.drop_table("kudos_dedupe")
