"""`respite demo` ends with a week of recognition and its roundup."""

from __future__ import annotations

from bot.demo.run import run_demo


async def test_demo_shows_a_week_of_recognition() -> None:
    lines: list[str] = []
    assert await run_demo(None, lines.append) == 0
    out = "\n".join(lines)
    tail = out[out.index("Recognition week") :]
    assert tail.count("→ #recognition receives:") == 5  # four kudos and the roundup
    assert "can't send one to yourself" in tail
    assert "<!channel> you left on time" in tail  # shown literally, as text
    assert "× message" in tail and "Kudos withdrawn" in tail
    assert "3 kudos between Fri 12 Feb and Fri 19 Feb." in tail
    assert "more who prefer not to be named" in tail
    assert "Fatima" not in tail[tail.index("This week's recognition") :]
    assert "giver: none, withdrawal tag: erased, time: Tue 09:00" in tail
