"""`respite demo --language de|es` tells the whole story in that language.

The narration is the demo's own; the cards come from the production paths, which speak the
language because the demo team's roster names it. English stays the default.
"""

from __future__ import annotations

import re
import subprocess
import sys

from bot.demo.run import run_demo
from bot.infra.i18n import _, use_locale
from tests.support.cli import ROOT

# Lines the demo prints that are the same in every language: the scheduler job's own report
# (operator output, like a log line, so not translated) and lines with no words at all.
NEUTRAL = (
    re.compile(r"^\s+\d{4}-W\d{2}: "),
    re.compile(r"^[\s═┌│└]*$"),
)
HEADING = re.compile(r"^  → .*:$")
BOX = re.compile(r"^(\s*)[┌│└]")


def _narration(lines: list[str]) -> list[str]:
    """The demo's own lines: everything but the cards it shows.

    A console card is drawn in a box (┌ │ └) whose last line may wrap below its └; a Teams card
    is summarised under its "  → someone receives:" heading, six spaces in.
    """
    out: list[str] = []
    box_indent: int | None = None  # the column of the open box's └, for its wrapped lines
    under_heading = False
    for line in lines:
        indent = len(line) - len(line.lstrip(" "))
        if box := BOX.match(line):
            box_indent = len(box.group(1)) if line.lstrip().startswith("└") else None
            continue
        if box_indent is not None and indent > box_indent and line.strip():
            continue
        box_indent = None
        if under_heading and indent >= 6:
            continue
        under_heading = bool(HEADING.match(line))
        out.append(line)
    return out


def _demo_cli(language: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--language", language],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


async def test_the_german_demo_narrates_in_german_and_shows_german_cards() -> None:
    english: list[str] = []
    assert await run_demo(None, lambda text: english.extend(text.split("\n"))) == 0
    german = _demo_cli("de")
    out = "\n".join(german)

    # The narration, with dates written the German way.
    assert "══ Woche 1: Montag, 4. Januar 2027, 10:00 ══" in german
    assert "══ Woche der Anerkennung: Montag, 15. Februar 2027 ══" in german
    assert "  Ana (Psychotherapeutin) tippt auf „Check-in starten“ und sieht:" in out
    assert "  Mo. 17:40 Ana würdigt Fatima nach einer schweren Familiensitzung:" in german
    # The cards: the clinicians' invitations on the console and on Teams, their resources.
    assert out.count("  → Ana (Psychotherapeutin) erhält:") >= 1
    assert "    ┌ Zeit für den einminütigen Check-in dieser Woche" in german
    assert "      Zeit für den einminütigen Check-in dieser Woche" in german  # the Teams summary
    assert "│ • Kollegiale Fallberatung: donnerstags 12:30, Raum 2" in out
    assert "[Check-in starten]" in out

    # No line of the English narration is left as it was.
    english_narration = set(_narration(english))
    untranslated = [
        line
        for line in dict.fromkeys(_narration(german))
        if line in english_narration and not any(p.match(line) for p in NEUTRAL)
    ]
    assert untranslated == []


async def test_the_spanish_demo_narrates_in_spanish() -> None:
    lines: list[str] = []
    assert await run_demo(None, lambda text: lines.extend(text.split("\n")), "es") == 0
    assert "══ Semana 1: lunes 4 de enero de 2027, 10:00 ══" in lines
    assert "  Miércoles 10:00: un recordatorio va a la 1 persona que no ha respondido." in lines
    assert "  → Ana (psicoterapeuta) recibe:" in lines
    with use_locale("es"):
        start = _("Start check-in")
    assert start != "Start check-in"
    assert f"    │ [{start}]" in lines  # the invitation card, in Spanish
    assert f"  Ana (psicoterapeuta) pulsa «{start}» y ve:" in lines
