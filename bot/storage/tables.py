"""The schema. Read the privacy notes before adding a column to the pulse tables.

- `pulse_responses` holds the answers of open rounds and nothing that identifies a person: a
  random id, the round, and the reporting unit and answers sealed together (every ciphertext of a
  round has one length). No user id, no timestamp, no sequence. On SQLite it is a WITHOUT ROWID
  table keyed by (round, random id), so a round's answers lie together in the order of their
  random ids rather than the order of arrival. Closing a round tallies and deletes its answers.
- `pulse_participation` says who took part in a round (for reminders and one answer per round).
  It shares no key with responses but the round, and is never joined to them. Every submission
  re-writes the round's rows in random order, so neither storage order nor a hidden column
  tells the order in which people answered.
- `round_figures` freezes each round's per-unit counts and sums when it closes.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    func,
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
    UniqueConstraint("team_id", "period_key", name="uq_pulse_rounds_team_period"),
    Index("ix_pulse_rounds_open", "closed_at", "closes_at"),
)

pulse_responses = Table(
    "pulse_responses",
    metadata,
    Column(
        "round_id", String(32), ForeignKey("pulse_rounds.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("id", String(32), primary_key=True),
    # The reporting unit and the answers, sealed (bot/storage/sealed.py); deleted at close.
    Column("sealed", Text, nullable=False),
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

# A card that many outbox rows carry (a break prompt goes to a whole team at once) is kept once,
# named by a hash of its JSON, and each row refers to it: a row holds `card` or `card_id`.
# `card_id` has no foreign key: on PostgreSQL its per-row check cost about a fifth of a busy
# break tick. Cards are written in the same transaction as, and before, the rows that refer to
# them, and are never deleted.
outbox_cards = Table(
    "outbox_cards",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("card", JSON, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(255), nullable=False, unique=True),
    Column("platform", String(16), nullable=False),
    Column("recipient", JSON, nullable=False),
    Column("card", JSON),
    Column("card_id", String(32)),
    Column("status", String(16), nullable=False, default="pending"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("not_before", UtcDateTime(), nullable=False),
    Column("claimed_until", UtcDateTime()),
    # A fresh token per claim: only the claim that holds the row may settle it.
    Column("claim", String(32)),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("sent_at", UtcDateTime()),
    Column("last_error", Text),
    # Set: useless after this moment, so dropped then. Outside the recipient's boundaries such a
    # row is dropped (a break prompt) unless `holds` (a pulse invitation: it waits, up to then).
    Column("drop_after", UtcDateTime()),
    Column("holds", Boolean, nullable=False, default=False, server_default=false()),
    Index("ix_outbox_due", "status", "not_before"),
    CheckConstraint("(card IS NULL) <> (card_id IS NULL)", name="one_card"),
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

# Recognition (kudos). A named kudos holds its `giver_id` and exact `created_at`; an anonymous
# one holds neither: `created_at` is the start of its hour, and `giver_tag` (a keyed hash of the
# kudos id and its giver, unique to the row) lets the giver withdraw it until the quota window
# has passed. See bot/domain/kudos.py.
kudos = Table(
    "kudos",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("team_id", String(64), nullable=False),
    Column("platform", String(16), nullable=False),
    Column("category", String(32), nullable=False),
    Column("message", Text, nullable=False),
    Column("anonymous", Boolean, nullable=False),
    Column("giver_id", String(128)),
    Column("giver_tag", String(64)),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("channel_id", String(128), nullable=False),
    Column("channel_ref", String(255)),
    Index("ix_kudos_team_created", "team_id", "created_at"),
    Index("ix_kudos_giver", "giver_id", "created_at"),
)

# The daily quota's memory of anonymous kudos: a keyed hash of the giver and the moment, no
# kudos id, deleted once the quota window has passed.
kudos_quota = Table(
    "kudos_quota",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("giver_hash", String(64), nullable=False),
    Column("given_at", UtcDateTime(), nullable=False),
    Index("ix_kudos_quota_giver", "giver_hash", "given_at"),
)

# Kudos just given, so that the same one is not given twice (a form submitted twice, a request
# replayed): keyed hashes of (giver, request id) and of (giver, recipients, message), unique to
# one kudos and shared with no other row, and the minute they lapse, minutes after the kudos.
kudos_dedupe = Table(
    "kudos_dedupe",
    metadata,
    Column("mark", String(64), primary_key=True),
    Column("expires_at", UtcDateTime(), nullable=False),
    Index("ix_kudos_dedupe_expires_at", "expires_at"),
)

kudos_recipients = Table(
    "kudos_recipients",
    metadata,
    Column("kudos_id", String(32), ForeignKey("kudos.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", String(128), primary_key=True),
    Column("position", Integer, nullable=False),
)

# People who asked not to be named in weekly recognition roundups.
kudos_name_optouts = Table(
    "kudos_name_optouts",
    metadata,
    Column("platform", String(16), primary_key=True),
    Column("user_id", String(128), primary_key=True),
    Column("since", UtcDateTime(), nullable=False),
)

# Microsoft Teams: where the bot can reach each Teams user and channel (roster data, never joined
# to pulse answers). `reference` is a serialized ConversationReference, saved when it changes;
# `updated_at` is the start of the (UTC) day a row last changed, never the moment of a turn.
teams_contacts = Table(
    "teams_contacts",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("reference", JSON),
    Column("teams_user_id", String(255)),
    Column("name", String(255)),
    Column("tenant_id", String(64)),
    Column("service_url", String(512)),
    Column("team_id", String(255)),
    Column("updated_at", UtcDateTime(), nullable=False),
)

# --- Break prompts and boundaries ------------------------------------------------------------
# `break_people` is identified data (one row per person: their settings and next planned
# moment) and is never joined to pulse tables. `break_uptake` holds Done/Skip totals per team
# and week only: no user id, no per-press time.

break_people = Table(
    "break_people",
    metadata,
    Column("platform", String(16), primary_key=True),
    Column("user_id", String(128), primary_key=True),
    Column("team_id", String(64), nullable=False),
    Column("timezone", String(64)),
    Column("tz_checked", Boolean, nullable=False, default=False),
    Column("enabled", Boolean),
    Column("times", JSON),
    Column("work", JSON),
    Column("paused_until", Date),
    Column("skip_date", Date),
    Column("calendar_url", Text),
    Column("calendar_warned", Boolean, nullable=False, default=False),
    Column("last_practice", Integer),
    # How far this person's practices step on each prompt (`person_stride`), kept so that a
    # tick can rotate everyone's practice in SQL.
    Column("practice_stride", SmallInteger, nullable=False),
    # Planned alone (a calendar feed, a plan too small to share): the next moment and its slot.
    Column("next_at", UtcDateTime()),
    Column("next_slot", String(40)),
    # Or following a shared plan (`break_plans`): then next_at is NULL, and last_practice is
    # the practice last sent as of the plan's `sent` count being plan_sent.
    Column("plan_id", String(32)),
    Column("plan_sent", Integer),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_break_people_next_at", "next_at"),
    Index("ix_break_people_plan", "plan_id"),
)

# One schedule for everyone who shares all that plans their breaks (a team on its defaults in
# one time zone is one plan): a tick moves the plan, not each of its followers. `id` is a hash
# of the settings copied beside it; `sent` counts the prompts it has made, so each follower's
# practice rotates on by their own stride without a write per follower.
break_plans = Table(
    "break_plans",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("platform", String(16), nullable=False),
    Column("team_id", String(64), nullable=False),
    Column("timezone", String(64)),
    Column("enabled", Boolean),
    Column("times", JSON),
    Column("work", JSON),
    Column("paused_until", Date),
    Column("skip_date", Date),
    Column("next_at", UtcDateTime()),
    Column("next_slot", String(40)),
    Column("sent", Integer, nullable=False, default=0),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_break_plans_next_at", "next_at"),
)

# A plan's prompt waiting to be fanned out to its followers' outbox rows. The outbox worker does
# that (one INSERT ... SELECT, keys unique per person and slot) before it claims what is due.
break_fanouts = Table(
    "break_fanouts",
    metadata,
    Column("plan_id", String(32), primary_key=True),
    Column("slot", String(40), primary_key=True),
    Column("sent", Integer, nullable=False),
    Column("platform", String(16), nullable=False),
    Column("team_id", String(64), nullable=False),
    Column("not_before", UtcDateTime(), nullable=False),
    Column("drop_after", UtcDateTime()),
    Column("week_start", UtcDateTime(), nullable=False),
    Column("week_end", UtcDateTime(), nullable=False),
    # The shared card id (`outbox_cards`) of every practice, by index.
    Column("cards", JSON, nullable=False),
)

break_uptake = Table(
    "break_uptake",
    metadata,
    Column("team_id", String(64), primary_key=True),
    Column("week_start", UtcDateTime(), primary_key=True),
    Column("week_end", UtcDateTime(), nullable=False),
    Column("prompted", Integer, nullable=False, default=0),
    Column("done", Integer, nullable=False, default=0),
    Column("skipped", Integer, nullable=False, default=0),
)

# Who was actually sent a break prompt in a team-week, as a keyed hash of the person only (the
# key is the server secret, which is not stored): one row per person however many prompts they
# got, so uptake can be withheld when too few people stand behind it. Rows go a few weeks after
# their week ends, once no digest can still be frozen from them.
break_people_prompted = Table(
    "break_people_prompted",
    metadata,
    Column("team_id", String(64), primary_key=True),
    Column("week_start", UtcDateTime(), primary_key=True),
    Column("mark", String(32), primary_key=True),
    Column("week_end", UtcDateTime(), nullable=False),
    Index("ix_break_people_prompted_week_end", "week_end"),
)

# Which break prompts have had their Done or Skip counted, so that a press counts once for a
# prompt really sent to the presser: a keyed hash of (person, slot) only (key derived from the
# server secret), no team, no outcome, no time but the day after which the prompt can no longer
# be pressed, when the row goes.
break_presses = Table(
    "break_presses",
    metadata,
    Column("mark", String(32), primary_key=True),
    Column("forget_after", UtcDateTime(), nullable=False),
    Index("ix_break_presses_forget_after", "forget_after"),
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
    # Set once the period's digests are in the outbox; NULL after a crash between the two.
    Column("queued_at", UtcDateTime()),
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
    # Per dimension the band of a group shown as bands only (its exact figures withheld).
    Column("bands", JSON),
    Index("ix_digest_groups_group", "group_id", "period"),
    Index("ix_digest_groups_parent", "period", "parent_id"),
)

# Who answered in each period's released groups, as keyed marks (HMAC of the person with a key
# derived from RESPITE_SECRET for this table alone), kept for the trend window only. For groups
# shown with exact figures, each person once, under the group whose region (its people less
# those of released groups below it) holds them; for groups shown as bands only (`banded`), all
# their people. Later periods are checked against these so that no subtraction or combination of
# weeks singles anyone out (bot/domain/disclosure.py). No answer, no time.
release_people = Table(
    "release_people",
    metadata,
    Column(
        "period",
        String(16),
        ForeignKey("digest_periods.period", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("group_id", String(64), primary_key=True),
    Column("mark", String(64), primary_key=True),
    Column("banded", Boolean, nullable=False, default=False, server_default=false()),
    sqlite_with_rowid=False,
)

# --- Data governance ----------------------------------------------------------------------------

# Who read which digest, and which admin command ran: appended to, never changed, removed only by
# the retention policy (and a forgotten reader's id is blanked). A reader is a lead, not a
# respondent, so the exact moment is kept; nothing about any answer is.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime(), nullable=False),
    # "slack:U012", "teams:<object id>", or "cli:<operating-system user>".
    Column("actor", String(160), nullable=False),
    # digest.read, digest.export, pulse.open, pulse.close, forget, ...
    Column("action", String(32), nullable=False),
    # The group read, the team acted on, or a count; never a respondent.
    Column("subject", String(200), nullable=False),
    # Where: chat, cli, html, csv.
    Column("via", String(16), nullable=False),
    Index("ix_audit_log_at", "at"),
)

# People no longer on the roster, and the (UTC) day they were first seen gone: the retention
# policy counts its "after leaving" periods from here. A row goes when they come back or are
# forgotten.
roster_departures = Table(
    "roster_departures",
    metadata,
    Column("platform", String(16), primary_key=True),
    Column("user_id", String(128), primary_key=True),
    Column("left_on", Date, nullable=False),
)

# When a person wants their pulse invitation: a weekday (Monday is 0) and minutes after local
# midnight. A setting, not survey data; `forget` erases it with the person.
pulse_times = Table(
    "pulse_times",
    metadata,
    Column("platform", String(16), primary_key=True),
    Column("user_id", String(128), primary_key=True),
    Column("weekday", SmallInteger, nullable=False),
    Column("minute", SmallInteger, nullable=False),
)

# Who a round invites at their own pulse time, and when: written once when the round opens, from
# the choices then, so a choice made or cleared later changes nothing in it. The pulse tick queues
# each invitation and reminder when its moment comes, for those who have not answered by then; an
# answer never touches these rows. Deleted when the round closes; `forget` erases a person's.
pulse_own_times = Table(
    "pulse_own_times",
    metadata,
    Column(
        "round_id", String(32), ForeignKey("pulse_rounds.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("platform", String(16), primary_key=True),
    Column("user_id", String(128), primary_key=True),
    Column("invite_at", UtcDateTime(), nullable=False),
    # None: their reminder would come at or after the close, so there is none.
    Column("remind_at", UtcDateTime()),
    sqlite_with_rowid=False,
)

# Each person's language: "chosen" with `/respite language`, or as the "platform" reported it.
person_locales = Table(
    "person_locales",
    metadata,
    Column("platform", String(16), primary_key=True),
    Column("user_id", String(128), primary_key=True),
    Column("locale", String(16), nullable=False),
    Column("source", String(8), nullable=False),
)

# Slack installations (one row a workspace or Enterprise Grid org that installed the app through
# OAuth) and the OAuth flow's one-use states. slack_sdk's SQLAlchemy stores read and write them;
# these mirror the stores' own table builders column for column (a test compares them), since
# storage does not import the Slack SDK.
_SLACK_INSTALL_COLUMNS = (
    ("client_id", String(32), False),
    ("app_id", String(32), False),
    ("enterprise_id", String(32), True),
    ("enterprise_name", String(200), True),
)


def _slack_bot_columns() -> list[Column[object]]:
    return [
        Column("team_id", String(32)),
        Column("team_name", String(200)),
        Column("bot_token", String(200)),
        Column("bot_id", String(32)),
        Column("bot_user_id", String(32)),
        Column("bot_scopes", String(1000)),
        Column("bot_refresh_token", String(200)),
        Column("bot_token_expires_at", DateTime),
    ]


slack_bots = Table(
    "slack_bots",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    *(Column(n, t, nullable=null) for n, t, null in _SLACK_INSTALL_COLUMNS),
    *_slack_bot_columns(),
    Column("is_enterprise_install", Boolean, default=False, nullable=False),
    Column("installed_at", DateTime, nullable=False, default=func.now()),
    Index("slack_bots_idx", "client_id", "enterprise_id", "team_id", "installed_at"),
)

slack_installations = Table(
    "slack_installations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    *(Column(n, t, nullable=null) for n, t, null in _SLACK_INSTALL_COLUMNS),
    Column("enterprise_url", String(200)),
    *_slack_bot_columns(),
    Column("user_id", String(32), nullable=False),
    Column("user_token", String(200)),
    Column("user_scopes", String(1000)),
    Column("user_refresh_token", String(200)),
    Column("user_token_expires_at", DateTime),
    Column("incoming_webhook_url", String(200)),
    Column("incoming_webhook_channel", String(200)),
    Column("incoming_webhook_channel_id", String(200)),
    Column("incoming_webhook_configuration_url", String(200)),
    Column("is_enterprise_install", Boolean, default=False, nullable=False),
    Column("token_type", String(32)),
    Column("installed_at", DateTime, nullable=False, default=func.now()),
    Index(
        "slack_installations_idx",
        "client_id",
        "enterprise_id",
        "team_id",
        "user_id",
        "installed_at",
    ),
)

slack_oauth_states = Table(
    "slack_oauth_states",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("state", String(200), nullable=False),
    Column("expire_at", DateTime, nullable=False),
)
