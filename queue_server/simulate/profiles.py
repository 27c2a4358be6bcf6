"""Simulation profiles: who comes to the hall, when, for what, and who staffs which window.

A profile is a TOML file (docs/simulator.md describes it; ``profiles/town-centre.toml`` is the
annotated default). A *plan* for ``--compare`` is a profile file too: each top-level table it
gives replaces the base profile's table of that name, so a plan may say only what differs
("window 2 opens at 09:00"). Everything is validated once, when the file is read, and a problem
names the file and the field.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import re
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from queue_server.domain.centre import Centre, Period, Window, parse_clock
from queue_server.domain.ratings import RatingLevel
from queue_server.domain.tickets import Category
from queue_server.domain.windows import PauseReason

DEFAULT_PROFILE = "town-centre"
"""The profile used when none is given: a town centre's ordinary weekday with a morning peak."""
DEFAULT_DAY = dt.date(2026, 3, 2)
"""A fixed Monday, so that a run never depends on the wall clock; the next open day is used if closed."""

Probability = Annotated[float, Field(ge=0, le=1)]
Positive = Annotated[float, Field(gt=0)]


class ProfileError(Exception):
    """A profile that cannot be used: ``str()`` says which file and what is wrong in it."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(source, problems)

    def __str__(self) -> str:
        return "\n".join(f"{self.source}: {problem}" for problem in self.problems)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _hour(text: str) -> int:
    if not re.fullmatch(r"\d{1,2}", text) or int(text) > 23:
        raise ValueError(f'an hour is written 0 to 23 (e.g. "9"), got {text!r}')
    return int(text)


class Arrivals(_Model):
    """Tickets a day per matter, spread over the hours by ``shape`` unless a matter has its own hours."""

    shape: dict[int, Annotated[float, Field(ge=0)]]
    """Relative weight of each hour of the day (local time), e.g. {9 = 17, 10 = 16}."""
    per_day: dict[str, Annotated[float, Field(ge=0)]]
    """Expected tickets a day per matter code."""
    by_hour: dict[str, dict[int, Annotated[float, Field(ge=0)]]] = {}
    """Expected tickets in each hour for a matter, instead of per_day spread by shape."""
    scale: Positive = 1.0
    """Multiplies every rate: 2 is a day twice as busy."""

    @field_validator("shape", mode="before")
    @classmethod
    def _shape_hours(cls, value: object) -> object:
        return {_hour(k): v for k, v in value.items()} if isinstance(value, Mapping) else value

    @field_validator("by_hour", mode="before")
    @classmethod
    def _matter_hours(cls, value: object) -> object:
        if not isinstance(value, Mapping):
            return value
        return {m: {_hour(k): v for k, v in hours.items()} if isinstance(hours, Mapping) else hours
                for m, hours in value.items()}  # fmt: skip

    @model_validator(mode="after")
    def _some_shape(self) -> Self:
        if self.per_day and sum(self.shape.values()) <= 0:
            raise ValueError("shape: give at least one hour a weight above 0")
        return self

    def hourly(self, matter: str) -> dict[int, float]:
        """Expected arrivals of a matter in each hour of the day."""
        if matter in self.by_hour:
            return {h: n * self.scale for h, n in sorted(self.by_hour[matter].items())}
        daily = self.per_day.get(matter, 0.0) * self.scale
        total = sum(self.shape.values())
        return {h: daily * w / total for h, w in sorted(self.shape.items()) if w > 0 and daily > 0}


class HandlingTime(_Model):
    mean: Positive | None = None
    """Mean minutes; by default the centre's expected_minutes times mean_factor."""
    spread: Positive | None = None


class Handling(_Model):
    """Handling minutes (call to finish) per matter: lognormal with a mean and a spread."""

    spread: Positive = 0.6
    """Default coefficient of variation (standard deviation / mean) of every matter."""
    mean_factor: Positive = 1.0
    """Default mean as a multiple of the matter's expected_minutes in the centre file."""
    matters: dict[str, HandlingTime] = {}


class Green(_Model):
    """Green-channel (绿色通道) arrivals: a share of each matter's tickets, with their categories."""

    share: Probability = 0.06
    matters: dict[str, Probability] = {}
    """A different share for some matters (elderly allowance: most applicants are elderly)."""
    categories: dict[Category, Annotated[float, Field(ge=0)]] = {
        Category.ELDERLY: 70,
        Category.DISABLED: 15,
        Category.PREGNANT: 8,
        Category.VETERAN: 5,
        Category.OTHER: 2,
    }

    @model_validator(mode="after")
    def _some_category(self) -> Self:
        if sum(self.categories.values()) <= 0:
            raise ValueError("categories: give at least one category a weight above 0")
        return self


class Staffing(_Model):
    """When each window is signed on. By default every window, from opening to closing."""

    windows: dict[int, tuple[Period, ...]] = {}
    """Signed-on periods of some windows ([] keeps a window closed all day)."""

    @field_validator("windows", mode="before")
    @classmethod
    def _numbers(cls, value: object) -> object:
        if not isinstance(value, Mapping):
            return value
        out = {}
        for key, periods in value.items():
            if not re.fullmatch(r"\d{1,4}", str(key)):
                raise ValueError(f"a window is named by its number, got {key!r}")
            out[int(key)] = periods
        return out

    @model_validator(mode="after")
    def _apart(self) -> Self:
        for window, periods in self.windows.items():
            for before, after in itertools.pairwise(periods):
                if after.start < before.end:
                    raise ValueError(f"window {window}: periods overlap or are out of order")
        return self


class Pause(_Model):
    """A planned pause (暂停服务): the window pauses when it is next free after ``at``."""

    window: int = Field(ge=1, le=9999)
    at: dt.time
    minutes: int = Field(ge=1, le=24 * 60)
    reason: PauseReason = PauseReason.BREAK
    note: str = ""

    @field_validator("at", mode="before")
    @classmethod
    def _at(cls, value: object) -> object:
        return parse_clock(value) if isinstance(value, str) else value


class RandomPauses(_Model):
    """Unplanned pauses: on average ``per_window`` a day at each staffed window, at random times."""

    per_window: Annotated[float, Field(ge=0, le=50)] = 0.0
    minutes: Positive = 10.0
    """Mean length; each pause is drawn from an exponential distribution, at least one minute."""
    reasons: dict[PauseReason, Annotated[float, Field(ge=0)]] = {PauseReason.BREAK: 1.0}

    @model_validator(mode="after")
    def _some_reason(self) -> Self:
        if sum(self.reasons.values()) <= 0:
            raise ValueError("reasons: give at least one reason a weight above 0")
        return self


GOOD_LEVELS = (0.65, 0.90)
"""Where 非常满意 ends and 满意 ends among the good ratings (65 : 25 : 10 with 基本满意)."""


class Ratings(_Model):
    """The rating model (好差评): who rates a finished ticket on the window's pad, and how.

    A finished ticket is rated with probability ``share``. It is bad (不满意 or 非常不满意, one
    in three of those 非常不满意) with probability ``bad`` (a matter's own in ``matters``), plus
    ``per_10_minutes`` for every ten minutes the citizen waited beyond ``patience``, plus the
    window's own in ``windows`` (how its staff treat people), at most 0.9; otherwise 非常满意,
    满意 or 基本满意 as 65 : 25 : 10. A bad rating comes with a number for the follow-up call
    (实名) with probability ``named``.
    """

    share: Probability = 0.7
    bad: Probability = 0.02
    patience: Annotated[float, Field(ge=0)] = 15.0
    """Minutes of waiting a citizen takes without minding."""
    per_10_minutes: Probability = 0.03
    matters: dict[str, Probability] = {}
    windows: dict[int, Annotated[float, Field(ge=-1, le=1)]] = {}
    named: Probability = 0.3

    @field_validator("windows", mode="before")
    @classmethod
    def _numbers(cls, value: object) -> object:
        return Staffing._numbers(value)

    def bad_share(self, matter: str, wait: float, window: int) -> float:
        """The chance this citizen rates the service badly."""
        late = max(0.0, wait - self.patience) / 10 * self.per_10_minutes
        return min(0.9, max(0.0, self.matters.get(matter, self.bad) + late + self.windows.get(window, 0.0)))

    @staticmethod
    def level(draw: float, bad: float) -> RatingLevel:
        """The level a uniform ``draw`` (0 to 1) gives when the chance of a bad rating is ``bad``."""
        if draw < bad:
            return RatingLevel.VERY_DISSATISFIED if draw < bad / 3 else RatingLevel.DISSATISFIED
        good = (draw - bad) / (1 - bad)
        if good < GOOD_LEVELS[0]:
            return RatingLevel.VERY_SATISFIED
        return RatingLevel.SATISFIED if good < GOOD_LEVELS[1] else RatingLevel.BASICALLY_SATISFIED


class Bookings(_Model):
    """Booked arrivals (预约): a share of the day's citizens book the slot their visit falls in
    (slots of ``slot_minutes`` from each opening), come ``lateness`` minutes after its start on
    average (negative: early), spread normally by ``spread`` minutes, or never (``no_show``); one
    more than ``late_minutes`` late gets a walk-in ticket. Each slot of a ticket group holds
    ``places`` bookings (0: any number); a citizen whose slot is full books the nearest with a
    place left, or walks in when none has."""

    share: Probability = 0.0
    matters: tuple[str, ...] = ()
    """Only these matters are booked; empty: every matter."""
    slot_minutes: int = Field(default=30, ge=5, le=240)
    lateness: Annotated[float, Field(ge=-60, le=60)] = -5.0
    spread: Annotated[float, Field(ge=0, le=60)] = 6.0
    no_show: Probability = 0.08
    early_minutes: int = Field(default=30, ge=0, le=240)
    late_minutes: int = Field(default=15, ge=0, le=240)
    places: int = Field(default=0, ge=0, le=1000)
    """Bookings each slot of a ticket group holds; 0: any number."""
    places_by_hour: dict[int, Annotated[int, Field(ge=0, le=1000)]] = {}
    """Per hour of the day (local, "9" is 09:00-10:00), the places of the slots starting in it
    instead of ``places``: fewer in the morning peak, as a centre sets them."""

    @field_validator("places_by_hour", mode="before")
    @classmethod
    def _place_hours(cls, value: object) -> object:
        return {_hour(str(k)): v for k, v in value.items()} if isinstance(value, Mapping) else value

    def places_at(self, hour: int) -> int:
        return self.places_by_hour.get(hour, self.places)


class ExtraWindows(_Model):
    """Windows the plan adds to the centre, each taking the same matters as window ``like``."""

    like: int = Field(ge=1, le=9999)
    count: int = Field(default=1, ge=1, le=500)
    spare: bool = False
    """Spare counters (备用窗口): closed unless [staffing.windows] opens them; the staff member of each is
    on call as a B-post (B岗), whom a run following the staffing advice may sign on."""


class ProfileInfo(_Model):
    name: str = ""
    description: str = ""
    day: dt.date = DEFAULT_DAY
    """The first simulated day (the next open day when the centre is closed then)."""


class Profile(_Model):
    """A whole profile, validated; ``source`` names the file it came from."""

    profile: ProfileInfo = ProfileInfo()
    arrivals: Arrivals
    handling: Handling = Handling()
    green: Green = Green()
    staffing: Staffing = Staffing()
    pauses: tuple[Pause, ...] = ()
    random_pauses: RandomPauses = RandomPauses()
    add_windows: tuple[ExtraWindows, ...] = ()
    ratings: Ratings = Ratings()
    bookings: Bookings = Bookings()
    policy: dict[str, Any] = {}
    """Centre policy keys to change for this run (e.g. max_passed_over = 1)."""
    _source: str = PrivateAttr(default="profile")

    @property
    def name(self) -> str:
        return self.profile.name or "profile"

    @property
    def source(self) -> str:
        """The file (or packaged profile) it was read from, for error messages."""
        return self._source


# --- reading --------------------------------------------------------------------------------------


def packaged_profiles() -> list[str]:
    """Names of the profiles shipped with OneWindow (``--profile NAME`` takes them)."""
    folder = resources.files("queue_server.simulate").joinpath("profiles")
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))


def read_profile_data(path: str | os.PathLike[str] | None) -> tuple[str, dict[str, Any]]:
    """The raw tables of a profile file, or of a packaged profile named without ``.toml``."""
    if path is None:
        path = DEFAULT_PROFILE
    source = os.fspath(path)
    if source in packaged_profiles():
        raw = resources.files("queue_server.simulate").joinpath("profiles", f"{source}.toml").read_bytes()
        source = f"{source} (packaged profile)"
    else:
        try:
            raw = Path(source).read_bytes()
        except OSError as error:
            known = ", ".join(packaged_profiles())
            raise ProfileError(
                source, [f"cannot read the file ({error.strerror or error}); packaged: {known}"]
            ) from None
    try:
        return source, tomllib.loads(raw.decode("utf-8").removeprefix("\ufeff"))
    except UnicodeDecodeError:
        raise ProfileError(source, ["the file is not UTF-8 text"]) from None
    except tomllib.TOMLDecodeError as error:
        raise ProfileError(source, [f"not valid TOML: {error}"]) from None


def validate_profile(source: str, data: Mapping[str, Any]) -> Profile:
    try:
        profile = Profile.model_validate(data)
    except ValidationError as error:
        problems = [f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in error.errors()]
        raise ProfileError(source, problems) from None
    profile._source = source
    return profile


def load_profile(path: str | os.PathLike[str] | None = None, *, base: str | os.PathLike[str] | None = None) -> Profile:
    """A profile file; with ``base``, a plan: its top-level tables replace those of the base profile."""
    source, data = read_profile_data(path)
    if base is not None:
        _, base_data = read_profile_data(base)
        data = {**base_data, **data}
    return validate_profile(source, data)


def plan_label(path: str | os.PathLike[str]) -> str:
    """How a plan is named in a comparison: the name in its own [profile] table, else its file name."""
    _, data = read_profile_data(path)
    info = data.get("profile")
    name = info.get("name") if isinstance(info, dict) else None
    return name if isinstance(name, str) and name else Path(path).stem


# --- the centre as simulated -------------------------------------------------------------------------

SIMULATED_STAFF = "sim-w{}"
"""Each window is staffed in the simulation by one made-up person who may work only there."""


def simulated_centre(centre: Centre, profile: Profile) -> Centre:
    """The centre with the profile's extra windows and policy, and one staff member per window.

    Everything else (matters, window kinds, hours, calendar) is the centre's own, so routing,
    numbering, the calendar and the estimates are exactly those of the real hall.
    """
    source = profile.source
    problems = check_against(centre, profile)
    if problems:
        raise ProfileError(source, problems)
    data = centre.model_dump(mode="json")
    windows: list[dict[str, Any]] = data["windows"]
    number = max(w.number for w in centre.windows)
    for extra in profile.add_windows:
        like: Window = centre.window(extra.like)
        zh, en = ("（备用）", "spare") if extra.spare else ("（加开）", "extra")
        for _ in range(extra.count):
            number += 1
            windows.append({**like.model_dump(mode="json"), "number": number, "name": f"{like.name}{zh}",
                            "name_en": f"{like.name_en or like.name} ({en})"})  # fmt: skip
    spare = spare_windows(max(w.number for w in centre.windows), profile)
    data["staff"] = [
        {
            "code": SIMULATED_STAFF.format(w["number"]),
            "name": f"模拟{w['number']}号窗口",
            "windows": [w["number"]],
            "b_post": w["number"] in spare,
        }
        for w in windows
    ]
    data["devices"] = []
    data["policy"] = {**data["policy"], **profile.policy}
    try:
        return Centre.model_validate(data)
    except ValidationError as error:
        raise ProfileError(source, [f"policy: {e['msg']} ({'.'.join(str(p) for p in e['loc'])})"
                                    for e in error.errors()]) from None  # fmt: skip


def spare_windows(last: int, profile: Profile) -> frozenset[int]:
    """The numbers the profile's spare windows get after the centre's ``last`` window."""
    found: set[int] = set()
    for extra in profile.add_windows:
        if extra.spare:
            found.update(range(last + 1, last + 1 + extra.count))
        last += extra.count
    return frozenset(found)


def check_against(centre: Centre, profile: Profile) -> list[str]:
    """What in the profile names matters or windows the centre does not have."""
    matters = set(centre.matters_by_code)
    problems = [f"arrivals.per_day: unknown matter {m!r}" for m in profile.arrivals.per_day if m not in matters]
    problems += [f"arrivals.by_hour: unknown matter {m!r}" for m in profile.arrivals.by_hour if m not in matters]
    problems += [f"handling.matters: unknown matter {m!r}" for m in profile.handling.matters if m not in matters]
    problems += [f"green.matters: unknown matter {m!r}" for m in profile.green.matters if m not in matters]
    problems += [f"ratings.matters: unknown matter {m!r}" for m in profile.ratings.matters if m not in matters]
    windows = set(centre.windows_by_number)
    problems += [f"add_windows: window {w.like} is not a window of the centre" for w in profile.add_windows
                 if w.like not in windows]  # fmt: skip
    total = len(windows) + sum(w.count for w in profile.add_windows)
    known = windows | set(range(max(windows) + 1, max(windows) + 1 + total - len(windows)))
    problems += [f"staffing.windows: there is no window {n}" for n in profile.staffing.windows if n not in known]
    problems += [f"pauses: there is no window {p.window}" for p in profile.pauses if p.window not in known]
    problems += [f"ratings.windows: there is no window {n}" for n in profile.ratings.windows if n not in known]
    return problems
