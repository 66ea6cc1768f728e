"""A turn's reach fingerprint: equal exactly when the contacts built from the turn are equal."""

from __future__ import annotations

from typing import Any

from botbuilder.schema import Activity

from bot.platforms.msteams.bot import contacts_of, reach_fingerprint
from tests.support.msteams_driver import TeamsDriver

DRIVER = TeamsDriver(None, "http://127.0.0.1:1/", "http://127.0.0.1:2/")  # type: ignore[arg-type]


def _turn(name: str, person: int = 3, **fields: Any) -> Activity:
    return Activity().deserialize(DRIVER.activity(name, person, **fields))


def test_a_submission_and_a_message_of_one_chat_share_it() -> None:
    text = _turn("message_text.json", text="checkin")
    submit = _turn("message_submit.json", value={"caseload": "3"}, reply_to="form-3")
    assert reach_fingerprint(text) == reach_fingerprint(submit)
    assert [c.reference for c in contacts_of(text)] == [c.reference for c in contacts_of(submit)]


def test_what_changes_the_contacts_changes_it() -> None:
    before = _turn("message_text.json", text="hi")
    renamed = _turn("message_text.json", text="hi")
    renamed.from_property.name = "Person 3 (they/them)"
    moved = _turn("message_text.json", text="hi")
    moved.service_url = "https://smba.trafficmanager.net/emea/"
    other = _turn("message_text.json", 4, text="hi")
    for changed in (renamed, moved, other):
        assert reach_fingerprint(changed) != reach_fingerprint(before)
        assert contacts_of(changed) != contacts_of(before)
