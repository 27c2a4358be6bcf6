"""The centre file seeds the database; after that the database is the truth.

Loading a file again shows what would change and applies it only when asked; a window that is
open cannot be removed from under its staff.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from queue_server.domain.booking_rules import BookableMatter, BookingRules
from queue_server.domain.centre import Centre
from queue_server.domain.windows import WindowStatus
from queue_server.store import schema

KEYED_SECTIONS = {
    "domains": "code",
    "window_kinds": "code",
    "ticket_groups": "prefix",
    "matters": "code",
    "windows": "number",
    "staff": "code",
    "devices": "id",
}


class CentreChangeRefused(ValueError):
    pass


async def centre_codes(conn: AsyncConnection) -> list[str]:
    return list((await conn.execute(select(schema.centres.c.code).order_by(schema.centres.c.code))).scalars())


async def stored_centre(conn: AsyncConnection, code: str) -> Centre | None:
    config = (
        await conn.execute(select(schema.centres.c.config).where(schema.centres.c.code == code))
    ).scalar_one_or_none()
    return Centre.model_validate(config) if config is not None else None


class StoredCentres:
    """Every centre's stored configuration, kept parsed and read again only when its ``config_version`` moved.

    A server looks at all its centres every few seconds (a centre added, a configuration applied
    through another instance, a day to close): parsing every configuration each time was most of
    what a city of centres cost with nothing to do. One query reads the versions; a configuration
    is parsed when it is new or changed (read after its version, so never kept older than it).
    """

    def __init__(self) -> None:
        self._kept: dict[str, tuple[int, Centre]] = {}

    async def read(self, conn: AsyncConnection) -> dict[str, Centre]:
        """Every centre's configuration, by code, in code order."""
        c = schema.centres.c
        versions = {code: int(v) for code, v in await conn.execute(select(c.code, c.config_version).order_by(c.code))}
        for gone in set(self._kept) - set(versions):
            del self._kept[gone]
        for code, version in versions.items():
            kept = self._kept.get(code)
            if kept is None or kept[0] != version:
                centre = await stored_centre(conn, code)
                if centre is not None:
                    self._kept[code] = (version, centre)
        return {code: self._kept[code][1] for code in versions if code in self._kept}


async def create_centre(conn: AsyncConnection, centre: Centre, now: dt.datetime) -> None:
    code = centre.code
    await conn.execute(
        insert(schema.centres).values(
            code=code,
            name=centre.name,
            config=centre.model_dump(mode="json"),
            state_version=0,
            last_serial=0,
            created_at=now,
            updated_at=now,
        )
    )
    await _add_windows(conn, code, (w.number for w in centre.windows))


async def _add_windows(conn: AsyncConnection, code: str, numbers: Iterable[int]) -> None:
    rows = [
        {"centre": code, "number": n, "status": WindowStatus.CLOSED.value, "pause_note": "", "version": 0}
        for n in numbers
    ]
    if rows:
        await conn.execute(insert(schema.windows), rows)


async def apply_centre(conn: AsyncConnection, centre: Centre, now: dt.datetime) -> None:
    """Replace a stored centre's configuration; windows are added, and removed only when closed."""
    code = centre.code
    old = await stored_centre(conn, code)
    if old is None:
        await create_centre(conn, centre, now)
        return
    removed = set(old.windows_by_number) - set(centre.windows_by_number)
    w = schema.windows.c
    if removed:
        open_rows = (
            await conn.execute(
                select(w.number).where(w.centre == code, w.number.in_(removed), w.status != WindowStatus.CLOSED.value)
            )
        ).scalars()
        still_open = sorted(open_rows)
        if still_open:
            raise CentreChangeRefused(f"Cannot remove window {still_open[0]} from {code}: it is open; close it first")
        await conn.execute(delete(schema.windows).where(w.centre == code, w.number.in_(removed)))
    await _add_windows(conn, code, sorted(set(centre.windows_by_number) - set(old.windows_by_number)))
    await conn.execute(
        update(schema.centres)
        .where(schema.centres.c.code == code)
        .values(
            name=centre.name,
            config=centre.model_dump(mode="json"),
            state_version=schema.centres.c.state_version + 1,
            config_version=schema.centres.c.config_version + 1,
            updated_at=now,
        )
    )


def describe_difference(old: Centre, new: Centre) -> list[str]:
    """What loading ``new`` over ``old`` would change, one line per difference."""
    lines: list[str] = []
    for section in type(new).model_fields:
        before, after = getattr(old, section), getattr(new, section)
        if before == after:
            continue
        if section in KEYED_SECTIONS:
            lines.extend(_keyed_difference(section, KEYED_SECTIONS[section], before, after))
        elif section == "bookings":
            lines.extend(_booking_difference(before, after))
        else:
            lines.extend(_model_difference(section, before, after))
    return lines


def _keyed_difference(section: str, key: str, before: Iterable[BaseModel], after: Iterable[BaseModel]) -> list[str]:
    old = {getattr(item, key): item for item in before}
    new = {getattr(item, key): item for item in after}
    lines = [f"+ {section} {k}: added" for k in new if k not in old]
    lines += [f"- {section} {k}: removed" for k in old if k not in new]
    for k, item in new.items():
        if k in old and old[k] != item:
            lines += [f"~ {section} {k}: {name}: {change}" for name, change in _field_changes(old[k], item)]
    return lines


def _booking_difference(before: BookingRules, after: BookingRules) -> list[str]:
    """The rules' own values as any section's; each bookable matter's places slot by slot
    (``~ bookings pension 09:00: places: 3 -> 5``, ``~ bookings group B 2026-12-08 10:00: ...`` for
    one day's), and any other change of its slots as a whole."""
    lines = [
        line for line in _model_difference("bookings", before, after) if not line.startswith("~ bookings.matters:")
    ]
    old = {_target(m): m for m in before.matters}
    new = {_target(m): m for m in after.matters}
    lines += [f"+ bookings {k}: added" for k in new if k not in old]
    lines += [f"- bookings {k}: removed" for k in old if k not in new]
    for key, now in new.items():
        was = old.get(key)
        if was is None or was == now:
            continue
        rules = (*now.slots, *now.extended)
        same_slots = [r.model_copy(update={"places": 0}) for r in (*was.slots, *was.extended)] == [
            r.model_copy(update={"places": 0}) for r in rules
        ]
        if not same_slots:
            lines += [f"~ bookings {key}: {name}: {change}" for name, change in _field_changes(was, now)]
            continue
        for old_rule, rule in zip((*was.slots, *was.extended), rules, strict=True):
            if old_rule.places != rule.places:
                lines.append(f"~ bookings {key} {rule.start:%H:%M}: places: {old_rule.places} -> {rule.places}")
        days = sorted({(d.day, d.start) for d in (*was.days, *now.days)})
        for day, start in days:
            old_rule = next(r for r in (*was.slots, *was.extended) if r.start == start)
            rule = next(r for r in rules if r.start == start)
            before_places, after_places = was.places_on(day, old_rule), now.places_on(day, rule)
            if before_places != after_places:
                lines.append(
                    f"~ bookings {key} {day.isoformat()} {start:%H:%M}: places: {before_places} -> {after_places}"
                )
    return lines


def _target(bookable: BookableMatter) -> str:
    return bookable.matter if bookable.matter is not None else f"group {bookable.prefix}"


def _model_difference(section: str, before: BaseModel, after: BaseModel) -> list[str]:
    return [f"~ {section}.{name}: {change}" for name, change in _field_changes(before, after)]


def _field_changes(before: BaseModel, after: BaseModel) -> list[tuple[str, str]]:
    changes = []
    for name in type(after).model_fields:
        a, b = getattr(before, name), getattr(after, name)
        if a == b:
            continue
        if _plain_list(a) and _plain_list(b):  # holidays, working days: say which were added and removed
            changes.append((name, _list_change(a, b)))
        else:
            changes.append((name, f"{_show(a)} -> {_show(b)}"))
    return changes


def _plain_list(value: Any) -> bool:
    return isinstance(value, tuple) and not any(isinstance(v, (BaseModel, dict, list, tuple)) for v in value)


def _list_change(before: tuple[Any, ...], after: tuple[Any, ...], shown: int = 12) -> str:
    def listed(values: set[Any]) -> str:
        texts = [v.isoformat() if hasattr(v, "isoformat") else str(v) for v in sorted(values)]
        more = f" and {len(texts) - shown} more" if len(texts) > shown else ""
        return ", ".join(texts[:shown]) + more

    added, removed = set(after) - set(before), set(before) - set(after)
    parts = ([f"added {listed(added)}"] if added else []) + ([f"removed {listed(removed)}"] if removed else [])
    return "; ".join(parts) or "reordered"


def _show(value: Any) -> str:
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    elif isinstance(value, tuple):
        value = [v.model_dump(mode="json") if isinstance(v, BaseModel) else v for v in value]
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."
