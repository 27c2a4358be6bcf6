"""Ratings (好差评): five levels, asked for after each service, answered once or recorded unrated;
besides the overall level, the citizen may rate three items of the service, each on the same levels."""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum, StrEnum

from queue_server.domain.errors import InvalidTransition
from queue_server.domain.refusal_codes import RefusalCode
from queue_server.vocabulary import RatingItem

__all__ = ["RATING_ITEM_NAMES_ZH", "RATING_NAMES_ZH", "RatingItem", "RatingLevel", "RatingStatus", "item_levels"]


class RatingLevel(IntEnum):
    VERY_SATISFIED = 5
    SATISFIED = 4
    BASICALLY_SATISFIED = 3
    DISSATISFIED = 2
    VERY_DISSATISFIED = 1

    @property
    def bad(self) -> bool:
        """不满意 and 非常不满意 open a rectification case (整改)."""
        return self <= RatingLevel.DISSATISFIED


RATING_NAMES_ZH = {
    RatingLevel.VERY_SATISFIED: "非常满意",
    RatingLevel.SATISFIED: "满意",
    RatingLevel.BASICALLY_SATISFIED: "基本满意",
    RatingLevel.DISSATISFIED: "不满意",
    RatingLevel.VERY_DISSATISFIED: "非常不满意",
}


class RatingStatus(StrEnum):
    NONE = "none"  # not finished yet, or finished before ratings were asked
    REQUESTED = "requested"  # the window's pad and the ticket's page invite a rating
    RATED = "rated"
    EXPIRED = "expired"  # nobody answered in time: unrated, never counted as satisfied


RATING_ITEM_NAMES_ZH = {
    RatingItem.EFFICIENCY: "服务效率",
    RatingItem.SKILL: "服务水平",
    RatingItem.ATTITUDE: "服务态度",
}
UNRATED_ITEM = 0
"""An item the citizen left unrated, in :func:`item_levels`' tuple."""


def item_levels(items: Mapping[str, int], ticket: str) -> tuple[int, ...]:
    """The items rated, as the event keeps them: one level per :class:`RatingItem` in its order
    (0 for an item left unrated), or () when none was rated. Refuses an unknown item or level."""
    for name, level in items.items():
        if name not in RatingItem.__members__.values() or level not in RatingLevel.__members__.values():
            raise InvalidTransition(
                f"Cannot rate ticket {ticket}: {name!r} = {level!r} is not an item ({', '.join(RatingItem)})"
                " with a level from 1 to 5",
                RefusalCode.RATING_ITEM_UNKNOWN,
                ticket=ticket,
            )
    if not items:
        return ()
    return tuple(int(items.get(item.value, UNRATED_ITEM)) for item in RatingItem)


def items_of(levels: tuple[int, ...]) -> dict[str, int]:
    """The items rated, by name, from the kept tuple."""
    return {item.value: level for item, level in zip(RatingItem, levels, strict=False) if level != UNRATED_ITEM}
