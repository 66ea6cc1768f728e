"""Retrying Bot Framework calls, and pacing them per conversation.

Teams answers 429 (throttled), 412 (precondition failed, a transient state of the conversation),
502 and 504 (gateway trouble) for calls that succeed when tried again a little later. Those are
retried here with exponential backoff and jitter; when the retries run out the message is deferred
(`DeliveryDeferred`) so the outbox tries again later and never loses it. Teams also limits a bot
to 7 messages per second in one conversation, so each conversation is paced below that.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp

from bot.domain.ports import DeliveryDeferred, DeliveryFailed

log = logging.getLogger(__name__)

T = TypeVar("T")

RETRYABLE = frozenset({429, 412, 502, 504})
# The bot was removed, blocked, or the conversation is gone: trying again will not help.
PERMANENT = frozenset({400, 401, 403, 404, 410})

_RNG = random.Random()

Sleep = Callable[[float], Awaitable[None]]


def status_of(exc: BaseException) -> int | None:
    """The HTTP status of a failed Bot Framework call, if any: botbuilder raises msrest's
    HttpOperationError (status on its response), the Agents SDK aiohttp's ClientResponseError."""
    if isinstance(exc, aiohttp.ClientResponseError):
        return exc.status
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def retry_after_of(exc: BaseException) -> float | None:
    if isinstance(exc, aiohttp.ClientResponseError):
        headers: Any = exc.headers or {}
    else:
        response = getattr(exc, "response", None)
        headers = getattr(response, "headers", None) or {}
    raw = headers.get("Retry-After") if hasattr(headers, "get") else None
    try:
        return float(raw) if raw is not None else None
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 5
    base_seconds: float = 0.5
    cap_seconds: float = 16.0
    # How long the outbox waits before trying again once these attempts are used up.
    defer_seconds: float = 60.0

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """Exponential backoff with equal jitter: half fixed, half random."""
        ceiling = min(self.cap_seconds, self.base_seconds * 2.0**attempt)
        jitter = (rng or _RNG).uniform(0, ceiling / 2)
        return ceiling / 2 + jitter


class ConversationPacer:
    """At most `limit` sends per `window` seconds in any one conversation (a sliding window)."""

    def __init__(
        self,
        limit: int = 6,
        window: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.limit = limit
        self.window = window
        self._monotonic = monotonic
        self._sleep = sleep
        self._sent: dict[str, deque[float]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def wait(self, conversation_id: str) -> None:
        lock = self._locks.setdefault(conversation_id, asyncio.Lock())
        async with lock:
            stamps = self._sent.setdefault(conversation_id, deque())
            while True:
                now = self._monotonic()
                while stamps and stamps[0] <= now - self.window:
                    stamps.popleft()
                if len(stamps) < self.limit:
                    stamps.append(now)
                    break
                await self._sleep(stamps[0] + self.window - now)
        if len(self._sent) > 10_000:
            self._forget_idle()

    def _forget_idle(self) -> None:
        horizon = self._monotonic() - self.window
        for key in [k for k, v in self._sent.items() if not v or v[-1] <= horizon]:
            self._sent.pop(key, None)
            lock = self._locks.get(key)
            if lock is not None and not lock.locked():
                self._locks.pop(key, None)


class Retrier:
    """Runs one Bot Framework call with pacing and retries, translating final failures."""

    def __init__(
        self,
        policy: RetryPolicy | None = None,
        pacer: ConversationPacer | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.policy = policy or RetryPolicy()
        self.pacer = pacer or ConversationPacer()
        self._sleep = sleep
        self._rng = rng
        self.retries = 0

    async def call(
        self, conversation_id: str, what: str, operation: Callable[[], Awaitable[T]]
    ) -> T:
        policy = self.policy
        for attempt in range(policy.attempts):
            await self.pacer.wait(conversation_id)
            try:
                return await operation()
            except Exception as exc:
                status = status_of(exc)
                if status is None:
                    raise
                if status in PERMANENT:
                    raise DeliveryFailed(f"Teams refused {what}: HTTP {status}") from exc
                if status not in RETRYABLE and status < 500:
                    raise DeliveryFailed(f"Teams refused {what}: HTTP {status}") from exc
                hinted = retry_after_of(exc)
                if attempt + 1 >= policy.attempts or status not in RETRYABLE:
                    raise DeliveryDeferred(
                        max(hinted or 0.0, policy.defer_seconds),
                        f"Teams answered HTTP {status} to {what}; will try again later",
                    ) from exc
                delay = policy.backoff(attempt, self._rng)
                if hinted is not None:
                    delay = max(delay, min(hinted, policy.cap_seconds))
                self.retries += 1
                log.info("Teams answered HTTP %s to %s; retrying in %.2fs", status, what, delay)
                await self._sleep(delay)
        raise AssertionError("unreachable")
