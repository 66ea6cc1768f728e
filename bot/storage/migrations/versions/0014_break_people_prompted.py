"""Break uptake counts the distinct people prompted in a week.

Revision ID: 0014_break_people_prompted
Revises: 0013_kudos_unlinkable
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0014_break_people_prompted"
down_revision: str | None = "0013_kudos_unlinkable"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
