"""Settings from the environment and the roster file, validated before anything starts.

Roster errors name the team and the field, because the person fixing them is an admin editing a
YAML file, not a developer reading a traceback.
"""

from __future__ import annotations

import importlib.util
import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, get_args, get_origin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from apscheduler.triggers.cron import CronTrigger
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bot.domain.breaks import CommandError, parse_days, parse_hours, parse_time
from bot.domain.instrument import Instrument
from bot.domain.messages import Platform
from bot.domain.org import ORGANISATION_ID, Department, OrgChart
from bot.domain.shifts import parse_rota_pattern
from bot.domain.team import (
    DEFAULT_MIN_GROUP_SIZE,
    MIN_GROUP_SIZE_FLOOR,
    BreakDefaults,
    MemberSource,
    PulseSchedule,
    Rota,
    SupportResource,
    Team,
    WorkPattern,
)

SLACK_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")
# A Microsoft Entra ID (Azure AD) object id: how a roster names a person on Teams.
ENTRA_OBJECT_ID = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
DEFAULT_INSTRUMENT = Path(__file__).with_name("data") / "respite-pulse.yaml"


# The value .env.example ships for RESPITE_SECRET: recognised so that `respite serve` can say so.
EXAMPLE_SECRET_PLACEHOLDER = "replace-with-64-hex-characters"  # noqa: S105
GENERATE_SECRET = "python3 -c 'import secrets; print(secrets.token_hex(32))'"  # noqa: S105
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

logger = logging.getLogger(__name__)

# Set inside `respite demo`, which simulates everything and reads none of the environment.
_ENVIRONMENT_IGNORED: ContextVar[bool] = ContextVar("respite_environment_ignored", default=False)


@contextmanager
def environment_ignored() -> Iterator[None]:
    """Settings built inside take only their arguments and defaults, never the environment."""
    token = _ENVIRONMENT_IGNORED.set(True)
    try:
        yield
    finally:
        _ENVIRONMENT_IGNORED.reset(token)


def agents_sdk_problem() -> str | None:
    """Why the Microsoft 365 Agents SDK cannot host Teams here, or None when it can."""
    if sys.version_info < (3, 12):
        return (
            f"the Microsoft 365 Agents SDK needs Python 3.12 or newer, and this is Python "
            f"{sys.version_info.major}.{sys.version_info.minor}; run Respite on Python 3.12, "
            "or set TEAMS_SDK=botbuilder"
        )
    if importlib.util.find_spec("microsoft_agents") is None or any(
        importlib.util.find_spec(f"microsoft_agents.{name}") is None
        for name in ("activity", "hosting.core", "hosting.aiohttp")
    ):
        return (
            "the Microsoft 365 Agents SDK is not installed; install it with "
            "`pip install 'respite[agents]'` (or `pip install -e '.[agents]'` in a clone), "
            "or set TEAMS_SDK=botbuilder"
        )
    return None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    database_url: str = "sqlite:///respite.db"
    # How long start-up waits for a database that is still starting before giving up.
    database_wait_seconds: float = Field(default=60.0, ge=0)
    # Bounds on every wait for the database once running, so one that hangs fails requests in
    # seconds: connecting (libpq counts whole seconds, at least 2), waiting for a pooled
    # connection, and one statement (PostgreSQL's statement_timeout; the client gives up 5 s
    # later on a server that answers nothing).
    database_connect_timeout_seconds: float = Field(default=5.0, gt=0)
    database_pool_timeout_seconds: float = Field(default=10.0, gt=0)
    database_statement_timeout_seconds: float = Field(default=30.0, gt=0)
    respite_config: Path = Path("respite.yaml")
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    # An app-level token (xapp-…, scope connections:write): Slack over an outbound WebSocket
    # (Socket Mode) instead of requests to /slack/events; no signing secret needed then.
    slack_app_token: SecretStr | None = None
    slack_api_url: str | None = None
    # Installing through OAuth (one app in several workspaces or an Enterprise Grid org): with
    # all three set, /slack/install and /slack/oauth_redirect are served and each workspace's
    # bot token is kept in the database; SLACK_BOT_TOKEN is then not used.
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    slack_state_secret: SecretStr | None = None
    # Microsoft Teams (Bot Framework). No app id means local emulator mode: no authentication,
    # loopback clients only.
    microsoft_app_id: str | None = None
    microsoft_app_password: SecretStr | None = None
    microsoft_app_tenant_id: str | None = None
    microsoft_app_type: Literal["MultiTenant", "SingleTenant"] = "MultiTenant"
    # Where inbound Bot Framework tokens' signing keys are published (tests and sovereign clouds).
    to_bot_from_channel_openid_metadata_url: str | None = None
    # Where the bot signs in for its own tokens (default: Microsoft Entra's public cloud, with
    # the tenant the app type implies); sovereign clouds and tests set it.
    microsoft_login_url: str | None = None
    # Microsoft Graph, with the bot's app id, secret and tenant: installs Respite for roster
    # members it cannot reach yet and reads Entra groups (docs/teams.md). Tests point it at a fake.
    graph_api_url: str = "https://graph.microsoft.com/v1.0"
    # The Bot Framework service a chat Respite installed itself into is reached through, until
    # the person's first message brings the real one.
    teams_service_url: str = "https://smba.trafficmanager.net/teams/"
    # Teams' emulator mode (no MICROSOFT_APP_ID) runs without authentication, so /api/messages is
    # served only when `serve` listens on loopback, unless this says otherwise.
    teams_emulator_beyond_loopback: bool = False
    # Which SDK hosts the Teams bot: botbuilder (archived, support ended 2025-12-31) or agents
    # (the Microsoft 365 Agents SDK, its successor; Python 3.12 and `pip install '.[agents]'`).
    teams_sdk: Literal["botbuilder", "agents"] = "botbuilder"
    host: str = "0.0.0.0"  # noqa: S104 - a server is meant to listen beyond loopback
    port: int = Field(default=3000, ge=0, le=65535)
    # Prometheus metrics on a listener of their own, loopback unless told otherwise, so the
    # public port serves only the platforms and /healthz. Port 0 turns them off.
    metrics_host: str = "127.0.0.1"
    metrics_port: int = Field(default=9464, ge=0, le=65535)
    log_level: str = "INFO"
    # json: one JSON object a line (time, level, logger, message) for log collectors.
    log_format: Literal["text", "json"] = "text"
    outbox_interval_seconds: float = Field(default=5.0, gt=0)
    # Recipients one outbox worker serves side by side (lower it if Slack answers 429 often).
    outbox_concurrency: int = Field(default=16, ge=1, le=64)
    tick_interval_seconds: float = Field(default=60.0, gt=0)
    # Keys the hashes that stand in for anonymous givers (daily kudos quota). `respite serve`
    # refuses to start without it; other commands generate a throwaway one with a warning.
    # Empty, or still .env.example's placeholder, counts as not set.
    respite_secret: SecretStr | None = None
    _secret_is_placeholder: bool = PrivateAttr(default=False)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        if _ENVIRONMENT_IGNORED.get():
            return (init_settings,)
        return (init_settings, env_settings, dotenv_settings, file_secret_settings)

    @field_validator("respite_secret", mode="before")
    @classmethod
    def _blank_secret(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("respite_secret")
    @classmethod
    def _secret_length(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or value.get_secret_value() == EXAMPLE_SECRET_PLACEHOLDER:
            return value
        if len(value.get_secret_value().encode()) < 32:
            raise ValueError("RESPITE_SECRET must be at least 32 characters (e.g. 64 hex digits)")
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.strip().upper()
        # Also the aliases logging itself takes (WARN, FATAL, NOTSET).
        if level not in logging.getLevelNamesMapping():
            raise ValueError(f"expected one of {', '.join(LOG_LEVELS)}")
        return level

    @model_validator(mode="after")
    def _placeholder(self) -> Settings:
        secret = self.respite_secret
        if secret is not None and secret.get_secret_value() == EXAMPLE_SECRET_PLACEHOLDER:
            self.respite_secret = None
            self._secret_is_placeholder = True
        return self

    @model_validator(mode="after")
    def _single_tenant(self) -> Settings:
        if (
            self.microsoft_app_id
            and self.microsoft_app_type == "SingleTenant"
            and not self.microsoft_app_tenant_id
        ):
            raise ValueError(
                "MICROSOFT_APP_TENANT_ID: a SingleTenant app needs its tenant id (the Directory "
                "(tenant) ID on the app registration's overview page)"
            )
        return self

    @model_validator(mode="after")
    def _teams_sdk_installed(self) -> Settings:
        if self.teams_sdk == "agents":
            problem = agents_sdk_problem()
            if problem is not None:
                raise ValueError(f"TEAMS_SDK=agents: {problem}")
        return self

    @model_validator(mode="after")
    def _slack_oauth_together(self) -> Settings:
        given = {
            "SLACK_CLIENT_ID": self.slack_client_id,
            "SLACK_CLIENT_SECRET": self.slack_client_secret,
            "SLACK_STATE_SECRET": self.slack_state_secret,
        }
        missing = [name for name, value in given.items() if not value]
        if 0 < len(missing) < len(given):
            raise ValueError(
                f"{', '.join(missing)}: installing Slack through OAuth needs SLACK_CLIENT_ID, "
                "SLACK_CLIENT_SECRET and SLACK_STATE_SECRET together"
            )
        return self

    @property
    def secret_is_placeholder(self) -> bool:
        """RESPITE_SECRET was left as .env.example ships it (and so counts as not set)."""
        return self._secret_is_placeholder

    # Calendar-aware break prompts: limits on fetching a person's private ICS feed.
    calendar_timeout_seconds: float = Field(default=10.0, gt=0)
    calendar_max_bytes: int = Field(default=2_000_000, gt=0)
    calendar_allow_private: bool = False


class ConfigError(Exception):
    """The roster or instrument cannot be used; `errors` are lines fit for an admin."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


# Variables whose values are never repeated back: they are, or may carry, credentials.
_SECRET_SUFFIXES = ("_SECRET", "_TOKEN", "_PASSWORD", "_KEY")
_CARRIES_CREDENTIALS = frozenset({"DATABASE_URL"})
_EXPECTS = {
    "respite_secret": f"at least 32 characters (generate 64 hex digits with `{GENERATE_SECRET}`)",
    "log_level": f"one of {', '.join(LOG_LEVELS)}",
    "port": "a port number from 0 to 65535",
    "metrics_port": "a port number from 1 to 65535, or 0 to turn metrics off",
    "calendar_max_bytes": "a whole number of bytes greater than 0",
}


def load_settings() -> Settings:
    """The settings from the environment, or a ConfigError with one line per bad variable."""
    try:
        return Settings()
    except ValidationError as exc:
        raise ConfigError(settings_errors(exc)) from None


def settings_errors(exc: ValidationError) -> list[str]:
    """One line per environment variable: its name, what it expects and, unless it is or may
    carry a secret, the value given."""
    lines: list[str] = []
    seen: set[str] = set()
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else ""
        if field in seen:
            continue
        seen.add(field)
        info = Settings.model_fields.get(field)
        if info is None:  # a rule across variables, which names them itself
            lines.append(_reason(err))
            continue
        variable = field.upper()
        line = f"{variable}: expected {_EXPECTS.get(field) or _expected(field, info, err)}"
        if not _is_secret(variable, info) and isinstance(err.get("input"), str):
            given = err["input"]
            line += f", got {given[:60] + '…' if len(given) > 60 else given!r}"
        lines.append(line)
    return lines


def _is_secret(variable: str, info: FieldInfo) -> bool:
    return (
        variable.endswith(_SECRET_SUFFIXES)
        or variable in _CARRIES_CREDENTIALS
        or SecretStr in get_args(info.annotation)
        or info.annotation is SecretStr
    )


def _expected(field: str, info: FieldInfo, err: Any) -> str:
    kind = info.annotation
    options = [a for a in get_args(kind) if a is not type(None)]
    if get_origin(kind) is not Literal and len(options) == 1:
        kind = options[0]
    if get_origin(kind) is Literal:
        return "one of " + ", ".join(str(a) for a in get_args(kind))
    if kind is bool:
        return "true or false"
    if kind is int:
        what = "a whole number"
    elif kind is float:
        what = "a number of seconds" if field.endswith("_seconds") else "a number"
    else:
        return _reason(err)
    bounds = {
        attr: getattr(item, attr)
        for item in info.metadata
        for attr in ("gt", "ge", "le")
        if getattr(item, attr, None) is not None
    }
    if "ge" in bounds and "le" in bounds:
        return f"{what} from {bounds['ge']} to {bounds['le']}"
    if "gt" in bounds:
        what += f" greater than {bounds['gt']}"
    elif "ge" in bounds:
        what += f" ({bounds['ge']} or more)"
    return what


def _reason(err: Any) -> str:
    msg = re.sub(r"^(Value error|Assertion failed), ", "", str(err["msg"]))
    return re.sub(r"^Input should be ", "", msg)


def _threshold(value: int | None) -> int | None:
    """A minimum group size below the floor would let people work out each other's answers."""
    if value is not None and value < MIN_GROUP_SIZE_FLOOR:
        raise ValueError(
            f"must be at least {MIN_GROUP_SIZE_FLOOR}: smaller groups expose individuals"
        )
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _known_platform(value: Any) -> Any:
    """Refuse a platform nobody defined, naming only those an admin may choose (the console is
    defined too, for the demo's own rosters, but not offered)."""
    if isinstance(value, str) and value in list(Platform):
        return value
    offered = " or ".join(Platform.offered())
    raise ValueError(f"expected {offered}, got {value!r}")


def _shipped_language(value: str | None) -> str | None:
    """A language Respite ships ("de", or "de-AT" read as "de"), or an error naming them."""
    if value is None:
        return None
    from bot.infra.i18n import LOCALES, supported

    locale = supported(value)
    if locale is None:
        raise ValueError(f"Respite speaks {', '.join(LOCALES)}; {value!r} is not one of them")
    return locale


class PulseConfig(_Strict):
    cron: str = "0 10 * * mon"
    open_hours: int = Field(72, ge=1, le=24 * 14)
    remind_after_hours: int = Field(48, ge=0)

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        try:
            CronTrigger.from_crontab(value, timezone="UTC")
        except ValueError as exc:
            raise ValueError(
                f"not a valid cron expression ({exc}); use five fields, e.g. '0 10 * * mon'"
            ) from exc
        return value

    @model_validator(mode="after")
    def _remind_inside(self) -> PulseConfig:
        if self.remind_after_hours >= self.open_hours:
            raise ValueError("remind_after_hours must be less than open_hours")
        return self


class ResourceConfig(_Strict):
    label: str = Field(min_length=1)
    url: str | None = None
    text: str | None = None

    @model_validator(mode="after")
    def _one(self) -> ResourceConfig:
        if not (self.url or self.text):
            raise ValueError("give a url or a text for each resource")
        return self


class MembersFrom(_Strict):
    channel: str | None = None
    usergroup: str | None = None
    # Teams: an Entra ID group's object id; its guests count only with include_guests.
    group: str | None = None
    include_guests: bool = False

    @model_validator(mode="after")
    def _one(self) -> MembersFrom:
        if [self.channel, self.usergroup, self.group].count(None) != 2:
            raise ValueError("members_from takes exactly one of channel, usergroup or group")
        if self.group is not None and not ENTRA_OBJECT_ID.match(self.group):
            raise ValueError(
                f"{self.group!r} is not an Entra group's object id (a GUID, from the group's "
                "overview page in the Entra admin centre)"
            )
        if self.include_guests and self.group is None:
            raise ValueError("include_guests applies to an Entra group only")
        return self

    def to_source(self) -> MemberSource:
        if self.channel is not None:
            return MemberSource("channel", self.channel)
        if self.group is not None:
            return MemberSource("group", self.group.lower(), self.include_guests)
        assert self.usergroup is not None
        return MemberSource("usergroup", self.usergroup)


class BreaksConfig(_Strict):
    """The team's default for break prompts: on or off, and at which local times."""

    enabled: bool = True
    times: list[str] = Field(default_factory=lambda: ["10:50", "11:50", "14:50", "15:50"])

    @field_validator("times", mode="before")
    @classmethod
    def _sexagesimal(cls, value: Any) -> Any:
        # YAML 1.1 reads an unquoted 10:50 as the number 650 (base 60); take it back.
        if isinstance(value, list):
            return [f"{v // 60:02d}:{v % 60:02d}" if isinstance(v, int) else v for v in value]
        return value

    @field_validator("times")
    @classmethod
    def _times(cls, value: list[str]) -> list[str]:
        if len(value) > 12:
            raise ValueError("give at most 12 break times")
        for item in value:
            try:
                parse_time(str(item))
            except CommandError:
                raise ValueError(
                    f"{item!r} is not a time; write 24-hour HH:MM in quotes, e.g. '10:50'"
                ) from None
        return value


class RotaConfig(_Strict):
    """A rotating rota: a cycle of days on and off from its first day, with one shift's hours
    (which may cross midnight: "19:00-07:30")."""

    pattern: str
    start: date
    hours: str | None = None

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        return parse_rota_pattern(value)

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: str | None) -> str | None:
        return None if value is None else _working_hours(value)


def _working_hours(value: str) -> str:
    try:
        parse_hours(value)
    except CommandError as exc:
        raise ValueError(
            f"{exc}; write it like '08:00-17:00' or, overnight, '19:00-07:30'"
        ) from None
    return value


class TeamConfig(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    name: str = Field(min_length=1)
    platform: str = Platform.SLACK.value
    timezone: str = "UTC"
    members: list[str] = Field(default_factory=list)
    members_from: MembersFrom | None = None
    leads: list[str] = Field(default_factory=list)
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE
    pulse: PulseConfig = PulseConfig()
    resources: list[ResourceConfig] = Field(default_factory=list)
    kudos_channel: str | None = None
    kudos_daily_limit: int = Field(5, ge=1, le=50)
    working_hours: str = "08:00-18:00"
    working_days: str | list[str] = "mon-fri"
    breaks: BreaksConfig = BreaksConfig()
    holidays: list[date] = Field(default_factory=list)
    rota: RotaConfig | None = None
    # The Slack workspace the team is in (T…), or the Enterprise Grid org (E…) for an org-wide
    # install; with SLACK_CLIENT_ID, messages to the team use that installation's token.
    slack_team_id: str | None = Field(None, pattern=r"^T[A-Z0-9]{2,}$")
    enterprise_id: str | None = Field(None, pattern=r"^E[A-Z0-9]{2,}$")
    # The language Respite speaks to members who chose none and whose platform reports none
    # that Respite ships (bot/domain/language.py): en, de or es.
    language: str | None = None

    @field_validator("language")
    @classmethod
    def _language(cls, value: str | None) -> str | None:
        return _shipped_language(value)

    _platform = field_validator("platform", mode="before")(_known_platform)

    @field_validator("working_hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        return _working_hours(value)

    @model_validator(mode="after")
    def _rota_or_days(self) -> TeamConfig:
        if self.rota is not None and "working_days" in self.model_fields_set:
            raise ValueError("rota: give a rota or working_days, not both")
        return self

    @field_validator("working_days")
    @classmethod
    def _days(cls, value: str | list[str]) -> str | list[str]:
        text = value if isinstance(value, str) else ",".join(value)
        try:
            days = parse_days(text)
        except CommandError as exc:
            raise ValueError(f"{exc} (e.g. 'mon-fri' or [mon, tue, thu])") from None
        if not days:
            raise ValueError("give at least one working day")
        return value

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name such as 'Europe/London'"
            ) from exc
        return value

    @field_validator("min_group_size")
    @classmethod
    def _k(cls, value: int) -> int:
        _threshold(value)
        return value

    @field_validator("kudos_channel")
    @classmethod
    def _kudos_channel(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        if info.data.get("platform") == "slack" and not SLACK_CHANNEL_ID.match(value):
            raise ValueError(
                f"{value!r} is not a Slack channel id; use the id (like C0123456789, from the "
                "channel's details), not its name"
            )
        if not value.strip():
            raise ValueError("give a channel id or leave it out")
        return value

    @model_validator(mode="after")
    def _someone(self) -> TeamConfig:
        if not self.members and self.members_from is None:
            raise ValueError("give members, members_from, or both")
        if self.members_from is not None and (self.members_from.group is None) == (
            self.platform == "teams"
        ):
            raise ValueError(
                "members_from: a Teams team syncs members from an Entra group ({group: <object "
                "id>}); a Slack team from a channel or usergroup"
            )
        return self

    def to_team(self) -> Team:
        return Team(
            id=self.id,
            name=self.name,
            platform=Platform(self.platform),
            timezone=self.timezone,
            members=frozenset(self.members),
            leads=frozenset(self.leads),
            min_group_size=self.min_group_size,
            pulse=PulseSchedule(
                self.pulse.cron, self.pulse.open_hours, self.pulse.remind_after_hours
            ),
            resources=tuple(SupportResource(r.label, r.url, r.text) for r in self.resources),
            members_from=self.members_from.to_source() if self.members_from else None,
            kudos_channel=self.kudos_channel,
            kudos_daily_limit=self.kudos_daily_limit,
            work=self.work_pattern(),
            breaks=BreakDefaults(
                self.breaks.enabled, tuple(sorted({parse_time(t) for t in self.breaks.times}))
            ),
            holidays=frozenset(self.holidays),
        )

    def work_pattern(self) -> WorkPattern:
        start, end = parse_hours(self.working_hours)
        days = self.working_days
        return with_rota(
            WorkPattern(parse_days(days if isinstance(days, str) else ",".join(days)), start, end),
            self.rota,
        )


def with_rota(work: WorkPattern, rota: RotaConfig | None) -> WorkPattern:
    """A team's working pattern with its rota, whose hours (if given) replace working_hours."""
    if rota is None:
        return work
    start, end = parse_hours(rota.hours) if rota.hours else (work.start, work.end)
    return WorkPattern(work.days, start, end, rota=Rota(rota.pattern, rota.start))


class DepartmentConfig(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    name: str = Field(min_length=1)
    teams: list[str] = Field(min_length=1)
    platform: str = Platform.SLACK.value
    leads: list[str] = Field(default_factory=list)
    min_group_size: int | None = None

    _platform = field_validator("platform", mode="before")(_known_platform)

    @field_validator("min_group_size")
    @classmethod
    def _k(cls, value: int | None) -> int | None:
        return _threshold(value)

    def to_department(self) -> Department:
        return Department(
            id=self.id,
            name=self.name,
            team_ids=tuple(self.teams),
            platform=Platform(self.platform),
            leads=frozenset(self.leads),
            min_group_size=self.min_group_size,
        )


class OrganisationConfig(_Strict):
    name: str = Field("Organisation", min_length=1)
    # The default language of every team that names none (en, de or es).
    language: str | None = None
    platform: str = Platform.SLACK.value
    leads: list[str] = Field(default_factory=list)
    min_group_size: int | None = None

    _platform = field_validator("platform", mode="before")(_known_platform)

    @field_validator("min_group_size")
    @classmethod
    def _k(cls, value: int | None) -> int | None:
        return DepartmentConfig._k(value)

    @field_validator("language")
    @classmethod
    def _language(cls, value: str | None) -> str | None:
        return _shipped_language(value)


class RetentionConfig(_Strict):
    """How long rows kept "with the database" are kept (docs/privacy.md), in days.

    `None` keeps them with the database. "After leaving" counts from the day a person is first
    seen off the roster (synced members count as on it). The daily retention job applies it.
    """

    outbox_sent_days: int = Field(30, ge=7)
    outbox_failed_days: int = Field(90, ge=7)
    kudos_notes_days: int | None = Field(180, ge=7)
    kudos_days: int | None = Field(730, ge=7)
    leavers_calendar_days: int = Field(0, ge=0)
    leavers_breaks_days: int = Field(30, ge=0)
    leavers_teams_contacts_days: int = Field(90, ge=0)
    forget_leavers_days: int | None = Field(365, ge=7)
    audit_days: int = Field(730, ge=90)
    lease_days: int = Field(7, ge=1)
    fanout_days: int = Field(7, ge=2)

    @model_validator(mode="after")
    def _ordered(self) -> RetentionConfig:
        if (
            self.kudos_notes_days is not None
            and self.kudos_days is not None
            and self.kudos_notes_days > self.kudos_days
        ):
            raise ValueError("kudos_notes_days must not exceed kudos_days (a note goes first)")
        if self.forget_leavers_days is not None:
            longer = [
                name
                for name in (
                    "leavers_calendar_days",
                    "leavers_breaks_days",
                    "leavers_teams_contacts_days",
                )
                if getattr(self, name) > self.forget_leavers_days
            ]
            if longer:
                raise ValueError(
                    f"{', '.join(longer)} must not exceed forget_leavers_days "
                    "(forgetting a leaver removes those too)"
                )
        return self

    def lines(self) -> list[str]:
        """The policy in words, for `respite check-config`."""

        def days(value: int | None) -> str:
            return "kept with the database" if value is None else f"{value} day(s)"

        return [
            f"sent outbox messages: {days(self.outbox_sent_days)} after sending",
            f"failed or dropped outbox messages: {days(self.outbox_failed_days)}",
            f"kudos notes (the message text): {days(self.kudos_notes_days)}",
            f"kudos: {days(self.kudos_days)}",
            f"calendar addresses of people who left: {days(self.leavers_calendar_days)} after",
            f"break settings of people who left: {days(self.leavers_breaks_days)} after",
            f"Teams contacts of people who left: {days(self.leavers_teams_contacts_days)} after",
            f"everything about a person who left (forget): {days(self.forget_leavers_days)} after",
            f"audit log: {days(self.audit_days)}",
            f"scheduler lease rows: {days(self.lease_days)} after expiry",
            f"break fan-out rows never fanned out: {days(self.fanout_days)}",
        ]


class RosterConfig(_Strict):
    instrument: Path | None = None
    organisation: OrganisationConfig = OrganisationConfig()
    retention: RetentionConfig = RetentionConfig()
    departments: list[DepartmentConfig] = Field(default_factory=list)
    teams: list[TeamConfig] = Field(min_length=1)

    @cached_property
    def team_list(self) -> list[Team]:
        return [t.to_team() for t in self.teams]

    @cached_property
    def org_chart(self) -> OrgChart:
        return OrgChart(
            id=ORGANISATION_ID,
            name=self.organisation.name,
            platform=Platform(self.organisation.platform),
            leads=frozenset(self.organisation.leads),
            departments=tuple(d.to_department() for d in self.departments),
            min_group_size=self.organisation.min_group_size,
        )


def _where(loc: tuple[int | str, ...], raw: dict[str, Any]) -> str:
    """Name the team or department (by id) and the field of a validation error."""
    if len(loc) >= 2 and loc[0] in ("teams", "departments") and isinstance(loc[1], int):
        kind = "team" if loc[0] == "teams" else "department"
        teams = raw.get(str(loc[0])) or []
        index = loc[1]
        team_id = None
        if index < len(teams) and isinstance(teams[index], dict):
            team_id = teams[index].get("id")
        label = f"{kind} {team_id!r}" if team_id else f"{kind} #{index + 1}"
        field = ".".join(str(p) for p in loc[2:]) or "(team)"
        return f"{label}: {field}"
    return ".".join(str(p) for p in loc) or "(roster)"


def parse_roster(raw: Any, source: str = "roster", *, strict: bool = False) -> RosterConfig:
    """The roster, or a ConfigError listing every mistake at once (fields and across teams).

    `strict` is for a roster file an admin wrote (`load_roster`): people on Teams must then be
    named by their Entra object ids, and a team nobody would read is refused. Rosters built in
    code (the demos) may use other ids and leave teams unread.
    """
    if not isinstance(raw, dict):
        raise ConfigError([f"{source}: expected a mapping with a 'teams:' list"])
    errors: list[str] = []
    roster: RosterConfig | None = None
    try:
        roster = RosterConfig.model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors():
            msg = re.sub(r"^(Value error|Assertion failed), ", "", err["msg"])
            errors.append(f"{_where(tuple(err['loc']), raw)}: {msg}")
    view = _RawRoster(raw)
    errors += _cross_team_errors(view)
    if strict:
        errors += _entra_id_errors(view) + _lead_errors(view)
    if errors or roster is None:
        raise ConfigError(errors or [f"{source}: not a valid roster"])
    for line in _lead_warnings(view):
        logger.warning("%s", line)
    return roster


class _RawRoster:
    """The roster as written, read leniently so that checks across teams run even when some
    fields are wrong (every mistake is then reported in one run)."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.teams = [t for t in _list(raw.get("teams")) if isinstance(t, dict)]
        self.departments = [d for d in _list(raw.get("departments")) if isinstance(d, dict)]
        org = raw.get("organisation")
        self.organisation: dict[str, Any] = org if isinstance(org, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _ids(value: Any) -> list[str]:
    return [str(v) for v in _list(value) if isinstance(v, str | int)]


def _label(kind: str, entry: dict[str, Any], index: int) -> str:
    ident = entry.get("id")
    return f"{kind} {ident!r}" if isinstance(ident, str) and ident else f"{kind} #{index + 1}"


def _cross_team_errors(roster: _RawRoster) -> list[str]:
    errors: list[str] = []
    seen_ids: set[str] = set()
    owner: dict[tuple[str, str], str] = {}
    for index, team in enumerate(roster.teams):
        label = _label("team", team, index)
        team_id = team.get("id")
        if isinstance(team_id, str):
            if team_id in seen_ids:
                errors.append(f"{label}: id: used by more than one team")
            if team_id == ORGANISATION_ID:
                errors.append(
                    f"{label}: id: {ORGANISATION_ID!r} names the whole organisation; "
                    "choose another id"
                )
            seen_ids.add(team_id)
        name = team_id if isinstance(team_id, str) else label
        platform = str(team.get("platform", "slack"))
        for member in _ids(team.get("members")):
            key = (platform, member)
            if key in owner and owner[key] != name:
                errors.append(
                    f"{label}: members: {member} is already a member of team "
                    f"{owner[key]!r}; each person belongs to one team"
                )
            owner.setdefault(key, name)
    team_dept: dict[str, str] = {}
    dept_ids: set[str] = set()
    for index, dept in enumerate(roster.departments):
        label = _label("department", dept, index)
        dept_id = dept.get("id")
        if isinstance(dept_id, str):
            if dept_id in dept_ids or dept_id in seen_ids or dept_id == ORGANISATION_ID:
                errors.append(f"{label}: id: already used by another team or department")
            dept_ids.add(dept_id)
        name = dept_id if isinstance(dept_id, str) else label
        for team_id in _ids(dept.get("teams")):
            if team_id not in seen_ids:
                errors.append(f"{label}: teams: no team with id {team_id!r}")
            elif team_id in team_dept and team_dept[team_id] != name:
                errors.append(
                    f"{label}: teams: team {team_id!r} is already in department "
                    f"{team_dept[team_id]!r}; each team belongs to one department"
                )
            team_dept.setdefault(team_id, name)
    return errors


def _entra_id_errors(roster: _RawRoster) -> list[str]:
    """People on Teams are named by Entra object ids, not by email addresses or names."""
    errors: list[str] = []
    places: list[tuple[str, dict[str, Any], tuple[str, ...]]] = [
        (_label("team", t, i), t, ("members", "leads")) for i, t in enumerate(roster.teams)
    ]
    places += [
        (_label("department", d, i), d, ("leads",)) for i, d in enumerate(roster.departments)
    ]
    places.append(("organisation", roster.organisation, ("leads",)))
    for label, entry, fields in places:
        if entry.get("platform", "slack") != "teams":
            continue
        for field in fields:
            for person in _ids(entry.get(field)):
                if not ENTRA_OBJECT_ID.match(person.strip()):
                    errors.append(
                        f"{label}: {field}: {person!r} is not a Microsoft Entra object id; on "
                        "Teams give each person's object id, a GUID like "
                        "6f1c4a2e-0b7d-4e57-9a8c-0123456789ab (Entra admin centre -> Users -> "
                        "the person -> Object ID), not an email address or a name"
                    )
    return errors


def _leaderless(roster: _RawRoster) -> list[tuple[int, dict[str, Any], bool]]:
    """Teams with no lead of their own, and whether a department or organisation lead reads
    them."""
    dept_led: dict[str, bool] = {}
    for dept in roster.departments:
        for team_id in _ids(dept.get("teams")):
            dept_led[team_id] = dept_led.get(team_id, False) or bool(_ids(dept.get("leads")))
    org_led = bool(_ids(roster.organisation.get("leads")))
    found = []
    for index, team in enumerate(roster.teams):
        if _ids(team.get("leads")):
            continue
        ident = team.get("id")
        read = org_led or (isinstance(ident, str) and dept_led.get(ident, False))
        found.append((index, team, read))
    return found


def _lead_errors(roster: _RawRoster) -> list[str]:
    return [
        f"{_label('team', team, index)}: leads: nobody would read this team's digest; name at "
        "least one lead (or put the team in a department with leads, or give the organisation "
        "leads)"
        for index, team, read in _leaderless(roster)
        if not read
    ]


def _lead_warnings(roster: _RawRoster) -> list[str]:
    return [
        f"{_label('team', team, index)}: leads: none; only department or organisation leads "
        "will see its figures, and only inside their digests"
        for index, team, read in _leaderless(roster)
        if read
    ]


def load_roster(path: Path) -> RosterConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            [
                f"{path}: roster file not found (set RESPITE_CONFIG or create it; "
                "see respite.example.yaml)"
            ]
        ) from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError([f"{path}: not valid YAML: {exc}"]) from None
    return parse_roster(raw, str(path), strict=True)


def load_instrument(path: Path | None = None) -> Instrument:
    target = path or DEFAULT_INSTRUMENT
    try:
        raw = yaml.safe_load(target.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError([f"instrument: cannot read {target}: {exc}"]) from None
    try:
        return Instrument.from_mapping(raw)
    except ValueError as exc:
        raise ConfigError([f"instrument {target}: {exc}"]) from None
