"""handlers/pulse.py called directly: a neutral command or form in, an Outcome out, the rounds
kept in memory."""

from __future__ import annotations

from bot.domain.events import Actor, Command, FormErrors, FormSubmission, Reply, ShowForm
from bot.domain.messages import Platform
from handlers import pulse
from tests.support.fake_ports import FakeRounds, fake_deps, member
from tests.support.pulse_answers import ANSWERS


def _submission(actor: Actor, values: dict[str, str]) -> FormSubmission:
    return FormSubmission(actor, "pulse", values, context="riverside")


async def test_a_member_gets_the_form_and_an_outsider_a_clear_answer() -> None:
    deps = fake_deps()
    shown = await pulse.start(deps, Command(member(1), "checkin"))
    assert isinstance(shown, ShowForm)
    assert shown.card.form is not None
    outsider = await pulse.start(deps, Command(Actor(Platform.SLACK, "UOUTSIDER"), "checkin"))
    assert isinstance(outsider, Reply)
    assert "not on a Respite team" in outsider.card.fallback


async def test_an_answer_is_kept_once_without_who_gave_it() -> None:
    rounds = FakeRounds()
    deps = fake_deps(rounds=rounds)
    thanks = await pulse.submit(deps, _submission(member(2), ANSWERS))
    assert isinstance(thanks, Reply)
    assert "this week has been heavy" in thanks.card.fallback
    again = await pulse.submit(deps, _submission(member(2), ANSWERS))
    assert isinstance(again, Reply) and "already" in again.card.fallback
    assert rounds.answers == [{k: int(v) for k, v in ANSWERS.items()}]
    assert len(rounds.took_part) == 1
    # The form is refused once answered, in the same period.
    refused = await pulse.start(deps, Command(member(2), "checkin"))
    assert isinstance(refused, Reply) and "already checked in" in refused.card.fallback


async def test_a_missing_answer_is_named_and_nothing_is_kept() -> None:
    rounds = FakeRounds()
    partial = {k: v for k, v in ANSWERS.items() if k != "caseload"}
    errors = await pulse.submit(fake_deps(rounds=rounds), _submission(member(3), partial))
    assert isinstance(errors, FormErrors)
    assert set(errors.errors) == {"caseload"}
    assert rounds.answers == [] and rounds.took_part == set()


async def test_an_answer_after_an_early_close_goes_to_the_next_period() -> None:
    rounds = FakeRounds()
    deps = fake_deps(rounds=rounds)
    team = deps.directory.team("riverside")
    assert team is not None
    current = deps.calendar.current(team, deps.clock.now())
    rounds.closed.add(current.key)
    assert isinstance(await pulse.submit(deps, _submission(member(4), ANSWERS)), Reply)
    [(_, period_key, _, _)] = rounds.took_part
    assert period_key == deps.calendar.current(team, current.closes_at).key != current.key
