"""Kudos that cannot be joined to their giver: no giver hash on named kudos, coarse times.

Existing rows are brought to what new code writes (bot/domain/kudos.py):
- Named kudos lose their giver hash; the quota counts them by giver id.
- An anonymous kudos' hash still inside the quota window becomes an entry of the quota ledger
  (the same keyed hash, the kudos' moment, no kudos id), so the daily limit holds across the
  upgrade; every stored hash is then erased. A withdrawal tag needs the server secret, which a
  migration does not hold, so anonymous kudos given before the upgrade can no longer be
  withdrawn by their giver (recipients and leads still can).
- Anonymous kudos' times go to the start of their hour (UTC). Live code also keeps a kudos in its
  roundup week, which needs the team's time zone from the roster; a migration has no roster, so
  a kudos given in the first hour after a Friday 16:00 roundup, in a zone whose offset is not a
  whole hour, may fall into the roundup already posted.
- Teams contacts' times go to the start of their day (UTC).

Downgrade restores the old columns but not what was erased: anonymous kudos keep no hash (their
tags are not giver hashes), so for up to a day the old quota counts fewer kudos than were given.

Revision ID: 0013_kudos_unlinkable
Revises: 0012_release_memory
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

from bot.storage.types import UtcDateTime

revision: str = "0013_kudos_unlinkable"
down_revision: str | None = "0012_release_memory"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUOTA_WINDOW = timedelta(hours=24)

_kudos = sa.table(
    "kudos",
    sa.column("id", sa.String()),
    sa.column("anonymous", sa.Boolean()),
    sa.column("giver_hash", sa.String()),
    sa.column("created_at", UtcDateTime()),
)
_quota = sa.table(
    "kudos_quota",
    sa.column("id", sa.String()),
    sa.column("giver_hash", sa.String()),
    sa.column("given_at", UtcDateTime()),
)
_contacts = sa.table(
    "teams_contacts",
    sa.column("kind", sa.String()),
    sa.column("key", sa.String()),
    sa.column("updated_at", UtcDateTime()),
)


def _hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _day(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def upgrade() -> None:
    op.create_table(
        "kudos_quota",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("giver_hash", sa.String(length=64), nullable=False),
        sa.Column("given_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kudos_quota")),
    )
    with op.batch_alter_table("kudos_quota", schema=None) as batch_op:
        batch_op.create_index("ix_kudos_quota_giver", ["giver_hash", "given_at"], unique=False)
    _move_hashes_to_the_ledger()
    _coarsen_anonymous_kudos()
    _coarsen_contacts()
    with op.batch_alter_table("kudos", schema=None) as batch_op:
        batch_op.drop_index("ix_kudos_giver_hash")
    _rename_column("giver_hash", "giver_tag")
    with op.batch_alter_table("kudos", schema=None) as batch_op:
        batch_op.create_index("ix_kudos_giver", ["giver_id", "created_at"], unique=False)


def _rename_column(old: str, new: str) -> None:
    """Rename in place on both databases: a batch copy of `kudos` on SQLite would drop the table,
    and with foreign keys on, dropping it deletes every kudos' recipients."""
    op.execute(f"ALTER TABLE kudos RENAME COLUMN {old} TO {new}")


def _move_hashes_to_the_ledger() -> None:
    """Anonymous kudos still counted by the quota become ledger entries; every hash goes."""
    bind = op.get_bind()
    since = datetime.now(UTC) - QUOTA_WINDOW
    counted = bind.execute(
        sa.select(_kudos.c.giver_hash, _kudos.c.created_at)
        .where(_kudos.c.anonymous.is_(True))
        .where(_kudos.c.giver_hash.is_not(None))
        .where(_kudos.c.created_at > since)
    ).all()
    if counted:
        bind.execute(
            sa.insert(_quota),
            [{"id": secrets.token_hex(16), "giver_hash": h, "given_at": at} for h, at in counted],
        )
    bind.execute(sa.update(_kudos).values(giver_hash=None))


def _coarsen_anonymous_kudos() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(_kudos.c.id, _kudos.c.created_at).where(_kudos.c.anonymous.is_(True))
    ).all()
    for kudos_id, created_at in rows:
        if created_at != _hour(created_at):
            bind.execute(
                sa.update(_kudos)
                .where(_kudos.c.id == kudos_id)
                .values(created_at=_hour(created_at))
            )


def _coarsen_contacts() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(_contacts.c.kind, _contacts.c.key, _contacts.c.updated_at)).all()
    for kind, key, updated_at in rows:
        if updated_at != _day(updated_at):
            bind.execute(
                sa.update(_contacts)
                .where(_contacts.c.kind == kind, _contacts.c.key == key)
                .values(updated_at=_day(updated_at))
            )


def downgrade() -> None:
    with op.batch_alter_table("kudos", schema=None) as batch_op:
        batch_op.drop_index("ix_kudos_giver")
    _rename_column("giver_tag", "giver_hash")
    with op.batch_alter_table("kudos", schema=None) as batch_op:
        batch_op.create_index("ix_kudos_giver_hash", ["giver_hash", "created_at"], unique=False)
    op.get_bind().execute(sa.update(_kudos).values(giver_hash=None))
    with op.batch_alter_table("kudos_quota", schema=None) as batch_op:
        batch_op.drop_index("ix_kudos_quota_giver")
    op.drop_table("kudos_quota")
