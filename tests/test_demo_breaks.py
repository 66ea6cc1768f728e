"""The break part of `respite demo`: one day, two clinicians, two time zones, one calendar."""

from __future__ import annotations

from bot.demo.breaks import run_breaks_demo


async def test_demo_day() -> None:
    lines: list[str] = []
    await run_breaks_demo(lines.append)
    text = "\n".join(lines)
    sent = [line for line in lines if "→" in line]
    ana = [line for line in sent if "Ana" in line]
    ben = [line for line in sent if "Ben" in line]
    # Ana's prompts follow her sessions; Ben's follow fixed times in New York.
    assert [line.split()[0] for line in ana] == ["09:50", "10:50", "12:30", "14:50"]
    assert [line.split()[3] for line in ben] == ["10:50", "11:50", "12:00", "14:50", "15:50"]
    assert "demo-calendar" not in text  # the calendar address is never shown
    # Two people are below the team's minimum group size: their uptake is withheld, not shown as 0.
    assert "at least 5 people have break prompts on" in text
    assert "0 prompts" not in text
