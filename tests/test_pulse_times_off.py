"""Own pulse times switched off (NullPulseTimes): `pulse at` says it is not available here,
whatever follows it, rather than reading as a choice turned off."""

from __future__ import annotations

import pytest

from bot.domain.events import Command, Reply
from handlers import pulse
from tests.support.fake_ports import fake_deps, member

UNAVAILABLE = "Choosing your own check-in time is not available here"


@pytest.mark.parametrize("args", ["", "at", "at off", "at thu 08:00"])
async def test_pulse_at_says_not_available(args: str) -> None:
    deps = fake_deps()
    assert not deps.pulse_times.enabled
    outcome = await pulse.pulse_at(deps, Command(member(), "pulse", args))
    assert isinstance(outcome, Reply)
    assert outcome.card.title == UNAVAILABLE


async def test_a_bad_word_is_still_refused_as_such() -> None:
    outcome = await pulse.pulse_at(fake_deps(), Command(member(), "pulse", "sometime thu"))
    assert isinstance(outcome, Reply)
    assert outcome.card.title != UNAVAILABLE
