"""Open rounds' answers sealed at rest; participation written in random order.

Revision ID: 0011_sealed_answers
Revises: 0010_break_plans
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0011_sealed_answers"
down_revision: str | None = "0010_break_plans"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
