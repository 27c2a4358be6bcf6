"""The hall's server: `demo` (everything on built-in defaults), `serve` and `init` (the database)."""

from __future__ import annotations

import argparse
from pathlib import Path

from queue_server.cli.report import CommandError, report_errors
from queue_server.cli.settings import (
    DEFAULT_HOST,
    DEFAULT_MQTT_PORT,
    DEFAULT_PORT,
    LOG_LEVELS,
    add_centre_setting,
    add_database_setting,
    add_setting,
    choice_of,
    mqtt_url,
    port_number,
)
from queue_server.cli.subcommands import SubCommands, command
from queue_server.http_common.id_key import DEFAULT_ID_KEY_FILE


def add_commands(commands: SubCommands) -> None:
    demo = command(
        commands,
        "demo",
        "the whole hall on built-in defaults with the demo centre, in the current folder",
        "Creates ./onewindow-data with a SQLite database, loads the demo centre (open around the clock\n"
        "unless --real-hours), makes demo accounts and tokens (saved in onewindow-data/demo-accounts.json),\n"
        "prints how to try it (logins, the kiosk's and a rating pad's tokens, curl lines), and serves the\n"
        "pages, the API and the hall's MQTT broker (on 1883, or the next free port when 1883 is taken),\n"
        "with a printer client for each kiosk and the hall board's display client, each started again\n"
        "if it stops. --traffic replays a simulated day through device twins.",
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
    add_log_settings(demo)

    serve = command(
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
    add_setting(
        serve,
        "--id-key-file",
        env="ONEWINDOW_ID_KEY_FILE",
        default=DEFAULT_ID_KEY_FILE,
        parse=Path,
        help="the key ID numbers of bookings are hashed with (hex), made there with mode 600 on first start;"
        " keep it with the server's other secrets, outside the database's backups",
        metavar="FILE",
    )
    add_setting(
        serve,
        "--sms-config",
        env="ONEWINDOW_SMS_CONFIG",
        default=None,
        parse=Path,
        help="send SMS notices with this provider file (TOML: provider, each centre's sign name and templates)",
        default_text="no SMS",
        metavar="FILE",
    )
    add_log_settings(serve)
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

    init = command(
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
    init.add_argument(
        "--instances-stopped",
        action="store_true",
        help="every server instance is stopped: run contract migrations that the running release could not serve",
    )


def add_server_settings(parser: argparse.ArgumentParser, *, demo: bool = False) -> None:
    """Where the server listens, its database and its broker; the demo picks a free broker port."""
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


def add_log_settings(parser: argparse.ArgumentParser) -> None:
    """How the server's log lines read (queue_server.cli.logs), and from which level up: one
    definition for ``serve`` and ``demo``."""
    add_setting(
        parser,
        "--log-format",
        env="ONEWINDOW_LOG_FORMAT",
        default="text",
        parse=choice_of(("text", "json")),
        help="text: each line's message; json: one JSON object a line with time, level, logger, message and"
        " the request id, centre, window and actor of the action it belongs to",
        metavar="text|json",
    )
    add_setting(
        parser,
        "--log-level",
        env="ONEWINDOW_LOG_LEVEL",
        default="warning",
        parse=choice_of(LOG_LEVELS),
        help="write log lines from this level up: " + ", ".join(LOG_LEVELS),
        metavar="LEVEL",
    )


def run_demo(args: argparse.Namespace) -> int:
    """The demo hall in ./onewindow-data, until Ctrl-C."""
    import asyncio

    from queue_server.cli.demo_hall import DATA_FOLDER
    from queue_server.cli.demo_hall import run_demo as demo
    from queue_server.cli.logs import LogFormat, logging_as

    def work() -> None:
        with logging_as(LogFormat(args.log_format), args.log_level):
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

    return report_errors(f"sqlite:///{DATA_FOLDER}/onewindow.db", work)


def run_serve(args: argparse.Namespace) -> int:
    """The server on an initialised database, until a signal."""
    import asyncio

    from queue_server.cli.logs import LogFormat, logging_as
    from queue_server.cli.server import ServerSettings, serve

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
        id_key_file=args.id_key_file,
        sms_config=args.sms_config,
    )

    def work() -> None:
        with logging_as(LogFormat(args.log_format), args.log_level):
            asyncio.run(
                serve(settings, ready=lambda base: print(f"OneWindow serves {base} (Ctrl-C stops it)", flush=True))
            )

    return report_errors(args.database_url, work)


def run_init(args: argparse.Namespace) -> int:
    """The database migrated to this version, then a centre file seeded, or diffed against it."""
    import asyncio

    from queue_server.cli.database import command_line_actor
    from queue_server.cli.initialise import load_centre_into, migrate
    from queue_server.config.centre_file import load_centre, load_demo_centre
    from queue_server.store.database import Database

    async def initialise() -> None:
        async with Database(args.database_url) as db:
            await migrate(db, print, rolling=not args.instances_stopped)
            if args.centre is None and not args.demo:
                print("No centre file given: the database is ready. Load one with --centre FILE (or --demo).")
                return
            centre = load_centre(args.centre) if args.centre is not None else load_demo_centre()
            await load_centre_into(db, centre, apply=args.apply, say=print, by=command_line_actor())

    def work() -> None:
        from queue_server.config.centre_file import CentreFileError
        from queue_server.store.seed import CentreChangeRefused

        try:
            asyncio.run(initialise())
        except (CentreFileError, CentreChangeRefused) as error:
            raise CommandError(str(error)) from None

    return report_errors(args.database_url, work)
