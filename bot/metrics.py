"""Prometheus metrics for the admin: deliveries, interactions and rounds.

Labels are platforms, outcomes, kinds and team ids only: never a user id, never an answer, so a
metrics scrape cannot say who answered what.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, generate_latest

REGISTRY = CollectorRegistry(auto_describe=True)

DELIVERIES = Counter(
    "respite_deliveries_total",
    "Outbox messages by platform and outcome (sent, deferred, failed, retry).",
    ["platform", "outcome"],
    registry=REGISTRY,
)
INTERACTIONS = Counter(
    "respite_interactions_total",
    "Inbound commands, button presses and form submissions by platform and kind.",
    ["platform", "kind"],
    registry=REGISTRY,
)
DIGESTS = Counter(
    "respite_digests_total",
    "Digests queued for leads, by group kind and whether figures were released or withheld.",
    ["kind", "released"],
    registry=REGISTRY,
)


def exposition() -> bytes:
    return generate_latest(REGISTRY)
