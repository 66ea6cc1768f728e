"""`respite demo` shows a Teams team beside the other one, through the real Teams path."""

from __future__ import annotations

from bot.demo.msteams import run_teams_demo


async def test_teams_demo_tells_the_story() -> None:
    lines: list[str] = []
    await run_teams_demo(lines.append)
    text = "\n".join(lines)
    assert "Microsoft Teams: Harbour Counselling" in text
    assert "starts a 1:1 chat with each member" in text
    assert "(and 5 more like it)" in text
    assert "[6 questions, each a choice of:" in text
    assert "sees the card change to" in text
    assert "Nothing was saved yet" in text
    assert "Dr Gallagher (team lead) receives" in text
    assert "Respondents: 6 of 6" in text
    # One kudos on Teams: the form offers teammates by name, the post mentions for real.
    assert "Pick one or more of: Brian (psychotherapist), Ciara" in text
    assert (
        "@Aoife (counsellor) recognised @Fionn (trauma specialist): held a hard session"
        "   (real Teams mentions)" in text
    )
    assert "Fionn (trauma specialist) receives:\n      @Aoife (counsellor) recognised you" in text
