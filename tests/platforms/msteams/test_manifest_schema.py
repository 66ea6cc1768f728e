"""The Teams app package's manifest.json validates against Microsoft's published 1.30 schema.

The schemas are vendored under tests/data/schemas (MIT, Microsoft Corporation; provenance in
LICENSE-microsoft-teams-schema.txt there), so the test needs no network. The package is built the
way the admin builds it, with `respite teams-package`, and the test reads manifest.json back out
of the zip.

The schemas declare draft-04 but pin `manifestVersion` with `const`, a draft-06 keyword that
Draft4Validator ignores: a manifest left at an old version would pass unnoticed. The validator
here is therefore Draft4Validator with draft-06's `const` added. The schema itself is checked
against the draft-04 meta-schema without a format checker, because one pattern in it (an Office
add-in name, `\\p{L}`) is ECMA-262 syntax that Python's `re` rejects as a `regex` format; our
manifest never reaches that pattern.

The localization schema is ready for the language files (de, es) that `localizationInfo` will
list: `localization_errors` validates one such file. Under draft-04 a `$ref` hides the keywords
beside it, so the schema's `maxLength` on `name.short` (30) and `description.short` (80) would
be skipped; the helper keeps those keywords by pairing each with its `$ref` in an `allOf`.
"""

from __future__ import annotations

import copy
import functools
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator, Draft6Validator, FormatChecker, validators

from bot.cli.main import main
from bot.platforms.msteams.package import TEMPLATE, PackageOptions, build_package

SCHEMAS = Path(__file__).resolve().parents[2] / "data" / "schemas"
MANIFEST_SCHEMA = SCHEMAS / "teams-manifest-1.30.json"
LOCALIZATION_SCHEMA = SCHEMAS / "teams-localization-1.30.json"
SCHEMA_URL = "https://developer.microsoft.com/en-us/json-schemas/teams/v1.30/{name}"
APP_ID = "8a3f2c1d-5e6b-4a79-8c0d-1e2f3a4b5c6d"

# Draft-04 as the schemas declare it, plus the `const` they rely on to pin manifestVersion.
Draft4WithConst = validators.extend(Draft4Validator, {"const": Draft6Validator.VALIDATORS["const"]})


@functools.cache
def _schema(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _errors(schema: dict[str, Any], document: dict[str, Any]) -> list[str]:
    validator = Draft4WithConst(schema, format_checker=FormatChecker())
    return [
        f"/{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    ]


def manifest_errors(manifest: dict[str, Any]) -> list[str]:
    """Every way `manifest` breaks the vendored 1.30 app manifest schema."""
    return _errors(_schema(MANIFEST_SCHEMA), manifest)


def _keep_ref_siblings(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with each property's `$ref` and the keywords beside it joined in an `allOf`, so a
    draft-04 validator applies both, as the schema's authors meant."""
    kept = copy.deepcopy(schema)
    for name, prop in kept.get("properties", {}).items():
        if "$ref" in prop and len(prop) > 1:
            siblings = {k: v for k, v in prop.items() if k != "$ref"}
            kept["properties"][name] = {"allOf": [{"$ref": prop["$ref"]}, siblings]}
    return kept


def localization_errors(strings: dict[str, Any]) -> list[str]:
    """Every way a language file (such as de.json in the package) breaks the vendored 1.30
    localization schema, including the length limits draft-04 would skip beside a `$ref`."""
    return _errors(_keep_ref_siblings(_schema(LOCALIZATION_SCHEMA)), strings)


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
    schema = _schema(path)
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    meta = Draft4Validator(Draft4Validator.META_SCHEMA)
    assert [e.message for e in meta.iter_errors(schema)] == []


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
