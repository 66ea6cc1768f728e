"""The Teams app package admins upload: manifest.json with the app id, and two icons.

The manifest template is package data, bot/data/msteams/manifest.json, so the command works from an
installed wheel (and the Docker image) as well as from the source tree. The admin's app id,
version, privacy and terms URLs fill its placeholders; the command list comes from the routing
tables so that a word a feature adds shows up in Teams' command menu without editing the
template. The icons are drawn here (a plain PNG encoder, no imaging library): a colour icon
192x192 and a white outline icon 32x32 on transparency, as Teams requires.

Every shipped language besides English gets a strings file in the zip (de.json, es.json, listed
under `localizationInfo`): the app's name and descriptions, and each command's title and
description, from the catalogs. Teams keys a command's strings by its position in the manifest's
list, so both come from the one ordered `commands()` list. Teams sends the title a person picked
as the message text, so the router accepts the translated words (`bot.domain.commands`).
"""

from __future__ import annotations

import json
import math
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.domain.commands import localised
from bot.domain.messages import Platform
from bot.infra.i18n import DEFAULT_LOCALE, LOCALES, N_, _, use_locale
from handlers import router
from handlers.info import help_topics

TEMPLATE: Traversable = resources.files("bot") / "data" / "msteams" / "manifest.json"
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# Teams takes MAJOR.MINOR.PATCH only (no pre-release or build part), without leading zeros.
SEMVER = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
MAX_URL = 2048  # Teams' limit for the developer URLs
DEFAULT_VERSION = "1.0.0"
# Placeholders: an admin should point these at their organisation's own pages.
DEFAULT_PRIVACY_URL = "https://respite.example.org/privacy"
DEFAULT_TERMS_URL = "https://respite.example.org/terms"
MAX_COMMANDS = 10
MAX_DESCRIPTION = 128  # Teams' limit for a command's description
# Shorter words for Teams' command menu where the help text runs past its limit.
MENU_DESCRIPTIONS = {
    "kudos": N_(
        "recognise colleagues for the work behind the work: kudos @someone message, "
        "or kudos alone for a form"
    ),
}
# The template's name and descriptions, marked here so the catalogs carry them; a test checks
# that they match the template word for word.
TEMPLATE_TEXTS = (
    N_("Respite: burnout prevention for clinical teams"),
    N_("Anonymous one-minute pulses and team-level digests for clinical teams."),
    N_(
        "Respite helps clinical teams notice and ease burnout: an anonymous one-minute weekly "
        "check-in, gentle reminders, and team-level digests for leads that never expose an "
        "individual. Results are shown only when enough people answer."
    ),
)
MAX_TITLE = 32  # Respite's own limit for a command's title: a short menu
LOCALIZATION_SCHEMA = "MicrosoftTeams.Localization.schema.json"
ACCENT = (0x2E, 0x7D, 0x6B)
WHITE = (0xFF, 0xFF, 0xFF)

Pixel = tuple[int, int, int, int]


def png(width: int, height: int, pixel: Callable[[int, int], Pixel]) -> bytes:
    """An RGBA PNG, row by row."""
    raw = bytearray()
    for y in range(height):
        raw.append(0)  # filter: none
        for x in range(width):
            raw.extend(pixel(x, y))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(raw), 9))
        + chunk(b"IEND", b"")
    )


def _mark(size: int, x: int, y: int) -> bool:
    """Respite's mark: a ring with a rising leaf inside, scaled to the icon."""
    c = (size - 1) / 2
    dx, dy = (x - c) / size, (y - c) / size
    r = math.hypot(dx, dy)
    ring = 0.34 <= r <= 0.44
    # A leaf: the intersection of two discs, tilted along the diagonal.
    a = math.hypot(dx - 0.09, dy - 0.09) <= 0.22
    b = math.hypot(dx + 0.09, dy + 0.09) <= 0.22
    return ring or (a and b)


def color_icon(size: int = 192) -> bytes:
    def pixel(x: int, y: int) -> Pixel:
        return (*WHITE, 255) if _mark(size, x, y) else (*ACCENT, 255)

    return png(size, size, pixel)


def outline_icon(size: int = 32) -> bytes:
    def pixel(x: int, y: int) -> Pixel:
        return (*WHITE, 255) if _mark(size, x, y) else (0, 0, 0, 0)

    return png(size, size, pixel)


def fit_description(text: str, limit: int = MAX_DESCRIPTION) -> str:
    """`text` if it fits, else cut at the last whole word with an ellipsis, within `limit`."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    if " " in head:
        head = head.rsplit(" ", 1)[0]
    return head.rstrip(" ,;:(") + "…"


def commands() -> list[dict[str, str]]:
    """The command menu in the current language, always in the same order (Teams keys the
    language files' strings by position)."""
    described = {
        **dict(help_topics(Platform.TEAMS)),
        **{word: _(text) for word, text in MENU_DESCRIPTIONS.items()},
    }
    words = list(dict.fromkeys([*described, *router.COMMANDS, *router.SUBCOMMANDS]))
    return [
        {
            "title": localised(word)[:MAX_TITLE],
            "description": fit_description(described.get(word, f"Respite: {localised(word)}")),
        }
        for word in words[:MAX_COMMANDS]
    ]


def strings(manifest_data: dict[str, Any], locale: str) -> dict[str, Any]:
    """One language's strings file: the manifest's texts translated, keyed as Teams reads them."""
    schema = str(manifest_data.get("$schema", ""))
    with use_locale(locale):
        out: dict[str, Any] = {
            "$schema": schema.rsplit("/", 1)[0] + "/" + LOCALIZATION_SCHEMA,
            "name.short": _(manifest_data["name"]["short"]),
            "name.full": _(manifest_data["name"]["full"]),
            "description.short": _(manifest_data["description"]["short"]),
            "description.full": _(manifest_data["description"]["full"]),
        }
        if manifest_data.get("bots"):
            for n, command in enumerate(commands()):
                key = f"bots[0].commandLists[0].commands[{n}]"
                out[f"{key}.title"] = command["title"]
                out[f"{key}.description"] = command["description"]
    return out


def check_version(version: str) -> str:
    if not SEMVER.fullmatch(version):
        raise ValueError(
            f"the app version must be a semantic version MAJOR.MINOR.PATCH such as 1.2.3, "
            f"not {version!r}"
        )
    return version


def check_https_url(what: str, url: str) -> str:
    """An absolute https URL with a host, no credentials, spaces or control characters."""
    problem = None
    if len(url) > MAX_URL:
        problem = f"is longer than {MAX_URL} characters"
    elif any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        problem = "contains spaces or control characters"
    else:
        try:
            parts = urlsplit(url)
            port_ok = parts.port is None or parts.port > 0
        except ValueError:
            parts, port_ok = None, False
        if parts is None or not port_ok:
            problem = "is not a valid URL"
        elif parts.scheme != "https":
            problem = "must start with https://"
        elif not parts.hostname:
            problem = "has no host"
        elif parts.username is not None or parts.password is not None:
            problem = "must not carry a user name or password"
    if problem:
        raise ValueError(f"the {what} URL {problem}: {url!r}")
    return url


@dataclass(frozen=True)
class PackageOptions:
    """What the admin chooses; checked on creation, so a bad value never reaches a manifest."""

    app_id: str
    version: str = DEFAULT_VERSION
    privacy_url: str = DEFAULT_PRIVACY_URL
    terms_url: str = DEFAULT_TERMS_URL

    def __post_init__(self) -> None:
        if not GUID.fullmatch(self.app_id):
            raise ValueError(f"the Microsoft app id must be a GUID, not {self.app_id!r}")
        check_version(self.version)
        check_https_url("privacy", self.privacy_url)
        check_https_url("terms of use", self.terms_url)


def _fill(value: Any, values: dict[str, str]) -> Any:
    """The template with every placeholder string replaced, after parsing, so that no value can
    break the JSON."""
    if isinstance(value, dict):
        return {k: _fill(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, values) for v in value]
    if isinstance(value, str):
        for placeholder, text in values.items():
            value = value.replace(placeholder, text)
    return value


def manifest(options: PackageOptions, template: Traversable = TEMPLATE) -> dict[str, Any]:
    values = {
        "{{MICROSOFT_APP_ID}}": options.app_id,
        "{{VERSION}}": options.version,
        "{{PRIVACY_URL}}": options.privacy_url,
        "{{TERMS_URL}}": options.terms_url,
    }
    data: dict[str, Any] = _fill(json.loads(template.read_text(encoding="utf-8")), values)
    with use_locale(DEFAULT_LOCALE):
        for bot in data.get("bots", []):
            bot["commandLists"] = [{"scopes": list(bot["scopes"]), "commands": commands()}]
    data["localizationInfo"] = {
        "defaultLanguageTag": DEFAULT_LOCALE,
        "additionalLanguages": [
            {"languageTag": locale, "file": f"{locale}.json"}
            for locale in LOCALES
            if locale != DEFAULT_LOCALE
        ],
    }
    return data


def build_package(out: Path, options: PackageOptions, template: Traversable = TEMPLATE) -> Path:
    data = manifest(options, template)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps(data, indent=2) + "\n")
        for language in data["localizationInfo"]["additionalLanguages"]:
            text = strings(data, language["languageTag"])
            zf.writestr(language["file"], json.dumps(text, indent=2, ensure_ascii=False) + "\n")
        zf.writestr(data["icons"]["color"], color_icon())
        zf.writestr(data["icons"]["outline"], outline_icon())
    return out
