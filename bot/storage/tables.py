"""The schema. Read the privacy notes before adding a column to the pulse tables.

- `pulse_responses` holds answers and nothing that identifies a person: a random id, the round,
  the reporting unit. No user id, no timestamp, no sequence. On SQLite it is a WITHOUT ROWID table
  so even the physical order follows the random id rather than the order of arrival.
- `pulse_participation` says who took part in a round (for reminders and one answer per round).
  It shares no key with responses but the round, and is never joined to them.
- `round_figures` freezes each round's per-unit counts and sums when it closes.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from bot.storage.types import UtcDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

pulse_rounds = Table(
    "pulse_rounds",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("team_id", String(64), nullable=False),
    Column("period_key", String(40), nullable=False),
    Column("opens_at", UtcDateTime(), nullable=False),
    Column("remind_at", UtcDateTime(), nullable=False),
    Column("closes_at", UtcDateTime(), nullable=False),
    Column("invited_at", UtcDateTime()),
    Column("reminded_at", UtcDateTime()),
    Column("closed_at", UtcDateTime()),
    Column("members", Integer),
    Column("respondents", Integer),
    UniqueConstraint("team_id", "period_key", name="uq_pulse_rounds_team_period"),
    Index("ix_pulse_rounds_open", "closed_at", "closes_at"),
)

pulse_responses = Table(
    "pulse_responses",
    metadata,
    Column("id", String(32), primary_key=True),
    Column(
        "round_id",
        String(32),
        ForeignKey("pulse_rounds.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("unit_id", String(64), nullable=False),
    Column("answers", JSON, nullable=False),
    sqlite_with_rowid=False,
)

pulse_participation = Table(
    "pulse_participation",
    metadata,
    Column(
        "round_id", String(32), ForeignKey("pulse_rounds.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("platform", String(16), primary_key=True),
    Column("user_id", String(128), primary_key=True),
    sqlite_with_rowid=False,
)

round_figures = Table(
    "round_figures",
    metadata,
    Column(
        "round_id", String(32), ForeignKey("pulse_rounds.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("unit_id", String(64), primary_key=True),
    Column("dimension", String(64), primary_key=True),
    Column("respondents", Integer, nullable=False),
    Column("n", Integer, nullable=False),
    Column("total", Float, nullable=False),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(255), nullable=False, unique=True),
    Column("platform", String(16), nullable=False),
    Column("recipient", JSON, nullable=False),
    Column("card", JSON, nullable=False),
    Column("status", String(16), nullable=False, default="pending"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("not_before", UtcDateTime(), nullable=False),
    Column("claimed_until", UtcDateTime()),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("sent_at", UtcDateTime()),
    Column("last_error", Text),
    Index("ix_outbox_due", "status", "not_before"),
)

team_members = Table(
    "team_members",
    metadata,
    Column("team_id", String(64), primary_key=True),
    Column("platform", String(16), primary_key=True),
    Column("user_id", String(128), primary_key=True),
    Column("synced_at", UtcDateTime(), nullable=False),
)

scheduler_lease = Table(
    "scheduler_lease",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("holder", String(128), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
)

# Digests: frozen period figures of every team, department and the organisation. A suppressed
# group's row holds no count and no sums. A period is rolled up exactly once.

# Finding the rounds of recent periods without scanning every round ever held.
Index("ix_pulse_rounds_opens_at", pulse_rounds.c.opens_at)

digest_periods = Table(
    "digest_periods",
    metadata,
    Column("period", String(16), primary_key=True),
    Column("frozen_at", UtcDateTime(), nullable=False),
)

digest_groups = Table(
    "digest_groups",
    metadata,
    Column(
        "period",
        String(16),
        ForeignKey("digest_periods.period", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("group_id", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("name", String(200), nullable=False),
    Column("parent_id", String(64)),
    Column("min_group_size", Integer, nullable=False),
    Column("released", Boolean, nullable=False),
    Column("closed_at", UtcDateTime(), nullable=False),
    Column("round_id", String(32)),
    Column("members", Integer),
    Column("respondents", Integer),
    # Per dimension [n, total] of a released group; NULL for a suppressed one.
    Column("figures", JSON),
    Column("kudos", Integer),
    Column("breaks_prompted", Integer),
    Column("breaks_done", Integer),
    Column("breaks_skipped", Integer),
    Index("ix_digest_groups_group", "group_id", "period"),
    Index("ix_digest_groups_parent", "period", "parent_id"),
)
