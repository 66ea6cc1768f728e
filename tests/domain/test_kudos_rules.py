"""The kudos rules, without any platform: parsing, refusals, withdrawal rights, roundup windows."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.kudos import (
    GiverKey,
    Kudos,
    build_roundup,
    check_draft,
    clean_message,
    may_withdraw,
    parse_command_text,
    roundup_window,
    stored_time,
)
from bot.domain.messages import Platform
from bot.domain.team import Team

TEAM = Team(
    id="riverside",
    name="Riverside",
    platform=Platform.SLACK,
    timezone="Europe/London",
    members=frozenset({"U1", "U2", "U3"}),
    leads=frozenset({"ULEAD"}),
    kudos_channel="C1",
)
KEY = GiverKey(b"k" * 32)


@pytest.mark.parametrize(
    ("text", "category", "anonymous", "message"),
    [
        ("cover thanks for my 4pm", "cover", False, "thanks for my 4pm"),
        ("anon support you kept me going", "support", True, "you kept me going"),
        ("self-care anonymous you left on time", "self-care", True, "you left on time"),
        ("[consult] that helped", "consult", False, "that helped"),
        ("covered for me again", "other", False, "covered for me again"),
        ("supported me all week", "other", False, "supported me all week"),
        ("other other", "other", False, "other"),
        ("", "other", False, ""),
    ],
)
def test_parse_command_text(text: str, category: str, anonymous: bool, message: str) -> None:
    draft = parse_command_text(text, ("U2", "U3", "U2"))
    assert draft.recipients == ("U2", "U3")
    assert (draft.category, draft.anonymous, draft.message) == (category, anonymous, message)


def test_clean_message_removes_controls_and_bidi_but_keeps_lines() -> None:
    assert clean_message(" a\u0000b\u202ec\u2066\n\td\u0007 ") == "abc\n\td"


def _reasons(giver: str, recipients: tuple[str, ...], message: str = "thanks") -> list[str]:
    draft = parse_command_text(message, recipients)
    return [r.field for r in check_draft(giver, TEAM, draft)]


def test_check_draft() -> None:
    assert _reasons("U1", ("U2",)) == []
    assert _reasons("U1", ("U1",)) == ["recipients"]
    assert _reasons("U1", ("U2", "UOUT")) == ["recipients"]
    assert _reasons("U1", ()) == ["recipients"]
    assert _reasons("U1", ("U2",), "x" * 500) == []
    assert _reasons("U1", ("U2",), "x" * 501) == ["message"]
    assert _reasons("U1", ("U2",), " \u202e ") == ["message"]


def _kudos(anonymous: bool, giver_tag: str | None) -> Kudos:
    return Kudos(
        id="k1",
        team_id="riverside",
        platform=Platform.SLACK,
        recipients=("U2",),
        category="other",
        message="thanks",
        anonymous=anonymous,
        giver_id=None if anonymous else "U1",
        giver_tag=giver_tag,
        created_at=datetime(2026, 12, 1, tzinfo=UTC),
        channel_id="C1",
    )


def test_who_may_withdraw() -> None:
    named = _kudos(False, None)
    for user, allowed in (("U1", True), ("U2", True), ("ULEAD", True), ("U3", False)):
        assert may_withdraw(named, TEAM, Platform.SLACK, user, KEY) is allowed
    assert not may_withdraw(named, TEAM, Platform.TEAMS, "U1", KEY)
    anonymous = _kudos(True, KEY.tag("k1", Platform.SLACK, "U1"))
    assert may_withdraw(anonymous, TEAM, Platform.SLACK, "U1", KEY)
    assert not may_withdraw(anonymous, TEAM, Platform.SLACK, "U3", KEY)
    forgotten = _kudos(True, None)
    assert not may_withdraw(forgotten, TEAM, Platform.SLACK, "U1", KEY)
    assert not may_withdraw(anonymous, TEAM, Platform.SLACK, "U1", GiverKey(b"o" * 32))


def test_giver_key_needs_a_real_secret() -> None:
    with pytest.raises(ValueError, match="at least 16 bytes"):
        GiverKey(b"short")
    assert KEY.hash(Platform.SLACK, "U1") != KEY.hash(Platform.TEAMS, "U1")


def test_a_withdrawal_tag_is_unique_to_its_kudos() -> None:
    """The giver hash is one per person; a tag differs for each of their kudos, so no two rows
    share it, and another kudos' tag does not let its giver withdraw this one."""
    tags = {KEY.tag(k, Platform.SLACK, "U1") for k in ("k1", "k2")}
    assert len(tags) == 2 and KEY.hash(Platform.SLACK, "U1") not in tags
    assert not may_withdraw(
        _kudos(True, KEY.tag("k2", Platform.SLACK, "U1")), TEAM, Platform.SLACK, "U1", KEY
    )


@pytest.mark.parametrize(
    ("moment", "stored"),
    [
        # Any hour: its start, in UTC.
        (datetime(2026, 12, 1, 9, 47, 12, 5, tzinfo=UTC), datetime(2026, 12, 1, 9, tzinfo=UTC)),
        # Friday 16:20 in London (GMT): the roundup week began at 16:00.
        (datetime(2026, 12, 4, 16, 20, tzinfo=UTC), datetime(2026, 12, 4, 16, tzinfo=UTC)),
        # Friday 16:10 in Kolkata (10:40 UTC): not 10:00 UTC, which is in last roundup's week.
        (
            datetime(2026, 12, 4, 10, 40, tzinfo=UTC),
            datetime(2026, 12, 4, 10, 30, tzinfo=UTC),
        ),
    ],
)
def test_stored_time_keeps_the_hour_within_its_roundup_week(
    moment: datetime, stored: datetime
) -> None:
    team = TEAM if moment.hour != 10 else replace(TEAM, timezone="Asia/Kolkata")
    assert stored_time(team, moment) == stored
    window = roundup_window(team, moment)
    assert window.end <= stored_time(team, moment) <= moment


def test_roundup_window_is_friday_1600_local_across_dst() -> None:
    # Friday 30 October 2026, 16:30 London (GMT after the clocks went back on the 25th).
    window = roundup_window(TEAM, datetime(2026, 10, 30, 16, 30, tzinfo=UTC))
    assert window.key == "2026-W44"
    assert window.end == datetime(2026, 10, 30, 16, 0, tzinfo=UTC)
    assert window.start == datetime(2026, 10, 23, 15, 0, tzinfo=UTC)  # 16:00 BST
    # Just before the slot, the previous week's window is the latest due.
    earlier = roundup_window(TEAM, datetime(2026, 10, 30, 15, 59, tzinfo=UTC))
    assert earlier.key == "2026-W43" and earlier.end == window.start
    # Any moment of the following week up to the next slot maps to the same window.
    later = roundup_window(TEAM, window.end + timedelta(days=6, hours=23))
    assert later == window


def test_build_roundup_hides_opted_out_names() -> None:
    window = roundup_window(TEAM, datetime(2026, 12, 4, 17, tzinfo=UTC))
    given = [_kudos(False, None), _kudos(True, None)]
    roundup = build_roundup(TEAM, window, given, {"U2"})
    assert roundup.total == 2
    assert [(c.key, n) for c, n in roundup.by_category] == [("other", 2)]
    assert roundup.named == () and roundup.unnamed == 1
