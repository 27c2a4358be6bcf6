"""The follow-up record (回访) of a rectification case: each call tried, and what came of it.

Every named bad rating (实名差评: the citizen left a number for the call) is called back. Each try
is kept (when, by whom, its result); the first call that reaches the citizen ends the follow-up,
satisfied or not, and a centre stops trying after ``policy.follow_up_tries`` calls nobody
answered, recording the follow-up as not reached. A case of a named rating closes only once its
follow-up has an outcome (queue_server.domain.rectification). Pure: no clock, no store.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class CallResult(StrEnum):
    """What one follow-up call found."""

    SATISFIED = "satisfied"
    """Reached, and satisfied now that the case was rectified."""
    NOT_SATISFIED = "not_satisfied"
    """Reached, and still not satisfied."""
    NOT_REACHED = "not_reached"
    """Nobody answered, or the number was wrong."""


class FollowUpOutcome(StrEnum):
    """What the follow-up of a case came to."""

    SATISFIED = "satisfied"
    """Reached, and satisfied after the rectification (整改后满意)."""
    REACHED = "reached"
    """Reached, and not satisfied: the call is made, the citizen's word recorded."""
    NOT_REACHED = "not_reached"
    """Not reached after the policy's number of tries (多次联系未果)."""


CALL_RESULT_NAMES_ZH = {
    CallResult.SATISFIED: "已联系，满意",
    CallResult.NOT_SATISFIED: "已联系，不满意",
    CallResult.NOT_REACHED: "未联系上",
}
FOLLOW_UP_NAMES_ZH = {
    FollowUpOutcome.SATISFIED: "整改后满意",
    FollowUpOutcome.REACHED: "已联系，仍不满意",
    FollowUpOutcome.NOT_REACHED: "多次联系未果",
}
MAX_CALL_NOTE = 500
DEFAULT_TRIES = 3
"""Unanswered calls after which a follow-up is recorded as not reached, unless the policy says otherwise."""


@dataclass(frozen=True, slots=True)
class FollowUpCall:
    """One try at calling the citizen back."""

    at: dt.datetime
    actor: str
    result: CallResult
    note: str = ""


def outcome_of(calls: Sequence[FollowUpCall], tries: int) -> FollowUpOutcome | None:
    """The outcome ``calls`` come to: the first call that reached the citizen, or ``tries`` calls
    unanswered; None while the follow-up goes on."""
    for unanswered, call in enumerate(calls, 1):  # every call before the one that reached was unanswered
        if call.result is CallResult.SATISFIED:
            return FollowUpOutcome.SATISFIED
        if call.result is CallResult.NOT_SATISFIED:
            return FollowUpOutcome.REACHED
        if unanswered >= tries:
            return FollowUpOutcome.NOT_REACHED
    return None
