"""What a release remembers: keyed respondent sets of released periods; raw round data of frozen periods removed.

Revision ID: 0012_release_memory
Revises: 0011_sealed_answers
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0012_release_memory"
down_revision: str | None = "0011_sealed_answers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
