"""The digest part of `respite demo`: a small team suppressed, and the sibling that protects it."""

from __future__ import annotations

from bot.demo.digest import run_digest_demo


async def test_demo_shows_complementary_suppression() -> None:
    lines: list[str] = []
    await run_digest_demo(lines.append)
    out = "\n".join(lines)
    assert "withheld: harbour, lighthouse" in out
    assert "Lighthouse, is withheld too (complementary suppression)" in out
    dept = out.split("What the department lead receives:")[1].split("What Harbour's lead")[0]
    assert "Riverside Therapy: 7 of 8 answered" in dept
    assert "Harbour Trauma Service: not shown" in dept
    assert "Lighthouse Counselling: not shown" in dept
    assert "6 of 7" not in dept and "3 of 5" not in dept
    harbour = out.split("What Harbour's lead receives:")[1]
    assert "Not enough responses" in harbour and "Respondents" not in harbour
