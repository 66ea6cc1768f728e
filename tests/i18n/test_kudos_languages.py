"""Kudos in a team whose people read different languages, through the real Slack and Teams paths.

What only one person reads speaks that person's language: the giver's confirmation and refusals,
each recipient's private note. What the channel shows speaks the team's language: the post and
the weekly roundup. So an anonymous kudos from a German giver in an English team is posted in
English, word for word as an English giver's would be, and tells the channel nothing about who
gave it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.tables import metadata
from scheduler import kudos
from tests.support.msteams_driver import aad, personal_conversation, teams_user_id
from tests.support.msteams_harness import TeamsHarness
from tests.support.msteams_kudos import (
    body_texts,
    card_of,
    channel_posts,
    install,
    kudos_rows,
    kudos_teams,
    with_mentions,
)
from tests.support.roster import CLINICIANS, roster_data
from tests.support.slack_harness import SlackHarness
from tests.support.slack_kudos import KUDOS_CHANNEL, open_form, slash, texts
from tests.support.slack_kudos import channel_posts as slack_posts

__all__ = ["kudos_teams"]

DE, ES, EN, EN2 = CLINICIANS[:4]
FRIDAY_1600 = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)


@pytest.fixture
def harness_roster(request: pytest.FixtureRequest) -> dict[str, Any]:
    """An English team with a recognition channel, or (parametrized) a team of another language
    whose daily limit is one kudos."""
    language = getattr(request, "param", None)
    extra: dict[str, Any] = {"language": language, "kudos_daily_limit": 1} if language else {}
    return roster_data(kudos_channel=KUDOS_CHANNEL, **extra)


def _dms(h: SlackHarness, user: str) -> list[str]:
    return [
        texts(c.params["blocks"])
        for c in h.fake.called("chat.postMessage")
        if c.params["channel"] == user
    ]


async def _choose(h: SlackHarness, user: str, language: str) -> None:
    await slash(h, f"language {language}", user, command="/respite")


async def test_slack_confirmations_refusals_and_notes_speak_each_persons_language(
    slack_app: SlackHarness,
) -> None:
    h = slack_app
    await _choose(h, DE, "de")
    await _choose(h, ES, "es")

    form = str(await open_form(h, DE))
    assert "Jemanden würdigen" in form and "Nein, anonym bleiben" in form
    assert "Ist für jemanden eingesprungen" in form and "Senden" in form
    assert "¿A quién desea reconocer?" in str(await open_form(h, ES))

    sent = await slash(h, f"<@{ES}> cover Danke, dass Sie meine Gruppe übernommen haben.", DE)
    assert "Anerkennung gesendet" in texts(sent["blocks"])
    assert f"Ihre Anerkennung für <@{ES}> ist veröffentlicht." in texts(sent["blocks"])
    sent = await slash(h, f"<@{DE}> support Gracias por escucharme el martes.", ES)
    assert "Reconocimiento enviado" in texts(sent["blocks"])
    assert f"Su reconocimiento a <@{DE}> está publicado." in texts(sent["blocks"])

    # The channel reads the team's English whoever gave.
    posts = [texts(c.params["blocks"]) for c in slack_posts(h)]
    assert f"<@{DE}> recognised <@{ES}>: covered for a colleague" in posts[0]
    assert f"<@{ES}> recognised <@{DE}>: supported me" in posts[1]

    # Each recipient's private note is in their own language.
    await h.deliver()
    [to_es] = _dms(h, ES)
    assert "Ha recibido un reconocimiento" in to_es
    assert f"<@{DE}> le reconoce: cubrió a un/a colega" in to_es
    [to_de] = _dms(h, DE)
    assert "Sie wurden gewürdigt" in to_de and f"<@{ES}> würdigt Sie: hat mich unterstützt" in to_de

    # Refusals, in the giver's language.
    refused = texts((await slash(h, f"<@{DE}> other Für mich selbst.", DE))["blocks"])
    assert "Anerkennung nicht gesendet" in refused
    assert "daher können Sie sich selbst keine senden" in refused
    refused = texts((await slash(h, f"<@{ES}> other " + "x" * 501, ES))["blocks"])
    assert "Reconocimiento no enviado" in refused
    assert "como máximo 500 caracteres; este tiene 501." in refused
    usage = texts((await slash(h, "help", ES))["blocks"])
    assert "cover (cubrió a un/a colega)" in usage


async def test_slack_anonymous_kudos_from_a_german_giver_is_posted_in_english(
    slack_app: SlackHarness,
) -> None:
    h = slack_app
    await _choose(h, DE, "de")
    words = "Thank you for staying late with me."
    sent = await slash(h, f"<@{EN2}> anon support {words}", DE)
    assert "Anonyme Anerkennungen speichern nicht, wer sie gegeben hat" in texts(sent["blocks"])
    await slash(h, f"<@{EN2}> anon support {words}", EN)
    german, english = slack_posts(h)
    # Word for word and block for block the same post, so its size says nothing either.
    assert german.params["blocks"] == english.params["blocks"]
    assert german.params["text"] == english.params["text"]
    assert f"A colleague recognised <@{EN2}>: supported me" in texts(german.params["blocks"])
    assert "Jemand" not in str(german.params)


@pytest.mark.parametrize("harness_roster", ["de"], indirect=True)
async def test_slack_roundup_and_posts_of_a_german_team_are_german(
    slack_app: SlackHarness,
) -> None:
    h = slack_app
    await _choose(h, ES, "es")
    await slash(h, f"<@{EN2}> cover Thanks for taking my 4pm.", EN)
    await slash(h, f"<@{EN}> anon consult Muchas gracias.", ES)
    # The daily limit is 1: a second kudos is refused, with the weekday in Spanish.
    over = texts((await slash(h, f"<@{EN}> other Otra vez.", ES))["blocks"])
    assert "Ha dado 1 reconocimiento en las últimas 24 horas" in over
    assert "a partir del martes 09:00" in over

    first, second = (texts(c.params["blocks"]) for c in slack_posts(h))
    assert f"<@{EN}> würdigt <@{EN2}>: ist für jemanden eingesprungen" in first
    assert f"Jemand aus dem Team würdigt <@{EN}>: hilfreiche Fallberatung" in second

    h.clock.set(FRIDAY_1600 + timedelta(minutes=3))
    await kudos.tick(h.respite.deps)
    await h.deliver()
    roundup = texts(slack_posts(h)[-1].params["blocks"])
    assert "Anerkennung dieser Woche" in roundup
    assert "2 Anerkennungen zwischen Fr. 27 Nov. und Fr. 04 Dez." in roundup
    assert "💡 hilfreiche Fallberatung: 1" in roundup
    assert f"Gewürdigt: <@{EN}> und <@{EN2}>." in roundup


LOCALES = {1: "de-DE", 2: "es-ES"}


async def _say_kudos(h: TeamsHarness, person: int, mentioned: list[int], rest: str) -> None:
    """`kudos @a rest` in a 1:1 chat."""
    tags = " ".join(f"<at>Person {n}</at>" for n in mentioned)
    await _say(h, person, f"kudos {tags} {rest}", mentioned)


async def _say(h: TeamsHarness, person: int, text: str, mentioned: list[int] | None = None) -> None:
    """A 1:1 message with the locale Teams reports for the person's client."""
    activity = with_mentions(h, "message_text.json", person, text, mentioned or [])
    activity["locale"] = LOCALES[person]
    for entity in activity.get("entities") or []:
        if entity.get("type") == "clientInfo":
            entity["locale"] = LOCALES[person]
    assert (await h.teams.post(activity)).status == 200


def _last_reply(h: TeamsHarness, person: int) -> list[str]:
    replies = [
        c
        for c in h.connector.of("reply", "send")
        if c.conversation_id == personal_conversation(person)
    ]
    return body_texts(card_of(replies[-1]))


async def test_teams_german_and_spanish_givers_and_recipients(kudos_teams: TeamsHarness) -> None:
    h = kudos_teams
    await install(h)
    # Both have spoken to the bot before, so Teams has told it their locales.
    for person in LOCALES:
        await _say(h, person, "help")
    await _say_kudos(h, 1, [2], "hard-session Danke für gestern.")
    assert _last_reply(h, 1)[0] == "Anerkennung gesendet"
    await _say_kudos(h, 2, [1], "anon cover Gracias por cubrirme.")
    confirmation = _last_reply(h, 2)
    assert confirmation[0] == "Reconocimiento enviado"
    await _say_kudos(h, 2, [2], "other Para mí.")
    assert "no puede enviarse uno a sí mismo" in " ".join(_last_reply(h, 2))

    named, anonymous = channel_posts(h)
    assert named.body["text"] == (
        "<at>Person 1</at> recognised <at>Person 2</at>: held a hard session"
    )
    assert (
        anonymous.body["text"]
        == "A colleague recognised <at>Person 1</at>: covered for a colleague"
    )
    assert body_texts(card_of(anonymous))[0] == "🤝 Recognition"

    before = len(h.connector.calls)
    await h.deliver()
    notes = {
        c.conversation_id: " ".join([c.body.get("text") or "", *body_texts(card_of(c))])
        for c in h.connector.calls[before:]
        if c.body.get("attachments")
    }
    assert "Ha recibido un reconocimiento" in notes[personal_conversation(2)]
    assert "le reconoce: sostuvo una sesión difícil" in notes[personal_conversation(2)]
    assert "Sie wurden gewürdigt" in notes[personal_conversation(1)]
    assert (
        "Jemand aus dem Team würdigt Sie: ist für jemanden eingesprungen"
        in notes[personal_conversation(1)]
    )


async def test_teams_nothing_stored_of_a_german_givers_anonymous_kudos_is_german(
    kudos_teams: TeamsHarness,
) -> None:
    """A backup of every table: the rows of the anonymous kudos hold neither its giver nor a
    word of their language, so the language cannot narrow down who gave it."""
    h = kudos_teams
    await install(h)
    await _say(h, 1, "help")
    await _say_kudos(h, 1, [5], "anon support Thank you for sitting with me.")
    await h.deliver()
    [post] = channel_posts(h)
    assert post.body["text"] == "A colleague recognised <at>Person 5</at>: supported me"

    [row] = await kudos_rows(h)
    rows: list[str] = []
    async with AsyncSession(h.respite.engine) as s:
        for table in metadata.sorted_tables:
            rows.extend(
                json.dumps(dict(r._mapping), default=str) for r in await s.execute(select(table))
            )
    of_kudos = [r for r in rows if row.id in r]
    assert len(of_kudos) >= 2  # the kudos and its recipient's note at least
    german = ("de-DE", "Jemand", "würdigt", "w\\u00fcrdigt", "Anerkennung", "Sie wurden")
    for stored in of_kudos:
        assert aad(1) not in stored and teams_user_id(1) not in stored
        assert not any(word in stored for word in german), stored
