"""Digests: frozen period figures of teams, departments and the organisation.

Revision ID: 0005_digest
Revises: 0004_breaks
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.storage.types import UtcDateTime

revision: str = "0005_digest"
down_revision: str | None = "0004_breaks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "digest_periods",
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("frozen_at", UtcDateTime(), nullable=False),
        sa.Column("queued_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("period", name=op.f("pk_digest_periods")),
    )
    op.create_table(
        "digest_groups",
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("group_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("parent_id", sa.String(length=64), nullable=True),
        sa.Column("min_group_size", sa.Integer(), nullable=False),
        sa.Column("released", sa.Boolean(), nullable=False),
        sa.Column("closed_at", UtcDateTime(), nullable=False),
        sa.Column("round_id", sa.String(length=32), nullable=True),
        sa.Column("members", sa.Integer(), nullable=True),
        sa.Column("respondents", sa.Integer(), nullable=True),
        sa.Column("figures", sa.JSON(), nullable=True),
        sa.Column("kudos", sa.Integer(), nullable=True),
        sa.Column("breaks_prompted", sa.Integer(), nullable=True),
        sa.Column("breaks_done", sa.Integer(), nullable=True),
        sa.Column("breaks_skipped", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["period"],
            ["digest_periods.period"],
            name=op.f("fk_digest_groups_period_digest_periods"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("period", "group_id", name=op.f("pk_digest_groups")),
    )
    op.create_index("ix_digest_groups_group", "digest_groups", ["group_id", "period"])
    op.create_index("ix_digest_groups_parent", "digest_groups", ["period", "parent_id"])
    op.create_index("ix_pulse_rounds_opens_at", "pulse_rounds", ["opens_at"])


def downgrade() -> None:
    op.drop_index("ix_pulse_rounds_opens_at", table_name="pulse_rounds")
    op.drop_index("ix_digest_groups_parent", table_name="digest_groups")
    op.drop_index("ix_digest_groups_group", table_name="digest_groups")
    op.drop_table("digest_groups")
    op.drop_table("digest_periods")
