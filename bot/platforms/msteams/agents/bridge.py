"""Activities across the boundary: a botbuilder TurnContext whose adapter is an SDK turn.

Both SDKs speak the same Bot Framework wire JSON, so converting is a round trip through it:
botbuilder's `serialize()` into the SDK's pydantic `model_validate`, and the SDK's
`model_dump(by_alias=True)` into botbuilder's `deserialize`. Stored conversation references
are the same dicts in both. The shared Teams code then sees a botbuilder TurnContext whose
sends, updates, deletes and roster reads go through the SDK's connector client.
"""

from __future__ import annotations

import logging
from typing import Any

from botbuilder.core import BotAdapter, InvokeResponse, TurnContext, serializer_helper
from botbuilder.schema import Activity, ActivityTypes, ConversationReference, ResourceResponse
from botbuilder.schema.teams import TeamsChannelAccount, TeamsPagedMembersResult
from microsoft_agents.activity import Activity as AgentsActivity
from microsoft_agents.activity import ConversationReference as AgentsReference
from microsoft_agents.activity import InvokeResponse as AgentsInvokeResponse
from microsoft_agents.hosting.core import ChannelServiceAdapter
from microsoft_agents.hosting.core import TurnContext as AgentsContext
from microsoft_agents.hosting.core.connector.teams import TeamsConnectorClient
from pydantic import ValidationError

from bot.platforms.msteams.hosting import Unreadable

log = logging.getLogger(__name__)

# Where the bridged botbuilder context keeps the SDK turn it stands for.
AGENTS_CONTEXT_KEY = "respite.agents_context"
BRIDGED_KEY = "respite.bridged_context"


def to_agents(activity: Activity) -> AgentsActivity:
    if activity.type == ActivityTypes.invoke_response and isinstance(
        activity.value, InvokeResponse
    ):
        # botbuilder's InvokeResponse is a plain class msrest cannot serialize.
        value = AgentsInvokeResponse(
            status=activity.value.status, body=serializer_helper(activity.value.body)
        )
        return AgentsActivity(type=ActivityTypes.invoke_response, value=value)
    return validated(activity.serialize())


# What a turn cannot do without; shape.py checked these before the activity got here.
ESSENTIAL = ("type", "id", "channelId", "serviceUrl", "from", "conversation", "recipient")


def _model(data: dict[str, Any]) -> AgentsActivity | None:
    # The SDK logs each refusal at ERROR with the refused values; the hosting caps its logger.
    try:
        return AgentsActivity.model_validate(data)
    except (ValidationError, TypeError, ValueError):
        return None


def validated(data: dict[str, Any]) -> AgentsActivity:
    """The SDK's activity for wire JSON. The SDK's models are stricter than msrest's (an empty
    `textFormat`, say, is not one of its values), so a field the SDK refuses is left out of the
    SDK's copy: Respite's handlers read botbuilder's copy, which keeps it. When the SDK refuses
    a field the turn cannot do without, the activity is Unreadable."""
    whole = _model(data)
    if whole is not None:
        return whole
    kept = {key: data[key] for key in ESSENTIAL if key in data}
    if _model(kept) is None:
        raise Unreadable("the Agents SDK refused its type, ids or addresses")
    left_out = []
    for key, value in data.items():
        if key in kept:
            continue
        if _model({**kept, key: value}) is None:
            left_out.append(key)
        else:
            kept[key] = value
    log.info("Teams: the Agents SDK refused field(s) %s; left out", sorted(left_out)[:10])
    model = _model(kept)
    if model is None:
        raise Unreadable("the Agents SDK refused the activity")
    return model


def wire(model: Any) -> dict[str, Any]:
    dumped: dict[str, Any] = model.model_dump(by_alias=True, exclude_none=True, mode="json")
    return dumped


def to_botbuilder(activity: AgentsActivity) -> Activity:
    converted: Activity = Activity().deserialize(wire(activity))
    return converted


def reference_to_agents(reference: ConversationReference) -> AgentsReference:
    return AgentsReference.model_validate(reference.serialize())


class _Conversations:
    """The two roster reads botbuilder's TeamsInfo makes, through the SDK's Teams client."""

    def __init__(self, client: TeamsConnectorClient) -> None:
        self._client = client

    async def get_conversation_member(
        self, conversation_id: str, member_id: str
    ) -> TeamsChannelAccount:
        member = await self._client.get_conversation_member(conversation_id, member_id)
        account: TeamsChannelAccount = TeamsChannelAccount().deserialize(wire(member))
        return account

    async def get_teams_conversation_paged_members(
        self, conversation_id: str, page_size: int, continuation_token: str | None
    ) -> TeamsPagedMembersResult:
        # The REST reference and botbuilder spell the path `pagedmembers`; the SDK's client
        # spells it `pagedMembers`, so the request is made here on the SDK's own session.
        params: dict[str, str | int] = {"pageSize": page_size}
        if continuation_token:
            params["continuationToken"] = continuation_token
        async with self._client.client.get(
            f"v3/conversations/{conversation_id}/pagedmembers", params=params
        ) as response:
            response.raise_for_status()
            page = await response.json()
        result: TeamsPagedMembersResult = TeamsPagedMembersResult().deserialize(page)
        return result


class _ConnectorShim:
    def __init__(self, client: TeamsConnectorClient) -> None:
        self.conversations = _Conversations(client)


class BridgeAdapter(BotAdapter):
    """A botbuilder adapter that hands each send to the SDK turn behind the context."""

    def __init__(self, agents: ChannelServiceAdapter) -> None:
        super().__init__()
        self._agents = agents

    @staticmethod
    def _turn(context: TurnContext) -> AgentsContext:
        turn: AgentsContext = context.turn_state[AGENTS_CONTEXT_KEY]
        return turn

    async def send_activities(
        self, context: TurnContext, activities: list[Activity]
    ) -> list[ResourceResponse]:
        converted = [to_agents(activity) for activity in activities]
        responses = await self._agents.send_activities(self._turn(context), converted)
        return [ResourceResponse(id=response.id) for response in responses]

    async def update_activity(self, context: TurnContext, activity: Activity) -> ResourceResponse:
        response = await self._agents.update_activity(self._turn(context), to_agents(activity))
        return ResourceResponse(id=getattr(response, "id", None))

    async def delete_activity(self, context: TurnContext, reference: ConversationReference) -> None:
        await self._agents.delete_activity(self._turn(context), reference_to_agents(reference))

    async def continue_conversation(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("proactive turns start from the Agents SDK's adapter")


def bridged(
    bridge: BridgeAdapter, turn: AgentsContext, activity: Activity | None = None
) -> TurnContext:
    """The botbuilder context for an SDK turn (one per turn, made on first use)."""
    known = turn.turn_state.get(BRIDGED_KEY)
    if isinstance(known, TurnContext):
        return known
    context = TurnContext(bridge, activity or to_botbuilder(turn.activity))
    context.turn_state[AGENTS_CONTEXT_KEY] = turn
    # The SDK keeps the turn's connector client under this key too (ChannelServiceAdapter).
    client = turn.turn_state.get("ConnectorClient")
    if isinstance(client, TeamsConnectorClient):
        context.turn_state[BotAdapter.BOT_CONNECTOR_CLIENT_KEY] = _ConnectorShim(client)
    turn.turn_state[BRIDGED_KEY] = context
    return context
