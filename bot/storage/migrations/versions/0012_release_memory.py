"""What a release remembers: keyed respondent sets of released periods; raw round data of frozen
periods removed.

Answers, participation and per-round figures of rounds whose period is frozen have served their
purpose (the frozen figures are what every digest reads), so they go here, and from now on in the
transaction that freezes a period.

Revision ID: 0012_release_memory
Revises: 0011_sealed_answers
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0012_release_memory"
down_revision: str | None = "0011_sealed_answers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _period_of_round(period_key: str, opens_at: datetime) -> str:
    # The rule of bot.domain.org.period_of_round, copied: a migration must not change with the
    # code it was written beside.
    try:
        local = datetime.fromisoformat(period_key)
    except ValueError:
        if opens_at.tzinfo is None:
            opens_at = opens_at.replace(tzinfo=UTC)
        local = opens_at.astimezone(UTC)
    year, week, _ = local.isocalendar()
    return f"{year}-W{week:02d}"


def upgrade() -> None:
    with op.batch_alter_table("digest_groups") as batch_op:
        batch_op.add_column(sa.Column("bands", sa.JSON(), nullable=True))
    op.create_table(
        "release_people",
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("group_id", sa.String(length=64), nullable=False),
        sa.Column("mark", sa.String(length=64), nullable=False),
        sa.Column("banded", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.ForeignKeyConstraint(
            ["period"],
            ["digest_periods.period"],
            name=op.f("fk_release_people_period_digest_periods"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("period", "group_id", "mark", name=op.f("pk_release_people")),
        sqlite_with_rowid=False,
    )
    conn = op.get_bind()
    frozen = {row[0] for row in conn.execute(sa.text("SELECT period FROM digest_periods"))}
    rounds = conn.execute(
        sa.text("SELECT id, period_key, opens_at FROM pulse_rounds WHERE closed_at IS NOT NULL")
    )
    done = []
    for round_id, period_key, opens_at in rounds:
        if isinstance(opens_at, str):
            opens_at = datetime.fromisoformat(opens_at)
        elif isinstance(opens_at, date) and not isinstance(opens_at, datetime):
            opens_at = datetime(opens_at.year, opens_at.month, opens_at.day)
        if _period_of_round(period_key, opens_at) in frozen:
            done.append(round_id)
    for table in ("pulse_responses", "pulse_participation", "round_figures"):
        for start in range(0, len(done), 500):
            conn.execute(
                sa.text(f"DELETE FROM {table} WHERE round_id IN :ids").bindparams(  # noqa: S608
                    sa.bindparam("ids", expanding=True)
                ),
                {"ids": done[start : start + 500]},
            )


def downgrade() -> None:
    op.drop_table("release_people")
    with op.batch_alter_table("digest_groups") as batch_op:
        batch_op.drop_column("bands")
