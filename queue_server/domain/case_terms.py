"""What a finished case carries beyond its outcome: the terms it was accepted on, and whom the
window helped.

A 告知承诺 case is accepted on the applicant's written commitment, which the centre verifies by a
date; a 容缺受理 case is accepted with some of the matter's non-essential materials to follow by a
date; a 联办件 names the department that leads the joint handling and a 上报件 the level it goes
up to, each with its time limit in working days. At a 帮办代办 window the record says who helped
whom with which matter. The rules are in ``domain.outcomes``; these are the values.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    """Where a 上报件 goes up to."""

    DISTRICT = "district"
    CITY = "city"
    PROVINCE = "province"


LEVEL_NAMES_ZH: dict[Level, str] = {Level.DISTRICT: "区县", Level.CITY: "市", Level.PROVINCE: "省"}
LEVEL_NAMES_EN: dict[Level, str] = {Level.DISTRICT: "district", Level.CITY: "city", Level.PROVINCE: "province"}

COMMITMENT_MAX_CHARS = 500
DEPARTMENT_MAX_CHARS = 60
HELPED_MAX_CHARS = 40
"""A name or a short description (「行动不便的老人」): enough to know whom, no more."""


@dataclass(frozen=True, slots=True)
class CaseTerms:
    """The terms a case was accepted on; each outcome fills only its own fields."""

    commitment: str = ""
    """告知承诺: what the applicant commits to, as written on the 告知承诺书."""
    to_follow: tuple[str, ...] = ()
    """容缺受理: the matter's materials the applicant brings later."""
    by: dt.date | None = None
    """告知承诺: the day by which the centre verifies the commitment; 容缺受理: the day the materials are due."""
    lead_department: str = ""
    """联办件: the department that leads the joint handling (牵头部门)."""
    level: Level | None = None
    """上报件: the level the case is reported to."""
    days: int | None = None
    """联办件 and 上报件: the time limit in working days, from the day of acceptance."""

    @property
    def empty(self) -> bool:
        return self == CaseTerms()


@dataclass(frozen=True, slots=True)
class Assistance:
    """A 帮办代办 record: who at the window helped whom, with which matter.

    The person helped is a name or a short description given with their consent; no identity or
    phone number is kept (the rules refuse one).
    """

    helper: str
    """The staff code of who served at the window."""
    helped: str
    matter: str
    """The code of the matter the person was helped with (not always the ticket's own)."""
