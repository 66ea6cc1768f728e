"""The catalogs against the source: nothing left unextracted, nothing left untranslated.

This is the check that fails when someone wraps a new string and forgets to re-extract, or
re-extracts and leaves a language without it (docs/DESIGN.md, "Languages", says how to fix it).
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from bot.domain.pulse import ANY_WEEK_LINE, HEAVY_WEEK_LINE
from bot.infra.i18n import LOCALES, _, use_locale

ROOT = Path(__file__).resolve().parents[2]
LOCALE_DIR = ROOT / "bot" / "locale"
TRANSLATED = [code for code in LOCALES if code != "en"]
# `{name}` for str.format, `%(name)s` / `%s` / `%d` for %-formatting.
PLACEHOLDER = re.compile(r"\{[^{}]*\}|%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifr]")


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


def _ids(catalog: Catalog) -> set[object]:
    return {m.id for m in catalog if m.id}


def test_the_template_holds_every_string_the_source_marks(tmp_path: Path) -> None:
    fresh = tmp_path / "respite.pot"
    subprocess.run(
        [
            sys.executable, "-m", "babel.messages.frontend", "extract",
            "-F", str(LOCALE_DIR / "babel.cfg"), "--no-location", "-o", str(fresh),
            "bot", "handlers", "scheduler",
        ],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    extracted, committed = _ids(_read(fresh)), _ids(_read(LOCALE_DIR / "respite.pot"))
    missing, stale = extracted - committed, committed - extracted
    assert not missing, (
        f"strings not in bot/locale/respite.pot (re-extract): {sorted(map(str, missing))}"
    )
    assert not stale, f"strings no longer in the source (re-extract): {sorted(map(str, stale))}"


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_string_is_translated_with_the_same_placeholders(locale: str) -> None:
    template = _read(LOCALE_DIR / "respite.pot")
    catalog = _read(LOCALE_DIR / locale / "LC_MESSAGES" / "respite.po", locale)
    plurals = catalog.num_plurals
    problems = []
    for entry in template:
        if not entry.id:
            continue
        found = catalog.get(entry.id, entry.context)
        name = str(entry.id if isinstance(entry.id, str) else entry.id[0])[:60]
        if found is None or found.fuzzy:
            problems.append(f"{name!r}: missing or fuzzy")
            continue
        ids = entry.id if isinstance(entry.id, tuple | list) else (entry.id,)
        strings = found.string if isinstance(found.string, tuple | list) else (found.string,)
        if isinstance(entry.id, tuple | list) and len(strings) != plurals:
            problems.append(f"{name!r}: {len(strings)} plural forms, {locale} has {plurals}")
        if not all(s and s.strip() for s in strings):
            problems.append(f"{name!r}: empty translation")
            continue
        want = _placeholders(ids[-1])
        for s in strings:
            # A singular may spell out "one" instead of `{n}`; every other placeholder stays.
            got = _placeholders(s)
            if got != want and not (len(ids) > 1 and set(got) <= set(want)):
                problems.append(f"{name!r}: placeholders {got}, expected {want}")
    assert not problems, f"{locale}:\n" + "\n".join(problems)


@pytest.mark.parametrize("locale", TRANSLATED)
def test_the_catalog_compiles_and_is_used(locale: str) -> None:
    with use_locale(locale):
        assert _("Submit") != "Submit"


@pytest.mark.parametrize("locale", LOCALES)
def test_the_support_lines_keep_one_size_in_every_language(locale: str) -> None:
    """The thanks must not tell by its size whether it carries the heavy-week line (see
    bot/domain/pulse.py): translated, both lines have the same length in characters and in
    UTF-8 and JSON bytes, and hold nothing a renderer escapes."""
    with use_locale(locale):
        heavy, light = _(HEAVY_WEEK_LINE), _(ANY_WEEK_LINE)
    width = max(len(heavy), len(light))
    for line in (heavy, light):
        assert not set(line) & set("*_~`<>&[]()#|\\\"'"), line
    wide = [sum(ord(c) > 127 for c in line) for line in (heavy, light)]
    assert wide[0] == wide[1], "pad one line's wording so both hold as many non-ASCII letters"
    assert all(len(c.encode()) <= 2 for c in heavy + light)
    assert len(heavy.ljust(width).encode()) == len(light.ljust(width).encode())


def test_in_memory_compilation_matches_the_build_step(tmp_path: Path) -> None:
    """An editable install compiles the .po in memory; the wheel ships .mo: the same bytes."""
    from bot.infra.i18n import compile_po
    from bot.infra.i18n_build import compile_catalogs

    written = compile_catalogs(LOCALE_DIR, tmp_path)
    assert sorted(p.parent.parent.name for p in written) == sorted(TRANSLATED)
    for mo in written:
        locale = mo.parent.parent.name
        po = (LOCALE_DIR / locale / "LC_MESSAGES" / "respite.po").read_bytes()
        assert mo.read_bytes() == compile_po(po, locale)
    assert io.BytesIO(written[0].read_bytes()).read(4) in (b"\xde\x12\x04\x95", b"\x95\x04\x12\xde")
