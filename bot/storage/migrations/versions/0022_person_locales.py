"""Each person's language: chosen with `/respite language de`, or as their platform reports it.

Revision ID: 0022_person_locales
Revises: 0021_pulse_times
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022_person_locales"
down_revision: str | None = "0021_pulse_times"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "person_locales",
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        # A locale tag such as "de" or "es-MX".
        sa.Column("locale", sa.String(16), nullable=False),
        # "chosen" (the person's command) outranks "platform" (what Slack or Teams reported).
        sa.Column("source", sa.String(8), nullable=False),
        sa.PrimaryKeyConstraint("platform", "user_id", name=op.f("pk_person_locales")),
    )


def downgrade() -> None:
    op.drop_table("person_locales")
