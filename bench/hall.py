"""The benchmark's hall: a centre open around the clock with N general windows and their devices.

Every window has a staff member, a caller keypad, a rating pad and a display; the hall has a board
(a display bound to no window) and one button kiosk. With ``printer`` the kiosk ``kiosk-1`` has
the ticket printer ``printer-1``, so each ticket it issues becomes a print job.
"""

from __future__ import annotations

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


def keypad_id(window: int) -> str:
    return f"keypad-{window}"


def pad_id(window: int) -> str:
    return f"pad-{window}"


def display_id(window: int) -> str:
    return f"display-{window}"


def bench_centre(windows: int, *, printer: bool = False) -> Centre:
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
            "centre": {"code": CENTRE, "name": "性能测试中心"},
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


async def prepare(database_url: str, centre: Centre) -> Tokens:
    """Migrate the empty database, load the centre and make the tokens the benchmark acts with."""
    async with Database(database_url) as db:
        await upgrade(db)
        async with db.write() as conn:
            await create_centre(conn, centre, utcnow())
            printing = await add_token(
                conn, label=PRINTING_KIOSK, role=Role.KIOSK, centres=[CENTRE], subject=PRINTING_KIOSK
            )
            # A kiosk token that names no device of the centre: its tickets are not printed.
            plain = await add_token(conn, label="kiosk-http", role=Role.KIOSK, centres=[CENTRE], subject="kiosk-http")
            manager = await add_token(conn, label="manager", role=Role.MANAGER, centres=[CENTRE], subject="manager")
            tokens = Tokens(printing, plain, manager)
            for person in centre.staff[:STAFF_TOKENS]:
                tokens.staff[person.windows[0]] = await add_token(
                    conn, label=person.code, role=Role.STAFF, centres=[CENTRE], subject=person.code
                )
    return tokens
