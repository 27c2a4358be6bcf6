"""What a slip says, apart from how it is printed.

A slip is a frozen value built from what the server already publishes (the ticket view, the
centre's name, phone and address), so rendering is a pure function of it: the same slip gives the
same bytes, which is what makes byte-exact tests and previews possible. The printer runs on a
device, so nothing here imports the server; strings the server has already put into Chinese
(category and outcome names) arrive as strings.

Each slip gives its templates two things: ``fields()`` (named strings for ``str.format``) and
``lists()`` (named sequences a template line repeats over). Derived wording that needs a
condition (the green-channel mark, the English lines) lives here, not in the template.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

INSTRUCTION_ZH = "请留意叫号，过号请到咨询导办台"
INSTRUCTION_EN = "Please listen for your number. If it has been passed, go to the information desk."


@dataclass(frozen=True, slots=True)
class TicketSlip:
    """The ticket a citizen takes from the kiosk (取号凭条)."""

    centre_name: str
    number: str
    matter_name: str
    people_ahead: int
    issued_at: str
    """The local date and time as it is printed, e.g. 2026-11-29 09:05."""
    status_url: str
    """The page that follows the ticket; printed as the QR code."""
    centre_name_en: str = ""
    matter_name_en: str = ""
    green_channel: bool = False
    category_name: str | None = None
    """The green-channel category in Chinese (e.g. 老年人), shown beside the mark."""
    estimated_wait_minutes: int | None = None
    wait_range_minutes: tuple[int, int] | None = None
    """The range told for the wait (low, high), printed instead of the single estimate when there is one."""
    english: bool = False
    """Add the English lines (asked for at the kiosk)."""

    @classmethod
    def from_view(
        cls,
        view: Mapping[str, Any],
        *,
        centre_name: str,
        centre_name_en: str = "",
        issued_at: str,
        english: bool = False,
    ) -> TicketSlip:
        """Build a slip from the server's ticket view (``queue_server.app.views.ticket_view`` as JSON).

        ``issued_at`` is passed in already formatted in the centre's time zone: the view carries UTC.
        """
        position = view.get("position") or {}
        wait = position.get("estimated_wait_minutes")
        told = position.get("wait_range_minutes")
        return cls(
            centre_name=centre_name,
            centre_name_en=centre_name_en,
            number=str(view["number"]),
            matter_name=str(view["matter_name"]),
            matter_name_en=str(view.get("matter_name_en") or ""),
            green_channel=bool(view.get("green_channel")),
            category_name=view.get("category_name"),
            people_ahead=int(position.get("people_ahead", 0)),
            estimated_wait_minutes=None if wait is None else round(wait),
            wait_range_minutes=None if not told else (int(told[0]), int(told[1])),
            issued_at=issued_at,
            status_url=str(view["status_url"]),
            english=english,
        )

    @property
    def green_mark(self) -> str:
        """The green-channel mark, with its category when there is one; empty when not green."""
        if not self.green_channel:
            return ""
        return f"【绿色通道·{self.category_name}】" if self.category_name else "【绿色通道】"

    @property
    def wait(self) -> str:
        """The wait as printed after 约: the range told (15-25; one figure when both ends meet), else
        the single estimate, else empty."""
        if self.wait_range_minutes is not None:
            low, high = self.wait_range_minutes
            return f"{low}-{high}" if low != high else str(low)
        return "" if self.estimated_wait_minutes is None else str(self.estimated_wait_minutes)

    def fields(self) -> dict[str, str]:
        return {
            "centre_name": self.centre_name,
            "centre_name_en": self.centre_name_en if self.english else "",
            "number": self.number,
            "matter_name": self.matter_name,
            "matter_name_en": self.matter_name_en if self.english else "",
            "green_mark": self.green_mark,
            "green_mark_en": "Green channel" if self.green_channel and self.english else "",
            "people_ahead": str(self.people_ahead),
            "people_ahead_en": f"People ahead: {self.people_ahead}" if self.english else "",
            "wait": self.wait,
            "wait_en": f"Estimated wait: about {self.wait} min" if self.english and self.wait else "",
            "issued_at": self.issued_at,
            "status_url": self.status_url,
            "instruction": INSTRUCTION_ZH,
            "instruction_en": INSTRUCTION_EN if self.english else "",
            "scan_en": "Scan to follow your place in the queue" if self.english else "",
        }

    def lists(self) -> dict[str, tuple[str, ...]]:
        return {}


@dataclass(frozen=True, slots=True)
class NoticeSlip:
    """A case's paper on the window's thermal printer: the notice to supplement (补正材料通知书), of
    non-acceptance (不予受理通知书) or of acceptance with materials to follow (容缺受理通知书), told
    once and in full (一次性告知); the letter of commitment (告知承诺书) the applicant signs; the
    notice of acceptance (受理通知书) of a case decided later, with its promised date; or the proof of
    delivery (送达回证) the citizen signs as the result is handed over.

    The law behind it asks that every reason and every missing material be told at once, in
    writing, so both lists are printed in full, numbered, never cut short.
    """

    centre_name: str
    number: str
    matter_name: str
    outcome_name: str
    """退回件 or 补正, as the server names the outcome."""
    reasons: tuple[str, ...]
    missing_materials: tuple[str, ...]
    phone: str
    address: str
    date: str
    """The local date as it is printed, e.g. 2026-11-29."""
    title: str = "一次性告知单"
    case_number: str = ""
    staff: str = ""
    note: str = ""
    deadline: str = ""
    remedy: str = ""
    commitment: str = ""
    """On a letter of commitment (告知承诺书): what the applicant commits to, which they sign for."""
    received_materials: tuple[str, ...] = ()
    """On a notice of acceptance (受理通知书): the materials received."""
    due: str = ""
    """On a notice of acceptance: by when the case is done, as the server words it."""
    delivery: str = ""
    """On a notice of acceptance: how the result reaches the citizen."""
    lead_department: str = ""
    """On a joint case's notice (联办件): the department that leads it."""
    level: str = ""
    """On a reported case's notice (上报件): the level it is reported to."""
    delivered_how: str = ""
    """On a proof of delivery (送达回证): how the result was handed over."""

    def fields(self) -> dict[str, str]:
        return {
            "title": self.title,
            "commitment": self.commitment,
            "told_once": "yes" if (self.reasons or self.missing_materials) and not self.commitment else "",
            "case_number": self.case_number,
            "staff": self.staff,
            "note": self.note,
            "deadline": self.deadline,
            "remedy": self.remedy,
            "centre_name": self.centre_name,
            "number": self.number,
            "matter_name": self.matter_name,
            "outcome_name": self.outcome_name,
            "phone": self.phone,
            "address": self.address,
            "date": self.date,
            "has_reasons": "yes" if self.reasons else "",
            "has_materials": "yes" if self.missing_materials else "",
            "has_received": "yes" if self.received_materials else "",
            "due": self.due,
            "delivery": self.delivery,
            "lead_department": self.lead_department,
            "level": self.level,
            "delivered_how": self.delivered_how,
            "handled_by": self.staff if not self.delivered_how else "",
            "delivered_by": self.staff if self.delivered_how else "",
            "applicant_signs": "" if self.delivered_how else "yes",
        }

    def lists(self) -> dict[str, tuple[str, ...]]:
        return {
            "reasons": self.reasons,
            "missing_materials": self.missing_materials,
            "received_materials": self.received_materials,
        }


Slip = TicketSlip | NoticeSlip
