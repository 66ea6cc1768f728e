"""The registered platforms: one line per platform. The composition root wires each one the
settings or roster ask for, in this order."""

from __future__ import annotations

from bot.platforms.msteams.plugin import TeamsPlugin
from bot.platforms.plugin import PlatformPlugin
from bot.platforms.slack.plugin import SlackPlugin

PLUGINS: list[PlatformPlugin] = [
    SlackPlugin(),
    TeamsPlugin(),
]


def plugins() -> tuple[PlatformPlugin, ...]:
    return tuple(PLUGINS)


def register(plugin: PlatformPlugin) -> None:
    """Add a platform defined elsewhere (a package of its own, or a test's)."""
    if plugin not in PLUGINS:
        PLUGINS.append(plugin)


def unregister(plugin: PlatformPlugin) -> None:
    if plugin in PLUGINS:
        PLUGINS.remove(plugin)
