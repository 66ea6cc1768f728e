"""The Teams app package admins upload: manifest.json with the app id, and two icons.

The manifest template lives in deploy/teams/; the command list comes from the routing tables so
that a word a feature adds shows up in Teams' command menu without editing the template. The
icons are drawn here (a plain PNG encoder, no imaging library): a colour icon 192x192 and a white
outline icon 32x32 on transparency, as Teams requires.
"""

from __future__ import annotations

import json
import math
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.domain.messages import Platform
from handlers import router
from handlers.info import help_topics

TEMPLATE = Path(__file__).resolve().parents[3] / "deploy" / "teams" / "manifest.json"
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
MAX_COMMANDS = 10
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


def commands() -> list[dict[str, str]]:
    described = dict(help_topics(Platform.TEAMS))
    words = list(dict.fromkeys([*described, *router.COMMANDS, *router.SUBCOMMANDS]))
    return [
        {"title": word[:32], "description": described.get(word, f"Respite: {word}")[:128]}
        for word in words[:MAX_COMMANDS]
    ]


def manifest(app_id: str, version: str = "1.0.0", template: Path = TEMPLATE) -> dict[str, Any]:
    if not GUID.match(app_id):
        raise ValueError(f"the Microsoft app id must be a GUID, not {app_id!r}")
    text = template.read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(
        text.replace("{{MICROSOFT_APP_ID}}", app_id).replace("{{VERSION}}", version)
    )
    for bot in data.get("bots", []):
        bot["commandLists"] = [{"scopes": list(bot["scopes"]), "commands": commands()}]
    return data


def build_package(
    out: Path, app_id: str, version: str = "1.0.0", template: Path = TEMPLATE
) -> Path:
    data = manifest(app_id, version, template)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps(data, indent=2) + "\n")
        zf.writestr(data["icons"]["color"], color_icon())
        zf.writestr(data["icons"]["outline"], outline_icon())
    return out
