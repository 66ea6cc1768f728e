"""Which SDK hosts Teams (TEAMS_SDK), and what is shared between the two.

The whole Teams suite runs on both SDKs (`.ci/run`: once on botbuilder, once on the Agents SDK
in a Python 3.12 venv with RESPITE_TEST_TEAMS_SDK=agents); these tests pin the choice itself
and the retry rules for the Agents SDK's error type.
"""

from __future__ import annotations

import os
import random
import sys

import aiohttp
import pytest
from multidict import CIMultiDict, CIMultiDictProxy
from pydantic import ValidationError
from yarl import URL

from bot.config import Settings, agents_sdk_problem
from bot.domain.ports import DeliveryDeferred, DeliveryFailed
from bot.platforms.msteams.adapter import TeamsCredentials
from bot.platforms.msteams.hosting import BotbuilderHosting, build_hosting
from bot.platforms.msteams.retry import Retrier, RetryPolicy, retry_after_of, status_of


def test_the_harness_runs_on_the_sdk_the_run_asked_for() -> None:
    """RESPITE_TEST_TEAMS_SDK=agents without the plug-in would quietly test botbuilder."""
    wanted = os.environ.get("RESPITE_TEST_TEAMS_SDK", "botbuilder")
    settings = Settings()
    assert settings.teams_sdk == wanted
    hosting = build_hosting(TeamsCredentials(sdk=settings.teams_sdk))
    assert isinstance(hosting, BotbuilderHosting) == (wanted == "botbuilder")


def test_botbuilder_stays_the_default() -> None:
    assert Settings.model_fields["teams_sdk"].default == "botbuilder"


def test_agents_is_accepted_where_the_sdk_runs_and_refused_with_what_to_do_elsewhere() -> None:
    problem = agents_sdk_problem()
    if problem is None:
        assert Settings(teams_sdk="agents").teams_sdk == "agents"
        return
    with pytest.raises(ValidationError) as caught:
        Settings(teams_sdk="agents")
    message = str(caught.value)
    assert "TEAMS_SDK=agents" in message and "TEAMS_SDK=botbuilder" in message
    if sys.version_info < (3, 12):
        assert "Python 3.12" in message


def _refusal(status: int, **headers: str) -> aiohttp.ClientResponseError:
    """What the Agents SDK's connector client raises for a non-2xx answer."""
    info = aiohttp.RequestInfo(URL("https://smba.example/v3/conversations/c/activities"), "POST",
                               CIMultiDictProxy(CIMultiDict()))  # fmt: skip
    return aiohttp.ClientResponseError(
        info, (), status=status, message="refused", headers=CIMultiDictProxy(CIMultiDict(headers))
    )


def test_the_agents_sdks_errors_carry_status_and_retry_after() -> None:
    refusal = _refusal(429, **{"Retry-After": "7"})
    assert status_of(refusal) == 429
    assert retry_after_of(refusal) == 7.0
    assert status_of(ValueError("no status")) is None


class Sleeps:
    def __init__(self) -> None:
        self.slept: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.slept.append(seconds)


async def test_a_429_is_retried_no_sooner_than_retry_after() -> None:
    sleeps = Sleeps()
    retrier = Retrier(RetryPolicy(attempts=3), sleep=sleeps, rng=random.Random(1))
    answers: list[BaseException | str] = [_refusal(429, **{"Retry-After": "3"}), "sent"]

    async def send() -> str:
        answer = answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    assert await retrier.call("c", "a message", send) == "sent"
    assert sleeps.slept and sleeps.slept[0] >= 3.0


async def test_a_blocked_bot_fails_and_a_gateway_error_is_deferred() -> None:
    retrier = Retrier(RetryPolicy(attempts=2), sleep=Sleeps(), rng=random.Random(1))

    async def blocked() -> None:
        raise _refusal(403)

    async def gateway() -> None:
        raise _refusal(502)

    with pytest.raises(DeliveryFailed, match="HTTP 403"):
        await retrier.call("c", "a message", blocked)
    with pytest.raises(DeliveryDeferred):
        await retrier.call("c", "a message", gateway)
