"""A bare botbuilder echo bot: the baseline bench/teams_latency.py measures Respite against."""

from __future__ import annotations

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.schema import ActivityTypes


class EchoBot:
    async def on_turn(self, ctx: TurnContext) -> None:
        if ctx.activity.type == ActivityTypes.message:
            await ctx.send_activity(MessageFactory.text(f"echo: {ctx.activity.text or ''}"))
