"""Microsoft Teams as a plug-in: an app id or a Teams team in the roster turns it on. It serves
the Bot Framework route, and with Graph credentials looks members up and installs itself for
people it cannot reach yet."""

from __future__ import annotations

from bot.config import RosterConfig, Settings
from bot.domain.messages import Platform
from bot.platforms.plugin import Wired, Wiring

EMULATOR_NOTICE = (
    "TEAMS AUTHENTICATION IS OFF: MICROSOFT_APP_ID is not set, so /api/messages runs in local "
    "emulator mode. It serves loopback clients only, accepts requests without a Bot Framework "
    "token and replies without one. Set MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD before "
    "connecting Respite to Microsoft Teams."
)
ROUTE = "/api/messages"


class TeamsPlugin:
    platform = Platform.TEAMS

    def configured(self, settings: Settings, roster: RosterConfig) -> bool:
        in_roster = any(t.platform == self.platform for t in roster.team_list)
        return bool(settings.microsoft_app_id) or in_roster

    async def wire(self, wiring: Wiring) -> Wired:
        from bot.platforms.msteams import graph_setup
        from bot.platforms.msteams.adapter import TeamsCredentials
        from bot.platforms.msteams.app import build_teams
        from bot.platforms.msteams.reach import reach

        settings, contacts = wiring.settings, wiring.addresses
        wired = Wired()
        password = settings.microsoft_app_password
        credentials = TeamsCredentials(
            app_id=settings.microsoft_app_id,
            app_password=password.get_secret_value() if password else None,
            tenant_id=settings.microsoft_app_tenant_id,
            app_type=settings.microsoft_app_type,
            openid_metadata_url=settings.to_bot_from_channel_openid_metadata_url,
            sdk=settings.teams_sdk,
            login_url=settings.microsoft_login_url,
        )
        teams = build_teams(wiring.deps, contacts, credentials, wiring.clock.now)
        if credentials.auth_enabled:
            from bot.platforms.msteams.startup import credentials_check

            wired.checks.append(
                ("Teams", credentials_check(credentials, settings.microsoft_login_url))
            )
        else:
            wired.notices.append(EMULATOR_NOTICE)
            wired.loopback_only.add(ROUTE)
        wired.sender = teams.sender
        wired.routes[ROUTE] = teams.route
        graph_creds = graph_setup.graph_credentials(
            credentials.app_id, credentials.app_password, credentials.tenant_id,
            settings.microsoft_login_url,
        )  # fmt: skip
        roster = wiring.roster
        if graph_creds is not None:
            graph = graph_setup.teams_graph(
                graph_creds, settings.graph_api_url, settings.teams_service_url, contacts,
                wiring.directory, wiring.clock.now,
            )  # fmt: skip
            wired.lookup = graph.lookup
            wired.closers.append(graph.close)
            wired.ticks.append(graph.tick)
        elif line := graph_setup.groups_without_graph(roster.team_list):
            wired.notices.append(line)
        unreachable = sum(len(r.unreachable) for r in await reach(roster.team_list, contacts))
        if unreachable:
            wired.notices.append(
                f"Teams: {unreachable} roster member(s) cannot be reached yet (no chat with the "
                "bot and not seen in an installed team); `respite check-config --reach` lists them"
                + ("; Respite installs itself for them in the background" if graph_creds else "")
            )
        return wired
