"""The break prompt: short micro-practices, rotated so the same one never comes twice in a row.

The practices are Respite's own words. There are thirteen (a prime), so stepping through them by
any fixed stride visits every one before repeating, and consecutive prompts always differ.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

from bot.domain import commands
from bot.domain.messages import Button, Card, Platform
from bot.infra.i18n import N_, _, current_locale

BREAK_DONE = "break_done"
BREAK_SNOOZE = "break_snooze"
BREAK_SKIP = "break_skip_today"
BREAK_PAUSE = "break_pause"

PRIVACY_NOTE = N_(
    "Only team totals of Done and Skip are kept, week by week, never who pressed what. "
    "Settings: {status}"
)


def privacy_note(platform: Platform) -> str:
    return _(PRIVACY_NOTE).format(status=commands.word(platform, "breaks status"))


@dataclass(frozen=True, slots=True)
class Practice:
    """A practice in English; its title and text are catalog entries, translated when a card
    is built in the reader's language."""

    kind: str
    title: str
    text: str


PRACTICES: tuple[Practice, ...] = (
    Practice(
        "breathing",
        N_("Three slow breaths"),
        N_(
            "Breathe in through your nose for four, hold for a moment, out for six. Three times. "
            "Let your shoulders drop on each out-breath."
        ),
    ),
    Practice(
        "stretch",
        N_("Unclench"),
        N_(
            "Stand up, roll your shoulders back five times, then reach both arms overhead and lean "
            "gently to each side."
        ),
    ),
    Practice(
        "water",
        N_("A glass of water"),
        N_("Fetch a glass of water and drink it away from your screen. Notice the temperature."),
    ),
    Practice(
        "outside",
        N_("Step outside"),
        N_(
            "If you can, step outside or to a window for two minutes. Look at the furthest thing "
            "you can see."
        ),
    ),
    Practice(
        "grounding",
        N_("5-4-3-2-1"),
        N_(
            "Name five things you can see, four you can hear, three you can touch, two you can "
            "smell and one you can taste."
        ),
    ),
    Practice(
        "self-compassion",
        N_("A kind word to yourself"),
        N_(
            "You have been holding a lot for other people. Put a hand on your chest and say, "
            "silently: this is hard work, and I am doing it with care."
        ),
    ),
    Practice(
        "breathing",
        N_("Box breathing"),
        N_("In for four, hold for four, out for four, hold for four. Four rounds."),
    ),
    Practice(
        "stretch",
        N_("Neck and jaw"),
        N_(
            "Let your jaw soften. Tilt your head slowly towards each shoulder and hold for three "
            "breaths on each side."
        ),
    ),
    Practice(
        "water",
        N_("Refill"),
        N_("Refill your water bottle, and have a few sips before you sit back down."),
    ),
    Practice(
        "outside",
        N_("A short walk"),
        N_("Walk to the end of the corridor or round the block. No phone, just your steps."),
    ),
    Practice(
        "grounding",
        N_("Feet on the floor"),
        N_(
            "Press both feet into the floor and feel the chair holding you. Notice three sounds "
            "in the room."
        ),
    ),
    Practice(
        "self-compassion",
        N_("Leave the last session there"),
        N_(
            "Picture setting the last session down on a shelf; it will be there when you need it. "
            "What do you need right now?"
        ),
    ),
    Practice(
        "breathing",
        N_("Long exhale"),
        N_("Breathe out as slowly as you can, as if through a straw. Do it five times."),
    ),
)


def person_stride(user_id: str) -> int:
    """A per-person stride 1..n-1, so people sitting together do not all get the same one."""
    digest = hashlib.sha256(user_id.encode()).digest()
    return 1 + digest[0] % (len(PRACTICES) - 1)


def rotate(last: int | None, stride: int) -> int:
    """The practice after `last` for someone stepping by `stride`; with no last one, `stride`.

    Storage repeats this rule in SQL to rotate a whole group's practices in one statement.
    """
    if last is None or not 0 <= last < len(PRACTICES):
        return stride % len(PRACTICES)
    return (last + stride) % len(PRACTICES)


def next_practice(user_id: str, last: int | None) -> int:
    return rotate(last, person_stride(user_id))


def prompt_card(practice_index: int, slot_key: str, platform: Platform) -> Card:
    """The prompt in the current language (the recipient's: whoever builds it sets it)."""
    return _prompt_card(practice_index, slot_key, platform, current_locale())


@lru_cache(maxsize=1024)
def _prompt_card(practice_index: int, slot_key: str, platform: Platform, locale: str) -> Card:
    # `locale` is part of the cache key only: the strings below read it from the context.
    practice = PRACTICES[practice_index % len(PRACTICES)]
    return Card(
        title=_("Time for a short break: {practice}").format(practice=_(practice.title)),
        blocks=(_(practice.text),),
        buttons=(
            Button(BREAK_DONE, _("Done"), f"{slot_key}|{practice_index}", style="primary"),
            Button(BREAK_SNOOZE, _("Snooze 10 min"), f"{slot_key}|{practice_index}"),
            Button(BREAK_SKIP, _("Skip today"), slot_key),
            Button(BREAK_PAUSE, _("Pause breaks"), slot_key),
        ),
        note=privacy_note(platform),
    )


def protect_tomorrow_card(platform: Platform) -> Card:
    return Card(
        title=_("No break fitted today"),
        blocks=(
            _(
                "Your calendar had no gap of ten minutes today. Could you protect one short "
                "break tomorrow? Blocking ten minutes after a session is enough."
            ),
        ),
        note=_("Settings: {command}").format(command=commands.word(platform, "breaks status")),
    )


def calendar_failed_card(platform: Platform) -> Card:
    return Card(
        title=_("I couldn't read your calendar"),
        blocks=(
            _(
                "Until it works again your break prompts follow your fixed break times. "
                "I'll only tell you this once; {command} stops using it."
            ).format(command=commands.word(platform, "breaks calendar off")),
        ),
    )
