"""Cards as plain text, indented under the person who sees them."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

from bot.domain.messages import Block, Card, Mention, plain

WIDTH = 96


def _text(block: Block, names: Mapping[str, str]) -> str:
    if isinstance(block, str) or not names:
        return plain(block)
    return "".join(
        f"@{names.get(p.user_id, p.name or p.user_id)}" if isinstance(p, Mention) else p
        for p in block.parts
    )


def card_text(card: Card, indent: str = "    ", names: Mapping[str, str] | None = None) -> str:
    lines = [f"┌ {card.title}"]
    for block in card.blocks:
        for paragraph in _text(block, names or {}).split("\n"):
            lines.extend(
                textwrap.wrap(paragraph, WIDTH, initial_indent="│ ", subsequent_indent="│   ")
            )
    for f in card.fields:
        lines.append(f"│ {f.label}: {f.value}")
    for i, q in enumerate(card.questions, 1):
        lines.append(f"│ {i}. {q.prompt}")
    if card.questions:
        scale = " / ".join(f"{c.value} {c.label}" for c in card.questions[0].choices)
        lines.append(f"│    ({scale})")
    for t in card.inputs:
        lines.append(f"│ [{t.label}]")
    if card.buttons:
        lines.append("│ " + "  ".join(f"[{b.label}]" for b in card.buttons))
    if card.image is not None:
        lines.append(f"│ [chart: {card.image.alt_text}]")
    if card.note:
        lines.extend(textwrap.wrap(card.note, WIDTH, initial_indent="└ ", subsequent_indent="  "))
    else:
        lines.append("└")
    return textwrap.indent("\n".join(lines), indent)
