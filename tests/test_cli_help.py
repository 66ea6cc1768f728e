"""The command line explains itself: `respite` alone, `--version`, and help on every option."""

from __future__ import annotations

import argparse
from importlib import metadata
from pathlib import Path

from bot.cli.main import _parser
from tests.support.cli import run


def _parsers(parser: argparse.ArgumentParser) -> list[tuple[str, argparse.ArgumentParser]]:
    found = [(parser.prog, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += _parsers(sub)
    return found


def test_every_command_and_option_has_help() -> None:
    missing = []
    for prog, parser in _parsers(_parser()):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                missing += [
                    f"{prog} {c.dest}" for c in action._choices_actions if not (c.help or "")
                ]
                names = set(action.choices)
                described = {c.dest for c in action._choices_actions}
                missing += [f"{prog} {n}" for n in names - described]
            elif not (action.help or "").strip():
                missing.append(f"{prog} {'/'.join(action.option_strings) or action.dest}")
    assert missing == []


def test_respite_alone_prints_help(tmp_path: Path) -> None:
    result = run([], {"PATH": "/usr/bin:/bin"})
    assert result.returncode == 0
    assert result.stdout.startswith("usage: respite")
    for command in ("serve", "demo", "db", "pulse", "digest", "check-config", "teams-package"):
        assert f"    {command}" in result.stdout
    assert result.stderr == ""


def test_version() -> None:
    result = run(["--version"], {"PATH": "/usr/bin:/bin"})
    assert result.returncode == 0
    assert result.stdout.strip() == f"respite {metadata.version('respite')}"
