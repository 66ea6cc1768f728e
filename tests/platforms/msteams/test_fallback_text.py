"""An Adaptive Card's fallbackText is plain text: what the card says, with no markdown escapes."""

from __future__ import annotations

from bot.domain.messages import Card, Field
from bot.platforms.msteams.render import render

AWKWARD = r"5 * 3 = 15, snake_case, [link](x) and a back\slash"


def test_fallback_text_carries_text_as_written() -> None:
    card = Card(
        title="Notes *today*",
        blocks=(AWKWARD,),
        fields=(Field("Team_A", "[one] \\ two"),),
        note="_quiet_",
    )
    message = render(card)
    fallback = message.card["fallbackText"]
    assert fallback == card.fallback
    assert AWKWARD in fallback
    assert "Notes *today*" in fallback
    assert "Team_A: [one] \\ two" in fallback
    assert "_quiet_" in fallback
    assert "\\*" not in fallback and "\\_" not in fallback and "\\[" not in fallback
    assert "\\\\" not in fallback
    # The card body itself stays escaped: there, markdown would be rendered.
    assert message.card["body"][0]["text"] == r"Notes \*today\*"
