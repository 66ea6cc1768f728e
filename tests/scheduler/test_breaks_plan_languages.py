"""A shared plan whose followers read different languages: each follower gets the prompt in
their own language, the plan keeps one set of cards per language its followers speak, and the
prompt still fans out in one INSERT ... SELECT, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event

from bot.app.compose import Respite
from bot.domain.break_cards import PRACTICES, prompt_card
from bot.domain.messages import Platform
from bot.infra.clock import FixedClock
from bot.infra.i18n import use_locale
from bot.storage.tables import break_fanouts, break_people, outbox, outbox_cards
from tests.support.breaks_sim import build_sim, command, deliver, fan_out, rows, ticker
from tests.support.roster import roster_data

PEOPLE = [f"U{i:03d}" for i in range(1, 25)]
GERMAN = set(PEOPLE[:8])
SPANISH = set(PEOPLE[8:12])  # Spanish as their Slack client reports it


def _titles(locale: str) -> set[str]:
    """Every practice's prompt title in one language."""
    with use_locale(locale):
        return {prompt_card(i, "s", Platform.SLACK).title for i in range(len(PRACTICES))}


async def _plan_with_a_prompt_due(
    database_url: str, closing: list[Respite], **team: Any
) -> tuple[Respite, Any]:
    clock = FixedClock(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    respite, rec = await build_sim(database_url, clock, roster_data(members=PEOPLE, **team))
    closing.append(respite)
    for user in sorted(GERMAN):
        await command(respite, user, "language de")
    for user in sorted(SPANISH):
        await respite.deps.languages.reported(Platform.SLACK, user, "es-MX")
    await ticker(respite).tick(respite.deps)  # everyone joins the team's plan
    assert {r.plan_id is not None for r in await rows(respite, break_people)} == {True}
    clock.set(datetime(2026, 11, 30, 10, 50, 20, tzinfo=UTC))
    await ticker(respite).tick(respite.deps)
    return respite, rec


async def test_each_follower_reads_the_plans_prompt_in_their_language_from_one_statement(
    database_url: str, closing: list[Respite]
) -> None:
    respite, rec = await _plan_with_a_prompt_due(database_url, closing)
    [left] = await rows(respite, break_fanouts)
    assert left.cards["fallback"] == "en"
    assert sorted(left.cards["cards"]) == ["de", "en", "es"]
    assert {len(ids) for ids in left.cards["cards"].values()} == {len(PRACTICES)}

    inserts: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO OUTBOX "):
            inserts.append(statement)

    sync_engine = respite.engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", seen)
    try:
        assert await fan_out(respite) == len(PEOPLE)
    finally:
        event.remove(sync_engine, "before_cursor_execute", seen)
    assert len(inserts) == 1  # one set-based statement, whatever the languages

    await deliver(respite)
    german, spanish, english = _titles("de"), _titles("es"), _titles("en")
    for user in PEOPLE:
        [sent] = [s for s in rec.sent if s.recipient.user_id == user]
        want = german if user in GERMAN else spanish if user in SPANISH else english
        assert sent.card.title in want, user
    [one] = [s for s in rec.sent if s.recipient.user_id == sorted(GERMAN)[0]]
    assert [b.label for b in one.card.buttons] == [
        "Erledigt",
        "In 10 Min.",
        "Heute überspringen",
        "Pausen aussetzen",
    ]


async def test_a_plan_keeps_cards_only_in_the_languages_its_followers_read(
    database_url: str, closing: list[Respite]
) -> None:
    # A German-speaking team: its own language is German, and the Spanish readers add theirs.
    respite, _rec = await _plan_with_a_prompt_due(database_url, closing, language="de")
    [left] = await rows(respite, break_fanouts)
    assert left.cards["fallback"] == "de"
    assert sorted(left.cards["cards"]) == ["de", "es"]  # nobody reads English
    assert len(await rows(respite, outbox_cards)) == 2 * len(PRACTICES)
    assert await fan_out(respite) == len(PEOPLE)
    cards = {r.id: r.card for r in await rows(respite, outbox_cards)}
    titles = {r.key.split(":")[3]: cards[r.card_id]["title"] for r in await rows(respite, outbox)}
    assert all(titles[u] in _titles("es") for u in SPANISH)
    assert all(titles[u] in _titles("de") for u in set(PEOPLE) - SPANISH)
