"""Appeals (申诉复核): a window contests a bad rating it holds given by mistake or untrue.

The window (its staff member or the centre's manager) files the appeal with its reason and its
evidence; a supervisor (or an administrator) upholds or rejects it, once, with the reason, and
never the person who filed it. An upheld appeal takes the rating out of the window's, the staff
member's and the centre's figures (queue_server.reports), while the case and the rating stay in
the record, marked appealed and upheld. Pure: the rectification case carries its appeal.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class AppealStatus(StrEnum):
    PENDING = "pending"
    """Filed, waiting for the supervisor's decision."""
    UPHELD = "upheld"
    """The rating was given by mistake or is untrue: it no longer counts."""
    REJECTED = "rejected"
    """The rating stands."""


APPEAL_STATUS_NAMES_ZH = {
    AppealStatus.PENDING: "申诉待复核",
    AppealStatus.UPHELD: "申诉成立",
    AppealStatus.REJECTED: "申诉驳回",
}
MAX_APPEAL_TEXT = 2000
MAX_EVIDENCE_FILES = 5
"""Files an appeal may carry besides its words."""


class EvidenceType(StrEnum):
    """The kinds of file an appeal's evidence may be: photos and PDF documents."""

    JPEG = "image/jpeg"
    PNG = "image/png"
    WEBP = "image/webp"
    PDF = "application/pdf"


@dataclass(frozen=True, slots=True)
class EvidenceFile:
    """A file the window sent with its appeal, stored by its hash (queue_server.store.appeal_evidence)."""

    sha256: str
    name: str
    """The file's name as the window gave it, to show."""
    media_type: EvidenceType
    size: int


@dataclass(frozen=True, slots=True)
class Appeal:
    filed_at: dt.datetime
    filed_by: str
    reason: str
    """Why the rating is wrong."""
    evidence: str = ""
    """What shows it: the recording's time, a witness, the records checked."""
    files: tuple[EvidenceFile, ...] = ()
    """Photos and documents that show it, for the supervisor deciding."""
    status: AppealStatus = AppealStatus.PENDING
    decided_at: dt.datetime | None = None
    decided_by: str | None = None
    decision_note: str = ""

    @property
    def upheld(self) -> bool:
        return self.status is AppealStatus.UPHELD
