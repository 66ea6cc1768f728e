"""Which language a person reads, the instrument in every language, and the formatting helpers."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import DEFAULT_INSTRUMENT, ConfigError, load_instrument, parse_roster
from bot.domain.instrument import Instrument, InstrumentError
from bot.domain.language import Languages
from bot.domain.messages import Platform
from bot.domain.ports.locales import PersonLocale
from bot.infra.i18n import (
    _,
    current_locale,
    format_datetime,
    format_number,
    parse_weekday,
    supported,
    use_locale,
    weekday_names,
)
from tests.support.roster import roster_data

SLACK = Platform.SLACK


class FakeLocales:
    """The LocaleStore port in memory, with the same rule: a report never overwrites a choice."""

    def __init__(self) -> None:
        self.rows: dict[tuple[Platform, str], PersonLocale] = {}

    async def get(self, platform: Platform, user_id: str) -> PersonLocale | None:
        return self.rows.get((platform, user_id))

    async def choose(self, platform: Platform, user_id: str, locale: str) -> None:
        self.rows[(platform, user_id)] = PersonLocale(locale, "chosen")

    async def reported(self, platform: Platform, user_id: str, locale: str) -> bool:
        row = self.rows.get((platform, user_id))
        if row is not None and (row.source == "chosen" or row.locale == locale):
            return False
        self.rows[(platform, user_id)] = PersonLocale(locale, "platform")
        return True

    async def clear_choice(self, platform: Platform, user_id: str) -> None:
        if (row := self.rows.get((platform, user_id))) and row.source == "chosen":
            del self.rows[(platform, user_id)]

    async def many(self, platform: Platform, user_ids: list[str]) -> dict[str, PersonLocale]:
        return {u: r for (p, u), r in self.rows.items() if p == platform and u in user_ids}


def test_regional_tags_fall_back_to_their_language() -> None:
    assert supported("es-MX") == "es" and supported("de_AT") == "de" and supported("EN-gb") == "en"
    assert supported("fr-FR") is None and supported("") is None and supported(None) is None


def test_use_locale_nests_and_restores() -> None:
    assert current_locale() == "en"
    with use_locale("de-DE"):
        assert current_locale() == "de"
        with use_locale("pt-BR"):  # not shipped: English
            assert current_locale() == "en"
        assert _("Submit") == "Absenden"
    assert current_locale() == "en" and _("Submit") == "Submit"


async def test_resolution_order_chosen_platform_team_org_english() -> None:
    store = FakeLocales()
    langs = Languages(store, {"ward": "es"}, org_default="de")
    assert await langs.of(SLACK, "U1", "ward") == "es"  # the team's
    assert await langs.of(SLACK, "U1", "other") == "de"  # the organisation's
    assert await Languages(store).of(SLACK, "U1", "ward") == "en"
    await langs.reported(SLACK, "U1", "fr-FR")  # not shipped: passed over
    assert await langs.of(SLACK, "U1", "ward") == "es"
    await langs.reported(SLACK, "U1", "de-CH")
    assert await langs.of(SLACK, "U1", "ward") == "de"
    await store.choose(SLACK, "U1", "en")
    await langs.reported(SLACK, "U1", "es-MX")  # a report never overrides a choice
    assert await langs.of(SLACK, "U1", "ward") == "en"
    await langs.clear_choice(SLACK, "U1")
    assert await langs.of(SLACK, "U1", "ward") == "es"
    assert await langs.groups(SLACK, {"U1", "U2"}, "other") == {
        "de": frozenset({"U2"}),
        "es": frozenset({"U1"}),
    }


async def test_a_repeated_report_costs_no_query() -> None:
    store = FakeLocales()
    calls: list[str] = []
    original = store.reported

    async def counting(platform: Platform, user_id: str, locale: str) -> bool:
        calls.append(locale)
        return await original(platform, user_id, locale)

    store.reported = counting  # type: ignore[method-assign]
    langs = Languages(store)
    for _turn in range(3):
        await langs.reported(Platform.TEAMS, "aad-1", "de-DE")
    await langs.reported(Platform.TEAMS, "aad-1", "es-ES")
    assert calls == ["de-DE", "es-ES"]


def test_roster_languages_are_checked() -> None:
    roster = parse_roster({**roster_data(language="de-AT"), "organisation": {"language": "es"}})
    assert roster.teams[0].language == "de" and roster.organisation.language == "es"
    with pytest.raises(ConfigError, match=r"language: Respite speaks en, de, es; 'fr'"):
        parse_roster(roster_data(language="fr"))


def test_dates_numbers_and_weekdays_follow_the_locale() -> None:
    moment = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
    with use_locale("de"):
        assert format_datetime(moment) == "Donnerstag 03 Dez., 10:00"
        assert format_number(1234.5, 1) == "1.234,5"
        assert weekday_names()[2] == "Mittwoch"
        assert [parse_weekday(w) for w in ("Mi", "mittwoch", "Mitt", "wed")] == [2, 2, 2, 2]
    with use_locale("es"):
        assert format_datetime(moment).startswith("jueves 03 dic")
        assert parse_weekday("miércoles") == parse_weekday("mié.") == 2
    with use_locale("en"):
        assert format_datetime(moment) == "Thursday 03 Dec, 10:00"
        assert parse_weekday("someday") is None
    assert isinstance(date.today(), date)


# The instrument ------------------------------------------------------------------------------


def _shipped() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(DEFAULT_INSTRUMENT.read_text(encoding="utf-8"))
    return data


def test_the_shipped_instrument_is_translated_into_every_language() -> None:
    inst = load_instrument()
    assert set(inst.translations) == {"de", "es"}
    item = inst.item("drained")
    with use_locale("de"):
        assert inst.item_text(item).startswith("Wie emotional ausgelaugt")
        assert inst.label(5) == "Sehr"
        assert inst.dimension_label("exhaustion") == "Emotionale Erschöpfung"
    with use_locale("es-AR"):
        assert inst.label(1) == "Nada"
    assert inst.item_text(item) == item.text


def test_an_instrument_missing_a_translated_item_is_refused() -> None:
    data = _shipped()
    del data["translations"]["es"]["items"]["caseload"]
    with pytest.raises(
        InstrumentError, match=r"translations\.es\.items: no es text for item 'caseload'"
    ):
        Instrument.from_mapping(data)
    data = _shipped()
    data["translations"]["de"]["scale"][3] = " "
    with pytest.raises(InstrumentError, match=r"translations\.de\.scale: no de label for point 3"):
        Instrument.from_mapping(data)
    data = _shipped()
    data["translations"]["fr"] = copy.deepcopy(data["translations"]["de"])
    with pytest.raises(InstrumentError, match=r"translations\.fr: Respite does not ship 'fr'"):
        Instrument.from_mapping(data)


def test_an_instrument_without_translations_still_loads() -> None:
    data = _shipped()
    del data["translations"]
    inst = Instrument.from_mapping(data)
    with use_locale("de"):
        assert inst.item_text(inst.items[0]) == inst.items[0].text


ROOT = Path(__file__).resolve().parents[2]


def test_check_config_refuses_an_incomplete_translation(tmp_path: Path) -> None:
    data = _shipped()
    del data["translations"]["de"]["items"]["supported"]
    instrument = tmp_path / "instrument.yaml"
    instrument.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    roster = tmp_path / "respite.yaml"
    roster.write_text(yaml.safe_dump({**roster_data(), "instrument": str(instrument)}))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))}
    env.update(RESPITE_CONFIG=str(roster), DATABASE_URL=f"sqlite:///{tmp_path / 'r.db'}")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "check-config"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "translations.de.items: no de text for item 'supported'" in result.stderr + result.stdout
