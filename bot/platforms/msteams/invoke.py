"""Answers to Teams `invoke` activities: the shapes Teams expects back in the HTTP response.

An invoke is a question Teams waits on: the bot's answer travels in the response to the POST,
not as a message. Respite answers two kinds:

- `adaptiveCard/action` (an `Action.Execute`, Universal Actions): `{"statusCode": 200, "type":
  "application/vnd.microsoft.card.adaptive", "value": <card>}` replaces the card acted on, and
  `"type": "application/vnd.microsoft.activity.message", "value": <text>` leaves it and shows text.
- `application/search` (a typeahead picker's query): `{"type":
  "application/vnd.microsoft.search.searchResponse", "value": {"results": [{"title", "value"}]}}`.

Anything else, or a malformed one, gets a 400 with `application/vnd.microsoft.error` and a code,
never botbuilder's bare 501 (docs/teams.md says which kinds cannot arrive, and why).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from botbuilder.core import InvokeResponse
from botbuilder.schema import Activity, ActivityTypes
from msrest.serialization import Model

CARD_ACTION = "adaptiveCard/action"
SEARCH = "application/search"

CARD = "application/vnd.microsoft.card.adaptive"
MESSAGE = "application/vnd.microsoft.activity.message"
SEARCH_RESPONSE = "application/vnd.microsoft.search.searchResponse"
ERROR = "application/vnd.microsoft.error"


class InvokeBody(Model):
    """An invoke response's body as an msrest model, so the route serializes it like the SDK's.

    `statusCode` is left out when None: a search response has none.
    """

    _attribute_map = {  # noqa: RUF012 (msrest reads it as an instance attribute)
        "status_code": {"key": "statusCode", "type": "int"},
        "type": {"key": "type", "type": "str"},
        "value": {"key": "value", "type": "object"},
    }

    def __init__(
        self, *, status_code: int | None = None, type: str | None = None, value: Any = None
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.status_code = status_code
        self.type = type
        self.value = value


def card_body(card: Mapping[str, Any]) -> InvokeBody:
    return InvokeBody(status_code=HTTPStatus.OK, type=CARD, value=dict(card))


def message_body(text: str) -> InvokeBody:
    return InvokeBody(status_code=HTTPStatus.OK, type=MESSAGE, value=text)


def search_body(results: Sequence[tuple[str, str]]) -> InvokeBody:
    """Search results from (value, title) pairs: for a user picker, (AAD object id, name)."""
    return InvokeBody(
        type=SEARCH_RESPONSE,
        value={"results": [{"title": title, "value": value} for value, title in results]},
    )


def error_body(status: HTTPStatus, code: str, message: str) -> InvokeBody:
    return InvokeBody(status_code=status, type=ERROR, value={"code": code, "message": message})


def invoke_response(status: HTTPStatus, body: InvokeBody) -> Activity:
    """The activity that hands the adapter an invoke's answer (it is not sent anywhere)."""
    return Activity(
        type=ActivityTypes.invoke_response, value=InvokeResponse(status=int(status), body=body)
    )
