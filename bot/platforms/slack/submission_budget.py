"""A view submission's time budget, inside the 3 seconds Slack waits for its ack.

Slack shows its own error once 3 s pass without an answer, and forgets the request; work that
finished later would have stored an answer the clinician was told had failed, and they would
send it again. So a submission's work gets `SUBMISSION_BUDGET_SECONDS` (the rest is the network
and Slack's own side). Past it the work is cancelled, its transaction rolled back unfinished,
and the ack says plainly that nothing was saved, leaving the modal open with the answers chosen
so that Submit can simply be pressed again.
"""

from __future__ import annotations

from typing import Any

from bot.domain.messages import Card, translated
from bot.infra.i18n import N_, _
from bot.platforms.slack.render import modal_view

SUBMISSION_BUDGET_SECONDS = 2.5

NOT_SAVED = N_(
    "Not saved: Respite could not reach its database in time. Your choices are still here: "
    "press Submit again in a minute."
)

NOT_SAVED_CARD = Card(title=N_("Not saved"), blocks=(NOT_SAVED,))


def not_saved_answer(body: dict[str, Any]) -> dict[str, Any]:
    """The ack for a submission that ran out of time: an error on the modal's first question,
    or, for a modal with no question to hang it on, a view saying so."""
    blocks = (body.get("view") or {}).get("blocks") or []
    for block in blocks:
        if isinstance(block, dict) and block.get("type") == "input" and block.get("block_id"):
            return {
                "response_action": "errors",
                "errors": {str(block["block_id"]): _(NOT_SAVED)},
            }
    return {"response_action": "update", "view": modal_view(translated(NOT_SAVED_CARD), "info")}
