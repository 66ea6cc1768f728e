"""A German reader gets a German invitation and form through the real paths of both platforms,
beside colleagues who read English (and, on Slack, one whose client is set to Spanish)."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.messages import Platform
from scheduler import pulse
from tests.support.msteams_driver import personal_conversation
from tests.support.msteams_harness import TeamsHarness
from tests.support.roster import CLINICIANS
from tests.support.slack_harness import SlackHarness
from tests.support.waiting import settle

U1, U2, U3 = CLINICIANS[:3]
DE_TITLE = "Zeit für den einminütigen Check-in dieser Woche"
EN_TITLE = "Time for this week's one-minute check-in"
ES_TITLE = "Es hora de la consulta de un minuto de esta semana"
DE_ITEM = "Wie emotional ausgelaugt waren Sie diese Woche"


async def _say(h: SlackHarness, text: str, user: str) -> str:
    before = len(h.fake.responses)
    assert (await h.slack.slash("/respite", text, user)).status == 200
    await settle(h.respite)
    assert len(h.fake.responses) > before
    return str(h.fake.responses[-1])


def _dm(h: SlackHarness, user: str) -> str:
    sent = [c.params for c in h.fake.called("chat.postMessage") if c.params["channel"] == user]
    assert len(sent) == 1
    return str(sent[0])


async def test_slack_invitation_and_form_in_each_persons_language(slack_app: SlackHarness) -> None:
    h = slack_app
    assert "Sprache: Deutsch" in await _say(h, "language de", U1)
    shown = await _say(h, "language", U1)
    assert "English (en), Deutsch (de), Español (es)" in shown
    assert "Respite does not speak" in await _say(h, "language klingon", U3)

    # U2's Slack client is set to Mexican Spanish: users.info (asked for time zones) says so.
    h.fake.users[U2] = {"id": U2, "name": "u2", "tz": "America/Mexico_City", "locale": "es-MX"}
    ticker = next(t for t in h.respite.runtime.extra_ticks if hasattr(t, "_timezones"))
    assert await ticker._timezones[Platform.SLACK].timezone(U2) == "America/Mexico_City"
    asked = [c.params for c in h.fake.called("users.info") if c.params.get("user") == U2]
    assert str(asked[-1].get("include_locale")).lower() in ("1", "true")

    h.clock.advance(timedelta(hours=1))
    await pulse.tick(h.respite.deps)
    assert await h.deliver() == len(CLINICIANS)
    assert DE_TITLE in _dm(h, U1) and "Donnerstag" in _dm(h, U1)
    assert ES_TITLE in _dm(h, U2) and "jueves" in _dm(h, U2)
    assert EN_TITLE in _dm(h, U3) and "Thursday" in _dm(h, U3)

    before = len(h.fake.called("views.open"))
    await h.slack.click("checkin.start", "riverside", U1)
    await settle(h.respite)
    assert len(h.fake.called("views.open")) > before
    form = str(h.fake.called("views.open")[-1].params["view"])
    assert "Wöchentlicher Check-in" in form and DE_ITEM in form and "Absenden" in form
    assert "Gar nicht" in form

    # `language auto`: back to what Slack said (nothing for U1, so the team's English).
    assert "Language: automatic" in await _say(h, "language auto", U1)
    assert "Respite helps your team" in await _say(h, "help", U1)


async def test_teams_locale_of_every_turn_drives_the_invitation_and_form(
    teams_app: TeamsHarness,
) -> None:
    h = teams_app
    german = h.teams.activity("message_text.json", 1, text="help")
    german["locale"] = "de-DE"
    assert (await h.teams.post(german)).status == 200
    help_card = h.connector.of("reply", "send")[-1].body["attachments"][0]["content"]
    assert (
        help_card["body"][0]["text"]
        == "Respite hilft Ihrem Team, Burnout zu erkennen und zu lindern"
    )
    english = h.teams.activity("message_text.json", 2, text="help")
    english["locale"] = "en-GB"
    await h.teams.post(english)

    h.clock.advance(timedelta(hours=1))
    await pulse.tick(h.respite.deps)
    await h.deliver()
    cards = {
        c.conversation_id: str(c.body["attachments"][0]["content"])
        for c in h.connector.of("send", "reply")
    }
    assert DE_TITLE in cards[personal_conversation(1)]
    assert EN_TITLE in cards[personal_conversation(2)]

    form_turn = h.teams.activity("message_text.json", 1, text="checkin")
    form_turn["locale"] = "de-DE"
    await h.teams.post(form_turn)
    form = str(h.connector.of("reply", "send")[-1].body["attachments"][0]["content"])
    assert "Wöchentlicher Check-in" in form and DE_ITEM in form and "Sehr" in form

    # A person's own choice outlasts what the client says on later turns.
    choose = h.teams.activity("message_text.json", 2, text="language es")
    choose["locale"] = "en-GB"
    await h.teams.post(choose)
    assert "Idioma: Español" in str(h.connector.of("reply", "send")[-1].body)
    again = h.teams.activity("message_text.json", 2, text="privacy")
    again["locale"] = "en-GB"
    await h.teams.post(again)
    assert "Su privacidad en Respite" in str(h.connector.of("reply", "send")[-1].body)
