"""Microsoft's Teams app manifest and localization schemas (1.30, vendored under
tests/data/schemas; MIT, Microsoft Corporation), and checks of a manifest and of a language file
against them.

The schemas declare draft-04 but pin `manifestVersion` with `const`, a draft-06 keyword that
Draft4Validator ignores: a manifest left at an old version would pass unnoticed. The validator
here is therefore Draft4Validator with draft-06's `const` added.

Under draft-04 a `$ref` hides the keywords beside it, so the localization schema's `maxLength`
on `name.short` (30) and `description.short` (80) would be skipped; `localization_errors` keeps
those keywords by pairing each with its `$ref` in an `allOf`.
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator, Draft6Validator, FormatChecker, validators

SCHEMAS = Path(__file__).resolve().parents[1] / "data" / "schemas"
MANIFEST_SCHEMA = SCHEMAS / "teams-manifest-1.30.json"
LOCALIZATION_SCHEMA = SCHEMAS / "teams-localization-1.30.json"
SCHEMA_URL = "https://developer.microsoft.com/en-us/json-schemas/teams/v1.30/{name}"

# Draft-04 as the schemas declare it, plus the `const` they rely on to pin manifestVersion.
Draft4WithConst = validators.extend(Draft4Validator, {"const": Draft6Validator.VALIDATORS["const"]})


@functools.cache
def schema(path: Path) -> dict[str, Any]:
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
    return _errors(schema(MANIFEST_SCHEMA), manifest)


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
    return _errors(_keep_ref_siblings(schema(LOCALIZATION_SCHEMA)), strings)
