"""Recognition between colleagues: what a kudos is, what it may say, who may give or withdraw it.

Kudos name the emotional work of clinical practice (holding a hard session, covering for a
colleague), not output. The rules here are pure so every platform refuses the same things for the
same reasons: no self-kudos, recipients from the giver's own team, a message of 1 to 500
characters, and a daily quota per giver.

Anonymous kudos must not be traceable to their giver by someone who holds the database, its
backups and the logs but not the server secret. The moment a kudos is posted is public (the
channel shows it, and its recipients' notes carry it), so the defence is that nothing naming the
giver shares a value with an anonymous kudos:
- An anonymous kudos stores no giver id and no giver hash. Its only trace of the giver is a
  withdrawal tag, a keyed hash of (kudos id, giver) that no other row can share, erased once the
  quota window has passed, so the giver can take it back for a day.
- The quota counts named kudos by their stored giver id, and anonymous ones in a separate ledger
  of (keyed giver hash, moment) rows that name no kudos and are deleted once the quota window has
  passed. Named kudos carry no hash, so no hash joins a named kudos, and with it its giver, to an
  anonymous one.
- An anonymous kudos is stored at the start of its hour (never before the start of its roundup
  week), not at its moment, and rows about reaching a person keep only the day they last changed,
  so no exact time stored beside the giver's name matches one stored beside the kudos.
What stays, by design: the post's own reference (`channel_ref`, on Slack its timestamp) and the
recipients' outbox rows hold the public moment and name no giver; within the quota window the
ledger shows that some anonymous entries share a giver, not who; and a person's very first turn
with the bot must store how to reach them, so successive backups show that row appear.

A kudos is given once however often it is submitted: a double-clicked form, a replayed request, a
delivery the platform retries. Each kudos leaves, for ONCE_WINDOW, keyed marks of (giver, the
request's own id) and of (giver, recipients, category, visibility, message) (`once_marks`),
unique to it and shared with no other row, and a submission whose mark is still there gives
nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.messages import Platform
from bot.domain.team import Team
from bot.infra.i18n import N_, _, format_number, ngettext

MESSAGE_MAX = 500
MAX_RECIPIENTS = 10
DEFAULT_DAILY_LIMIT = 5
QUOTA_WINDOW = timedelta(hours=24)
# An anonymous kudos is stored at most this long before its moment (see `stored_time`).
STORED_GRAIN = timedelta(hours=1)
# How long a kudos' marks refuse the same kudos again: longer than Slack's five minutes in which
# a signed request can be replayed, short enough that a deliberate second kudos is rarely held up.
ONCE_WINDOW = timedelta(minutes=10)

# The weekly roundup is posted on Fridays at 16:00 in the team's time zone and covers the week
# since the previous roundup, so every kudos is counted exactly once.
ROUNDUP_WEEKDAY = 4  # Friday
ROUNDUP_HOUR = 16


@dataclass(frozen=True, slots=True)
class Category:
    """A kind of recognition: `key` is stored and typed (English in every language), `label` is
    the English text, translated where it is shown (`name`)."""

    key: str
    label: str
    emoji: str

    @property
    def name(self) -> str:
        """The label in the current language."""
        return _(self.label)


CATEGORIES: tuple[Category, ...] = (
    Category("hard-session", N_("held a hard session"), "🫶"),
    Category("cover", N_("covered for a colleague"), "🤝"),
    Category("consult", N_("great consultation"), "💡"),
    Category("support", N_("supported me"), "🌱"),
    Category("self-care", N_("modelled good self-care"), "🌿"),
    Category("other", N_("other"), "✨"),
)
CATEGORY_BY_KEY = {c.key: c for c in CATEGORIES}
DEFAULT_CATEGORY = "other"
# `anon` in the languages Respite ships, so a German or Spanish giver may type their own word.
ANONYMOUS_WORDS = frozenset(
    {"anon", "anonymous", "anonymously", "anonym", "anónimo", "anónima", "anonimo", "anonima"}
)


def category(key: str) -> Category:
    return CATEGORY_BY_KEY.get(key, CATEGORY_BY_KEY[DEFAULT_CATEGORY])


# Bidirectional overrides and isolates can make text read differently from what it contains.
_BIDI = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


def clean_message(text: str) -> str:
    """Neutral clean-up before any platform escaping: no control characters, no bidi tricks.

    Newlines and tabs stay; NUL and other C0/C1 controls go (PostgreSQL refuses NUL in text, and
    controls have no business in a message to a colleague). Platform escaping happens later, in
    each renderer.
    """
    kept = "".join(
        ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs")
    )
    return kept.translate(_BIDI).strip()


@dataclass(frozen=True, slots=True)
class Kudos:
    """One recognition; `giver_id` is None when anonymous.

    `giver_tag` is set only on an anonymous kudos, until the quota window has passed: the keyed
    hash that lets its giver withdraw it. `created_at` of an anonymous kudos is its stored,
    coarse time (`stored_time`).
    """

    id: str
    team_id: str
    platform: Platform
    recipients: tuple[str, ...]
    category: str
    message: str
    anonymous: bool
    giver_id: str | None
    giver_tag: str | None
    created_at: datetime
    channel_id: str
    channel_ref: str | None = None


@dataclass(frozen=True, slots=True)
class Draft:
    """What a giver asked for, before the rules are applied."""

    recipients: tuple[str, ...]
    category: str
    message: str
    anonymous: bool


_WORD = re.compile(r"\S+")


def parse_command_text(args: str, mentions: Sequence[str]) -> Draft:
    """`[anon] [category] message`, with recipients already resolved from mentions.

    The category is an exact key (`hard-session`, `cover`, `consult`, `support`, `self-care`,
    `other`) so that ordinary first words of a message are not taken for one.
    """
    rest = args.strip()
    anonymous = False
    chosen: str | None = None
    for _word in range(2):
        match = _WORD.match(rest)
        if not match:
            break
        word = match.group(0).lower().strip("[]")
        if word in ANONYMOUS_WORDS and not anonymous:
            anonymous = True
        elif word in CATEGORY_BY_KEY and chosen is None:
            chosen = word
        else:
            break
        rest = rest[match.end() :].lstrip()
    return Draft(
        tuple(dict.fromkeys(mentions)), chosen or DEFAULT_CATEGORY, clean_message(rest), anonymous
    )


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a kudos cannot be sent, with the form field it concerns (for keeping a form open)."""

    field: str
    reason: str


def check_draft(giver_id: str, team: Team, draft: Draft) -> list[Refusal]:
    """Every rule a draft breaks, each with the reason shown to the giver, in the current
    language (the giver's: the router sets it around every command and form)."""
    refusals: list[Refusal] = []
    if not draft.recipients:
        refusals.append(
            Refusal("recipients", _("Mention at least one colleague to recognise, e.g. @Sam."))
        )
    if giver_id in draft.recipients:
        refusals.append(
            Refusal(
                "recipients",
                _(
                    "Kudos are for colleagues, so you can't send one to yourself. "
                    "What you carried still counts."
                ),
            )
        )
    outsiders = [
        u for u in draft.recipients if u != giver_id and not team.is_member(team.platform, u)
    ]
    if outsiders:
        refusals.append(
            Refusal(
                "recipients",
                ngettext(
                    "Kudos go to people on your own team ({team}); "
                    "{count} of the people you chose is not on it.",
                    "Kudos go to people on your own team ({team}); "
                    "{count} of the people you chose are not on it.",
                    len(outsiders),
                ).format(team=team.name, count=format_number(len(outsiders))),
            )
        )
    if len(draft.recipients) > MAX_RECIPIENTS:
        refusals.append(
            Refusal(
                "recipients",
                _("Recognise at most {count} people in one kudos.").format(
                    count=format_number(MAX_RECIPIENTS)
                ),
            )
        )
    if draft.category not in CATEGORY_BY_KEY:
        refusals.append(Refusal("category", _("Choose one of the categories.")))
    if not draft.message:
        refusals.append(Refusal("message", _("Add a few words saying what you noticed.")))
    elif len(draft.message) > MESSAGE_MAX:
        refusals.append(
            Refusal(
                "message",
                _("Keep the message to {limit} characters; this one has {length}.").format(
                    limit=format_number(MESSAGE_MAX), length=format_number(len(draft.message))
                ),
            )
        )
    return refusals


class GiverKey:
    """Keyed hashes of givers, so the quota can count and a giver withdraw without a stored name."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the server secret must be at least 16 bytes")
        self._secret = secret

    def _mac(self, *parts: str) -> str:
        return hmac.new(self._secret, "\x00".join(parts).encode(), hashlib.sha256).hexdigest()

    def hash(self, platform: Platform, user_id: str) -> str:
        """The same for every kudos of one giver: only the quota ledger stores it."""
        return self._mac("kudos-giver", platform.value, user_id)

    def tag(self, kudos_id: str, platform: Platform, user_id: str) -> str:
        """Different for every kudos, so no other row can hold the same value."""
        return self._mac("kudos-withdraw", kudos_id, platform.value, user_id)

    def once(self, *parts: str) -> str:
        """A mark of one kudos being given (see `once_marks`)."""
        return self._mac("kudos-once", *parts)

    def tag_matches(
        self, stored: str | None, kudos_id: str, platform: Platform, user_id: str
    ) -> bool:
        return stored is not None and hmac.compare_digest(
            stored, self.tag(kudos_id, platform, user_id)
        )


@dataclass(frozen=True, slots=True)
class Giver:
    """Who is giving, as the quota needs to know them: held in memory for one send, never stored
    beside an anonymous kudos."""

    user_id: str
    hash: str


def giver(key: GiverKey, platform: Platform, user_id: str) -> Giver:
    return Giver(user_id, key.hash(platform, user_id))


def once_marks(
    key: GiverKey,
    platform: Platform,
    user_id: str,
    recipients: Sequence[str],
    category: str,
    message: str,
    anonymous: bool,
    request_id: str = "",
) -> tuple[str, ...]:
    """The marks a kudos leaves so that the same one is not given twice within ONCE_WINDOW: one
    of its giver and its content (recipients in any order), and one of its giver and the
    platform's id of the request (a Slack trigger or view id), when there is one."""
    people = "\x00".join(sorted(set(recipients)))
    visibility = "anonymous" if anonymous else "named"
    marks = [key.once("content", platform.value, user_id, people, category, visibility, message)]
    if request_id:
        marks.append(key.once("request", platform.value, user_id, request_id))
    return tuple(marks)


def may_withdraw(
    kudos: Kudos, team: Team | None, platform: Platform, user_id: str, key: GiverKey
) -> bool:
    """The giver (an anonymous one while the withdrawal tag lasts), a recipient, or the team's
    leads.

    Leads are the moderators of their team's recognition channel; there is no separate admin list.
    """
    if platform != kudos.platform:
        return False
    if kudos.giver_id is not None and kudos.giver_id == user_id:
        return True
    if kudos.anonymous and key.tag_matches(kudos.giver_tag, kudos.id, platform, user_id):
        return True
    if user_id in kudos.recipients:
        return True
    return team is not None and team.id == kudos.team_id and team.is_lead(platform, user_id)


@dataclass(frozen=True, slots=True)
class QuotaRefusal:
    given: int
    next_allowed: datetime


@dataclass(frozen=True, slots=True)
class AlreadyGiven:
    """The same kudos was given moments ago (a repeated submission): nothing was stored."""


@dataclass(frozen=True, slots=True)
class RoundupWindow:
    key: str
    start: datetime
    end: datetime


def roundup_window(team: Team, now: datetime) -> RoundupWindow:
    """The latest roundup due at or before `now`, in the team's time zone (Friday 16:00)."""
    tz = ZoneInfo(team.timezone)
    local = now.astimezone(tz)
    days_back = (local.weekday() - ROUNDUP_WEEKDAY) % 7
    slot_date = (local - timedelta(days=days_back)).date()
    slot = datetime(slot_date.year, slot_date.month, slot_date.day, ROUNDUP_HOUR, tzinfo=tz)
    if slot > local:
        slot_date = slot_date - timedelta(days=7)
        slot = datetime(slot_date.year, slot_date.month, slot_date.day, ROUNDUP_HOUR, tzinfo=tz)
    previous_date = slot_date - timedelta(days=7)
    previous = datetime(
        previous_date.year, previous_date.month, previous_date.day, ROUNDUP_HOUR, tzinfo=tz
    )
    year, week, _weekday = slot_date.isocalendar()
    return RoundupWindow(
        f"{year}-W{week:02d}", previous.astimezone(now.tzinfo), slot.astimezone(now.tzinfo)
    )


def stored_time(team: Team, now: datetime) -> datetime:
    """The time an anonymous kudos is stored with: the start of its hour, but never before the
    start of its roundup week.

    An hour keeps the kudos in its roundup week (the clamp) and in its digest week (ISO weeks in
    UTC start on an hour), and lets the withdrawal tag be erased within an hour of the quota
    window's end. It drops the minutes and seconds that could match a time stored elsewhere.
    """
    hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return max(hour, roundup_window(team, now).end)


@dataclass(frozen=True, slots=True)
class Roundup:
    team_id: str
    window: RoundupWindow
    total: int
    by_category: tuple[tuple[Category, int], ...]
    named: tuple[str, ...]
    unnamed: int


def build_roundup(
    team: Team, window: RoundupWindow, kudos: Sequence[Kudos], opted_out: set[str]
) -> Roundup:
    counts = {c.key: 0 for c in CATEGORIES}
    recognised: dict[str, None] = {}
    for k in kudos:
        counts[category(k.category).key] += 1
        for user in k.recipients:
            recognised.setdefault(user)
    named = tuple(sorted(u for u in recognised if u not in opted_out))
    return Roundup(
        team_id=team.id,
        window=window,
        total=len(kudos),
        by_category=tuple((c, counts[c.key]) for c in CATEGORIES if counts[c.key]),
        named=named,
        unnamed=len(recognised) - len(named),
    )
