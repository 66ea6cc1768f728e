"""Reading a person's private calendar feed (ICS) for calendar-aware break prompts.

The feed address is a secret (whoever holds it reads the calendar): it is never logged, and no
error raised from here carries it. Fetches have a timeout and a size limit, only http(s) is
followed, and addresses on private networks are refused unless the admin allows them (a feed
address must not become a way to probe the server's own network). Recurring events are expanded
with `recurring-ical-events`; all-day, cancelled and free ("transparent") events are not busy.

The private-network check is made on the addresses the connection uses, not on a look-up of its
own: a host name is resolved once, by `PublicOnlyResolver`, which the HTTP client's connector
asks, and the connector is handed only addresses that passed. A name whose DNS answers a public
address to a check and a loopback one to the connection a moment later (DNS rebinding) therefore
gets one answer, checked. An address written in the URL itself (the client does not resolve it),
in any form the C library would read as one (`127.1`, `2130706433`, `0x7f.1`), is checked before
connecting.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import aiohttp
import icalendar
import recurring_ical_events
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from bot.domain.breaks import Busy
from bot.domain.ports import CalendarUnavailable

DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_BYTES = 2_000_000
DEFAULT_CACHE_SECONDS = 300.0
PRIVATE = "the feed points at a private network address"
# IPv6 prefixes that carry an IPv4 address a gateway will reach: NAT64 (RFC 6052).
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_public(address: Address) -> bool:
    """Whether an address is on the public internet: not loopback, private, link-local,
    shared (carrier NAT), multicast, reserved or unspecified, nor an IPv6 form of such an IPv4
    address (mapped, NAT64 or 6to4)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return is_public(address.ipv4_mapped)
        if address in NAT64:
            return is_public(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        if address.sixtofour is not None and not is_public(address.sixtofour):
            return False
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def literal_address(host: str) -> Address | None:
    """The address a URL's host names by itself, in any form the C library accepts (the
    connection would go there without a look-up); None for a host name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        # inet_aton reads the old forms too: 127.1, 2130706433, 0x7f000001, 0177.0.0.1.
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


class PublicOnlyResolver(AbstractResolver):
    """Resolves a host once and gives the connector only public addresses.

    The connector connects to exactly what `resolve` returns, so the check and the connection
    see the same answer. An answer with any address that is not public is refused as a whole:
    a name that points partly into a private network is not a calendar host.
    """

    def __init__(self, inner: AbstractResolver) -> None:
        self._inner = inner

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        try:
            answers = await self._inner.resolve(host, port, family)
        except OSError:
            raise CalendarUnavailable("the feed's host name does not resolve") from None
        if not answers:
            raise CalendarUnavailable("the feed's host name does not resolve")
        for answer in answers:
            try:
                address = ipaddress.ip_address(answer["host"])
            except ValueError:
                raise CalendarUnavailable(PRIVATE) from None
            if not is_public(address):
                raise CalendarUnavailable(PRIVATE)
        return answers

    async def close(self) -> None:
        await self._inner.close()


class IcsCalendarFeed:
    def __init__(
        self,
        timeout: float = DEFAULT_TIMEOUT,
        max_bytes: int = DEFAULT_MAX_BYTES,
        cache_seconds: float = DEFAULT_CACHE_SECONDS,
        allow_private: bool = False,
        allow_files: bool = False,
        resolver: Callable[[], AbstractResolver] | None = None,
    ) -> None:
        """`resolver` makes the resolver each fetch uses (the system's by default), whose
        answers `PublicOnlyResolver` checks unless private addresses are allowed."""
        self._resolver = resolver or DefaultResolver
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
        inner = self._resolver()
        resolver = inner
        if not self._allow_private:
            literal = literal_address(parts.hostname)
            if literal is not None and not is_public(literal):
                await inner.close()
                raise CalendarUnavailable(PRIVATE)
            resolver = PublicOnlyResolver(inner)
        timeout = aiohttp.ClientTimeout(total=self._timeout, connect=min(5.0, self._timeout))
        # A connector of this fetch's own, with no DNS cache: every fetch resolves, and checks,
        # afresh; the session closes the connector, and the connector's resolver is ours to close.
        connector = aiohttp.TCPConnector(resolver=resolver, use_dns_cache=False)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout, connector=connector) as session,
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
        finally:
            await resolver.close()


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
            busy.append(Busy(first, last, _labels(event)))
    busy.sort(key=lambda b: b.start)
    return busy


def _labels(event: Any) -> tuple[str, ...]:
    """An event's title and categories, by which a person marks their shifts."""
    labels = [str(event.get("SUMMARY", ""))]
    categories = event.get("CATEGORIES")
    for entry in categories if isinstance(categories, list) else [categories]:
        if entry is not None:
            labels.extend(str(c) for c in getattr(entry, "cats", [entry]))
    return tuple(label for label in labels if label)
