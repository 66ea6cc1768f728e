"""The Teams app package admins upload: manifest.json with the app id, and two icons.

The manifest template is package data, bot/data/msteams/manifest.json, so the command works from an
installed wheel (and the Docker image) as well as from the source tree. The admin's app id,
version, privacy and terms URLs fill its placeholders; the command list comes from the routing
tables so that a word a feature adds shows up in Teams' command menu without editing the
template. The icons are drawn here (a plain PNG encoder, no imaging library): a colour icon
192x192 and a white outline icon 32x32 on transparency, as Teams requires.
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

from bot.domain.messages import Platform
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
    "kudos": "recognise colleagues for the work behind the work: kudos @someone message, "
    "or kudos alone for a form",
}
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
    described = {**dict(help_topics(Platform.TEAMS)), **MENU_DESCRIPTIONS}
    words = list(dict.fromkeys([*described, *router.COMMANDS, *router.SUBCOMMANDS]))
    return [
        {
            "title": word[:32],
            "description": fit_description(described.get(word, f"Respite: {word}")),
        }
        for word in words[:MAX_COMMANDS]
    ]


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
    for bot in data.get("bots", []):
        bot["commandLists"] = [{"scopes": list(bot["scopes"]), "commands": commands()}]
    return data


def build_package(out: Path, options: PackageOptions, template: Traversable = TEMPLATE) -> Path:
    data = manifest(options, template)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps(data, indent=2) + "\n")
        zf.writestr(data["icons"]["color"], color_icon())
        zf.writestr(data["icons"]["outline"], outline_icon())
    return out
