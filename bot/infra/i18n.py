"""Translation and locale-aware formatting: the one place that knows about gettext and Babel.

Cards are built in the domain when they are sent or answered, so whoever builds a card for a
person wraps it in `use_locale(person's locale)`; every `_()` inside then speaks that language.
The locale lives in a ContextVar, so concurrent requests never see each other's language.

Catalogs: bot/locale/<lang>/LC_MESSAGES/respite.po, compiled to .mo when the wheel is built
(`bot.infra.i18n_build`). A source checkout or an editable install has no .mo, so the .po is
compiled in memory on first use; both paths give the same messages.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, time
from functools import cache
from pathlib import Path
from typing import Literal

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers

DOMAIN = "respite"
DEFAULT_LOCALE = "en"
# The languages Respite ships, in the order they are listed to people.
LOCALES = ("en", "de", "es")
# Each language named in itself, as a person looking for their own language reads it.
NATIVE_NAMES = {"en": "English", "de": "Deutsch", "es": "Español"}
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"

_current: ContextVar[str] = ContextVar("respite_locale", default=DEFAULT_LOCALE)


def supported(tag: str | None) -> str | None:
    """The shipped language for a locale tag ("de-DE", "es_MX", "EN"), or None.

    A regional tag falls back to its language: Respite ships one Spanish for every region.
    """
    if not tag:
        return None
    language = tag.strip().replace("_", "-").split("-")[0].lower()
    return language if language in LOCALES else None


def current_locale() -> str:
    return _current.get()


@contextmanager
def use_locale(locale: str | None) -> Iterator[str]:
    """Speak `locale` (or English when it is not shipped) inside the block."""
    chosen = supported(locale) or DEFAULT_LOCALE
    token = _current.set(chosen)
    try:
        yield chosen
    finally:
        _current.reset(token)


@cache
def translations(locale: str) -> gettext.NullTranslations:
    """The catalog of one shipped language: the compiled .mo, else the .po compiled in memory."""
    if locale == DEFAULT_LOCALE or locale not in LOCALES:
        return gettext.NullTranslations()
    folder = LOCALE_DIR / locale / "LC_MESSAGES"
    mo = folder / f"{DOMAIN}.mo"
    if mo.is_file():
        with mo.open("rb") as fh:
            return gettext.GNUTranslations(fh)
    po = folder / f"{DOMAIN}.po"
    if not po.is_file():
        return gettext.NullTranslations()
    return gettext.GNUTranslations(io.BytesIO(compile_po(po.read_bytes(), locale)))


def compile_po(po: bytes, locale: str) -> bytes:
    """A .po file's bytes as .mo bytes (fuzzy entries left out, as msgfmt does)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    catalog = read_po(io.BytesIO(po), locale=locale, domain=DOMAIN)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def _(message: str) -> str:
    """`message` in the current language."""
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a message for `n` things, by the current language's plural rules."""
    return translations(_current.get()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """`message` in the current language, as meant in `context` (a command word, say, where the
    same English word elsewhere in the text would translate differently)."""
    return translations(_current.get()).pgettext(context, message)


def N_(message: str) -> str:
    """Mark a string for extraction without translating it (translated later, with `_()`)."""
    return message


def _babel_locale() -> Locale:
    return Locale.parse(_current.get())


def format_date(value: date | datetime, format: str = "medium") -> str:
    return babel_dates.format_date(value, format=format, locale=_babel_locale())


def format_time(value: time | datetime, format: str = "short") -> str:
    return babel_dates.format_time(value, format=format, locale=_babel_locale())


def format_datetime(value: datetime, format: str = "EEEE dd MMM, HH:mm") -> str:
    """A moment as people read it in the current language ("Thursday 03 Dec, 10:00")."""
    return babel_dates.format_datetime(value, format=format, locale=_babel_locale())


def format_number(value: float, decimals: int | None = None) -> str:
    if decimals is None:
        return babel_numbers.format_decimal(value, locale=_babel_locale())
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return babel_numbers.format_decimal(value, format=pattern, locale=_babel_locale())


def format_percent(value: float) -> str:
    return babel_numbers.format_percent(value, locale=_babel_locale())


def weekday_names(width: Literal["wide", "abbreviated", "short"] = "wide") -> tuple[str, ...]:
    """Monday to Sunday in the current language ("wide": Montag, "abbreviated": Mo.)."""
    names = babel_dates.get_day_names(width, locale=_babel_locale())
    return tuple(str(names[i]) for i in range(7))


def parse_weekday(text: str) -> int | None:
    """Monday=0 .. Sunday=6 from a day's name in the current language or in English.

    Full names and their abbreviations are accepted, without regard to case or a final dot,
    so "Mi", "mittwoch", "wed" and "Wednesday" all read as Wednesday for a German speaker.
    """
    word = text.strip().lower().rstrip(".")
    if not word:
        return None
    for locale in dict.fromkeys((_current.get(), DEFAULT_LOCALE)):
        for width in ("wide", "abbreviated", "short"):
            names = babel_dates.get_day_names(width, locale=Locale.parse(locale))
            for index in range(7):
                if str(names[index]).lower().rstrip(".") == word:
                    return index
        # A prefix of at least three letters of a full name ("mitt", "miérc").
        if len(word) >= 3:
            wide = babel_dates.get_day_names("wide", locale=Locale.parse(locale))
            hits = [i for i in range(7) if str(wide[i]).lower().startswith(word)]
            if len(hits) == 1:
                return hits[0]
    return None
