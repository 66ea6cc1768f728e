"""Outbox: a card many rows carry is kept once (outbox_cards) and rows refer to it.

Revision ID: 0008_outbox_cards
Revises: 0007_break_strides
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.storage.types import UtcDateTime

revision: str = "0008_outbox_cards"
down_revision: str | None = "0007_break_strides"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_cards",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("card", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_cards")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("card_id", sa.String(length=32), nullable=True))
        batch_op.alter_column("card", existing_type=sa.JSON(), nullable=True)
        batch_op.create_check_constraint(
            op.f("ck_outbox_one_card"), "(card IS NULL) <> (card_id IS NULL)"
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_outbox_one_card"), type_="check")
    op.execute(
        "UPDATE outbox SET card = (SELECT c.card FROM outbox_cards c WHERE c.id = outbox.card_id) "
        "WHERE card_id IS NOT NULL"
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("card_id")
        batch_op.alter_column("card", existing_type=sa.JSON(), nullable=False)
    op.drop_table("outbox_cards")
