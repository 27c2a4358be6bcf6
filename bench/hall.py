"""The benchmark's hall: a centre open around the clock with N general windows and their devices.

Every window has a staff member, a caller keypad, a rating pad and a display; the hall has a board
(a display bound to no window) and one button kiosk. With ``printer`` the kiosk ``kiosk-1`` has
the ticket printer ``printer-1``, so each ticket it issues becomes a print job. A city is several
such centres on one server (:func:`centre_code`), each with a kiosk and a manager token of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from queue_server.auth.accounts import Role, add_token
from queue_server.domain.centre import WEEKDAYS, Centre
from queue_server.store.database import Database, utcnow
from queue_server.store.migrate import upgrade
from queue_server.store.seed import create_centre

CENTRE = "bench"
MATTER = "pension"
PRINTING_KIOSK = "kiosk-1"
PRINTER = "printer-1"
STAFF_TOKENS = 10
"""Windows whose staff get a token of their own (the console's calls); the manager opens every window.
Each token is checked against the whole centre, so a thousand of them would take minutes to make."""


def centre_code(index: int) -> str:
    """The code of a city's ``index``-th centre (from 0): the first is :data:`CENTRE`, as in a one-centre rig."""
    return CENTRE if index == 0 else f"{CENTRE}-{index + 1:02d}"


def keypad_id(window: int) -> str:
    return f"keypad-{window}"


def pad_id(window: int) -> str:
    return f"pad-{window}"


def display_id(window: int) -> str:
    return f"display-{window}"


def bench_centre(windows: int, *, printer: bool = False, code: str = CENTRE) -> Centre:
    """The centre for ``windows`` general windows, one matter, and every window's devices."""
    devices: list[dict[str, Any]] = [{"id": "board", "kind": "display"}]
    for n in range(1, windows + 1):
        devices += [
            {"id": keypad_id(n), "kind": "keypad", "window": n},
            {"id": pad_id(n), "kind": "pad", "window": n},
            {"id": display_id(n), "kind": "display", "window": n},
        ]
    if printer:
        devices += [{"id": PRINTING_KIOSK, "kind": "kiosk", "printer": PRINTER}, {"id": PRINTER, "kind": "printer"}]
    else:
        devices.append({"id": PRINTING_KIOSK, "kind": "kiosk"})
    return Centre.model_validate(
        {
            "centre": {"code": code, "name": "性能测试中心" if code == CENTRE else f"性能测试中心 {code}"},
            "policy": {  # a benchmark floods on purpose: no ticket limits per kiosk or address
                "stop_issuing_before_close": 0,
                "kiosk_tickets_per_minute": 0,
                "address_tickets_per_minute": 0,
            },
            "hours": {day: [["00:00", "24:00"]] for day in WEEKDAYS},
            "domains": [{"code": "general", "name": "综合"}],
            "window_kinds": [{"code": "general", "name": "综合受理"}],
            "ticket_groups": [{"prefix": "A", "name": "综合"}],
            "matters": [
                {
                    "code": MATTER,
                    "name": "养老保险待遇领取",
                    "domain": "general",
                    "window_kinds": ["general"],
                    "expected_minutes": 5,
                    "prefix": "A",
                }
            ],
            "windows": [{"number": n, "name": f"{n}号窗口", "kinds": ["general"]} for n in range(1, windows + 1)],
            "staff": [{"code": f"s{n}", "name": f"员工{n}", "windows": [n]} for n in range(1, windows + 1)],
            "devices": devices,
        }
    )


@dataclass
class Tokens:
    """Bearer tokens: a kiosk that prints (``kiosk-1``), one that does not, the manager, and the
    staff of the first :data:`STAFF_TOKENS` windows."""

    printing_kiosk: str
    kiosk: str
    manager: str
    staff: dict[int, str] = field(default_factory=dict)
    kiosks: dict[str, str] = field(default_factory=dict)
    """Per centre of a city, a kiosk's token that does not print (the first centre's is :attr:`kiosk`)."""
    managers: dict[str, str] = field(default_factory=dict)
    """Per centre of a city, its manager's token (the first centre's is :attr:`manager`)."""


async def prepare(database_url: str, centres: Sequence[Centre]) -> Tokens:
    """Migrate the empty database, load the centres and make the tokens the benchmark acts with: a
    plain kiosk's and a manager's per centre, the printing kiosk's and the staff's at the first."""
    async with Database(database_url) as db:
        await upgrade(db)
        async with db.write() as conn:
            for centre in centres:
                await create_centre(conn, centre, utcnow())
            printing = await add_token(
                conn, label=PRINTING_KIOSK, role=Role.KIOSK, centres=[CENTRE], subject=PRINTING_KIOSK
            )
            # Kiosk tokens that name no device of the centre: their tickets are not printed.
            kiosks, managers = {}, {}
            for index, centre in enumerate(centres):
                suffix = "" if index == 0 else f"-{centre.code}"
                kiosks[centre.code] = await add_token(
                    conn, label=f"kiosk-http{suffix}", role=Role.KIOSK, centres=[centre.code], subject="kiosk-http"
                )
                managers[centre.code] = await add_token(
                    conn, label=f"manager{suffix}", role=Role.MANAGER, centres=[centre.code], subject="manager"
                )
            tokens = Tokens(printing, kiosks[CENTRE], managers[CENTRE], kiosks=kiosks, managers=managers)
            for person in centres[0].staff[:STAFF_TOKENS]:
                tokens.staff[person.windows[0]] = await add_token(
                    conn, label=person.code, role=Role.STAFF, centres=[CENTRE], subject=person.code
                )
    return tokens
