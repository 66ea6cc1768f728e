"""Erasing a person: every row keyed by them, and every keyed hash derived from their id.

`respite forget --platform slack --user U…` runs this, and so does the retention policy some time
after a person left the roster. One transaction, on both databases. What goes:

- their break settings (and with them their sealed calendar address), their marks of having been
  prompted (`break_people_prompted`) and of having pressed (`break_presses`, found through the
  slots of their prompts in the outbox);
- every outbox row addressed to them, or whose key or card names them (a kudos posted to a
  channel mentions its recipients), and the cards that name them;
- kudos they gave (named ones by id, anonymous ones by their withdrawal tag, which is computed
  for each anonymous kudos and compared), kudos whose only recipient they were or whose message
  names them; on kudos with other recipients only their own recipient row; their quota entries
  (the giver hash) and their name opt-out. Marks of kudos given in the last ten minutes
  (`kudos_dedupe`) cannot be tied to anyone without the request, so all of them go: a replay in
  those minutes is then not recognised, which costs a duplicate kudos at worst;
- Teams: their user contact, and their id inside the channel references saved from a turn of
  theirs; member-sync rows and their departure row;
- the audit log keeps what was read and when, with the reader shown as "forgotten"; a Slack
  installation they made keeps the bot's token, without their id or any token of theirs.

What stays, on purpose: the frozen figures (`digest_groups`, `break_uptake`), which hold no
person. And two tables where the person's presence protects their own answers: who took part in
rounds not yet frozen (`pulse_participation`) and the window's marks of who answered
(`release_people`). Removing them would let a lead subtract this person's answer out of two
weeks that now look alike (docs/privacy.md), so their id there is replaced by a random
pseudonym, one per erasure, and their marks by that pseudonym's mark: the counts and the
comparisons between weeks stay as they were, and nothing derived from their id is left.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, Text, cast, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.dml import Delete, Update
from sqlalchemy.sql.elements import ColumnElement

from bot.domain.kudos import GiverKey
from bot.domain.messages import Platform, Recipient
from bot.storage.digest import release_mark_key
from bot.storage.tables import (
    audit_log,
    break_people,
    break_people_prompted,
    break_presses,
    kudos,
    kudos_dedupe,
    kudos_name_optouts,
    kudos_quota,
    kudos_recipients,
    outbox,
    outbox_cards,
    person_locales,
    pulse_own_times,
    pulse_participation,
    pulse_rounds,
    pulse_times,
    release_people,
    roster_departures,
    slack_installations,
    team_members,
    teams_contacts,
)

FORGOTTEN = "forgotten"


class StillAnswering(Exception):
    """The person answered a round that is still open. Replaced by a stand-in there, they would
    be invited to answer again and counted twice (a week of four people released as five), so a
    forget waits until the round closes."""

    def __init__(self, closes_at: datetime) -> None:
        super().__init__(f"they answered a round that closes at {closes_at:%Y-%m-%d %H:%M} UTC")
        self.closes_at = closes_at


@dataclass(frozen=True, slots=True)
class PersonKeys:
    """Every keyed hash the stores derive from a person, with the keys they use (all derived
    from RESPITE_SECRET, as bot/app/compose.py wires them)."""

    secret: bytes

    def giver_hash(self, platform: Platform, user_id: str) -> str:
        return GiverKey(self.secret).hash(platform, user_id)

    def kudos_tag(self, kudos_id: str, platform: Platform, user_id: str) -> str:
        return GiverKey(self.secret).tag(kudos_id, platform, user_id)

    def prompted_mark(self, platform: Platform, user_id: str) -> str:
        message = f"break-prompted\0{platform.value}\0{user_id}".encode()
        return hmac.new(self.secret, message, "sha256").hexdigest()[:32]

    def press_mark(self, platform: Platform, user_id: str, slot: str) -> str:
        key = hmac.new(self.secret, b"break-presses", "sha256").digest()
        message = f"break-press\0{platform.value}\0{user_id}\0{slot}".encode()
        return hmac.new(key, message, "sha256").hexdigest()[:32]

    def release_mark(self, platform: Platform, user_id: str) -> str:
        message = f"{platform.value}\0{user_id}".encode()
        return hmac.new(release_mark_key(self.secret), message, hashlib.sha256).hexdigest()[:32]


def _names(ids: Sequence[str]) -> re.Pattern[str]:
    """Any of the ids as a whole word (U1 must not match U10)."""
    alternatives = "|".join(re.escape(i) for i in sorted(set(ids), key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z0-9_-])(?:{alternatives})(?![A-Za-z0-9_-])")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _scrub_reference(reference: Any, names: re.Pattern[str]) -> Any:
    """A channel's saved ConversationReference less the user whose turn saved it."""
    data = json.loads(reference) if isinstance(reference, str) else dict(reference or {})
    if names.search(_text(data.get("user"))):
        data.pop("user", None)
    return data


async def forget_person(
    sessions: async_sessionmaker[AsyncSession], keys: PersonKeys, platform: Platform, user_id: str
) -> dict[str, int]:
    """Erase one person; the number of rows removed (or rewritten) per table."""
    counts: dict[str, int] = {}

    def count(table: str, n: int) -> None:
        if n:
            counts[table] = counts.get(table, 0) + n

    async with sessions.begin() as s:
        closes = await s.scalar(
            select(pulse_rounds.c.closes_at)
            .join(pulse_participation, pulse_participation.c.round_id == pulse_rounds.c.id)
            .where(
                pulse_participation.c.platform == platform.value,
                pulse_participation.c.user_id == user_id,
                pulse_rounds.c.closed_at.is_(None),
            )
            .limit(1)
        )
        if closes is not None:
            raise StillAnswering(closes)
        ids = [user_id]
        # The address book may hold a second id of theirs (Teams' Bot Framework id, 29:…),
        # which is in references and may be in outbox rows; people it never saw have none.
        address_id = await s.scalar(
            select(teams_contacts.c.teams_user_id).where(
                teams_contacts.c.kind == "user", teams_contacts.c.key == user_id
            )
        )
        if address_id:
            ids.append(address_id)
        names = _names(ids)
        count("break_presses", await _presses(s, keys, platform, user_id))
        count("outbox", await _outbox(s, platform, ids, names, counts))

        async def apply(statement: Delete | Update) -> None:
            """Run a DELETE or UPDATE of one table and count the rows it took."""
            table = statement.table
            assert isinstance(table, Table)
            count(table.name, _n(await s.execute(statement)))

        await apply(
            delete(break_people).where(
                break_people.c.platform == platform.value, break_people.c.user_id == user_id
            )
        )
        mark = keys.prompted_mark(platform, user_id)
        await apply(delete(break_people_prompted).where(break_people_prompted.c.mark == mark))
        await _kudos(s, keys, platform, user_id, names, count)
        await _pseudonymise(s, keys, platform, user_id, count)
        for keyed in (
            team_members,
            roster_departures,
            pulse_times,
            pulse_own_times,
            person_locales,
        ):
            await apply(
                delete(keyed).where(keyed.c.platform == platform.value, keyed.c.user_id == user_id)
            )
        # Every platform's rows, whoever they came from: ids of one platform never match
        # another's rows, so nothing here asks which platform the person is on.
        await _teams_contacts(s, user_id, names, count)
        # The admin who installed Respite in a workspace: the installation stays (it holds
        # the bot's token), their id and any token of theirs do not.
        await apply(
            update(slack_installations)
            .where(slack_installations.c.user_id == user_id)
            .values(user_id=FORGOTTEN, user_token=None, user_refresh_token=None, user_scopes=None)
        )
        await apply(
            update(audit_log)
            .where(audit_log.c.actor == f"{platform.value}:{user_id}")
            .values(actor=FORGOTTEN)
        )
    return counts


def _n(result: Any) -> int:
    return int(result.rowcount or 0)


async def _presses(s: AsyncSession, keys: PersonKeys, platform: Platform, user_id: str) -> int:
    """Press marks of the prompts sent to them: their slots are in the outbox keys."""
    prefix = f"break:{Recipient(platform, user_id=user_id).key}:"
    slots = [
        key[len(prefix) :]
        for key in (
            await s.scalars(
                select(outbox.c.key).where(outbox.c.key.startswith(prefix, autoescape=True))
            )
        ).all()
    ]
    if not slots:
        return 0
    marks = [keys.press_mark(platform, user_id, slot) for slot in slots]
    return _n(await s.execute(delete(break_presses).where(break_presses.c.mark.in_(marks))))


def _mentions(column: Any, ids: Sequence[str]) -> ColumnElement[bool]:
    """Rows whose column, as text, holds one of the ids: the few a whole-word match then checks,
    so an erasure reads the rows that may name the person, not the whole table."""
    as_text = cast(column, Text)
    return or_(*(as_text.contains(i, autoescape=True) for i in ids))


async def _outbox(
    s: AsyncSession,
    platform: Platform,
    ids: Sequence[str],
    names: re.Pattern[str],
    counts: dict[str, int],
) -> int:
    cards = [
        card_id
        for card_id, card in (
            await s.execute(
                select(outbox_cards.c.id, outbox_cards.c.card).where(
                    _mentions(outbox_cards.c.card, ids)
                )
            )
        ).all()
        if names.search(_text(card))
    ]
    rows = [
        row_id
        for row_id, key, recipient, card, card_id in (
            await s.execute(
                select(
                    outbox.c.id, outbox.c.key, outbox.c.recipient, outbox.c.card, outbox.c.card_id
                ).where(
                    outbox.c.platform == platform.value,
                    or_(
                        _mentions(outbox.c.key, ids),
                        _mentions(outbox.c.recipient, ids),
                        _mentions(outbox.c.card, ids),
                        outbox.c.card_id.in_(cards),
                    ),
                )
            )
        ).all()
        if card_id in cards or names.search(f"{key} {_text(recipient)} {_text(card)}")
    ]
    removed = 0
    for start in range(0, len(rows), 500):
        removed += _n(
            await s.execute(delete(outbox).where(outbox.c.id.in_(rows[start : start + 500])))
        )
    if cards:
        # Rows of another platform cannot share a card naming this person's id, but be sure.
        removed += _n(await s.execute(delete(outbox).where(outbox.c.card_id.in_(cards))))
        gone = _n(await s.execute(delete(outbox_cards).where(outbox_cards.c.id.in_(cards))))
        counts["outbox_cards"] = gone
    return removed


async def _kudos(
    s: AsyncSession,
    keys: PersonKeys,
    platform: Platform,
    user_id: str,
    names: re.Pattern[str],
    count: Any,
) -> None:
    on = kudos.c.platform == platform.value
    doomed: set[str] = set(
        (await s.scalars(select(kudos.c.id).where(on, kudos.c.giver_id == user_id))).all()
    )
    for kudos_id, tag in (
        await s.execute(
            select(kudos.c.id, kudos.c.giver_tag).where(on, kudos.c.giver_tag.is_not(None))
        )
    ).all():
        if hmac.compare_digest(tag, keys.kudos_tag(kudos_id, platform, user_id)):
            doomed.add(kudos_id)
    named = select(kudos.c.id, kudos.c.message).where(on, _mentions(kudos.c.message, [user_id]))
    for kudos_id, message in (await s.execute(named)).all():
        if names.search(message):
            doomed.add(kudos_id)
    received = select(kudos_recipients.c.kudos_id).where(
        kudos_recipients.c.user_id == user_id,
        kudos_recipients.c.kudos_id.in_(select(kudos.c.id).where(on)),
    )
    mine = set((await s.scalars(received)).all())
    count(
        "kudos_recipients",
        _n(
            await s.execute(
                delete(kudos_recipients).where(
                    kudos_recipients.c.user_id == user_id, kudos_recipients.c.kudos_id.in_(mine)
                )
            )
        ),
    )
    # Kudos they alone received go whole; the others keep their other recipients.
    still = select(kudos_recipients.c.kudos_id).group_by(kudos_recipients.c.kudos_id)
    kept = set((await s.scalars(still.where(kudos_recipients.c.kudos_id.in_(mine)))).all())
    doomed |= mine - kept
    if doomed:
        gone = sorted(doomed)
        count(
            "kudos_recipients",
            _n(
                await s.execute(
                    delete(kudos_recipients).where(kudos_recipients.c.kudos_id.in_(gone))
                )
            ),
        )
        count("kudos", _n(await s.execute(delete(kudos).where(kudos.c.id.in_(gone)))))
    giver_hash = keys.giver_hash(platform, user_id)
    count(
        "kudos_quota",
        _n(await s.execute(delete(kudos_quota).where(kudos_quota.c.giver_hash == giver_hash))),
    )
    count("kudos_dedupe", _n(await s.execute(delete(kudos_dedupe))))
    count(
        "kudos_name_optouts",
        _n(
            await s.execute(
                delete(kudos_name_optouts).where(
                    kudos_name_optouts.c.platform == platform.value,
                    kudos_name_optouts.c.user_id == user_id,
                )
            )
        ),
    )


def stand_in_id(platform: Platform, replaced: str) -> str:
    """A random id shaped like the one it replaces (an Enterprise Grid "W..." among "W..."s), so
    the stand-in's rows look like anyone's."""
    return platform.traits.stand_in_id(replaced)


async def _pseudonymise(
    s: AsyncSession, keys: PersonKeys, platform: Platform, user_id: str, count: Any
) -> None:
    """Replace them by a random stand-in where their presence protects their answers, then
    write every row of the rounds and periods touched again, in random order: the stand-in's rows
    then carry the same transaction, and lie in the same shuffled order, as everyone else's."""
    stand_in = stand_in_id(platform, user_id)
    person = (
        pulse_participation.c.platform == platform.value,
        pulse_participation.c.user_id == user_id,
    )
    rounds = list(
        (await s.execute(select(pulse_participation.c.round_id).where(*person))).scalars()
    )
    count(
        "pulse_participation",
        _n(await s.execute(update(pulse_participation).where(*person).values(user_id=stand_in))),
    )
    if rounds:
        await _rewrite_shuffled(s, pulse_participation, pulse_participation.c.round_id.in_(rounds))
    mark = keys.release_mark(platform, user_id)
    periods = list(
        (
            await s.execute(
                select(release_people.c.period).where(release_people.c.mark == mark).distinct()
            )
        ).scalars()
    )
    count(
        "release_people",
        _n(
            await s.execute(
                update(release_people)
                .where(release_people.c.mark == mark)
                .values(mark=keys.release_mark(platform, stand_in))
            )
        ),
    )
    if periods:
        await _rewrite_shuffled(s, release_people, release_people.c.period.in_(periods))


async def _rewrite_shuffled(s: AsyncSession, table: Table, where: ColumnElement[bool]) -> None:
    rows = [dict(row) for row in (await s.execute(select(table).where(where))).mappings()]
    secrets.SystemRandom().shuffle(rows)
    await s.execute(delete(table).where(where))
    if rows:
        await s.execute(insert(table), rows)


async def _teams_contacts(
    s: AsyncSession, user_id: str, names: re.Pattern[str], count: Any
) -> None:
    own = (teams_contacts.c.kind == "user", teams_contacts.c.key == user_id)
    count("teams_contacts", _n(await s.execute(delete(teams_contacts).where(*own))))
    rows = (
        await s.execute(
            select(teams_contacts.c.kind, teams_contacts.c.key, teams_contacts.c.reference)
        )
    ).all()
    for kind, key, reference in rows:
        if reference is None or not names.search(_text(reference)):
            continue
        scrubbed = _scrub_reference(reference, names)
        if names.search(_text(scrubbed)):
            # Named elsewhere than as the turn's user: the contact is saved again at its next turn.
            await s.execute(
                delete(teams_contacts).where(
                    teams_contacts.c.kind == kind, teams_contacts.c.key == key
                )
            )
        else:
            await s.execute(
                update(teams_contacts)
                .where(teams_contacts.c.kind == kind, teams_contacts.c.key == key)
                .values(reference=scrubbed)
            )
        count("teams_contacts", 1)
