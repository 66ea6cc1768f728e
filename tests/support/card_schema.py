"""The Adaptive Card 1.5 schema Teams clients render against, and a check of a card against it.
The schema is read from the shared folder beside the project when it is there, else from the
copy in tests/data/schemas."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from jsonschema import Draft6Validator

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "schemas" / "adaptive-card-1.5.json"
COPY = ROOT / "tests" / "data" / "schemas" / "adaptive-card-1.5.json"


@functools.cache
def schema_validator() -> Draft6Validator:
    path = SHARED if SHARED.exists() else COPY
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft6Validator.check_schema(schema)
    return Draft6Validator(schema)


def assert_valid(validator: Draft6Validator, card: dict[str, Any]) -> None:
    errors = sorted(validator.iter_errors(card), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
