"""Slack as a plug-in: a bot token or an OAuth install turns it on; a signing secret serves the
Events API route, an app token the Socket Mode link."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from bot.config import RosterConfig, Settings
from bot.domain.messages import Platform
from bot.platforms.plugin import Wired, Wiring

if TYPE_CHECKING:
    from bot.platforms.slack.installations import OAuthInstall


class SlackPlugin:
    platform = Platform.SLACK

    def configured(self, settings: Settings, roster: RosterConfig) -> bool:
        return bool(settings.slack_bot_token) or _oauth(settings)

    async def wire(self, wiring: Wiring) -> Wired:
        from bot.platforms.slack.client import web_client, web_session
        from bot.platforms.slack.people import SlackPeople
        from bot.platforms.slack.sender import SlackMemberLookup, SlackSender

        settings = wiring.settings
        wired = Wired()
        oauth = _oauth(settings)
        token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
        http = web_session()
        wired.closers.append(http.close)
        # Installed through OAuth, each call carries its workspace's token, not the client's.
        client = web_client(None if oauth else token, settings.slack_api_url, http)
        install: OAuthInstall | None = None
        if oauth:
            install = _install(wiring)
            unplaced = sorted(
                t.id
                for t in wiring.roster.teams
                if t.platform == self.platform and not (t.slack_team_id or t.enterprise_id)
            )
            if unplaced:
                wired.notices.append(
                    "Slack is installed through OAuth, but these teams name no slack_team_id or "
                    f"enterprise_id, so only a roster naming one workspace reaches them: "
                    f"{', '.join(unplaced)}"
                )
        tokens = install.tokens if install is not None else None
        wired.sender = SlackSender(client, tokens)
        wired.lookup = SlackMemberLookup(client, tokens=tokens)
        people = SlackPeople(client, tokens=tokens, languages=wiring.deps.languages)
        if install is None:
            from bot.platforms.slack.startup import token_check

            wired.checks.append(("Slack", token_check(client)))
        wired.dnd = people
        wired.timezones = people
        signing_secret = settings.slack_signing_secret
        app_token = settings.slack_app_token
        if signing_secret or app_token:
            from bot.platforms.slack.app import build_slack_app, slack_route

            # One bolt app serves both ways. Without a signing secret it serves the socket only,
            # and its verifier holds a secret nobody knows (no route leads to it anyway).
            signing = signing_secret.get_secret_value() if signing_secret else None
            slack_app = build_slack_app(
                wiring.deps, client, signing or secrets.token_hex(32), wiring.inflight, install
            )
            if signing_secret:
                wired.routes["/slack/events"] = slack_route(slack_app)
            if install is not None:
                from bot.platforms.slack.installations import install_routes

                wired.get_routes.update(install_routes(slack_app))
            if app_token:
                from bot.platforms.slack.socket_mode import SlackSocket, app_token_check

                wired.link = SlackSocket(slack_app, app_token.get_secret_value())
                wired.checks.append(
                    ("Slack Socket Mode", app_token_check(client, app_token.get_secret_value()))
                )
        return wired


def _oauth(settings: Settings) -> bool:
    return bool(
        settings.slack_client_id and settings.slack_client_secret and settings.slack_state_secret
    )


def _install(wiring: Wiring) -> OAuthInstall:
    """Slack's OAuth install flow and per-workspace tokens, on Respite's own database."""
    from bot.platforms.slack.installations import oauth_install, workspace_of

    settings = wiring.settings
    assert settings.slack_client_id and settings.slack_client_secret
    assert settings.slack_state_secret
    workspaces = {
        t.id: where
        for t in wiring.roster.teams
        if (where := workspace_of(t.slack_team_id, t.enterprise_id)) is not None
    }
    return oauth_install(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        state_secret=settings.slack_state_secret.get_secret_value(),
        secret=wiring.secret,
        engine=wiring.engine,
        workspaces=workspaces,
        directory=wiring.directory,
    )
