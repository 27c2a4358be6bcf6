"""Ratings (好差评): five levels, asked for after each service, answered once or recorded unrated."""

from __future__ import annotations

from enum import IntEnum, StrEnum


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
