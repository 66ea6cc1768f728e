"""The Teams app package carries a strings file for each shipped language besides English, valid
against Microsoft's localization schema, and every translated command title it shows leads to the
same command as the English title at the same position."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from bot.cli.main import main
from bot.domain.commands import canonical
from bot.infra.i18n import LOCALES
from bot.platforms.msteams.package import TEMPLATE, TEMPLATE_TEXTS
from handlers import router
from tests.support.teams_manifest_schema import SCHEMA_URL, localization_errors, manifest_errors

APP_ID = "8a3f2c1d-5e6b-4a79-8c0d-1e2f3a4b5c6d"
OTHERS = [locale for locale in LOCALES if locale != "en"]


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, dict[str, Any]]:
    """Each JSON file of the package the admin builds, by name."""
    monkeypatch.setenv("MICROSOFT_APP_ID", APP_ID)
    out = tmp_path / "respite-teams.zip"
    assert main(["teams-package", "--out", str(out)]) == 0
    with zipfile.ZipFile(out) as zf:
        return {n: json.loads(zf.read(n)) for n in zf.namelist() if n.endswith(".json")}


def test_the_manifest_lists_a_file_for_each_language(package: dict[str, dict[str, Any]]) -> None:
    manifest = package["manifest.json"]
    assert manifest["localizationInfo"] == {
        "defaultLanguageTag": "en",
        "additionalLanguages": [
            {"languageTag": "de", "file": "de.json"},
            {"languageTag": "es", "file": "es.json"},
        ],
    }
    assert manifest_errors(manifest) == []
    assert set(package) == {"manifest.json", "de.json", "es.json"}


@pytest.mark.parametrize("locale", OTHERS)
def test_each_language_file_validates_and_is_translated(
    package: dict[str, dict[str, Any]], locale: str
) -> None:
    strings = package[f"{locale}.json"]
    manifest = package["manifest.json"]
    assert localization_errors(strings) == []
    assert strings["$schema"] == SCHEMA_URL.format(name="MicrosoftTeams.Localization.schema.json")
    assert strings["name.short"] == "Respite"
    for key in ("name.full", "description.short", "description.full"):
        group, part = key.split(".")
        assert strings[key] != manifest[group][part], (locale, key)


@pytest.mark.parametrize("locale", OTHERS)
def test_each_translated_title_leads_where_the_english_title_does(
    package: dict[str, dict[str, Any]], locale: str
) -> None:
    strings = package[f"{locale}.json"]
    commands = package["manifest.json"]["bots"][0]["commandLists"][0]["commands"]
    keys = [k for k in strings if k.startswith("bots[0]")]
    assert len(keys) == 2 * len(commands)
    for n, command in enumerate(commands):
        title = strings[f"bots[0].commandLists[0].commands[{n}].title"]
        described = strings[f"bots[0].commandLists[0].commands[{n}].description"]
        assert canonical(title, router.SUBCOMMANDS) == command["title"], (n, title)
        assert len(title) <= 32 and len(described) <= 128
        if command["title"] not in ("kudos",):
            assert title != command["title"] and described != command["description"]


def test_the_template_texts_are_the_ones_the_catalogs_translate() -> None:
    data = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    shown = (data["name"]["full"], data["description"]["short"], data["description"]["full"])
    assert shown == TEMPLATE_TEXTS
