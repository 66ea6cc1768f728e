"""The small protocols (ports) that handlers and scheduler jobs depend on, one module per feature.

Storage, platforms and the clock implement these at the edge; the composition root wires them
in. Keeping them beside the domain lets handlers and jobs be tested against fakes and keeps SQL
and SDKs out of the conversation logic. Import from here or from the feature's module.
"""

from bot.domain.ports.addresses import (
    Address,
    AddressBook,
    AddressKind,
)
from bot.domain.ports.audit import (
    AuditEntry,
    AuditLog,
)
from bot.domain.ports.boundaries import (
    Boundaries,
    CalendarFeed,
    CalendarUnavailable,
    DoNotDisturb,
    Hold,
    TimezoneLookup,
)
from bot.domain.ports.breaks import (
    Advance,
    BreakStore,
    DueBreak,
    DueGroup,
    DuePlan,
    DueSchedules,
    PlanJoin,
    PlanMove,
    PlanPrompt,
    PlansJoined,
    PlanStep,
    QueuedPrompt,
)
from bot.domain.ports.clock import (
    Clock,
    Period,
    PeriodCalendar,
)
from bot.domain.ports.delivery import (
    DeliveryDeferred,
    DeliveryFailed,
    Lease,
    Outbox,
    OutboxItem,
    OutboxQueue,
    Sender,
    SenderMap,
)
from bot.domain.ports.digest import (
    ChartRenderer,
    DigestStore,
    NullActivity,
    PeriodActivity,
)
from bot.domain.ports.kudos import (
    KudosStore,
)
from bot.domain.ports.people import (
    Directory,
    MemberLookup,
    MemberLookupFailed,
    MemberStore,
)
from bot.domain.ports.pulse import (
    Recorded,
    Round,
    RoundStore,
)

__all__ = [
    "Address",
    "AddressBook",
    "AddressKind",
    "Advance",
    "AuditEntry",
    "AuditLog",
    "Boundaries",
    "BreakStore",
    "CalendarFeed",
    "CalendarUnavailable",
    "ChartRenderer",
    "Clock",
    "DeliveryDeferred",
    "DeliveryFailed",
    "DigestStore",
    "Directory",
    "DoNotDisturb",
    "DueBreak",
    "DueGroup",
    "DuePlan",
    "DueSchedules",
    "Hold",
    "KudosStore",
    "Lease",
    "MemberLookup",
    "MemberLookupFailed",
    "MemberStore",
    "NullActivity",
    "Outbox",
    "OutboxItem",
    "OutboxQueue",
    "Period",
    "PeriodActivity",
    "PeriodCalendar",
    "PlanJoin",
    "PlanMove",
    "PlanPrompt",
    "PlanStep",
    "PlansJoined",
    "QueuedPrompt",
    "Recorded",
    "Round",
    "RoundStore",
    "Sender",
    "SenderMap",
    "TimezoneLookup",
]
