"""Responses keyed by (round, random id): a round's answers are stored together.

On SQLite (a WITHOUT ROWID table) the key is the storage order. Keyed by the random id alone, a
round's answers were scattered over the whole table, so the re-shuffle that every submission
makes touched a page per answer, more as the table grew; keyed by round first, they fill a few
adjacent pages, still in the order of their random ids. The separate index on round_id is then
the key's prefix.

Revision ID: 0006_responses_by_round
Revises: 0005_digest
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006_responses_by_round"
down_revision: str | None = "0005_digest"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table(
        "pulse_responses", recreate="auto", table_kwargs={"sqlite_with_rowid": False}
    ) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pulse_responses_round_id"))
        batch_op.drop_constraint(batch_op.f("pk_pulse_responses"), type_="primary")
        batch_op.create_primary_key(batch_op.f("pk_pulse_responses"), ["round_id", "id"])


def downgrade() -> None:
    with op.batch_alter_table(
        "pulse_responses", recreate="auto", table_kwargs={"sqlite_with_rowid": False}
    ) as batch_op:
        batch_op.drop_constraint(batch_op.f("pk_pulse_responses"), type_="primary")
        batch_op.create_primary_key(batch_op.f("pk_pulse_responses"), ["id"])
        batch_op.create_index(batch_op.f("ix_pulse_responses_round_id"), ["round_id"], unique=False)
