"""Reading a person's private calendar feed (ICS) for calendar-aware break prompts.

The feed address is a secret (whoever holds it reads the calendar): it is never logged, and no
error raised from here carries it. Fetches have a timeout and a size limit, only http(s) is
followed, and addresses on private networks are refused unless the admin allows them (a feed
address must not become a way to probe the server's own network). Recurring events are expanded
with `recurring-ical-events`; all-day, cancelled and free ("transparent") events are not busy.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import aiohttp
import icalendar
import recurring_ical_events

from bot.domain.breaks import Busy
from bot.domain.ports import CalendarUnavailable

DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_BYTES = 2_000_000
DEFAULT_CACHE_SECONDS = 300.0


class IcsCalendarFeed:
    def __init__(
        self,
        timeout: float = DEFAULT_TIMEOUT,
        max_bytes: int = DEFAULT_MAX_BYTES,
        cache_seconds: float = DEFAULT_CACHE_SECONDS,
        allow_private: bool = False,
        allow_files: bool = False,
    ) -> None:
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._cache_seconds = cache_seconds
        self._allow_private = allow_private
        self._allow_files = allow_files
        self._cache: dict[str, tuple[float, bytes]] = {}

    async def busy(self, url: str, start: datetime, end: datetime, tz: str) -> list[Busy]:
        raw = await self._read(url)
        try:
            return await asyncio.to_thread(parse_busy, raw, start, end, ZoneInfo(tz))
        except CalendarUnavailable:
            raise
        except Exception as exc:
            raise CalendarUnavailable(
                f"the feed is not a readable calendar ({type(exc).__name__})"
            ) from None

    async def _read(self, url: str) -> bytes:
        cached = self._cache.get(url)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        raw = await self._fetch(url)
        self._cache[url] = (time.monotonic() + self._cache_seconds, raw)
        return raw

    async def _fetch(self, url: str) -> bytes:
        parts = urlsplit(url)
        if parts.scheme == "file" or (not parts.scheme and self._allow_files):
            if not self._allow_files:
                raise CalendarUnavailable("calendar files are not allowed here")
            path = Path(parts.path if parts.scheme else url)
            try:
                data = await asyncio.to_thread(_read_file, path, self._max_bytes)
            except OSError:
                raise CalendarUnavailable("the calendar file cannot be read") from None
            return data
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise CalendarUnavailable("only http(s) calendar addresses are followed")
        if not self._allow_private:
            await self._refuse_private(parts.hostname, parts.port or 443)
        timeout = aiohttp.ClientTimeout(total=self._timeout, connect=min(5.0, self._timeout))
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.get(url, allow_redirects=False) as resp,
            ):
                if resp.status != 200:
                    raise CalendarUnavailable(f"the feed answered HTTP {resp.status}")
                if (resp.content_length or 0) > self._max_bytes:
                    raise CalendarUnavailable("the feed is larger than the size limit")
                chunks: list[bytes] = []
                size = 0
                async for chunk in resp.content.iter_chunked(65536):
                    size += len(chunk)
                    if size > self._max_bytes:
                        raise CalendarUnavailable("the feed is larger than the size limit")
                    chunks.append(chunk)
                return b"".join(chunks)
        except CalendarUnavailable:
            raise
        except TimeoutError:
            raise CalendarUnavailable("the feed timed out") from None
        except aiohttp.ClientError as exc:
            raise CalendarUnavailable(f"the feed is unreachable ({type(exc).__name__})") from None

    async def _refuse_private(self, host: str, port: int) -> None:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError:
            raise CalendarUnavailable("the feed's host name does not resolve") from None
        for info in infos:
            address = ipaddress.ip_address(info[4][0])
            if not address.is_global:
                raise CalendarUnavailable("the feed points at a private network address")


def _read_file(path: Path, limit: int) -> bytes:
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise CalendarUnavailable("the calendar file is larger than the size limit")
    return data


def _aware(value: datetime, tz: ZoneInfo) -> datetime:
    return value.replace(tzinfo=tz) if value.tzinfo is None else value


def parse_busy(raw: bytes, start: datetime, end: datetime, tz: ZoneInfo) -> list[Busy]:
    """Timed, confirmed, opaque events overlapping [start, end), in UTC."""
    calendar = icalendar.Calendar.from_ical(raw)
    busy: list[Busy] = []
    for event in recurring_ical_events.of(calendar).between(start, end):
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            continue
        if str(event.get("TRANSP", "")).upper() == "TRANSPARENT":
            continue
        dtstart: Any = event.decoded("DTSTART")
        if not isinstance(dtstart, datetime):  # an all-day event: a date, not a time
            continue
        if "DTEND" in event:
            dtend: Any = event.decoded("DTEND")
        elif "DURATION" in event:
            dtend = dtstart + event.decoded("DURATION")
        else:
            dtend = dtstart
        if isinstance(dtend, date) and not isinstance(dtend, datetime):
            continue
        first = _aware(dtstart, tz).astimezone(UTC)
        last = _aware(dtend, tz).astimezone(UTC)
        if last <= first:
            last = first + timedelta(minutes=1)
        if last > start and first < end:
            busy.append(Busy(first, last))
    busy.sort(key=lambda b: b.start)
    return busy
