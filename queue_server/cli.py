"""The ``onewindow`` command line: one entry point, one sub-command per part of the system.

Every setting comes from its flag, else from its ``ONEWINDOW_*`` environment variable, else from a
named default; :func:`add_setting` declares all of them the same way and each flag's help names
its variable.

Exit codes: 0 done, 1 the input was wrong (a centre file with errors), 2 a usage error.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from display_client.led import MatrixSize
    from queue_server.domain.centre import Centre
    from queue_server.store.database import Connection
    from queue_server.twins import DeviceSpec

EXIT_OK = 0
EXIT_BAD_INPUT = 1
EXIT_USAGE = 2

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
DEFAULT_MQTT_PORT = 1883
DEFAULT_DATABASE_URL = "sqlite:///onewindow-data/onewindow.db"
"""A SQLite file in ./onewindow-data, so the demo keeps its hall in the folder it runs in."""
DEFAULT_CLIENT_MQTT_URL = f"mqtt://127.0.0.1:{DEFAULT_MQTT_PORT}"
"""Where device twins and clients find the broker by default: the one a local server embeds."""
DEFAULT_MQTT_CONFIG_DIR = "mosquitto"
DEFAULT_MQTT_SERVER_USER = "onewindow-server"
"""queue_server.bus.acl.DEFAULT_SERVER_USER, spelled out so --help imports nothing."""

Handler = Callable[[argparse.Namespace], int]
T = TypeVar("T")


# --- Settings: flag, else environment variable, else default --------------------------------------


class SettingError(ValueError):
    """An ``ONEWINDOW_*`` variable holds a value its flag would refuse."""


@dataclass(frozen=True, slots=True)
class EnvDefault(Generic[T]):
    """A flag's default: its environment variable when that is set and not empty, else ``default``.

    argparse keeps this object as the value of a flag not given; :func:`parse_arguments` then
    resolves it against the environment, checked by the same ``parse`` the flag uses.
    """

    env: str
    default: T
    parse: Callable[[str], T]

    def resolve(self, environ: Mapping[str, str]) -> T:
        raw = environ.get(self.env, "")
        if not raw:
            return self.default
        try:
            return self.parse(raw)
        except (ValueError, argparse.ArgumentTypeError) as error:
            raise SettingError(f"{self.env}={raw!r}: {error}") from None


def add_setting(
    parser: argparse.ArgumentParser,
    flag: str,
    *,
    env: str,
    default: T,
    parse: Callable[[str], T],
    help: str,
    default_text: str | None = None,
    metavar: str | None = None,
) -> None:
    """Add ``flag`` whose default comes from ``env``; the help names both."""
    shown = default_text if default_text is not None else str(default)
    parser.add_argument(
        flag,
        type=parse,
        default=EnvDefault(env, default, parse),
        metavar=metavar,
        help=f"{help} (env {env}; default: {shown})",
    )


def port_number(text: str) -> int:
    """A TCP port, 1 to 65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1-65535)") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (1-65535)")
    return port


def database_url(text: str) -> str:
    """A SQLAlchemy database URL: sqlite:///FILE or postgresql://USER@HOST/NAME."""
    scheme = urlsplit(text).scheme.split("+")[0]
    if scheme not in ("sqlite", "postgresql"):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a database URL (sqlite:///FILE or postgresql://USER@HOST/NAME)"
        )
    return text


def mqtt_url(text: str) -> str:
    """An MQTT broker URL: mqtt://[USER:PASSWORD@]HOST[:PORT] (mqtts:// for TLS)."""
    parts = urlsplit(text)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an MQTT URL (mqtt://[USER:PASSWORD@]HOST[:PORT], or mqtts:// for TLS)"
        )
    return text


def window_number(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a window number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{number} is not a window number (1 or more)")
    return number


def add_server_settings(parser: argparse.ArgumentParser, *, demo: bool = False) -> None:
    add_setting(
        parser,
        "--host",
        env="ONEWINDOW_HOST",
        default=DEFAULT_HOST,
        parse=str,
        help="address the web server listens on; bind the hall network only with device passwords",
    )
    add_setting(parser, "--port", env="ONEWINDOW_PORT", default=DEFAULT_PORT, parse=port_number, help="web port")
    add_database_setting(parser)
    add_setting(
        parser,
        "--mqtt-url",
        env="ONEWINDOW_MQTT_URL",
        default="",
        parse=mqtt_url,
        help="an external broker, e.g. mqtt://onewindow:secret@127.0.0.1:1883",
        default_text="the hall's own Mosquitto, a child process",
        metavar="URL",
    )
    add_setting(
        parser,
        "--mqtt-port",
        env="ONEWINDOW_MQTT_PORT",
        default=None if demo else DEFAULT_MQTT_PORT,
        parse=port_number,
        help="port of the hall's own broker, used when no --mqtt-url is given",
        default_text=f"{DEFAULT_MQTT_PORT}, or a free port when that is taken" if demo else None,
        metavar="PORT",
    )
    add_setting(
        parser,
        "--mqtt-host",
        env="ONEWINDOW_MQTT_HOST",
        default="127.0.0.1",
        parse=str,
        help="where the hall's own broker listens; the hall network (e.g. 0.0.0.0) only with the device"
        " passwords of `onewindow mqtt-config`",
        metavar="HOST",
    )


def add_database_setting(parser: argparse.ArgumentParser) -> None:
    add_setting(
        parser,
        "--database-url",
        env="ONEWINDOW_DATABASE_URL",
        default=DEFAULT_DATABASE_URL,
        parse=database_url,
        help="the database: sqlite:///FILE or postgresql://USER@HOST/NAME",
        metavar="URL",
    )


def add_client_mqtt_setting(parser: argparse.ArgumentParser) -> None:
    add_setting(
        parser,
        "--mqtt-url",
        env="ONEWINDOW_MQTT_URL",
        default=DEFAULT_CLIENT_MQTT_URL,
        parse=mqtt_url,
        help="the broker to connect to",
        metavar="URL",
    )


def add_centre_setting(parser: argparse.ArgumentParser, what: str) -> None:
    add_setting(
        parser,
        "--centre",
        env="ONEWINDOW_CENTRE",
        default=None,
        parse=Path,
        help=what,
        default_text="the built-in demo centre",
        metavar="FILE",
    )


# --- Commands --------------------------------------------------------------------------------------


def run_demo(args: argparse.Namespace) -> int:
    import asyncio

    from queue_server.demo_hall import DATA_FOLDER
    from queue_server.demo_hall import run_demo as demo

    def work() -> None:
        asyncio.run(
            demo(
                host=args.host,
                port=args.port,
                centre_file=args.centre,
                real_hours=args.real_hours,
                folder=Path(DATA_FOLDER),
                mqtt_url=args.mqtt_url,
                mqtt_port=args.mqtt_port,
                mqtt_host=args.mqtt_host,
                traffic=args.traffic,
            )
        )

    return _report_errors(f"sqlite:///{DATA_FOLDER}/onewindow.db", work)


def run_serve(args: argparse.Namespace) -> int:
    import asyncio

    from queue_server.server import ServerSettings, serve

    settings = ServerSettings(
        database_url=args.database_url,
        host=args.host,
        port=args.port,
        public_url=args.public_url,
        mqtt_url=args.mqtt_url,
        mqtt_port=args.mqtt_port,
        mqtt_host=args.mqtt_host,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
    )

    def work() -> None:
        asyncio.run(serve(settings, ready=lambda base: print(f"OneWindow serves {base} (Ctrl-C stops it)", flush=True)))

    return _report_errors(args.database_url, work)


def run_init(args: argparse.Namespace) -> int:
    import asyncio

    from queue_server.centre_file import load_centre, load_demo_centre
    from queue_server.initialise import load_centre_into, migrate
    from queue_server.store.database import Database

    async def initialise() -> None:
        async with Database(args.database_url) as db:
            await migrate(db, print)
            if args.centre is None and not args.demo:
                print("No centre file given: the database is ready. Load one with --centre FILE (or --demo).")
                return
            centre = load_centre(args.centre) if args.centre is not None else load_demo_centre()
            await load_centre_into(db, centre, apply=args.apply, say=print)

    def work() -> None:
        from queue_server.centre_file import CentreFileError
        from queue_server.store.seed import CentreChangeRefused

        try:
            asyncio.run(initialise())
        except (CentreFileError, CentreChangeRefused) as error:
            raise CommandError(str(error)) from None

    return _report_errors(args.database_url, work)


def run_devices_simulate(args: argparse.Namespace) -> int:
    """Twins of a centre's keypads, pads and kiosks pressing their buttons until Ctrl-C."""
    import asyncio

    from queue_server.protocol.topics import TopicError
    from queue_server.twins import Broker, TwinError, simulate

    centre = _load(args.centre)
    if centre is None:
        return EXIT_BAD_INPUT
    try:
        devices = _simulated_devices(centre, args.device or [], args.kind or [])
        run = simulate(
            args.centre_code or centre.centre.code,
            devices,
            Broker.from_url(args.mqtt_url),
            matters=[matter.code for matter in centre.matters],
            pace=args.pace,
            seed=args.seed,
            say=partial(print, flush=True),
            duration=args.duration,
        )
        asyncio.run(run)
    except KeyboardInterrupt:
        print("Stopped: the twins said offline.", file=sys.stderr)
    except (CommandError, TwinError, TopicError) as error:
        print(error, file=sys.stderr)
        return EXIT_BAD_INPUT
    return EXIT_OK


def run_firmware_render(args: argparse.Namespace) -> int:
    """One device's ESPHome configuration, from the registry and the secrets file."""
    import asyncio

    from queue_server.firmware.device import find_device, read_password, render_device
    from queue_server.firmware.render import FirmwareError

    async def registered() -> list[Centre]:
        from queue_server.store.credentials import registered_centres
        from queue_server.store.database import Database
        from queue_server.store.migrate import require_current

        async with Database(args.database_url) as db:
            await require_current(db)
            async with db.read() as conn:
                return await registered_centres(conn)

    def work() -> None:
        try:
            centre, device = find_device(asyncio.run(registered()), args.device, args.centre_code)
            password = None if args.secrets is None else read_password(args.secrets, centre.centre.code, device.id)
            text = render_device(
                centre, device, broker_host=args.broker_host, broker_port=args.broker_port, password=password
            )
        except FirmwareError as error:
            raise CommandError(str(error)) from None
        if args.output is None:
            sys.stdout.write(text)
            return
        from queue_server.bus.mqtt_config import MqttConfigError, write_file

        try:
            write_file(args.output, text, 0o600 if password else 0o644, what="the configuration")
        except MqttConfigError as error:
            raise CommandError(str(error)) from None
        print(f"Wrote {args.output}: {device.kind.value} {device.id} of centre {centre.centre.code}", file=sys.stderr)

    return _report_errors(args.database_url, work)


def _simulated_devices(centre: Centre, ids: list[str], kinds: list[str]) -> list[DeviceSpec]:
    """The devices ``--device`` and ``--kind`` name, or every keypad, pad and kiosk of the centre."""
    from queue_server.domain.devices import DeviceKind
    from queue_server.twins import DeviceSpec

    simulated = {DeviceKind.KEYPAD, DeviceKind.PAD, DeviceKind.KIOSK}
    wanted = {DeviceKind(kind) for kind in kinds} or simulated
    code = centre.centre.code
    chosen = [device for device in centre.devices if device.kind in wanted] if not ids else []
    for device_id in ids:
        device = centre.devices_by_id.get(device_id)
        if device is None:
            known = ", ".join(d.id for d in centre.devices if d.kind in simulated) or "none"
            raise CommandError(
                f"Cannot simulate device {device_id!r}: centre {code} has no such device (its keypads, pads and"
                f" kiosks: {known})"
            )
        if device.kind not in simulated:
            raise CommandError(
                f"Cannot simulate {device.kind.value} {device_id!r}: only keypads, pads and kiosks have twins"
                " (printers and displays run their own clients)"
            )
        if device.kind in wanted:
            chosen.append(device)
    if not chosen:
        what = " or ".join(sorted(kind.value for kind in wanted))
        raise CommandError(f"Cannot simulate centre {code}: no {what} device was chosen or registered")
    return [DeviceSpec(device.kind, device.id, device.window) for device in chosen]


def _seconds(text: str) -> float:
    """A positive number of seconds."""
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return seconds


def run_centre_check(args: argparse.Namespace) -> int:
    centre = _load(args.file)
    if centre is None:
        return EXIT_BAD_INPUT
    groups = len(centre.ticket_groups)
    print(
        f"{args.file}: OK: {centre.centre.name} ({centre.centre.code}), {len(centre.windows)} windows,"
        f" {len(centre.matters)} matters in {groups} ticket group{'s' if groups != 1 else ''},"
        f" {len(centre.staff)} staff"
    )
    return EXIT_OK


def run_centre_show(args: argparse.Namespace) -> int:
    centre = _load(args.file)
    if centre is None:
        return EXIT_BAD_INPUT
    print(describe_centre(centre))
    return EXIT_OK


def _load(path: Path | None) -> Centre | None:
    """The centre in ``path`` (the demo centre when None), or None after printing why not."""
    from queue_server.centre_file import CentreFileError, load_centre, load_demo_centre

    try:
        return load_demo_centre() if path is None else load_centre(path)
    except CentreFileError as error:
        print(error, file=sys.stderr)
        return None


def describe_centre(centre: Centre) -> str:
    """A centre as a person reads it: who, when it opens, its windows, its matters per group."""
    from queue_server.domain.centre import WEEKDAYS

    info = centre.centre
    kinds = {kind.code: kind for kind in centre.window_kinds}
    title = f"{info.name} / {info.name_en}" if info.name_en else info.name
    lines = [
        title,
        f"code {info.code} · time zone {info.time_zone} · {len(centre.windows)} windows,"
        f" {len(centre.matters)} matters, {len(centre.staff)} staff",
        "",
        "Hours",
    ]
    for weekday, name in enumerate(WEEKDAYS):
        periods = centre.hours.for_weekday(weekday)
        shown = ", ".join(f"{p.start:%H:%M}-{p.end:%H:%M}" for p in periods) or "closed"
        lines.append(f"  {name.capitalize():<10} {shown}")
    calendar = centre.calendar
    if calendar.holidays or calendar.working_days:
        lines.append(f"  {len(calendar.holidays)} holidays, {len(calendar.working_days)} adjusted working days (调休)")
    lines += ["", "Windows"]
    width = len(str(max(window.number for window in centre.windows)))
    for window in centre.windows:
        served = ", ".join(f"{kinds[code].name} ({code})" for code in window.kinds)
        green = " · green channel (绿色通道)" if window.green_channel else ""
        lines.append(f"  {window.number:>{width}}  {window.name}: {served}{green}")
    lines += ["", "Matters per ticket group"]
    for group in centre.ticket_groups:
        count = sum(1 for matter in centre.matters if matter.prefix == group.prefix)
        lines.append(f"  {group.prefix:<2} {group.name}: {count}")
    return "\n".join(lines)


# --- Accounts --------------------------------------------------------------------------------------

LOGIN_ROLES = ("admin", "manager", "staff", "guide", "supervisor")
"""The roles of `user add`: queue_server.accounts.LOGIN_ROLES, spelled out so --help imports nothing."""
TOKEN_ROLES = (*LOGIN_ROLES, "kiosk", "device")


class CommandError(Exception):
    """A command cannot go on; the message says what and why (exit 1)."""


def run_user_add(args: argparse.Namespace) -> int:
    import asyncio

    def work() -> None:
        asyncio.run(_check_database(args.database_url))  # before asking for a password in vain
        password = _new_password(args.username, from_stdin=args.password_stdin)
        asyncio.run(_in_write(args.database_url, partial(_add_account, args, password)))
        staff = f", staff member {args.staff}" if args.staff else ""
        print(f"Added user {args.username!r} ({args.role} at {', '.join(args.centres)}{staff}).")

    return _report_errors(args.database_url, work)


def run_user_token(args: argparse.Namespace) -> int:
    import asyncio

    def work() -> None:
        token = asyncio.run(_in_write(args.database_url, partial(_issue_token, args)))
        print(token)
        print(
            f"Issued a token for {args.role} {args.subject!r} at {', '.join(args.centres)}. It is shown only"
            " once: store it now; it cannot be recovered, only revoked.",
            file=sys.stderr,
        )

    return _report_errors(args.database_url, work)


def run_mqtt_config(args: argparse.Namespace) -> int:
    import asyncio

    from queue_server.bus import mqtt_config

    settings = mqtt_config.Settings(
        output_dir=args.output_dir,
        server_user=args.server_user,
        server_password_file=args.server_password_file,
        secrets_file=args.secrets,
    )

    async def generate(conn: Connection) -> mqtt_config.Result:
        from queue_server.store.database import utcnow

        return await mqtt_config.generate(conn, settings, utcnow())

    def work() -> None:
        try:
            result = asyncio.run(_in_write(args.database_url, generate))
        except mqtt_config.MqttConfigError as error:
            raise CommandError(str(error)) from None
        print(mqtt_config.report(result, settings))

    return _report_errors(args.database_url, work)


async def _add_account(args: argparse.Namespace, password: str, conn: Connection) -> int:
    from queue_server.accounts import add_user

    return await add_user(
        conn,
        username=args.username,
        password=password,
        role=args.role,
        centres=args.centres,
        staff_code=args.staff,
        display_name=args.name,
    )


async def _issue_token(args: argparse.Namespace, conn: Connection) -> str:
    from queue_server.accounts import add_token

    label = args.label or f"{args.role} {args.subject}"
    return await add_token(conn, label=label, role=args.role, centres=args.centres, subject=args.subject)


async def _check_database(url: str) -> None:
    """Refuse a database that `onewindow init` has not brought to this version."""
    from queue_server.store.database import Database
    from queue_server.store.migrate import require_current

    async with Database(url) as db:
        await require_current(db)


async def _in_write(url: str, action: Callable[[Connection], Awaitable[T]]) -> T:
    """Run ``action`` in one write transaction, on a database `onewindow init` brought up to date."""
    from queue_server.store.database import Database
    from queue_server.store.migrate import require_current

    async with Database(url) as db:
        await require_current(db)
        async with db.write() as conn:
            return await action(conn)


def _new_password(username: str, *, from_stdin: bool) -> str:
    """The password: the first line of standard input, or typed twice on the terminal."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise CommandError(f"Cannot add user {username!r}: standard input holds no password")
        return password
    if not sys.stdin.isatty():
        raise CommandError(
            f"Cannot add user {username!r}: there is no terminal to ask for the password; pipe it in with"
            " --password-stdin"
        )
    import getpass

    from queue_server.accounts import check_password

    try:
        password = getpass.getpass(f"Password for {username}: ")
        check_password(password, username=username)
        again = getpass.getpass("The same password again: ")
    except EOFError:
        raise CommandError(f"Cannot add user {username!r}: no password was typed") from None
    if again != password:
        raise CommandError(f"Cannot add user {username!r}: the two passwords differ")
    return password


def _report_errors(database_url: str, work: Callable[[], None]) -> int:
    """Run ``work``; what goes wrong is a message for the person, never a traceback."""
    from queue_server.accounts import AccountError
    from queue_server.bus.broker import BrokerStartError
    from queue_server.server import PortTaken, TlsError
    from queue_server.store.database import DatabaseUrlError, without_password
    from queue_server.store.errors import DatabaseError
    from queue_server.store.migrate import SchemaOutdated

    try:
        work()
    except (CommandError, AccountError, BrokerStartError, DatabaseUrlError, SchemaOutdated, TlsError) as error:
        print(error, file=sys.stderr)
        return EXIT_BAD_INPUT
    except PortTaken as error:  # an OSError, but not the database's
        print(error.strerror, file=sys.stderr)
        return EXIT_BAD_INPUT
    except (DatabaseError, OSError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        print(f"Cannot use the database {without_password(database_url)}: {reason}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return EXIT_OK


# --- The parser ------------------------------------------------------------------------------------


def _command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    summary: str,
    description: str,
    handler: Handler | None = None,
) -> argparse.ArgumentParser:
    """A sub-command with a one-line summary (in its parent's list) and a longer description."""
    parser = commands.add_parser(
        name,
        help=summary,
        description=f"{summary[0].upper()}{summary[1:]}.\n\n{description}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    if handler is not None:
        parser.set_defaults(handler=handler)
    return parser


def _sub_commands(
    parser: argparse.ArgumentParser, dest: str = "subcommand"
) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    return parser.add_subparsers(dest=dest, metavar="COMMAND", required=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="onewindow",
        description=(
            "OneWindow (一窗受理): queue and counter management for government service halls"
            " (便民服务中心).\n\nEach command answers --help. Settings come from flags or from ONEWINDOW_*"
            " environment\nvariables; each flag's help names its variable."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = _sub_commands(parser, dest="command")

    demo = _command(
        commands,
        "demo",
        "the whole hall on built-in defaults with the demo centre, in the current folder",
        "Creates ./onewindow-data with a SQLite database, loads the demo centre (open around the clock\n"
        "unless --real-hours), makes demo accounts and tokens (saved in onewindow-data/demo-accounts.json),\n"
        "prints how to try it, and serves the pages, the API and the hall's MQTT broker, with a printer\n"
        "client for each kiosk and the hall board's display client.",
        run_demo,
    )
    add_server_settings(demo, demo=True)
    add_centre_setting(demo, "centre file to run instead of the demo centre")
    demo.add_argument("--real-hours", action="store_true", help="keep the centre's own opening hours and holidays")
    demo.add_argument(
        "--traffic",
        type=float,
        metavar="N",
        help="replay a simulated day N times faster: the kiosk, keypads and pads' twins issue, call,"
        " finish and rate (see docs/simulator.md)",
    )

    serve = _command(
        commands,
        "serve",
        "the server: JSON API, pages and the MQTT bus",
        "Serves the pages (/kiosk, /console, /desk, /manager, /ticket/...) and the JSON API under\n"
        "/api/v1 (OpenAPI at /api/v1/openapi.json) from an initialised database (run `onewindow\n"
        "init` first), and runs each centre's daily closing. Uses SQLite by default; give\n"
        "--database-url for PostgreSQL. HTTPS with --tls-cert and --tls-key, or behind a proxy.",
        run_serve,
    )
    add_server_settings(serve)
    add_setting(
        serve,
        "--public-url",
        env="ONEWINDOW_PUBLIC_URL",
        default="",
        parse=str,
        help="the address citizens' phones reach, for the QR code's status link",
        default_text="http://HOST:PORT",
        metavar="URL",
    )
    for flag, what in (("--tls-cert", "certificate (PEM, with its chain)"), ("--tls-key", "private key (PEM)")):
        add_setting(
            serve,
            flag,
            env=f"ONEWINDOW_{flag[2:].replace('-', '_').upper()}",
            default=None,
            parse=Path,
            help=f"serve HTTPS with this {what}; both or neither",
            default_text="plain HTTP",
            metavar="FILE",
        )

    init = _command(
        commands,
        "init",
        "create or migrate the database, load or diff a centre file",
        "Creates the tables or migrates them to this version. The first load of a centre file seeds\n"
        "the database; after that the database is the truth, and loading a file again shows the\n"
        "difference and applies it only with --apply.",
        run_init,
    )
    add_database_setting(init)
    add_centre_setting(init, "centre file to load, or to compare with the database")
    init.add_argument("--demo", action="store_true", help="load the built-in demo centre")
    init.add_argument("--apply", action="store_true", help="apply the difference to the stored centre")

    _add_user(commands)
    _add_devices(commands)
    _add_printer(commands)
    _add_display(commands)
    _add_firmware(commands)
    _add_simulate(commands)
    _add_backup(commands)
    _add_centre(commands)
    return parser


def _add_user(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    user = _command(
        commands,
        "user",
        "accounts of managers, staff, guides and supervisors, and bearer tokens",
        "People log in with a password; scripts, kiosk PCs, the consultation desk and devices carry\n"
        "bearer tokens with the same roles. See `onewindow user add --help` and\n"
        "`onewindow user token --help`.",
    )
    user_commands = _sub_commands(user)
    add = _command(
        user_commands,
        "add",
        "add an account",
        "The password is asked for twice on the terminal, or read from the first line of standard\n"
        "input with --password-stdin. A staff account names the staff member of the centre file it\n"
        "signs on to windows as (--staff); only a supervisor may see several centres.",
        run_user_add,
    )
    add.add_argument("username", help="the login name, e.g. wang.fang")
    add.add_argument("--role", choices=LOGIN_ROLES, required=True, help="what the account may do")
    _add_centre_codes(add, "the centre the account belongs to (repeat for a supervisor's centres)")
    add.add_argument("--staff", metavar="CODE", help="for a staff account: the staff code in the centre file")
    add.add_argument("--name", default="", help="the person's name as pages show it, e.g. 王芳")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input instead of asking"
    )
    add_database_setting(add)

    token = _command(
        user_commands,
        "token",
        "issue a bearer token for a script, kiosk PC, consultation desk or device",
        "Prints the token once, on standard output; only its hash is stored, so it cannot be shown\n"
        "again. Kiosk and guide (desk) tokens issue tickets; a staff token acts as the staff member\n"
        "whose code is its subject.",
        run_user_token,
    )
    token.add_argument("--role", choices=TOKEN_ROLES, required=True, help="what the token may do")
    _add_centre_codes(token, "the centre it acts at (repeat for a supervisor's centres)")
    token.add_argument(
        "--subject",
        required=True,
        metavar="ID",
        help="who acts with it: a kiosk or desk id (kiosk1, desk1), a device id, or a staff code",
    )
    token.add_argument("--label", default="", help="where it is used, e.g. 'east door kiosk' (default: ROLE SUBJECT)")
    add_database_setting(token)


def _add_centre_codes(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--centre", action="append", required=True, metavar="CODE", dest="centres", help=what)


def _add_devices(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    config = _command(
        commands,
        "mqtt-config",
        "Mosquitto password and ACL files from the device registry",
        "Each device may publish only its own requests and read only what it must show; the server's\n"
        "account may read and write everything under onewindow/. Every device of every centre in the\n"
        "database gets an account named CENTRE.DEVICE (demo.pad-3). A device without a password gets a\n"
        "random one, printed once (or written to --secrets); only its hash is stored, and it is kept on\n"
        "later runs. Devices no longer registered lose theirs. Writes DIR/passwords and DIR/acl and\n"
        "prints the mosquitto.conf lines that load them.",
        run_mqtt_config,
    )
    add_database_setting(config)
    config.add_argument(
        "--output-dir",
        type=Path,
        default=Path(DEFAULT_MQTT_CONFIG_DIR),
        metavar="DIR",
        help=f"where to write the passwords and acl files (default: ./{DEFAULT_MQTT_CONFIG_DIR})",
    )
    config.add_argument(
        "--secrets",
        type=Path,
        metavar="FILE",
        help="write new passwords to this JSON file (mode 600, {centre: {device: password}}) instead of printing them",
    )
    config.add_argument(
        "--server-user",
        default=DEFAULT_MQTT_SERVER_USER,
        metavar="NAME",
        help=f"the server's MQTT username (default: {DEFAULT_MQTT_SERVER_USER})",
    )
    config.add_argument(
        "--server-password-file",
        type=Path,
        metavar="FILE",
        help="the server's password, on the first line; made there when the file does not exist"
        " (default: keep the password already in DIR/passwords, or make one and print it)",
    )

    devices = _command(
        commands,
        "devices",
        "the hall's devices",
        "See `onewindow devices simulate --help`.",
    )
    simulate = _command(
        _sub_commands(devices),
        "simulate",
        "software twins of caller keypads, rating pads and button kiosks",
        "The twins speak the same MQTT protocol as the ESP32 devices (docs/protocol.md), against the\n"
        "broker of a running server: keypads call the next ticket and finish it, pads rate what they are\n"
        "asked with a random level, kiosks take tickets for random matters. One line per action with\n"
        "the server's answer; Ctrl-C stops them (each says offline as it goes).",
        run_devices_simulate,
    )
    add_client_mqtt_setting(simulate)
    add_centre_setting(simulate, "centre file whose devices and matters to use")
    simulate.add_argument(
        "--centre-code",
        metavar="CODE",
        help="the centre's code in topics (default: the centre file's code)",
    )
    simulate.add_argument(
        "--device",
        action="append",
        metavar="ID",
        help="simulate this device of the centre file (repeatable; default: all its keypads, pads and kiosks)",
    )
    simulate.add_argument(
        "--kind",
        action="append",
        choices=("keypad", "pad", "kiosk"),
        help="simulate only devices of this kind (repeatable; default: all kinds)",
    )
    simulate.add_argument(
        "--pace", type=_seconds, default=2.0, metavar="SECONDS", help="time between presses (default: 2)"
    )
    simulate.add_argument("--seed", type=int, default=0, help="random seed, for repeatable runs (default: 0)")
    simulate.add_argument(
        "--duration", type=_seconds, metavar="SECONDS", help="stop after this long (default: run until Ctrl-C)"
    )


def _add_printer(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    printer = _command(
        commands,
        "printer",
        "the ticket printer client",
        "See `onewindow printer run --help` and `onewindow printer preview --help`.",
    )
    printer_commands = _sub_commands(printer)
    run = _command(
        printer_commands,
        "run",
        "print the jobs sent over MQTT on an ESC/POS printer",
        "Takes the print jobs for one printer id and prints each once, keeping a local spool so\n"
        "a restart neither loses nor repeats a job. PRINTER is tcp://HOST:9100, usb://VID:PID,\n"
        "serial:///dev/ttyUSB0?baudrate=9600, file:///PATH or capture:// (keeps jobs in memory).",
        run_printer,
    )
    add_client_mqtt_setting(run)
    add_setting(
        run, "--id", env="ONEWINDOW_PRINTER_ID", default="printer-1", parse=str, help="the printer's id", metavar="ID"
    )
    add_setting(
        run,
        "--printer",
        env="ONEWINDOW_PRINTER_URL",
        default="file:///dev/usb/lp0",
        parse=str,
        help="the printer: tcp://HOST:9100, usb://VID:PID, serial:///DEVICE, file:///PATH or capture://",
        metavar="URL",
    )
    add_setting(
        run,
        "--centre-code",
        env="ONEWINDOW_CENTRE_CODE",
        default="demo",
        parse=str,
        help="the centre's code in topics",
        metavar="CODE",
    )
    add_setting(
        run,
        "--spool",
        env="ONEWINDOW_PRINTER_SPOOL",
        default=Path("onewindow-data/print-spool"),
        parse=Path,
        help="the directory where taken jobs are kept",
        metavar="DIR",
    )
    _add_printer_looks(run, env_prefix="ONEWINDOW_PRINTER_")
    add_setting(
        run,
        "--mode",
        env="ONEWINDOW_PRINTER_MODE",
        default="text",
        parse=_choice("text", "raster"),
        help="text (the printer's GB18030 font) or raster (drawn here; any printer)",
    )
    preview = _command(
        printer_commands,
        "preview",
        "a ticket as a PNG picture",
        "Draws the demo ticket, or the one the flags describe, as the printer would print it.",
        run_printer_preview,
    )
    _add_printer_looks(preview, env_prefix="ONEWINDOW_PRINTER_")
    preview.add_argument("--number", help="the ticket number (default: the demo's A012)")
    preview.add_argument("--matter-name", help="the matter's name (default: the demo's)")
    preview.add_argument("--centre-name", help="the centre's name (default: the demo's)")
    preview.add_argument("--status-url", help="the QR code's data (default: the demo's)")
    preview.add_argument(
        "-o", "--output", type=Path, default=Path("ticket.png"), help="the PNG file (default: ticket.png)"
    )


def _add_printer_looks(parser: argparse.ArgumentParser, env_prefix: str) -> None:
    add_setting(
        parser,
        "--profile",
        env=f"{env_prefix}PROFILE",
        default="80",
        parse=_choice("80", "58"),
        help="the paper width in mm",
    )
    env = f"{env_prefix}ENGLISH"
    parser.add_argument(
        "--english",
        action="store_true",
        default=EnvDefault(env, False, _yes_no),
        help=f"add the English lines (env {env}=yes|no; default: no)",
    )


def _choice(*choices: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in choices:
            raise argparse.ArgumentTypeError(f"{text!r} is not one of {', '.join(choices)}")
        return text

    return parse


def _yes_no(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "yes", "true", "on"):
        return True
    if lowered in ("0", "no", "false", "off"):
        return False
    raise argparse.ArgumentTypeError(f"{text!r} is not yes or no")


def run_printer(args: argparse.Namespace) -> int:
    from ticket_printer.client.command import RunSettings, run_command
    from ticket_printer.layout import Mode

    return run_command(
        RunSettings(
            centre=args.centre_code,
            device_id=args.id,
            printer_url=args.printer,
            mqtt_url=args.mqtt_url,
            spool=args.spool,
            paper=args.profile,
            mode=Mode(args.mode),
            english=args.english,
        )
    )


def run_printer_preview(args: argparse.Namespace) -> int:
    from ticket_printer.client.command import PreviewSettings, preview_command

    return preview_command(
        PreviewSettings(
            output=args.output,
            paper=args.profile,
            english=args.english,
            number=args.number,
            matter_name=args.matter_name,
            centre_name=args.centre_name,
            status_url=args.status_url,
        )
    )


def _add_display(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    display = _command(
        commands,
        "display",
        "the display client: the hall board or one window's display",
        "--mode hall shows the latest calls, every window and the waiting counts on a page for a\n"
        "browser in kiosk mode, and announces each call by voice; --mode window --window N shows\n"
        "window N's number, name and current ticket (暂停服务 while paused), also as an LED frame\n"
        "with --led WxH. The page is at http://HOST:PORT/ (printed at start).",
        run_display,
    )
    display.add_argument("--mode", choices=("hall", "window"), default="hall", help="what to show (default: hall)")
    display.add_argument(
        "--window", type=window_number, metavar="N", help="the window to show (needed with --mode window)"
    )
    add_client_mqtt_setting(display)
    add_setting(
        display,
        "--centre-code",
        env="ONEWINDOW_CENTRE_CODE",
        default="demo",
        parse=str,
        help="the centre's code in topics",
        metavar="CODE",
    )
    add_setting(
        display,
        "--id",
        env="ONEWINDOW_DISPLAY_ID",
        default="",
        parse=str,
        help="the display's device id",
        default_text="board-1, or display-N with --window N",
        metavar="ID",
    )
    add_setting(
        display, "--host", env="ONEWINDOW_DISPLAY_HOST", default="127.0.0.1", parse=str, help="the page's address"
    )
    add_setting(
        display,
        "--port",
        env="ONEWINDOW_DISPLAY_PORT",
        default=0,
        parse=port_number,
        help="the page's port",
        default_text="8081, or 8100+N with --window N",
    )
    english = "ONEWINDOW_DISPLAY_ENGLISH"
    display.add_argument(
        "--english",
        action="store_true",
        default=EnvDefault(english, False, _yes_no),
        help=f"show the page in English (env {english}=yes|no; default: no)",
    )
    add_setting(
        display,
        "--notice",
        env="ONEWINDOW_DISPLAY_NOTICE",
        default=None,
        parse=str,
        help="the line scrolling at the bottom of the hall board ('' for none)",
        default_text="listen for your number; a missed call goes to the desk",
        metavar="TEXT",
    )
    voice = "ONEWINDOW_DISPLAY_VOICE"
    display.add_argument(
        "--voice",
        action=argparse.BooleanOptionalAction,
        default=EnvDefault(voice, None, _yes_no),
        help=f"announce each call (env {voice}=yes|no; default: yes for the hall board, no for a window)",
    )
    display.add_argument("--voice-english", action="store_true", help="announce in English instead of Chinese")
    display.add_argument(
        "--repeat",
        type=_whole_number(1, 5),
        default=2,
        metavar="N",
        help="say each announcement N times (1-5; default: 2)",
    )
    display.add_argument(
        "--audio-dir",
        type=Path,
        metavar="DIR",
        help="write each announcement to a WAV file in DIR (and log its playing times) instead of playing it",
    )
    display.add_argument("--led", type=_matrix_size, metavar="WxH", help="draw an LED matrix frame, e.g. 64x32")
    display.add_argument(
        "--png", type=Path, metavar="DIR", help="write each LED frame to DIR as a PNG file (window mode)"
    )


def _whole_number(low: int, high: int) -> Callable[[str], int]:
    """A parser for a whole number from ``low`` to ``high``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number from {low} to {high}")
        return value

    return parse


def _matrix_size(text: str) -> MatrixSize:
    from display_client.led import MatrixSize

    try:
        return MatrixSize.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def run_display(args: argparse.Namespace) -> int:
    from display_client.command import DEFAULT_NOTICE, DEFAULT_NOTICE_EN, DisplaySettings, run_command

    if args.mode == "window" and args.window is None:
        print("Cannot show a window display without --window N", file=sys.stderr)
        return 2
    window = args.window if args.mode == "window" else None
    if window is None and (args.led or args.png):
        print("--led and --png draw a window's LED sign: use them with --mode window --window N", file=sys.stderr)
        return 2
    return run_command(
        DisplaySettings(
            centre=args.centre_code,
            device_id=args.id or ("board-1" if window is None else f"display-{window}"),
            mqtt_url=args.mqtt_url,
            window=window,
            host=args.host,
            port=args.port or (8081 if window is None else 8100 + window),
            english=args.english,
            notice=(DEFAULT_NOTICE_EN if args.english else DEFAULT_NOTICE) if args.notice is None else args.notice,
            voice=window is None if args.voice is None else args.voice,
            voice_english=args.voice_english,
            repeat=args.repeat,
            audio_dir=args.audio_dir,
            led=args.led,
            png_dir=args.png,
        )
    )


def _add_firmware(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    firmware = _command(
        commands,
        "firmware",
        "ESPHome configurations of the ESP32 devices",
        "See `onewindow firmware render --help`.",
    )
    render = _command(
        _sub_commands(firmware),
        "render",
        "an ESPHome configuration for one device",
        "Generated from the device protocol, so the firmware and the server agree on every topic. The\n"
        "device (a window display, rating pad, caller keypad or button kiosk) is read from the database's\n"
        "registry; its MQTT password from the --secrets file of `onewindow mqtt-config`, else the file\n"
        "says `!secret mqtt_password`. Wi-Fi and OTA passwords come from secrets.yaml beside the file.\n"
        "Flash it with `esphome run FILE` (docs/firmware.md).",
        run_firmware_render,
    )
    render.add_argument("--device", required=True, metavar="ID", help="the device id, e.g. pad-3 or keypad-1")
    render.add_argument(
        "--centre-code", metavar="CODE", help="the device's centre, when several centres have that id (default: any)"
    )
    add_database_setting(render)
    render.add_argument("-o", "--output", type=Path, metavar="FILE", help="the YAML file (default: standard output)")
    render.add_argument(
        "--secrets", type=Path, metavar="FILE", help="the JSON secrets file of `onewindow mqtt-config --secrets`"
    )
    add_setting(
        render,
        "--broker-host",
        env="ONEWINDOW_BROKER_HOST",
        default="192.168.1.10",
        parse=str,
        help="the broker's address on the hall network, as the device reaches it",
        metavar="HOST",
    )
    add_setting(
        render,
        "--broker-port",
        env="ONEWINDOW_BROKER_PORT",
        default=DEFAULT_MQTT_PORT,
        parse=port_number,
        help="the broker's port",
        metavar="PORT",
    )


def _add_simulate(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    simulate = _command(
        commands,
        "simulate",
        "the hall simulator: a day of arrivals and service, faster than real time",
        "Plays a day of a centre on virtual time with the real routing, numbering, calendar and wait\n"
        "estimates: citizens arrive by hour per matter (a profile), windows are staffed and paused as\n"
        "the profile says. Prints waits per class (green channel, ordinary) and per matter, the queue,\n"
        "window use, how good the printed wait estimates were and the most passes over any ticket.\n"
        "--compare runs plans side by side on the same citizens (same seed). See docs/simulator.md.",
        run_simulate,
    )
    add_centre_setting(simulate, "centre file to simulate")
    simulate.add_argument(
        "--profile",
        metavar="FILE",
        help="arrivals, handling times, staffing and pauses (TOML), or a packaged profile's name"
        " (town-centre, busy-centre; default: town-centre)",
    )
    simulate.add_argument("--days", type=_whole_number(1, 366), default=1, help="how many open days (default: 1)")
    simulate.add_argument("--day", metavar="YYYY-MM-DD", help="the first day (default: the profile's)")
    simulate.add_argument("--seed", type=int, default=0, help="random seed, for repeatable runs (default: 0)")
    simulate.add_argument(
        "--compare",
        nargs="+",
        type=Path,
        metavar="PLAN",
        help="plan files to run side by side; each replaces the tables it gives of --profile"
        " (one plan: compared with the profile itself)",
    )
    simulate.add_argument("--json", type=Path, metavar="FILE", help="write every figure as JSON to FILE")
    simulate.add_argument("--charts", type=Path, metavar="DIR", help="draw PNG charts into DIR")


def run_simulate(args: argparse.Namespace) -> int:
    """A simulated day (or a comparison of plans): a table on stdout, JSON and charts on request."""
    import datetime as dt

    from queue_server.simulate.command import Request, simulate
    from queue_server.simulate.profiles import ProfileError

    centre = _load(args.centre)
    if centre is None:
        return EXIT_BAD_INPUT
    try:
        day = dt.date.fromisoformat(args.day) if args.day else None
    except ValueError:
        print(f"Cannot simulate: a day is written YYYY-MM-DD, got {args.day!r}", file=sys.stderr)
        return EXIT_USAGE
    request = Request(
        centre=centre,
        profile=args.profile,
        seed=args.seed,
        days=args.days,
        day=day,
        compare=tuple(str(p) for p in args.compare or ()),
        json_file=args.json,
        charts=args.charts,
    )
    try:
        return simulate(request)
    except (ProfileError, ValueError, OSError) as error:
        print(f"Cannot simulate: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT


def run_backup(args: argparse.Namespace) -> int:
    """A consistent copy of the database, safe while the server writes."""
    from queue_server.store.backup import BackupError, backup
    from queue_server.store.database import without_password

    def work() -> None:
        try:
            copy = backup(args.database_url, args.file)
        except BackupError as error:
            raise CommandError(str(error)) from None
        print(
            f"Backed up {without_password(args.database_url)} to {copy.path} ({copy.size:,} bytes, schema"
            f" {copy.revision}). Restore it, with the server stopped, by `onewindow restore {copy.path}`."
        )

    return _report_errors(args.database_url, work)


def run_restore(args: argparse.Namespace) -> int:
    """A copy made by `backup` in place of the database; the server must be stopped."""
    from queue_server.store.backup import BackupError, restore
    from queue_server.store.database import without_password
    from queue_server.store.migrate import head_revision

    def work() -> None:
        try:
            copy = restore(args.database_url, args.file, replace=args.yes)
        except BackupError as error:
            raise CommandError(str(error)) from None
        later = "" if copy.revision == head_revision() else " Run `onewindow init` to bring it to this version."
        print(f"Restored {copy.path} (schema {copy.revision}) into {without_password(args.database_url)}.{later}")

    return _report_errors(args.database_url, work)


def _add_backup(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    backup = _command(
        commands,
        "backup",
        "a consistent copy of the database",
        "Safe while the server runs: SQLite is copied with its online backup API, PostgreSQL with\n"
        "pg_dump (custom format; the client tools of the server's major version, Debian package\n"
        "postgresql-client). The copy is checked and moved into place only when complete.",
        run_backup,
    )
    backup.add_argument("file", type=Path, metavar="FILE", help="where to write the copy")
    add_database_setting(backup)
    restore = _command(
        commands,
        "restore",
        "put a copy made by backup back in place of the database",
        "Stop the server first: the database is replaced as a whole (SQLite: one atomic rename after\n"
        "an integrity check; PostgreSQL: pg_restore --clean in one transaction). A database that\n"
        "holds centres or tickets is replaced only with --yes; a damaged copy, or one of a schema\n"
        "this version does not know, is refused.",
        run_restore,
    )
    restore.add_argument("file", type=Path, metavar="FILE", help="the copy to restore")
    restore.add_argument("--yes", action="store_true", help="replace a database that holds centres or tickets")
    add_database_setting(restore)


def _add_centre(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    centre = _command(
        commands,
        "centre",
        "check or show a centre file",
        "A centre file (TOML) says what a hall is made of: its hours, windows, matters and staff.",
    )
    centre_commands = _sub_commands(centre)
    check = _command(
        centre_commands,
        "check",
        "validate a centre file",
        "Prints a summary when the file is valid; otherwise every problem as FILE:LINE: FIELD: MESSAGE,\nand exits 1.",
        run_centre_check,
    )
    check.add_argument("file", type=Path, metavar="FILE", help="the centre file")
    show = _command(
        centre_commands,
        "show",
        "print a centre: name, hours per weekday, windows and matters per ticket group",
        "Without FILE it shows the built-in demo centre.",
        run_centre_show,
    )
    show.add_argument("file", type=Path, nargs="?", metavar="FILE", help="the centre file (default: the demo)")


def _version() -> str:
    try:
        return metadata.version("onewindow")
    except metadata.PackageNotFoundError:
        return "(not installed)"


# --- Entry point -----------------------------------------------------------------------------------


def parse_arguments(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> argparse.Namespace:
    """Parse ``argv`` and fill every flag not given from ``environ`` (default: ``os.environ``).

    Exits through argparse (code 2) on a usage error, a bad environment value included.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    environ = os.environ if environ is None else environ
    try:
        for name, value in vars(args).items():
            if isinstance(value, EnvDefault):
                setattr(args, name, value.resolve(environ))
    except SettingError as error:
        parser.error(str(error))
    return args


def main(argv: list[str] | None = None) -> int:
    try:
        args = parse_arguments(argv)
    except SystemExit as stop:  # --help, --version or a usage error, already printed by argparse
        return stop.code if isinstance(stop.code, int) else EXIT_USAGE
    handler: Handler = args.handler
    return handler(args)
