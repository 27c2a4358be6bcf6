"""`onewindow demo`: the whole hall on built-in defaults, in ./onewindow-data, ready to try.

It creates or migrates a SQLite file, loads the demo centre (or the one given), makes the demo
accounts and tokens, writes them to ``demo-accounts.json`` (only the demo keeps credentials in
plain text, so that a newcomer can use them), prints how to try the hall, and serves.

By default the demo centre opens around the clock, so the demo works at any hour; ``--real-hours``
keeps the centre file's opening hours and holidays.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from device_client.stopping import stop_tasks
from queue_server.auth.accounts import DemoAccounts, ensure_demo_accounts
from queue_server.bus.broker import DEFAULT_PORT, free_port, port_is_free
from queue_server.bus.connection import BrokerAddress
from queue_server.bus.runner import Bus
from queue_server.cli.demo_children import Children
from queue_server.cli.initialise import load_centre_into, migrate
from queue_server.cli.server import ServerSettings, serve
from queue_server.config.centre_file import load_centre, load_demo_centre
from queue_server.domain.centre import WEEKDAYS, Centre, Device
from queue_server.domain.devices import DeviceKind
from queue_server.store.database import Database

DATA_FOLDER = "onewindow-data"
ACCOUNTS_FILE = "demo-accounts.json"
AROUND_THE_CLOCK = [["00:00", "24:00"]]

Say = Callable[[str], None]


def demo_centre(path: Path | None, *, real_hours: bool) -> Centre:
    """The centre the demo runs: open at every hour unless real hours are asked for."""
    centre = load_centre(path) if path is not None else load_demo_centre()
    if real_hours:
        return centre
    data = centre.model_dump(mode="json")
    data["hours"] = dict.fromkeys(WEEKDAYS, AROUND_THE_CLOCK)
    data["calendar"] = {"holidays": [], "working_days": []}
    data["policy"] = {**data["policy"], "stop_issuing_before_close": 0, "stop_issuing_at": None}
    return Centre.model_validate(data)


def _read_saved(file: Path) -> DemoAccounts | None:
    try:
        return DemoAccounts.from_json(json.loads(file.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def _write_saved(file: Path, accounts: DemoAccounts) -> None:
    file.write_text(json.dumps(accounts.to_json(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.chmod(file, 0o600)


async def prepare_demo(folder: Path, centre: Centre, say: Say) -> tuple[str, DemoAccounts]:
    """Database, centre and accounts in ``folder``; returns the database URL and the credentials."""
    folder.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{folder.resolve() / 'onewindow.db'}"
    async with Database(url) as db:
        await migrate(db, say)
        await load_centre_into(db, centre, apply=True, say=say)
        file = folder / ACCOUNTS_FILE
        async with db.write() as conn:
            accounts = await ensure_demo_accounts(conn, centre.code, _read_saved(file))
        _write_saved(file, accounts)
    return url, accounts


def guide(
    base_url: str,
    centre: Centre,
    accounts: DemoAccounts,
    folder: Path,
    broker: BrokerAddress,
    board_url: str | None = None,
) -> str:
    """What to try first, with the tokens filled in."""
    code = centre.code
    window = centre.windows[0]
    staff = next((s for s in centre.staff if not s.windows or window.number in s.windows), None)
    matter = next(m for m in centre.matters if set(m.window_kinds) & set(window.kinds))
    kiosk = accounts.tokens.get("kiosk:kiosk-1", "")
    pad = next((d for d in centre.devices if d.kind is DeviceKind.PAD and f"device:{d.id}" in accounts.tokens), None)
    staff_token = accounts.tokens.get(f"staff:{staff.code}", "") if staff else ""
    api = f"{base_url}/api/v1/centres/{code}"
    who = f"{staff.name} ({staff.code})" if staff else "no staff member"
    lines = [
        f"OneWindow demo: {centre.name} ({code}) at {base_url}",
        f"  Hall board: {board_url}   (open it in a browser; it speaks each call)"
        if board_url
        else "  Hall board: not started (the centre has no display without a window)",
        f"  A window's display: onewindow display --mode window --window {window.number}"
        f" --mqtt-url mqtt://{broker.host}:{broker.port} --centre-code {code} --server-url {base_url}",
        f"  Pages:      {base_url}/login  (a demo login below: staff → /console, guide → /desk, manager → /manager)",
        f"  Kiosk:      {base_url}/kiosk/enrol  (type the KIOSK token below once, then {base_url}/kiosk)",
        f"  Rating pad: {base_url}/kiosk/enrol  (type the PAD token below once on a tablet: it becomes"
        f" {pad.id}, window {pad.window}'s 好差评 pad)"
        if pad is not None
        else "  Rating pad: none (the centre has no pad at a window)",
        f"  API:        {base_url}/api/v1/openapi.json",
        f"  Accounts and tokens: {folder / ACCOUNTS_FILE}",
        f"  Printed tickets (ESC/POS and PNG): {folder / 'printed'}",
        f"  MQTT:       {broker.describe()}",
        f"              watch it: mosquitto_sub -v -h {broker.host} -p {broker.port} -t 'onewindow/#'",
        "",
        "Demo logins (username / password):",
    ]
    lines += [f"  {name:<12} {password}" for name, password in list(accounts.passwords.items())[:6]]
    lines += [
        f"  ... and one per staff member, all in {ACCOUNTS_FILE}",
        "",
        "Try it with curl:",
        f"  KIOSK={kiosk}",
        *([f"  PAD={accounts.tokens[f'device:{pad.id}']}   # the rating pad {pad.id}"] if pad is not None else []),
        f"  STAFF={staff_token}   # {who}, window {window.number}",
        f'  curl -s -X POST {api}/windows/{window.number}/sign-on -H "Authorization: Bearer $STAFF"'
        ' -d \'{"request_id": "try-1"}\'',
        f'  curl -s -X POST {api}/tickets -H "Authorization: Bearer $KIOSK"'
        f' -d \'{{"matter": "{matter.code}", "request_id": "try-2"}}\'',
        f'  curl -s -X POST {api}/windows/{window.number}/call-next -H "Authorization: Bearer $STAFF"'
        ' -d \'{"request_id": "try-3"}\'',
        f'  curl -s {api}/queue -H "Authorization: Bearer $KIOSK"',
        f"  PROVINCE={accounts.tokens.get('business:province', '')}   # the province's business system:",
        f'  # POST {api}/cases/CASE-NUMBER/result with {{"state": "ready", "request_id": "..."}}'
        " tells a promised case (承诺件) is ready; its number is on the 受理通知书",
    ]
    return "\n".join(lines)


async def run_demo(
    *,
    host: str,
    port: int,
    centre_file: Path | None,
    real_hours: bool,
    folder: Path,
    mqtt_url: str = "",
    mqtt_port: int | None = None,
    mqtt_host: str = "127.0.0.1",
    say: Say = print,
    traffic: float | None = None,
) -> None:
    """Serve the demo; with ``traffic``, a simulated day is replayed that many times faster (docs/simulator.md)."""
    centre = demo_centre(centre_file, real_hours=real_hours)
    url, accounts = await prepare_demo(folder, centre, say)
    settings = ServerSettings(
        database_url=url,
        host=host,
        port=port,
        mqtt_url=mqtt_url,
        mqtt_port=demo_broker_port(mqtt_host, say) if mqtt_port is None and not mqtt_url else mqtt_port or DEFAULT_PORT,
        mqtt_host=mqtt_host,
        id_key_file=folder / "id.key",
    )
    if not real_hours:
        say(
            "The demo centre opens around the clock so that it can be tried at any hour (--real-hours to keep its own)."
        )
    broker = BrokerAddress.from_url(mqtt_url) if mqtt_url else BrokerAddress(mqtt_host, settings.mqtt_port)
    children = Children(say)
    board = next((d for d in centre.devices if d.kind is DeviceKind.DISPLAY and d.window is None), None)
    board_port = port + 1 if port else 0
    board_url = f"http://{_shown(host)}:{board_port}/" if board is not None and board_port else None

    async def start_devices(bus: Bus) -> None:
        if broker.username is None:  # on the hall network a device needs its own password first
            start_printers(children, centre, folder, broker)
            if board is not None and board_port:
                start_board(children, centre, board, folder, broker, host, board_port)
            await wait_online(bus, centre.code, [d for d in centre.devices if d.kind is DeviceKind.PRINTER])

    stop = asyncio.Event()
    replaying: list[asyncio.Task[None]] = []
    stopping: list[asyncio.Task[None]] = []

    async def stop_traffic_then_serving() -> None:
        """Ctrl-C: the traffic's twins leave while the broker still runs, then the server stops."""
        try:
            await stop_tasks(replaying)
        finally:
            stop.set()

    def ready(base: str) -> None:
        say("\n" + guide(base, centre, accounts, folder, broker, board_url) + "\n\nCtrl-C stops the demo.")
        if traffic is not None and broker.username is None:
            from queue_server.protocol.broker import Broker
            from queue_server.simulate.traffic import run_traffic

            twins = Broker.from_url(f"mqtt://{broker.host}:{broker.port}")
            replay = run_traffic(centre, twins, base, accounts.tokens, speed=traffic, say=say)
            replaying.append(asyncio.create_task(replay))
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):  # instead of serve's own handlers, which only stop
                loop.add_signal_handler(sig, lambda: stopping.append(asyncio.create_task(stop_traffic_then_serving())))
        elif traffic is not None:
            say("No --traffic on the hall network: the twins would need device passwords (onewindow mqtt-config).")

    try:
        await serve(settings, on_bus=start_devices, ready=ready, stop=stop)
    finally:
        await stop_tasks(replaying)
        await children.stop()


def demo_broker_port(host: str, say: Say) -> int:
    """1883, MQTT's own port; where that is taken (a system Mosquitto, say), the next free one, said aloud."""
    if port_is_free(host, DEFAULT_PORT):
        return DEFAULT_PORT
    nearby = (p for p in range(DEFAULT_PORT + 1, DEFAULT_PORT + 20) if port_is_free(host, p))
    port = next(nearby, None) or free_port(host if host not in ("", "0.0.0.0", "::") else "127.0.0.1")
    say(
        f"Port {DEFAULT_PORT} is taken (by this machine's own Mosquitto?): the demo's broker listens on port {port}"
        " instead (--mqtt-port to choose one)."
    )
    return port


def start_printers(children: Children, centre: Centre, folder: Path, broker: BrokerAddress) -> None:
    """A printer client for each kiosk's printer, printing into ``folder/printed/<printer>``.

    Child processes, so that printing never blocks the broker's event loop. Each ticket becomes an
    ESC/POS file and a PNG of what the paper would show.
    """
    for kiosk in centre.devices:
        if kiosk.kind is not DeviceKind.KIOSK or kiosk.printer is None:
            continue
        printed = (folder / "printed" / kiosk.printer).resolve()
        command = [
            sys.executable, "-m", "queue_server", "printer", "run",
            "--id", kiosk.printer,
            "--printer", f"folder://{printed}",
            "--mode", "raster",
            "--mqtt-url", f"mqtt://{broker.host}:{broker.port}",
            "--centre-code", centre.code,
            "--spool", str((folder / "printer-spool" / kiosk.printer).resolve()),
        ]  # fmt: skip
        children.start(f"printer client {kiosk.printer}", command, folder / f"printer-{kiosk.printer}.log")


def start_board(
    children: Children, centre: Centre, board: Device, folder: Path, broker: BrokerAddress, host: str, port: int
) -> None:
    """The hall board client (``onewindow display --mode hall``) as a child process, logging to a file."""
    command = [
        sys.executable, "-m", "queue_server", "display",
        "--mode", "hall",
        "--id", board.id,
        "--mqtt-url", f"mqtt://{broker.host}:{broker.port}",
        "--centre-code", centre.code,
        "--host", host,
        "--port", str(port),
    ]  # fmt: skip
    children.start(f"hall board's display client {board.id}", command, folder / f"display-{board.id}.log")


def _shown(host: str) -> str:
    return "127.0.0.1" if host in ("", "0.0.0.0", "::") else host


async def wait_online(bus: Bus, centre: str, devices: list[Device], seconds: float = 30) -> None:
    """Wait until the bus heard each device say online: a job sent before would find no session."""
    started = [d for d in devices if d.window is None]  # the kiosks' printers the demo started
    deadline = asyncio.get_running_loop().time() + seconds
    while not all(bus.devices_online(centre).get(d.id) for d in started):
        if asyncio.get_running_loop().time() > deadline:
            return
        await asyncio.sleep(0.1)
