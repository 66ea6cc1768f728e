"""Respite installs itself for roster members it cannot reach yet, so the first pulse reaches
everyone.

On Teams a bot may message only people it shares a chat with. Without help, that is someone who
wrote to it first or sits in a team it was added to, and a new clinician is invited to nothing
until then. With Graph's application permission TeamsAppInstallation.ReadWriteSelfForUser.All the
app installs itself in a person's personal scope, which creates the 1:1 chat; its id is enough to
message them (Bot Framework takes the chat id as the conversation id). Per person: one POST to
install (409 means it already was), one GET for the installation's id, one GET for its chat; the
app's id in the organisation's catalog is looked up once (AppCatalog.Read.All).

The reference stored here names the chat and a default service URL; Teams answers the
installation with an installationUpdate turn, and that turn's reference (or any later one)
replaces it, as every turn does. Only members without a reference are tried, so once everyone is
reachable a run makes no Graph call at all.

Runs are started by `InstallTick`, one of the scheduling replica's minute ticks: at start, daily,
when member sync changes the roster, and an hour after a run that left someone out. A run works
in the background: the tick never waits for Graph.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from botbuilder.schema import ChannelAccount, ConversationAccount, ConversationReference

from bot.domain.directory import RosterDirectory
from bot.domain.messages import Platform
from bot.domain.ports.addresses import Address, AddressBook
from bot.platforms.msteams.graph import RETRY_STATUSES, GraphClient, GraphError, quoted

log = logging.getLogger(__name__)

PERMISSION_INSTALL = "TeamsAppInstallation.ReadWriteSelfForUser.All"
PERMISSION_CATALOG = "AppCatalog.Read.All"
DEFAULT_SERVICE_URL = "https://smba.trafficmanager.net/teams/"
CONCURRENCY = 4  # people installed side by side; Graph's throttling decides the real pace
RUN_EVERY = timedelta(days=1)
RETRY_FAILED_AFTER = timedelta(hours=1)


class InstallRefused(Exception):
    """Graph refused a permission the whole run needs; the message names it, in one line."""


@dataclass(slots=True)
class InstallReport:
    installed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # user -> one-line reason
    refused: str | None = None  # a permission the app lacks: nobody could be installed
    calls: int = 0


def permission_line(exc: GraphError, permission: str, what: str) -> str:
    return (
        f"Microsoft Graph refused to {what} ({exc.code}); grant the app the {permission} "
        "application permission (with admin consent) so Respite can install itself for "
        "members it cannot reach"
    )


class ProactiveInstaller:
    def __init__(
        self,
        graph: GraphClient,
        contacts: AddressBook,
        app_id: str,
        tenant_id: str | None,
        now: Callable[[], datetime],
        service_url: str = DEFAULT_SERVICE_URL,
        concurrency: int = CONCURRENCY,
    ) -> None:
        self._graph = graph
        self._contacts = contacts
        self._app_id = app_id
        self._tenant_id = tenant_id
        self._now = now
        self._service_url = service_url
        self._concurrency = concurrency
        self._catalog_id: str | None = None

    async def unreachable(self, users: Iterable[str]) -> list[str]:
        """Those of `users` without a saved conversation reference."""
        missing = []
        for user in sorted(set(users)):
            contact = await self._contacts.get("user", user)
            if contact is None or not contact.reference:
                missing.append(user)
        return missing

    async def catalog_id(self) -> str:
        """The app's id in the organisation's catalog (not the manifest's id, which is the
        catalog entry's externalId)."""
        if self._catalog_id is None:
            try:
                found = await self._graph.get(
                    "/appCatalogs/teamsApps",
                    {"$filter": f"externalId eq '{_literal(self._app_id)}'"},
                )
            except GraphError as exc:
                if exc.status == 403:
                    raise InstallRefused(
                        permission_line(exc, PERMISSION_CATALOG, "read the org's app catalog")
                    ) from None
                raise
            apps = found.get("value") or []
            if not apps:
                raise InstallRefused(
                    f"Respite (manifest id {self._app_id}) is not in the organisation's Teams "
                    "app catalog; upload the package from `respite teams-package` in the Teams "
                    "admin center first"
                )
            self._catalog_id = str(apps[0]["id"])
        return self._catalog_id

    async def check(self, user: str) -> str | None:
        """Whether Graph would let the app install itself, asked without installing anything
        (the catalog, and `user`'s installed apps): None, or one line saying why not."""
        try:
            await self.catalog_id()
            await self._graph.get(
                f"/users/{quoted(user)}/teamwork/installedApps",
                {"$filter": f"teamsApp/externalId eq '{_literal(self._app_id)}'"},
            )
        except InstallRefused as exc:
            return str(exc)
        except GraphError as exc:
            if exc.status == 403:
                return permission_line(exc, PERMISSION_INSTALL, "read a user's installed apps")
            if exc.status != 404:  # 404: this person is unknown to Teams, not a permission
                return f"Microsoft Graph could not be asked ({exc})"
        return None

    async def install_for(self, user: str) -> str:
        """Install the app for one person, store a reference to their chat; its id."""
        catalog_id = await self.catalog_id()
        apps = f"/users/{quoted(user)}/teamwork/installedApps"
        try:
            await self._graph.post(
                apps,
                {
                    "teamsApp@odata.bind": (
                        f"{self._graph.base_url}/appCatalogs/teamsApps/{quoted(catalog_id)}"
                    )
                },
            )  # 201 Created, or 409 Conflict: installed already
            listed = await self._graph.get(
                apps,
                {
                    "$expand": "teamsApp",
                    "$filter": f"teamsApp/externalId eq '{_literal(self._app_id)}'",
                },
            )
            installs = listed.get("value") or []
            if not installs:
                raise GraphError(404, "NotFound", "installed, but not listed yet")
            chat = await self._graph.get(f"{apps}/{quoted(str(installs[0]['id']))}/chat")
        except GraphError as exc:
            if exc.status == 403:
                raise InstallRefused(
                    permission_line(exc, PERMISSION_INSTALL, "install the app for a user")
                ) from None
            raise
        chat_id = str(chat.get("id") or "")
        if not chat_id:
            raise GraphError(404, "NotFound", "the installation has no chat yet")
        await self._save(user, chat_id)
        return chat_id

    async def _save(self, user: str, chat_id: str) -> None:
        # A turn that arrived meanwhile brought the real reference: keep it.
        known = await self._contacts.get("user", user)
        if known is not None and known.reference:
            return
        reference = ConversationReference(
            channel_id="msteams",
            service_url=self._service_url,
            conversation=ConversationAccount(
                id=chat_id, conversation_type="personal", tenant_id=self._tenant_id
            ),
            bot=ChannelAccount(id=f"28:{self._app_id}"),
            user=ChannelAccount(aad_object_id=user),
        )
        await self._contacts.upsert(
            Address(
                "user",
                user,
                reference=reference.serialize(),
                tenant_id=self._tenant_id,
                service_url=self._service_url,
            ),
            self._now(),
        )

    async def reach(self, users: Iterable[str]) -> InstallReport:
        """Install for everyone of `users` the bot cannot reach; never raises for one person.

        A missing permission stops the run (`refused`); so does Graph out of reach or still
        throttling after the client's retries: everyone left is `failed`, for the next run,
        rather than each waiting out the same retries in turn.
        """
        report = InstallReport()
        before = self._graph.calls
        missing = await self.unreachable(users)
        if not missing:
            return report
        limit = asyncio.Semaphore(self._concurrency)
        stop: list[str] = []

        async def one(user: str) -> None:
            async with limit:
                if stop:
                    report.failed.setdefault(user, stop[0])
                    return
                try:
                    await self.install_for(user)
                    report.installed.append(user)
                except InstallRefused as exc:
                    report.refused = report.refused or str(exc)
                    stop.append(str(exc))
                except GraphError as exc:
                    report.failed[user] = _person_reason(exc)
                    if exc.status == 0 or exc.status in RETRY_STATUSES:
                        stop.append(report.failed[user])

        # The first person alone: a missing permission then costs one refused call, not four.
        await one(missing[0])
        await asyncio.gather(*(one(u) for u in missing[1:]))
        if report.refused:
            report.failed.clear()  # nobody could be installed; the permission is the one reason
        report.calls = self._graph.calls - before
        return report


def _literal(value: str) -> str:
    return value.replace("'", "''")


def _person_reason(exc: GraphError) -> str:
    if exc.status == 404:
        return f"not found in Teams ({exc}); a Teams licence may be missing"
    return str(exc)


def teams_people(directory: RosterDirectory) -> frozenset[str]:
    """Everyone a Teams team may invite or send a digest to: members and leads."""
    people: set[str] = set()
    for team in directory.teams():
        if team.platform == Platform.TEAMS:
            people |= team.members | team.leads
    return frozenset(people)


class InstallTick:
    """Starts an installation run in the background when one is due (Runtime.extra_ticks)."""

    def __init__(
        self,
        installer: ProactiveInstaller,
        directory: RosterDirectory,
        now: Callable[[], datetime],
    ) -> None:
        self.installer = installer
        self._directory = directory
        self._now = now
        self._people: frozenset[str] | None = None
        self._next: datetime | None = None
        self._task: asyncio.Task[InstallReport] | None = None
        self._started = asyncio.Event()
        self.last: InstallReport | None = None

    async def __call__(self, deps: object) -> None:
        if self._task is not None and not self._task.done():
            return
        people = teams_people(self._directory)
        now = self._now()
        if people == self._people and self._next is not None and now < self._next:
            return
        self._people = people
        self._next = now + RUN_EVERY  # until the run says otherwise
        self._task = asyncio.create_task(self._run(people))
        self._started.set()

    async def _run(self, people: frozenset[str]) -> InstallReport:
        try:
            report = await self.installer.reach(people)
            # Member sync may have finished meanwhile (at start both begin together): the people
            # it added are tried now, not at the next tick.
            for _ in range(2):
                now_listed = teams_people(self._directory)
                if now_listed == people or report.refused:
                    break
                people = self._people = now_listed
                more = await self.installer.reach(people)
                report = InstallReport(
                    [*report.installed, *more.installed],
                    {**report.failed, **more.failed},
                    more.refused,
                    report.calls + more.calls,
                )
        except Exception as exc:  # the database, most likely: a run in an hour tries again
            log.warning(
                "Teams: installing Respite for members it cannot reach stopped (%s); trying "
                "again within the hour",
                type(exc).__name__,
            )
            report = InstallReport(failed={"": type(exc).__name__})
        else:
            _log(report)
        if report.failed and not report.refused:  # someone left out: try again within the hour
            self._next = min(self._next or self._now(), self._now() + RETRY_FAILED_AFTER)
        self.last = report
        return report

    async def wait(self) -> InstallReport:
        """The run in progress or last finished, once it has finished (waiting for a first)."""
        await self._started.wait()
        assert self._task is not None
        return await asyncio.shield(self._task)

    async def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


def _log(report: InstallReport) -> None:
    if report.refused:
        log.warning(
            "Teams: members who never wrote to Respite stay unreachable: %s", report.refused
        )
        return
    if report.installed:
        log.info(
            "Teams: installed Respite for %d member(s) it could not reach (%d Graph calls)",
            len(report.installed),
            report.calls,
        )
    if report.failed:
        reasons: dict[str, int] = {}
        for reason in report.failed.values():
            reasons[reason] = reasons.get(reason, 0) + 1
        log.warning(
            "Teams: could not install Respite for %d member(s): %s",
            len(report.failed),
            "; ".join(f"{r} x{n}" for r, n in sorted(reasons.items())),
        )
