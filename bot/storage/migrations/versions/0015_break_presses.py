"""A break prompt's Done or Skip counts once, and only for a prompt sent to the presser.

Revision ID: 0015_break_presses
Revises: 0014_break_people_prompted

One row per prompt pressed, as a keyed hash of (person, slot), with the day after which the
prompt can no longer be pressed and the row goes. Presses remembered in memory before this
revision are not carried over: a prompt pressed just before the upgrade may count once more.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.storage.types import UtcDateTime

revision: str = "0015_break_presses"
down_revision: str | None = "0014_break_people_prompted"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "break_presses",
        sa.Column("mark", sa.String(32), nullable=False),
        sa.Column("forget_after", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("mark", name=op.f("pk_break_presses")),
    )
    op.create_index("ix_break_presses_forget_after", "break_presses", ["forget_after"])


def downgrade() -> None:
    op.drop_index("ix_break_presses_forget_after", table_name="break_presses")
    op.drop_table("break_presses")
