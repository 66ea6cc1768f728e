"""Leads read their digests in their own language through the real paths: the scheduled digest
DM on Slack (with its chart's alt text) and on Teams, `digest` asked in chat, and the HTML digest
from `respite digest`, each with numbers and dates as the lead's language writes them."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.app.compose import build
from bot.cli.main import main
from bot.config import Settings, parse_roster
from bot.domain.messages import Platform
from bot.infra.clock import FixedClock
from scheduler import pulse
from tests.support.department import ROSTER, ask, run_round
from tests.support.msteams_driver import aad, personal_conversation
from tests.support.msteams_harness import (
    LEAD,
    MEMBERS,
    TeamsHarness,
)
from tests.support.roster import MONDAY
from tests.support.rounds import ANSWERS, BEFORE_REORG, run_week
from tests.support.slack_harness import SlackHarness

DECIMAL_COMMA = re.compile(r"\b\d,\d\d\b")


@pytest.fixture
def harness_roster() -> dict[str, Any]:
    roster: dict[str, Any] = ROSTER
    return roster


def _dm(h: SlackHarness, user: str) -> dict[str, Any]:
    calls = [c for c in h.fake.called("chat.postMessage") if c.params["channel"] == user]
    assert len(calls) == 1, f"{user}: {len(calls)} message(s)"
    return calls[0].params


async def test_slack_leads_get_the_digest_in_their_language(slack_app: SlackHarness) -> None:
    h = slack_app
    assert "Deutsch" in await ask(h, "UDEPT01", "language de")
    assert "Español" in await ask(h, "ULEADA1", "language es")
    assert "Español" in await ask(h, "ULEADC1", "language es")
    await run_round(h)

    dept = _dm(h, "UDEPT01")["text"]
    assert "Respite-Zusammenfassung · Abteilung · Adult Services" in dept
    assert "Antwortende: 15 von 20 (75\xa0%)" in dept
    assert "Riverside Therapy: 7 von 8 haben geantwortet" in dept
    assert "Harbour: nicht gezeigt" in dept and "Lighthouse: nicht gezeigt" in dept
    assert "Vorgeschlagene Maßnahmen" in dept and DECIMAL_COMMA.search(dept)
    assert "Respondents" not in dept and "Suggested actions" not in dept

    river = _dm(h, "ULEADA1")["text"]
    assert "Resumen de Respite · Riverside Therapy" in river
    assert "Participantes: 7 de 8" in river and "Acciones sugeridas" in river
    assert DECIMAL_COMMA.search(river)
    # Harbour's lead reads the withheld wording in Spanish, and no count.
    harbour = _dm(h, "ULEADC1")["text"]
    assert "No hay suficientes respuestas" in harbour and "Participantes" not in harbour
    assert not re.search(r"\b2\b", harbour)
    # Lighthouse's lead chose nothing: English, as before.
    assert "Not enough responses" in _dm(h, "ULEADB1")["text"]

    alt = {c.params["channel_id"]: c.params for c in h.fake.called("files.completeUploadExternal")}
    uploads = {u.params["alt_txt"][:16] for u in h.fake.called("files.getUploadURLExternal")}
    assert {"UDEPT01", "ULEADA1"} <= alt.keys()
    assert any(a.startswith("Liniendiagramm") for a in uploads)
    assert any(a.startswith("Gráfico de línea") for a in uploads)

    # Asked in chat, in the lead's language too.
    asked = await ask(h, "ULEADA1", "digest")
    assert "Participantes: 7 de 8" in asked
    refused = await ask(h, "UDEPT01", "digest organisation")
    assert "Keine Zusammenfassung, die Sie lesen können" in refused


def _last_card(h: TeamsHarness, person: int) -> str:
    sent = [
        c
        for c in h.connector.of("send", "reply")
        if c.conversation_id == personal_conversation(person)
    ]
    return str(sent[-1].body["attachments"][0]["content"])


async def test_teams_lead_gets_the_digest_in_their_language(teams_app: TeamsHarness) -> None:
    h = teams_app
    deps = h.respite.deps
    await h.teams.post(h.teams.activity("installation_update.json", LEAD))
    hello = h.teams.activity("message_text.json", LEAD, text="help")
    hello["locale"] = "de-DE"
    await h.teams.post(hello)
    await pulse.open_round(deps, "harbour")
    await h.deliver()
    rnd = next(r for r in await deps.rounds.open_rounds() if r.team_id == "harbour")
    for n in MEMBERS[:6]:
        # Answers spread over the scale, so exact figures are released (not bands only).
        answers: dict[str, int] = dict(
            ANSWERS, drained=1 + n % 5, caseload=1 + (n + 2) % 5, supported=1 + n % 3
        )
        assert await deps.rounds.record_response(rnd.id, "harbour", Platform.TEAMS, aad(n), answers)
    h.clock.advance(timedelta(hours=73))
    await pulse.tick(deps)  # close, freeze, queue the digest
    await h.deliver()

    digest = _last_card(h, LEAD)
    assert "Respite-Zusammenfassung · Harbour Counselling" in digest
    assert "Antwortende" in digest and "6 von 8" in digest
    assert "Vorgeschlagene Maßnahmen" in digest and DECIMAL_COMMA.search(digest)
    assert "Liniendiagramm" in digest  # the chart's alt text
    assert "Respondents" not in digest

    choose = h.teams.activity("message_text.json", LEAD, text="language es")
    choose["locale"] = "de-DE"
    await h.teams.post(choose)
    asked = h.teams.activity("message_text.json", LEAD, text="digest")
    asked["locale"] = "de-DE"
    await h.teams.post(asked)
    again = _last_card(h, LEAD)
    assert "Resumen de Respite · Harbour Counselling" in again and "6 de 8" in again
    # A member who leads nothing is told so in their language.
    member = h.teams.activity("message_text.json", 3, text="digest")
    member["locale"] = "es-MX"
    await h.teams.post(member)
    assert "Los resúmenes son para las personas responsables" in _last_card(h, 3)


@pytest.fixture
def configured(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Three released weeks of the sample organisation; Riverside's roster language is Spanish."""

    async def prepare() -> None:
        clock = FixedClock(MONDAY)
        respite = await build(
            Settings(database_url=sqlite_url), clock=clock, roster=parse_roster(BEFORE_REORG)
        )
        try:
            for _ in range(3):
                await run_week(respite, clock, {"riverside": 7, "lighthouse": 6, "delta": 8})
            store = respite.deps.languages.store
            assert store is not None
            await store.choose(Platform.SLACK, "UDEPT01", "de")
        finally:
            await respite.close()

    asyncio.run(prepare())
    data = dict(BEFORE_REORG)
    data["departments"] = [dict(d) for d in BEFORE_REORG["departments"]]
    data["departments"][0]["leads"] = ["UDEPT01"]
    data["teams"] = [
        dict(t, language="es") if t["id"] == "riverside" else t for t in BEFORE_REORG["teams"]
    ]
    path = tmp_path / "respite.yaml"
    path.write_text(yaml.safe_dump(data))
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("RESPITE_CONFIG", str(path))
    return tmp_path


def test_html_digest_in_the_leads_language(
    configured: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = configured / "digest.html"
    # The team's roster language by default.
    assert main(["digest", "--team", "riverside", "--format", "html", "--out", str(out)]) == 0
    html = out.read_text()
    assert '<html lang="es">' in html and "Resumen de Respite · Riverside" in html
    assert "Ronda cerrada el" in html and " de 2026" in html
    assert "Participación:" in html and DECIMAL_COMMA.search(html)
    # The `--as` lead's own choice.
    argv = ["digest", "--department", "adult", "--as", "slack:UDEPT01", "--format", "html"]
    assert main([*argv, "--out", str(out)]) == 0
    html = out.read_text()
    assert '<html lang="de">' in html and "Runde geschlossen am" in html
    assert "Dezember 2026" in html or "November 2026" in html
    assert "Mittelwert" in html and DECIMAL_COMMA.search(html)
    # Asked for by name, whatever the lead reads.
    assert main([*argv, "--language", "en", "--out", str(out)]) == 0
    assert '<html lang="en">' in out.read_text()
    assert main(["digest", "--team", "riverside", "--language", "de"]) == 0
    assert "Antwortende: 7 von" in capsys.readouterr().out
    assert main(["digest", "--team", "riverside", "--language", "fr"]) == 2
    assert "--language takes one of en, de, es" in capsys.readouterr().err
