"""The Slack app manifest agrees with the app: the same commands, one request URL that the web app
serves, and a bot scope for every Web API method the adapter calls."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml

from bot.platforms.slack.app import BOT_EVENTS, SLASH_COMMANDS
from bot.platforms.slack.installations import BOT_SCOPES
from handlers.router import SUBCOMMANDS
from tests.support.slack_driver import signed_headers
from tests.support.slack_harness import SlackHarness

ROOT = Path(__file__).parent.parent
MANIFEST = ROOT / "deploy" / "slack" / "manifest.yaml"
# The same app for a server nothing outside can reach: Slack over a WebSocket Respite opens.
SOCKET_MANIFEST = ROOT / "deploy" / "slack" / "manifest-socket-mode.yaml"

# Commands the manifest declares ahead of the app's own table: /kudos (recognition) takes user
# mentions, so Slack must escape them into ids.
PLANNED_COMMANDS = {"/kudos"}

# The bot scope each Web API method needs (api.slack.com/methods). A method the adapter calls
# that is missing here fails the test: add it with its scope.
METHOD_SCOPES: dict[str, set[str]] = {
    "chat_postMessage": {"chat:write"},
    "chat_postEphemeral": {"chat:write"},
    "chat_update": {"chat:write"},
    "chat_delete": {"chat:write"},
    "conversations_open": {"im:write"},
    "conversations_members": {"channels:read", "groups:read"},
    "conversations_info": {"channels:read", "groups:read"},
    "usergroups_users_list": {"usergroups:read"},
    "users_info": {"users:read"},
    "dnd_info": {"dnd:read"},
    "dnd_teamInfo": {"dnd:read"},
    "files_upload_v2": {"files:write"},
    "views_open": set(),  # needs only a trigger_id from a command or an interaction
    "views_update": set(),
    "views_push": set(),
    "auth_test": set(),
    # Socket Mode's address, asked for with the app-level token (connections:write), not the bot's.
    "apps_connections_open": set(),
}


def _manifest(path: Path = MANIFEST) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    return data


def _request_urls(m: dict[str, Any]) -> list[str]:
    urls = [c["url"] for c in m["features"]["slash_commands"]]
    urls.append(m["settings"]["interactivity"]["request_url"])
    urls.append(m["settings"]["event_subscriptions"]["request_url"])
    return urls


def test_commands_match_the_app() -> None:
    commands = {c["command"]: c for c in _manifest()["features"]["slash_commands"]}
    assert set(SLASH_COMMANDS) <= set(commands)
    assert set(commands) <= set(SLASH_COMMANDS) | PLANNED_COMMANDS
    assert "/kudos" in commands
    # Both commands that take @mentions need Slack to escape them into user ids.
    assert commands["/kudos"]["should_escape"] is True
    assert commands["/respite"]["should_escape"] is True
    for name, command in commands.items():
        assert command["description"], name
        assert len(command["description"]) <= 100, name
        assert isinstance(command["should_escape"], bool), name


async def test_respite_usage_hint_lists_every_word() -> None:
    """The hint Slack shows under `/respite` names every word the router answers."""
    commands = {c["command"]: c for c in _manifest()["features"]["slash_commands"]}
    hint = commands["/respite"]["usage_hint"]
    words = {w.strip() for w in hint.strip("[]").split("|")}
    assert words == set(SUBCOMMANDS) - {"checkin"}  # /checkin is its own command


async def test_one_https_request_url_the_app_serves(slack_app: SlackHarness) -> None:
    m = _manifest()
    urls = _request_urls(m)
    assert len(set(urls)) == 1
    url = urlparse(urls[0])
    assert url.scheme == "https"
    assert url.hostname == "your-host"
    assert url.path in slack_app.respite.routes
    assert m["settings"]["interactivity"]["is_enabled"] is True
    assert m["settings"]["socket_mode_enabled"] is False


async def test_event_subscription_url_passes_slacks_verification(slack_app: SlackHarness) -> None:
    """Slack checks an Events API request URL with a signed url_verification challenge."""
    challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    body = json.dumps({"token": "t", "challenge": challenge, "type": "url_verification"})
    resp = await slack_app.slack.post(body, signed_headers(body, content_type="application/json"))
    assert resp.status == 200
    assert challenge in await resp.text()


async def test_every_subscribed_bot_event_has_a_listener(slack_app: SlackHarness) -> None:
    """An event nobody listens to gets bolt's 404, and Slack disables failing subscriptions."""
    events = _manifest()["settings"]["event_subscriptions"].get("bot_events") or []
    for name in events:
        body = (
            '{"type": "event_callback", "team_id": "T0001", "api_app_id": "A123456", '
            f'"event": {{"type": "{name}", "user": "U001", "event_ts": "1.0"}}, '
            '"event_id": "Ev1", "event_time": 1}'
        )
        resp = await slack_app.slack.post(
            body, signed_headers(body, content_type="application/json")
        )
        assert resp.status == 200, name


def _called_methods() -> set[str]:
    """The Web API methods (slack_sdk's names) called anywhere in the app's code but the Teams
    adapter, whose connector clients speak Bot Framework, not Slack."""
    called: set[str] = set()
    teams = ROOT / "bot" / "platforms" / "msteams"
    for folder in (ROOT / "bot", ROOT / "handlers"):
        for source in folder.rglob("*.py"):
            if source.is_relative_to(teams):
                continue
            called |= set(re.findall(r"client\.([a-z]+_[A-Za-z0-9_]+)\(", source.read_text()))
    return called


def test_bot_scopes_cover_the_methods_the_adapter_calls() -> None:
    scopes = set(_manifest()["oauth_config"]["scopes"]["bot"])
    called = _called_methods()
    assert called, "found no Web API calls in the Slack adapter"
    assert {"chat_postMessage", "files_upload_v2"} <= called
    unknown = called - set(METHOD_SCOPES)
    assert not unknown, f"add the scopes of {sorted(unknown)} to METHOD_SCOPES"
    for method in called:
        assert METHOD_SCOPES[method] <= scopes, f"{method} needs {METHOD_SCOPES[method]}"
    required = {
        "chat:write", "commands", "users:read", "channels:read",
        "groups:read", "usergroups:read", "dnd:read", "files:write",
    }  # fmt: skip
    assert required <= scopes
    # Slash commands need `commands`; no user token scopes are asked for.
    assert "user" not in _manifest()["oauth_config"]["scopes"]


def test_bot_scopes_are_only_those_the_app_uses() -> None:
    """Least privilege: no scope is asked for that no called method (or a command) needs."""
    scopes = set(_manifest()["oauth_config"]["scopes"]["bot"])
    needed = {"commands"}.union(*(METHOD_SCOPES[m] for m in _called_methods()))
    assert scopes <= needed, f"unused scopes: {sorted(scopes - needed)}"
    # Direct messages go by chat.postMessage to a user id; nothing opens a conversation.
    assert "conversations_open" not in _called_methods()
    assert "im:write" not in scopes


def test_display_information_fits_slacks_limits() -> None:
    info = _manifest()["display_information"]
    assert 1 <= len(info["name"]) <= 35
    assert len(info["description"]) <= 140
    assert 174 <= len(info["long_description"]) <= 4000
    assert re.fullmatch(r"#[0-9a-fA-F]{6}", info["background_color"])


def test_app_home_allows_the_bots_direct_messages() -> None:
    home = _manifest()["features"]["app_home"]
    assert home["messages_tab_enabled"] is True
    bot_user = _manifest()["features"]["bot_user"]
    assert bot_user["display_name"]


def _url_fields(node: Any, where: str = "") -> list[str]:
    """Where a manifest names a URL: any `url` or `*_url` key, or a value that is one."""
    if isinstance(node, dict):
        found = [f"{where}.{k}" for k in node if k == "url" or str(k).endswith("_url")]
        for key, value in node.items():
            found += _url_fields(value, f"{where}.{key}")
        return found
    if isinstance(node, list):
        return [f for i, item in enumerate(node) for f in _url_fields(item, f"{where}[{i}]")]
    return [where] if isinstance(node, str) and "://" in node else []


def test_socket_mode_manifest_has_no_urls_and_socket_mode_on() -> None:
    m = _manifest(SOCKET_MANIFEST)
    assert _url_fields(m) == []
    assert m["settings"]["socket_mode_enabled"] is True
    assert m["settings"]["interactivity"]["is_enabled"] is True
    # The HTTP manifest names a URL for each command, interactivity and events.
    assert len(set(_url_fields(_manifest()))) == len(_request_urls(_manifest()))


def test_socket_mode_manifest_is_the_http_one_less_its_urls() -> None:
    """Same commands, scopes, shortcuts, events and app settings: the tests above, which hold
    the HTTP manifest to the app, hold for this one too."""
    http, socket = _manifest(), _manifest(SOCKET_MANIFEST)
    commands = [
        {k: v for k, v in c.items() if k != "url"} for c in http["features"]["slash_commands"]
    ]
    assert socket["features"]["slash_commands"] == commands
    assert {c["command"] for c in commands} >= set(SLASH_COMMANDS)
    assert socket["oauth_config"] == http["oauth_config"]
    assert socket["display_information"] == http["display_information"]
    for feature in ("app_home", "bot_user", "shortcuts"):
        assert socket["features"].get(feature) == http["features"].get(feature), feature
    events = (socket["settings"].get("event_subscriptions") or {}).get("bot_events")
    assert events == http["settings"]["event_subscriptions"].get("bot_events")
    flags = ("org_deploy_enabled", "token_rotation_enabled")
    assert {f: socket["settings"][f] for f in flags} == {f: http["settings"][f] for f in flags}


def test_subscribed_bot_events_are_exactly_those_the_app_handles() -> None:
    for path in (MANIFEST, SOCKET_MANIFEST):
        events = _manifest(path)["settings"]["event_subscriptions"]["bot_events"]
        assert sorted(events) == sorted(BOT_EVENTS), path.name
        assert len(events) == len(set(events)), path.name


def test_an_install_through_oauth_asks_for_the_manifests_scopes() -> None:
    """/slack/install asks Slack for the bot scopes the manifest declares, no more, no fewer."""
    scopes = _manifest()["oauth_config"]["scopes"]["bot"]
    assert sorted(BOT_SCOPES) == sorted(scopes)
    assert len(BOT_SCOPES) == len(set(BOT_SCOPES))
