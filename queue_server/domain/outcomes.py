"""Whether a case may end as the clerk says: the rules of a finish's outcome, apart from the hall.

Returned and supplement cases tell the citizen once and in full (一次性告知): their reasons must
be the centre's and their missing materials the matter's; other outcomes carry neither.
"""

from __future__ import annotations

from collections.abc import Collection

from queue_server.domain.centre import Matter
from queue_server.domain.errors import InvalidTransition
from queue_server.domain.refusal_codes import Fact, RefusalCode
from queue_server.domain.tickets import Outcome, Ticket


def check_outcome(
    ticket: Ticket,
    matter: Matter,
    outcome: Outcome,
    reasons: tuple[str, ...],
    missing: tuple[str, ...],
    rejection_reasons: Collection[str],
) -> None:
    """Raise InvalidTransition if ``ticket`` may not be finished as ``outcome`` with these notices."""
    what = f"Cannot finish ticket {ticket.number} as {outcome.value}"
    named: dict[str, Fact] = {"ticket": ticket.number, "outcome": outcome.value}
    if not outcome.needs_notice:
        if reasons or missing:
            raise InvalidTransition(
                f"{what}: reasons and missing materials belong to returned or supplement cases",
                RefusalCode.OUTCOME_WITHOUT_NOTICE,
                **named,
            )
        return
    unknown_reason = [r for r in reasons if r not in rejection_reasons]
    if unknown_reason:
        raise InvalidTransition(
            f"{what}: {unknown_reason[0]!r} is not one of the centre's reasons",
            RefusalCode.OUTCOME_REASON_UNKNOWN,
            reason=unknown_reason[0],
            **named,
        )
    unknown_material = [m for m in missing if m not in matter.materials]
    if unknown_material:
        raise InvalidTransition(
            f"{what}: {unknown_material[0]!r} is not a material of matter {matter.code!r}",
            RefusalCode.OUTCOME_MATERIAL_UNKNOWN,
            material=unknown_material[0],
            matter=matter.code,
            **named,
        )
    if outcome is Outcome.SUPPLEMENT and not missing:
        raise InvalidTransition(
            f"{what}: name every missing material, once and in full", RefusalCode.OUTCOME_MATERIALS_MISSING, **named
        )
    if outcome is Outcome.RETURNED and not reasons:
        raise InvalidTransition(
            f"{what}: give the reason the case is not accepted", RefusalCode.OUTCOME_REASON_MISSING, **named
        )
