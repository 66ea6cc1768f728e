"""The schema's Slack installation tables are slack_sdk's own: the same columns (name, type,
length, nullability, key) and indexes as the stores' table builders, so the stores read and
write them as they would tables they had created themselves."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import MetaData, Table

from bot.storage.tables import slack_bots, slack_installations, slack_oauth_states


def _shape(table: Table) -> dict[str, Any]:
    columns = [
        (c.name, type(c.type).__name__, getattr(c.type, "length", None), c.nullable, c.primary_key)
        for c in table.columns
    ]
    indexes = {(i.name, tuple(c.name for c in i.columns)) for i in table.indexes}
    return {"columns": columns, "indexes": indexes}


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (slack_bots, SQLAlchemyInstallationStore.build_bots_table(MetaData(), "slack_bots")),
        (
            slack_installations,
            SQLAlchemyInstallationStore.build_installations_table(
                MetaData(), "slack_installations"
            ),
        ),
        (
            slack_oauth_states,
            SQLAlchemyOAuthStateStore.build_oauth_states_table(MetaData(), "slack_oauth_states"),
        ),
    ],
)
def test_tables_match_the_stores_own(ours: Table, theirs: Table) -> None:
    assert _shape(ours) == _shape(theirs)


def test_the_stores_default_table_names() -> None:
    assert SQLAlchemyInstallationStore.default_bots_table_name == slack_bots.name
    assert SQLAlchemyInstallationStore.default_installations_table_name == slack_installations.name
    assert SQLAlchemyOAuthStateStore.default_table_name == slack_oauth_states.name
