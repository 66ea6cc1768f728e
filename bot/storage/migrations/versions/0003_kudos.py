"""Recognition: kudos, their recipients, and opt-outs from being named in roundups.

Revision ID: 0003_kudos
Revises: 0002_teams
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.storage.types import UtcDateTime

revision: str = "0003_kudos"
down_revision: str | None = "0002_teams"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kudos",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("team_id", sa.String(length=64), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("giver_id", sa.String(length=128), nullable=True),
        sa.Column("giver_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("channel_id", sa.String(length=128), nullable=False),
        sa.Column("channel_ref", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kudos")),
    )
    with op.batch_alter_table("kudos", schema=None) as batch_op:
        batch_op.create_index("ix_kudos_team_created", ["team_id", "created_at"], unique=False)
        batch_op.create_index("ix_kudos_giver_hash", ["giver_hash", "created_at"], unique=False)

    op.create_table(
        "kudos_recipients",
        sa.Column("kudos_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["kudos_id"],
            ["kudos.id"],
            name=op.f("fk_kudos_recipients_kudos_id_kudos"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("kudos_id", "user_id", name=op.f("pk_kudos_recipients")),
    )
    op.create_table(
        "kudos_name_optouts",
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("since", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("platform", "user_id", name=op.f("pk_kudos_name_optouts")),
    )


def downgrade() -> None:
    op.drop_table("kudos_name_optouts")
    op.drop_table("kudos_recipients")
    with op.batch_alter_table("kudos", schema=None) as batch_op:
        batch_op.drop_index("ix_kudos_giver_hash")
        batch_op.drop_index("ix_kudos_team_created")
    op.drop_table("kudos")
