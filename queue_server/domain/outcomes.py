"""Whether a case may end as the clerk says: the rules of a finish's outcome, apart from the hall.

Returned and supplement cases tell the citizen once and in full (一次性告知): their reasons must
be the centre's and their missing materials the matter's; other outcomes carry neither. The
terms an accepted case carries (告知承诺, 容缺受理, 联办件, 上报件) and a 帮办代办 record are
settled here too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Collection
from dataclasses import dataclass

from queue_server.domain.calendar import WorkCalendar
from queue_server.domain.case_terms import Assistance, CaseTerms
from queue_server.domain.centre import Centre, Matter, Policy
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


def settle_terms(
    ticket: Ticket,
    matter: Matter,
    outcome: Outcome,
    terms: CaseTerms | None,
    policy: Policy,
    calendar: WorkCalendar,
    today: dt.date,
) -> CaseTerms | None:
    """The terms ``ticket`` is finished on, with a date left out set to the policy's latest;
    raise InvalidTransition where the outcome or the matter does not allow them.

    告知承诺 needs a matter that allows it and the commitment's words; 容缺受理 needs materials
    the matter lets follow and a date within ``policy.deferred_days``. A 联办件 or 上报件 may come
    without terms (a keypad cannot give them), but terms it has are whole: the lead department or
    the level, and the time limit.
    """
    what = f"Cannot finish ticket {ticket.number} as {outcome.value}"
    named: dict[str, Fact] = {"ticket": ticket.number, "outcome": outcome.value}
    terms = terms if terms is not None and not terms.empty else None
    mine = TERMS_OF_OUTCOME.get(outcome, frozenset())
    if terms is not None and _filled(terms) - mine:
        raise InvalidTransition(
            f"{what}: it takes none of {sorted(_filled(terms) - mine)}", RefusalCode.TERMS_NOT_OF_OUTCOME, **named
        )
    match outcome:
        case Outcome.COMMITMENT:
            if not matter.commitment:
                raise _not_allowed(what, matter, named)
            if terms is None or not terms.commitment.strip():
                raise InvalidTransition(f"{what}: write the commitment", RefusalCode.COMMITMENT_MISSING, **named)
            by = _date_within(terms.by, calendar, today, policy.commitment_days, what, named)
            return CaseTerms(commitment=terms.commitment.strip(), by=by)
        case Outcome.DEFERRED:
            if not matter.deferrable:
                raise _not_allowed(what, matter, named)
            if terms is None or not terms.to_follow:
                raise InvalidTransition(f"{what}: name the materials to follow", RefusalCode.TO_FOLLOW_MISSING, **named)
            for material in terms.to_follow:
                if material not in matter.deferrable:
                    raise InvalidTransition(
                        f"{what}: {material!r} is not a material of matter {matter.code!r} that may follow",
                        RefusalCode.MATERIAL_NOT_DEFERRABLE,
                        material=material,
                        matter=matter.code,
                        **named,
                    )
            by = _date_within(terms.by, calendar, today, policy.deferred_days, what, named)
            return CaseTerms(to_follow=tuple(dict.fromkeys(terms.to_follow)), by=by)
        case Outcome.JOINT | Outcome.REPORTED if terms is not None:
            if outcome is Outcome.JOINT and not terms.lead_department.strip():
                raise InvalidTransition(
                    f"{what}: name the lead department", RefusalCode.LEAD_DEPARTMENT_MISSING, **named
                )
            if outcome is Outcome.REPORTED and terms.level is None:
                raise InvalidTransition(f"{what}: choose the level", RefusalCode.LEVEL_MISSING, **named)
            if terms.days is None:
                raise InvalidTransition(f"{what}: give the time limit", RefusalCode.TIME_LIMIT_MISSING, **named)
            return CaseTerms(lead_department=terms.lead_department.strip(), level=terms.level, days=terms.days)
    return None


TERMS_OF_OUTCOME: dict[Outcome, frozenset[str]] = {
    Outcome.COMMITMENT: frozenset({"commitment", "by"}),
    Outcome.DEFERRED: frozenset({"to_follow", "by"}),
    Outcome.JOINT: frozenset({"lead_department", "days"}),
    Outcome.REPORTED: frozenset({"level", "days"}),
}
"""The terms each outcome may carry; the others carry none."""


def _filled(terms: CaseTerms) -> frozenset[str]:
    blank = CaseTerms()
    return frozenset(f.name for f in dataclasses.fields(terms) if getattr(terms, f.name) != getattr(blank, f.name))


def _not_allowed(what: str, matter: Matter, named: dict[str, Fact]) -> InvalidTransition:
    return InvalidTransition(
        f"{what}: matter {matter.code!r} does not allow it",
        RefusalCode.OUTCOME_NOT_ALLOWED,
        matter=matter.code,
        **named,
    )


def _date_within(
    given: dt.date | None, calendar: WorkCalendar, today: dt.date, days: int, what: str, named: dict[str, Fact]
) -> dt.date:
    latest = calendar.add_working_days(today, days)
    if given is None:
        return latest
    if not today < given <= latest:
        raise InvalidTransition(
            f"{what}: the date {given.isoformat()} must be after today and no later than {latest.isoformat()}"
            f" ({days} working days)",
            RefusalCode.TERMS_DATE_OUT_OF_POLICY,
            day=latest.isoformat(),
            **named,
        )
    return given


IDENTIFYING_DIGITS = re.compile(r"\d{6,}")
"""Six digits or more in a row: part of an identity card or phone number, which a record never keeps."""


@dataclass(frozen=True, slots=True)
class Assisted:
    """What the clerk says of a 帮办代办 case: whom they helped, with which matter, and that the
    person consented to the record."""

    helped: str
    matter: str
    consent: bool


def check_assistance(centre: Centre, window: int, ticket: Ticket, assisted: Assisted) -> Assistance:
    """The 帮办代办 record of ``ticket`` at ``window``; raise InvalidTransition or NotFound when it may
    not be kept: not a 帮办代办 window, nobody named, no consent, or an identifying number."""
    what = f"Cannot record assistance for ticket {ticket.number} at window {window}"
    if not centre.assists(centre.window(window)):
        raise InvalidTransition(
            f"{what}: it is no assisted-service window", RefusalCode.ASSISTANCE_NOT_HERE, window=window
        )
    helped = " ".join(assisted.helped.split())
    if not helped:
        raise InvalidTransition(f"{what}: name the person helped", RefusalCode.ASSISTED_PERSON_MISSING)
    if IDENTIFYING_DIGITS.search(helped):
        raise InvalidTransition(
            f"{what}: give a name or a description, not an identity or phone number",
            RefusalCode.ASSISTED_PERSON_IDENTIFIES,
        )
    if not assisted.consent:
        raise InvalidTransition(
            f"{what}: the person helped has not consented to the record", RefusalCode.ASSISTANCE_CONSENT_MISSING
        )
    return Assistance(helper=ticket.staff or "", helped=helped, matter=centre.matter(assisted.matter).code)
