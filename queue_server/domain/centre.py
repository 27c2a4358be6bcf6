"""The centre's configuration: what a hall is made of, validated once.

A centre file (TOML) is parsed into these models; after the first load the database holds the
truth, but every part of the domain reads the centre through these frozen objects. Validation
errors carry a location path (``("matters", 3, "expected_minutes")``) that the file loader turns
into a file, line and field.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    Field,
    field_validator,
    model_validator,
)

from queue_server.domain.audit import AUDIT_DAYS, AUDIT_DAYS_LEAST
from queue_server.domain.booking_rules import BookingRules
from queue_server.domain.devices import DeviceKind
from queue_server.domain.follow_up import DEFAULT_TRIES
from queue_server.domain.frozen_model import Model
from queue_server.domain.guides import Guide

CODE_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,39}$"
PREFIX_PATTERN = r"^[A-Z]{1,2}$"


REAL_NAME_TICKETS_PER_DAY = 2
"""The named default of how many real-name tickets one ID number gets per centre-day."""
GREEN_CHANNEL_AGE = 60
"""The named default of the age from which the green channel's elderly ground applies (老年人, 60 周岁)."""
SMS_RECORD_DAYS = 90
"""Days the record of an SMS notice is kept after it was written, by default."""
POSTAL_DAYS_AFTER_DUE = 60
"""Days after its case's promised date an address of a case never delivered is kept, by default."""
BOOKING_CODE_DAYS = 1
"""Days a code texted for the public booking page (its keyed hashes) is kept after it expired, by default."""
APPEAL_EVIDENCE_DAYS = 180
"""Days an appeal's files are kept after its case closed, by default."""
STAFF_PHOTO_DAYS = 30
"""Days a staff photo is kept once no staff member in the centre file shows it, by default."""

END_OF_DAY = dt.time.max
"""A period ending at "24:00" runs to midnight."""


def parse_clock(value: str) -> dt.time:
    """HH:MM as centre and simulator files write it; 24:00 is the end of the day."""
    if not re.fullmatch(r"\d{2}:\d{2}", value):
        raise ValueError(f"a time is written HH:MM, got {value!r}")
    if value == "24:00":
        return END_OF_DAY
    hours, minutes = int(value[:2]), int(value[3:])
    if hours > 23 or minutes > 59:
        raise ValueError(f"{value!r} is not a time of day")
    return dt.time(hours, minutes)


def clock_text(value: dt.time) -> str:
    """A time as a centre file writes it: HH:MM, and "24:00" for the end of the day."""
    return "24:00" if value == END_OF_DAY else f"{value:%H:%M}"


class Period(Model):
    """One stretch of opening time within a day, e.g. 08:30 to 12:00 (or 00:00 to 24:00)."""

    start: dt.time
    end: dt.time

    @model_validator(mode="before")
    @classmethod
    def _from_pair(cls, data: object) -> object:
        if isinstance(data, (list, tuple)):
            if len(data) != 2 or not all(isinstance(v, str) for v in data):
                raise ValueError('a period is a pair of times, e.g. ["08:30", "12:00"]')
            return {"start": parse_clock(data[0]), "end": parse_clock(data[1])}
        return data

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end <= self.start:
            raise ValueError(f"a period must end after it starts ({self.start:%H:%M}-{self.end:%H:%M})")
        return self


def _ordered_periods(periods: tuple[Period, ...]) -> tuple[Period, ...]:
    for before, after in itertools.pairwise(periods):
        if after.start < before.end:
            raise ValueError(
                f"periods overlap or are out of order ({before.start:%H:%M}-{before.end:%H:%M}"
                f" then {after.start:%H:%M}-{after.end:%H:%M})"
            )
    return periods


DayPeriods = Annotated[tuple[Period, ...], AfterValidator(_ordered_periods)]

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class Hours(Model):
    """Opening periods per weekday; the gap between two periods is the lunch break."""

    monday: DayPeriods = ()
    tuesday: DayPeriods = ()
    wednesday: DayPeriods = ()
    thursday: DayPeriods = ()
    friday: DayPeriods = ()
    saturday: DayPeriods = ()
    sunday: DayPeriods = ()

    def for_weekday(self, weekday: int) -> tuple[Period, ...]:
        """Periods for ``date.weekday()`` (0 is Monday)."""
        periods: tuple[Period, ...] = getattr(self, WEEKDAYS[weekday])
        return periods


class CalendarRules(Model):
    """Public holidays and China's adjusted working days (调休)."""

    holidays: tuple[dt.date, ...] = ()
    """Days the centre is closed although the weekday has opening hours."""
    working_days: tuple[dt.date, ...] = ()
    """Weekend days worked in exchange for a holiday (调休): open, and counted as working days."""
    working_day_hours: DayPeriods | None = None
    """Opening periods of an adjusted working day; by default Monday's."""
    known_through: dt.date | None = None
    """The last day whose holidays and 调休 are known (the State Council's notice for its year is
    loaded). By default the end of the latest year that lists a holiday or an adjusted working day;
    a date after it is provisional: a holiday announced later may move it."""

    @model_validator(mode="after")
    def _disjoint(self) -> Self:
        holidays = set(self.holidays)
        for index, day in enumerate(self.working_days):
            if day in holidays:
                raise LocatedValueError(
                    ("working_days", index), f"{day.isoformat()} is listed both as a holiday and as a working day"
                )
        return self


class ClosingPolicy(StrEnum):
    """What happens to tickets still waiting when the centre closes."""

    CANCEL = "cancel"
    CARRY = "carry"


class NoShowRequeue(StrEnum):
    """Where a no-show ticket put back in the queue goes."""

    KEEP_PLACE = "keep_place"
    END = "end"


class ShowStaff(StrEnum):
    """What a window's display and pad say of who serves there (工作证): staff show who they are."""

    NAME_AND_NUMBER = "name_and_number"
    NUMBER = "number"
    NONE = "none"


class Policy(Model):
    """Service rules a manager may tune; each has a named default."""

    max_passed_over: int = Field(default=3, ge=0, le=100)
    """K: an ordinary ticket is passed over by at most this many later tickets (docs/routing.md)."""
    at_closing: ClosingPolicy = ClosingPolicy.CANCEL
    stop_issuing_before_close: int = Field(default=30, ge=0, le=24 * 60)
    """Minutes before the day's last closing time after which no ticket is issued."""
    stop_issuing_at: dt.time | None = None
    """A fixed local time after which no ticket is issued (e.g. "16:30"); the earlier of the two applies."""
    issue_during_lunch: bool = True
    """Whether kiosks issue tickets during the lunch break (they are called after it)."""
    no_show_requeue: NoShowRequeue = NoShowRequeue.KEEP_PLACE
    number_width: int = Field(default=3, ge=2, le=6)
    """Digits after the prefix: A001. A day that runs past them simply gets a longer number."""
    estimate_weight: float = Field(default=0.2, gt=0, le=1)
    """How much one real handling time moves a matter's learned average (exponential weight)."""
    supplement_days: int = Field(default=5, ge=1, le=60)
    """Working days a citizen has to bring what a 补正 case lacks; the notice gives the date."""
    deferred_days: int = Field(default=10, ge=1, le=120)
    """The longest a 容缺受理 case's materials may follow, in working days; the clerk's date is within it."""
    commitment_days: int = Field(default=20, ge=1, le=365)
    """The longest the centre takes to verify a 告知承诺 case's commitment, in working days."""
    rating_minutes: int = Field(default=5, ge=1, le=7 * 24 * 60)
    """How long a finished ticket may be rated (on the window's pad or the ticket's page); then it is unrated."""
    bad_rating_reasons: tuple[str, ...] = (
        "等候时间过长",
        "服务态度不好",
        "业务不熟练",
        "一次性告知不清楚",
        "让我多跑了一趟",
        "其他",
    )
    """What a citizen may tick when rating 不满意 or 非常不满意."""
    follow_up_days: int = Field(default=30, ge=1, le=365)
    """Days a citizen's follow-up phone number (回访) is kept; then it is deleted."""
    assisted_days: int = Field(default=90, ge=1, le=3650)
    """Days the name or description of whom a 帮办代办 window helped is kept; then it is blanked and the
    record says only who helped, with which matter."""
    rectification_days: int = Field(default=5, ge=1, le=60)
    """Working days a rectification case (整改) opened by a bad rating or a complaint has, until it is overdue."""
    follow_up_tries: int = Field(default=DEFAULT_TRIES, ge=1, le=10)
    """Unanswered follow-up calls (回访) after which a named bad rating's follow-up is recorded as not reached."""
    rejection_reasons: tuple[str, ...] = (
        "申请材料不齐全",
        "申请材料不符合法定形式",
        "不属于本中心受理范围",
        "申请人不符合办理条件",
    )
    """The reasons a window may give when a case is returned (退回) or sent for completion (补正)."""
    kiosk_tickets_per_minute: int = Field(default=30, ge=0, le=10_000)
    """Tickets one kiosk may issue per minute (a burst of as many, then one every 60/n s); 0: no limit."""
    address_tickets_per_minute: int = Field(default=20, ge=0, le=10_000)
    """Tickets issued over HTTP from one client address per minute, whatever the token; 0: no limit."""
    show_staff: ShowStaff = ShowStaff.NAME_AND_NUMBER
    """Who serves at a window, on its display and pad: the name and work number, the number only, or nothing."""
    real_name_tickets_per_day: int = Field(default=REAL_NAME_TICKETS_PER_DAY, ge=1, le=50)
    """N: tickets one ID number gets per centre-day across the real-name matters (against 号贩子)."""
    green_channel_age: int = Field(default=GREEN_CHANNEL_AGE, ge=50, le=100)
    """The age (周岁) from which the green channel's elderly ground applies; with an ID number it is
    answered from the number's birth date, not asked."""
    real_name_days: int = Field(default=30, ge=1, le=3650)
    """Days a real-name ticket keeps its ID number's keyed hash after its service day; then it is blanked."""
    advice_move_minutes: int = Field(default=3, ge=0, le=120)
    """Minutes a staff member takes to leave one window and start at another (or a B-post to come to a
    window); the staffing advice charges them to every suggestion that moves someone."""
    postal_days_after_due: int = Field(default=POSTAL_DAYS_AFTER_DUE, ge=1, le=3650)
    """Days after its case's promised date that a postal address is kept at the latest, when the
    result was never delivered (a delivery deletes it at once); the counter's consent words say so."""
    booking_code_days: int = Field(default=BOOKING_CODE_DAYS, ge=1, le=365)
    """Days a code texted for the public booking page (kept as keyed hashes) is kept after it
    expired; the daily jobs delete it at the first closing after."""
    appeal_evidence_days: int = Field(default=APPEAL_EVIDENCE_DAYS, ge=1, le=3650)
    """Days the files of an appeal (申诉: photos, PDFs that may show the citizen) are kept after its
    case closed; kept for as long as the case is open. A file no appeal names goes this many days
    after it was uploaded."""
    staff_photo_days: int = Field(default=STAFF_PHOTO_DAYS, ge=1, le=3650)
    """Days a staff photo is kept once no staff member in the centre file shows it (the staff member
    was removed, or given another photo), counted from the first closing that finds it unnamed."""
    sms_days: int | None = Field(default=None, ge=1, le=365)
    """Days a number given for SMS notices is kept at most, counted from when it was given; then the
    daily jobs delete it. Unset: the SMS settings file's ``keep_days`` for the centre (7 by default),
    which its consent words state and which still applies when it is the shorter."""
    sms_record_days: int = Field(default=SMS_RECORD_DAYS, ge=1, le=3650)
    """Days the record of an SMS notice (its masked number, template, state) is kept after it was
    written; then the daily jobs delete it (a notice still waiting to be sent stays)."""
    audit_days: int = Field(default=AUDIT_DAYS, ge=AUDIT_DAYS_LEAST, le=3650)
    """Days an entry of the audit trail (who changed the centre, who saw whose data) is kept; then the
    daily jobs delete it. At least 180 (等保 2.0: six months of logs)."""

    @field_validator("stop_issuing_at", mode="before")
    @classmethod
    def _clock(cls, value: object) -> object:
        return parse_clock(value) if isinstance(value, str) else value


class CentreInfo(Model):
    code: str = Field(pattern=CODE_PATTERN)
    name: str = Field(min_length=1, max_length=60)
    name_en: str = Field(default="", max_length=120)
    time_zone: str = "Asia/Shanghai"
    address: str = ""
    phone: str = ""

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Shanghai)") from None
        return value


class Domain(Model):
    """A field of government work (公安, 人社, 医保 ...)."""

    code: str = Field(pattern=CODE_PATTERN)
    name: str = Field(min_length=1)
    name_en: str = ""


class WindowKind(Model):
    """A kind of window (无差别综合受理, 公安, 出件 ...); matters name the kinds that take them."""

    code: str = Field(pattern=CODE_PATTERN)
    name: str = Field(min_length=1)
    name_en: str = ""
    assists: bool = False
    """A 帮办代办 kind: a finish at its windows may record whom the staff helped, with which matter."""


class TicketGroup(Model):
    """A ticket number prefix and what the hall board calls its queue."""

    prefix: str = Field(pattern=PREFIX_PATTERN)
    name: str = Field(min_length=1)
    name_en: str = ""


class Matter(Model):
    """A government matter (事项) citizens come for."""

    code: str = Field(pattern=CODE_PATTERN)
    name: str = Field(min_length=1)
    name_en: str = ""
    domain: str
    window_kinds: tuple[str, ...] = Field(min_length=1)
    expected_minutes: float = Field(gt=0, le=480)
    prefix: str = Field(pattern=PREFIX_PATTERN)
    daily_quota: int | None = Field(default=None, ge=1)
    promised_days: int | None = Field(default=None, ge=1, le=365)
    """Working days within which a promised case (承诺件) is due."""
    materials: tuple[str, ...] = ()
    """Application materials (申请材料); a returned case names the missing ones from this list.
    Left out where a guide is given: then they are the guide's materials."""
    guide: Guide | None = None
    """The service guide (办事指南) shown before the ticket; None: not entered yet, and screens say so."""
    deferrable: tuple[str, ...] = ()
    """Its non-essential materials that may follow later (容缺受理); empty: no case of it is accepted so."""
    commitment: bool = False
    """Whether a case may be accepted on the applicant's written commitment (告知承诺)."""
    real_name: bool = False
    """Tickets by real name (实名取号): each needs an ID number, and one number gets at most the
    policy's ``real_name_tickets_per_day`` of them per day across such matters."""

    @model_validator(mode="before")
    @classmethod
    def _materials_from_the_guide(cls, data: object) -> object:
        if isinstance(data, dict) and isinstance(data.get("guide"), dict) and not data.get("materials"):
            listed = data["guide"].get("materials")
            if isinstance(listed, (list, tuple)):
                names = [m.get("name") if isinstance(m, dict) else getattr(m, "name", None) for m in listed]
                return {**data, "materials": [name for name in names if isinstance(name, str)]}
        return data

    @model_validator(mode="after")
    def _materials_agree_with_the_guide(self) -> Self:
        if self.guide is not None:
            listed = tuple(m.name for m in self.guide.materials)
            if self.materials != listed:
                raise LocatedValueError(
                    ("materials",), "must be the guide's materials, in its order (leave it out to take them from it)"
                )
        for index, material in enumerate(self.deferrable):
            if material not in self.materials:
                raise LocatedValueError(("deferrable", index), f"{material!r} is not one of the matter's materials")
        return self


class Window(Model):
    """A numbered window (窗口) of the hall."""

    number: int = Field(ge=1, le=9999)
    name: str = Field(min_length=1)
    name_en: str = ""
    kinds: tuple[str, ...] = Field(min_length=1)
    green_channel: bool = False


class Staff(Model):
    """A staff member who may sign on to windows."""

    code: str = Field(pattern=CODE_PATTERN)
    name: str = Field(min_length=1)
    number: str = Field(default="", max_length=20)
    """The work number (工号) on the staff card; empty: the code stands for it."""
    windows: tuple[int, ...] = ()
    """Windows this person may sign on to; empty means any."""
    b_post: bool = False
    """On call as a B-post (B岗): while signed on nowhere, the staffing advice may suggest signing them
    on at a closed window they may work at."""
    photo: str = Field(default="", pattern=r"^([0-9a-f]{64})?$")
    """The SHA-256 of the photo the window display and the pad show (uploaded by the manager);
    empty: none. Shown only where the policy shows the name too."""

    @property
    def work_number(self) -> str:
        """The number shown to citizens: the work number, else the code."""
        return self.number or self.code


class Device(Model):
    """A device on the hall's bus: a keypad or pad bound to its window, a kiosk, a printer, a display.

    Credentials are not here: `onewindow mqtt-config` makes each device's password and keeps only
    its hash in the database.
    """

    id: str = Field(pattern=CODE_PATTERN, description="unique within the centre; the device's MQTT topics use it")
    kind: DeviceKind
    name: str = ""
    window: int | None = Field(default=None, ge=1, le=9999)
    """The window a keypad, pad, display or printer belongs to (a display with none is a hall board;
    a window's printer prints its one-time notices)."""
    printer: str | None = Field(default=None, pattern=CODE_PATTERN)
    """For a kiosk: the printer that prints its tickets."""
    spare_printers: tuple[Annotated[str, Field(pattern=CODE_PATTERN)], ...] = ()
    """For a kiosk: printers that take its tickets, in this order, when its own cannot print
    (paper out, cover open, offline); the first of them that is ready gets the job."""
    self_service_area: bool = False
    """For a kiosk: it stands in the 24-hour self-service area (24小时自助服务区), so while the hall
    is closed it shows the matters' guides and the next opening instead of only refusing."""

    @model_validator(mode="after")
    def _bound(self) -> Self:
        if self.kind.needs_window and self.window is None:
            raise ValueError(f"a {self.kind.value} belongs to a window: give its window number")
        if self.window is not None and self.kind is DeviceKind.KIOSK:
            raise ValueError(f"a {self.kind.value} is not bound to a window")
        if self.printer is not None and self.kind is not DeviceKind.KIOSK:
            raise ValueError("only a kiosk names a printer")
        if self.spare_printers and self.kind is not DeviceKind.KIOSK:
            raise LocatedValueError(("spare_printers",), "only a kiosk names spare printers")
        if self.self_service_area and self.kind is not DeviceKind.KIOSK:
            raise LocatedValueError(("self_service_area",), "only a kiosk stands in the self-service area")
        if self.spare_printers and self.printer is None:
            raise LocatedValueError(
                ("spare_printers",), f"kiosk {self.id!r} names spare printers but no printer of its own"
            )
        for index, spare in enumerate(self.spare_printers):
            if spare == self.printer:
                raise LocatedValueError(
                    ("spare_printers", index), f"kiosk {self.id!r} names its own printer {spare!r} as a spare"
                )
            if spare in self.spare_printers[:index]:
                raise LocatedValueError(("spare_printers", index), f"kiosk {self.id!r} names {spare!r} twice")
        return self


def _unique(items: tuple[Model, ...], field: str, key: str, what: str) -> None:
    seen: set[object] = set()
    for index, item in enumerate(items):
        value = getattr(item, key)
        if value in seen:
            raise LocatedValueError((field, index, key), f"two {what} share the {key} {value!r}")
        seen.add(value)


class Centre(Model):
    """A whole centre: who it is, when it opens, its windows, matters and staff."""

    centre: CentreInfo
    policy: Policy = Policy()
    hours: Hours
    calendar: CalendarRules = CalendarRules()
    domains: tuple[Domain, ...] = Field(min_length=1)
    window_kinds: tuple[WindowKind, ...] = Field(min_length=1)
    ticket_groups: tuple[TicketGroup, ...] = Field(min_length=1)
    matters: tuple[Matter, ...] = Field(min_length=1)
    windows: tuple[Window, ...] = Field(min_length=1)
    staff: tuple[Staff, ...] = ()
    devices: tuple[Device, ...] = ()
    bookings: BookingRules = BookingRules()

    @model_validator(mode="after")
    def _references(self) -> Self:
        _unique(self.domains, "domains", "code", "domains")
        _unique(self.window_kinds, "window_kinds", "code", "window kinds")
        _unique(self.ticket_groups, "ticket_groups", "prefix", "ticket groups")
        _unique(self.matters, "matters", "code", "matters")
        _unique(self.windows, "windows", "number", "windows")
        _unique(self.staff, "staff", "code", "staff members")
        kinds = {k.code for k in self.window_kinds}
        domains = {d.code for d in self.domains}
        prefixes = {g.prefix for g in self.ticket_groups}
        numbers = {w.number for w in self.windows}
        served: set[str] = set()
        for index, window in enumerate(self.windows):
            for kind in window.kinds:
                if kind not in kinds:
                    raise LocatedValueError(
                        ("windows", index, "kinds"),
                        f"window {window.number} names unknown window kind {kind!r}",
                    )
            served.update(window.kinds)
        for index, matter in enumerate(self.matters):
            if matter.domain not in domains:
                raise LocatedValueError(
                    ("matters", index, "domain"),
                    f"matter {matter.code!r} names unknown domain {matter.domain!r}",
                )
            if matter.prefix not in prefixes:
                raise LocatedValueError(
                    ("matters", index, "prefix"),
                    f"matter {matter.code!r} uses prefix {matter.prefix!r}, which no ticket group declares",
                )
            for kind in matter.window_kinds:
                if kind not in kinds:
                    raise LocatedValueError(
                        ("matters", index, "window_kinds"),
                        f"matter {matter.code!r} names unknown window kind {kind!r}",
                    )
            if not served.intersection(matter.window_kinds):
                raise LocatedValueError(("matters", index, "window_kinds"), f"no window takes matter {matter.code!r}")
        _unique(self.devices, "devices", "id", "devices")
        device_ids = {d.id: d for d in self.devices}
        for index, device in enumerate(self.devices):
            if device.window is not None and device.window not in numbers:
                raise LocatedValueError(
                    ("devices", index, "window"), f"device {device.id!r} names unknown window {device.window}"
                )
            if device.printer is not None and device_ids.get(device.printer, device).kind is not DeviceKind.PRINTER:
                raise LocatedValueError(
                    ("devices", index, "printer"), f"kiosk {device.id!r} names {device.printer!r}, which is no printer"
                )
            for spare_index, spare in enumerate(device.spare_printers):
                if device_ids.get(spare, device).kind is not DeviceKind.PRINTER:
                    raise LocatedValueError(
                        ("devices", index, "spare_printers", spare_index),
                        f"kiosk {device.id!r} names spare printer {spare!r}, which is no printer of this centre",
                    )
        for index, person in enumerate(self.staff):
            for number in person.windows:
                if number not in numbers:
                    raise LocatedValueError(
                        ("staff", index, "windows"),
                        f"staff member {person.code!r} names unknown window {number}",
                    )
        self._booking_references(prefixes, numbers)
        return self

    def _booking_references(self, prefixes: set[str], numbers: set[int]) -> None:
        codes = {m.code for m in self.matters}
        for index, bookable in enumerate(self.bookings.matters):
            where = ("bookings", "matters", index)
            if bookable.matter is not None and bookable.matter not in codes:
                raise LocatedValueError((*where, "matter"), f"bookings name unknown matter {bookable.matter!r}")
            if bookable.prefix is not None and bookable.prefix not in prefixes:
                raise LocatedValueError((*where, "prefix"), f"bookings name unknown ticket group {bookable.prefix!r}")
            for slot_index, slot in enumerate(bookable.extended):
                for number in slot.windows:
                    if number not in numbers:
                        raise LocatedValueError(
                            (*where, "extended", slot_index, "windows"),
                            f"an extended slot names unknown window {number}",
                        )

    @property
    def code(self) -> str:
        """The centre's code, from its ``[centre]`` table: ``hall.centre.code`` rather than ``hall.centre.code``."""
        return self.centre.code

    @property
    def name(self) -> str:
        """The centre's Chinese name, from its ``[centre]`` table."""
        return self.centre.name

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.centre.time_zone)

    @cached_property
    def matters_by_code(self) -> dict[str, Matter]:
        return {m.code: m for m in self.matters}

    @cached_property
    def windows_by_number(self) -> dict[int, Window]:
        return {w.number: w for w in self.windows}

    @cached_property
    def staff_by_code(self) -> dict[str, Staff]:
        return {s.code: s for s in self.staff}

    @cached_property
    def devices_by_id(self) -> dict[str, Device]:
        return {d.id: d for d in self.devices}

    @cached_property
    def pads_by_window(self) -> dict[int, tuple[Device, ...]]:
        """Each window's rating pads, in the registry's order: an action looks up its window's pads
        instead of going through every device of the hall."""
        pads: dict[int, list[Device]] = {}
        for device in self.devices:
            if device.kind is DeviceKind.PAD and device.window is not None:
                pads.setdefault(device.window, []).append(device)
        return {window: tuple(found) for window, found in pads.items()}

    @cached_property
    def groups_by_prefix(self) -> dict[str, TicketGroup]:
        return {g.prefix: g for g in self.ticket_groups}

    def matter(self, code: str) -> Matter:
        found = self.matters_by_code.get(code)
        if found is not None:  # the imports below only on a miss: a forecast asks this for every ticket it plays
            return found
        from queue_server.domain.errors import NotFound
        from queue_server.domain.refusal_codes import RefusalCode

        raise NotFound(f"There is no matter {code!r} at {self.centre.name}", RefusalCode.MATTER_NOT_FOUND, matter=code)

    def window(self, number: int) -> Window:
        found = self.windows_by_number.get(number)
        if found is not None:
            return found
        from queue_server.domain.errors import NotFound
        from queue_server.domain.refusal_codes import RefusalCode

        raise NotFound(
            f"There is no window {number} at {self.centre.name}", RefusalCode.WINDOW_NOT_FOUND, window=number
        )

    def serves(self, window: Window, matter: Matter) -> bool:
        """Whether the window's kinds cover the matter."""
        return not set(window.kinds).isdisjoint(matter.window_kinds)

    def assists(self, window: Window) -> bool:
        """Whether the window is a 帮办代办 window: one of its kinds assists."""
        return any(kind.assists for kind in self.window_kinds if kind.code in window.kinds)


class LocatedValueError(ValueError):
    """A cross-reference error that knows which field of the file it belongs to.

    Pydantic reports a model validator's error at the model's own location; this carries the
    deeper path so the file loader can point at the right line.
    """

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message
