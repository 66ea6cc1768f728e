"""Release rules: what may be shown about a group without exposing a person.

Primary suppression is the minimum group size. The threshold can be raised per team but never
below the floor, because below three a respondent can often work out a colleague's answer from
their own.
"""

from __future__ import annotations

from bot.domain.team import MIN_GROUP_SIZE_FLOOR


def effective_threshold(min_group_size: int) -> int:
    return max(min_group_size, MIN_GROUP_SIZE_FLOOR)


def releasable(respondents: int, min_group_size: int) -> bool:
    """Whether any figure (means, the respondent count itself) may be released."""
    return respondents >= effective_threshold(min_group_size)
