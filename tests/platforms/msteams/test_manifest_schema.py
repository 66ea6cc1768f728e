"""The Teams app package's manifest.json validates against Microsoft's published 1.30 schema.

The schemas are vendored under tests/data/schemas (MIT, Microsoft Corporation; provenance in
LICENSE-microsoft-teams-schema.txt there), so the test needs no network. The package is built the
way the admin builds it, with `respite teams-package`, and the test reads manifest.json back out
of the zip.

The validator and the schemas' quirks (draft-04 with `const`, `$ref` siblings) are described in
tests/support/teams_manifest_schema.py. The vendored schema itself is checked here against the
draft-04 meta-schema without a format checker, because one pattern in it (an Office add-in
name, `\\p{L}`) is ECMA-262 syntax that Python's `re` rejects as a `regex` format; our manifest
never reaches that pattern.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator

from bot.cli.main import main
from bot.platforms.msteams.package import TEMPLATE, PackageOptions, build_package
from tests.support.teams_manifest_schema import (
    LOCALIZATION_SCHEMA,
    MANIFEST_SCHEMA,
    SCHEMA_URL,
    localization_errors,
    manifest_errors,
    schema,
)

APP_ID = "8a3f2c1d-5e6b-4a79-8c0d-1e2f3a4b5c6d"


def _package_manifest(out: Path) -> dict[str, Any]:
    with zipfile.ZipFile(out) as zf:
        data: dict[str, Any] = json.loads(zf.read("manifest.json"))
    return data


def _template_with(tmp_path: Path, change: dict[str, Any], drop: str | None = None) -> Path:
    """A copy of the real template with some top-level fields changed or one dropped."""
    data = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    data.update(change)
    if drop is not None:
        del data[drop]
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize("path", [MANIFEST_SCHEMA, LOCALIZATION_SCHEMA], ids=lambda p: p.name)
def test_the_vendored_schemas_are_valid_draft_04(path: Path) -> None:
    data = schema(path)
    assert data["$schema"] == "http://json-schema.org/draft-04/schema#"
    meta = Draft4Validator(Draft4Validator.META_SCHEMA)
    assert [e.message for e in meta.iter_errors(data)] == []


def test_the_package_the_admin_builds_validates_against_1_30(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MICROSOFT_APP_ID", APP_ID)
    out = tmp_path / "respite-teams.zip"
    assert main(["teams-package", "--out", str(out)]) == 0
    manifest = _package_manifest(out)
    assert manifest["$schema"] == SCHEMA_URL.format(name="MicrosoftTeams.schema.json")
    assert manifest["manifestVersion"] == "1.30"
    assert manifest["bots"][0]["commandLists"][0]["commands"]
    assert manifest_errors(manifest) == []


def test_a_manifest_left_at_1_17_fails(tmp_path: Path) -> None:
    old = {
        "$schema": SCHEMA_URL.replace("v1.30", "v1.17").format(name="MicrosoftTeams.schema.json"),
        "manifestVersion": "1.17",
    }
    out = build_package(
        tmp_path / "old.zip", PackageOptions(app_id=APP_ID), _template_with(tmp_path, old)
    )
    errors = manifest_errors(_package_manifest(out))
    assert errors == ["/manifestVersion: '1.30' was expected"]


def test_a_manifest_without_its_developer_fails(tmp_path: Path) -> None:
    out = build_package(
        tmp_path / "nodev.zip",
        PackageOptions(app_id=APP_ID),
        _template_with(tmp_path, {}, drop="developer"),
    )
    errors = manifest_errors(_package_manifest(out))
    assert errors == ["/: 'developer' is a required property"]


GERMAN = {
    "$schema": SCHEMA_URL.format(name="MicrosoftTeams.Localization.schema.json"),
    "name.short": "Respite",
    "name.full": "Respite: Burnout-Prävention für klinische Teams",
    "description.short": "Anonyme Einminuten-Umfragen und Team-Zusammenfassungen.",
    "description.full": "Respite hilft klinischen Teams, Erschöpfung früh zu bemerken.",
    "bots[0].commandLists[0].commands[0].title": "einchecken",
    "bots[0].commandLists[0].commands[0].description": "ein anonymer Check-in in einer Minute",
}


def test_a_language_file_validates_against_the_localization_schema() -> None:
    assert localization_errors(GERMAN) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"description.full": None}, "'description.full' is a required property"),
        ({"name.short": "x" * 31}, "is too long"),
        ({"description.short": "x" * 81}, "is too long"),
        ({"name.short": "null"}, "does not match"),
        ({"bots[0].commandLists[0].commands[12].title": "x"}, "does not match any of the regexes"),
        ({"bots[0].commandLists[0].commands[0].title": "x" * 129}, "is too long"),
    ],
    ids=[
        "no-full-description",
        "long-short-name",
        "long-short-description",
        "null",
        "index-12",
        "long-title",
    ],
)
def test_a_broken_language_file_fails(change: dict[str, Any], expected: str) -> None:
    strings = {**GERMAN, **change}
    strings = {k: v for k, v in strings.items() if v is not None}
    errors = localization_errors(strings)
    assert any(expected in e for e in errors), errors
