"""`onewindow mqtt-config`: credentials kept in the database, Mosquitto files, and a real Mosquitto
that enforces them.

The enforcement tests cannot pass by saying nothing: each denied publish sits beside an allowed
one from the same client that the server's subscription does see, and each denied read beside an
allowed one that the device does receive.
"""

from __future__ import annotations

import asyncio
import base64
import json
import stat
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import aiomqtt
import pytest
from alembic import command
from sqlalchemy import inspect, select, update

from queue_server import cli
from queue_server.bus import mqtt_config
from queue_server.bus.acl import (
    DEFAULT_SERVER_USER,
    Access,
    Account,
    Grant,
    device_grants,
    filter_covers,
    read_password_file,
    render_password_file,
    topic_matches,
)
from queue_server.bus.broker import HallBroker
from queue_server.bus.mqtt_config import server_account
from queue_server.bus.passwords import PasswordHashError, hash_password, new_password, parse_hash, verify_password
from queue_server.cli import mqtt as cli_mqtt
from queue_server.domain.centre import Device
from queue_server.protocol.topics import (
    DEVICE_AVAILABILITY,
    DEVICE_REQUEST,
    DEVICE_RESPONSE,
    HALL_FEED,
    OFFLINE,
    PAD_STATE,
    PRINTER_JOB,
    PRINTER_STATE,
    ROOT,
    SERVER_AVAILABILITY,
    TOPICS,
    WINDOW_CALL,
    WINDOW_STATE,
    Publisher,
    TopicError,
    TopicPattern,
    match_topic,
)
from queue_server.store.database import Database, utcnow
from queue_server.store.migrate import alembic_config, head_revision, upgrade
from queue_server.store.schema import centres, device_credentials
from queue_server.store.seed import create_centre
from tests.brokers import Mosquitto, vanish_after_connect
from tests.factories import centre_data, make_centre

DEVICES = [
    {"id": "pad-1", "kind": "pad", "window": 1},
    {"id": "pad-2", "kind": "pad", "window": 2},
    {"id": "keypad-1", "kind": "keypad", "window": 1},
    {"id": "keypad-2", "kind": "keypad", "window": 2},
    {"id": "printer-1", "kind": "printer"},
    {"id": "kiosk-1", "kind": "kiosk", "printer": "printer-1"},
    {"id": "display-3", "kind": "display", "window": 3},
    {"id": "board", "kind": "display"},
]
USERNAMES = [f"test.{device['id']}" for device in DEVICES]

MOSQUITTO_PASSWD_LINE = (
    "alice:$7$101$3Gq3aVafeduACP6V$539Wxbvd88j9KwVLZ6pnpK1gLTJJ0oWDXr7fehWLKIHtaIB688hRQvJdoCYMjuHvNs/"
    "dEBSAvBZA5JhkoGpFcA=="
)
"""Made by `mosquitto_passwd -b FILE alice secret` (Mosquitto 2.0.11)."""


# --- Passwords in Mosquitto's format -------------------------------------------------------------


def test_a_hash_made_by_mosquitto_passwd_verifies() -> None:
    password_hash = read_password_file(MOSQUITTO_PASSWD_LINE)["alice"]
    assert verify_password("secret", password_hash)
    assert not verify_password("Secret", password_hash)


def test_our_hash_is_byte_for_byte_mosquitto_passwd_given_its_salt() -> None:
    password_hash = read_password_file(MOSQUITTO_PASSWD_LINE)["alice"]
    salt = base64.b64decode(password_hash.split("$")[3])
    assert hash_password("secret", salt=salt) == password_hash


def test_each_hash_has_its_own_salt_and_each_password_is_new() -> None:
    first, second = hash_password("same"), hash_password("same")
    assert first != second
    assert verify_password("same", first) and verify_password("same", second)
    iterations, salt, digest = parse_hash(first)
    assert (iterations, len(salt), len(digest)) == (101, 12, 64)
    passwords = {new_password() for _ in range(50)}
    assert len(passwords) == 50
    assert all(len(password) == 24 and ":" not in password for password in passwords)


@pytest.mark.parametrize(
    "bad", ["", "secret", "$6$salt$hash", "$7$x$AAAA$BBBB", "$7$101$!!$AAAA", "$7$101$AAAAAAAAAAAAAAAA$AAAA"]
)
def test_a_malformed_hash_is_named_in_the_error(bad: str) -> None:
    with pytest.raises(PasswordHashError, match=r"^Cannot read password hash "):
        parse_hash(bad)


# --- Topic filters and ACL rules ------------------------------------------------------------------


def test_a_filter_fixes_the_parts_given_and_leaves_the_others_open() -> None:
    assert DEVICE_REQUEST.filter("demo", kind="pad", device="pad-3") == "onewindow/demo/pad/pad-3/request/+"
    assert DEVICE_REQUEST.filter("demo") == "onewindow/demo/+/+/request/+"
    assert WINDOW_CALL.filter() == "onewindow/+/window/+/call"
    with pytest.raises(TopicError, match="Cannot use 'pad/3' as the device of a device_request filter"):
        DEVICE_REQUEST.filter("demo", kind="pad", device="pad/3")
    with pytest.raises(TopicError, match=r"Cannot filter window_call: unknown parts \['device'\]"):
        WINDOW_CALL.filter("demo", device="pad-1")


def grants_of(device: dict[str, object]) -> set[tuple[str, str]]:
    return {(grant.access.value, grant.topic) for grant in device_grants("test", Device.model_validate(device))}


def test_a_pad_writes_its_own_requests_and_reads_what_it_shows() -> None:
    assert grants_of({"id": "pad-1", "kind": "pad", "window": 1}) == {
        ("write", "onewindow/test/pad/pad-1/request/+"),
        ("write", "onewindow/test/pad/pad-1/availability"),
        ("read", "onewindow/test/pad/pad-1/response/+"),
        ("read", "onewindow/test/server/availability"),
        ("read", "onewindow/test/server/protocol"),
        ("read", "onewindow/test/hall/summary"),
        ("read", "onewindow/test/hall/calls"),
        ("read", "onewindow/test/hall/feed"),
        ("read", "onewindow/test/window/1/state"),
        ("read", "onewindow/test/window/1/call"),
        ("read", "onewindow/test/pad/pad-1/state"),
    }


def test_a_printer_also_writes_its_state_and_reads_its_jobs() -> None:
    grants = grants_of({"id": "printer-1", "kind": "printer"})
    assert ("write", PRINTER_STATE.build("test", device="printer-1")) in grants
    assert ("read", PRINTER_JOB.build("test", device="printer-1")) in grants
    assert not any("/window/" in topic for _, topic in grants)


def test_the_hall_board_reads_every_window_and_a_window_display_only_its_own() -> None:
    board = grants_of({"id": "board", "kind": "display"})
    assert {("read", WINDOW_STATE.filter("test")), ("read", WINDOW_CALL.filter("test"))} <= board
    window = grants_of({"id": "display-3", "kind": "display", "window": 3})
    assert ("read", WINDOW_CALL.build("test", number=3)) in window
    assert ("read", WINDOW_CALL.filter("test")) not in window


def sample(topic_filter: str) -> str:
    """A concrete topic a filter matches (``1`` is a valid window number, device id and request name)."""
    return topic_filter.replace("+", "1")


@pytest.mark.parametrize("device", DEVICES, ids=[str(device["id"]) for device in DEVICES])
def test_a_device_writes_only_device_topics_under_its_own_id_and_reads_only_server_topics(
    device: dict[str, object],
) -> None:
    for access, topic in grants_of(device):
        found = match_topic(sample(topic))
        assert found is not None, topic
        pattern, parts = found
        if access == "write":
            assert pattern.publisher is Publisher.DEVICE, topic
            assert parts.get("device") == device["id"], topic
        else:
            assert pattern.publisher is Publisher.SERVER, topic


def pattern_of(topic_filter: str) -> TopicPattern:
    found = match_topic(sample(topic_filter))
    assert found is not None, topic_filter
    return found[0]


def test_every_device_topic_of_the_protocol_is_writable_by_some_device() -> None:
    written = {pattern_of(topic).name for device in DEVICES for access, topic in grants_of(device) if access == "write"}
    assert written == {pattern.name for pattern in TOPICS if pattern.publisher is Publisher.DEVICE}


@pytest.mark.parametrize(
    ("topic", "topic_filter", "matches"),
    [
        ("onewindow/demo/window/3/call", "onewindow/demo/window/3/call", True),
        ("onewindow/demo/window/3/call", "onewindow/demo/window/+/call", True),
        ("onewindow/demo/window/3/call", "onewindow/#", True),
        ("onewindow/demo/window/3/call", "onewindow/demo/window/+", False),
        ("onewindow/demo/window/3", "onewindow/demo/window/+/call", False),
        ("onewindow/other/window/3/call", "onewindow/demo/window/+/call", False),
    ],
)
def test_topic_matches(topic: str, topic_filter: str, matches: bool) -> None:
    assert topic_matches(topic, topic_filter) is matches


@pytest.mark.parametrize(
    ("granted", "requested", "covers"),
    [
        ("onewindow/demo/window/+/call", "onewindow/demo/window/3/call", True),
        ("onewindow/demo/window/+/call", "onewindow/demo/window/+/call", True),
        ("onewindow/#", "onewindow/demo/#", True),
        ("onewindow/demo/window/3/call", "onewindow/demo/window/+/call", False),
        ("onewindow/demo/window/+/call", "onewindow/#", False),
        ("onewindow/demo/window/+/call", "onewindow/demo/window/#", False),
        ("onewindow/demo/pad/pad-1/response/+", "onewindow/demo/pad/pad-2/response/+", False),
        ("onewindow/demo/hall/feed", "onewindow/demo/hall/feed/more", False),
    ],
)
def test_a_granted_filter_covers_only_narrower_subscriptions(granted: str, requested: str, covers: bool) -> None:
    assert filter_covers(granted, requested) is covers


def test_a_username_with_a_colon_cannot_enter_a_password_file() -> None:
    with pytest.raises(ValueError, match="Cannot write MQTT username 'a:b'"):
        render_password_file([Account("a:b", hash_password("x"), (Grant(Access.READ, "onewindow/#"),))])


def test_the_cli_default_server_user_is_the_acl_modules() -> None:
    assert cli_mqtt.DEFAULT_MQTT_SERVER_USER == DEFAULT_SERVER_USER


# --- The schema --------------------------------------------------------------------------------


async def tables(db: Database) -> list[str]:
    async with db.read() as conn:
        return await conn.run_sync(lambda c: inspect(c).get_table_names())


async def test_migration_0002_goes_down_and_up_again(db: Database) -> None:
    assert "device_credentials" in await tables(db)
    async with db.write() as conn:
        await conn.run_sync(lambda c: command.downgrade(alembic_config(c), "0001"))
    assert "device_credentials" not in await tables(db)
    assert await upgrade(db) == ("0001", head_revision())
    assert "device_credentials" in await tables(db)


# --- Credentials in the database, files on disk ---------------------------------------------------


async def seed(db: Database, devices: list[dict[str, object]] = DEVICES) -> None:
    async with db.write() as conn:
        await create_centre(conn, make_centre(devices=devices), utcnow())


async def set_devices(db: Database, devices: list[dict[str, object]]) -> None:
    config = make_centre(devices=devices).model_dump(mode="json")
    async with db.write() as conn:
        await conn.execute(update(centres).where(centres.c.code == "test").values(config=config))


async def generate(db: Database, settings: mqtt_config.Settings) -> mqtt_config.Result:
    async with db.write() as conn:
        return await mqtt_config.generate(conn, settings, utcnow())


async def stored(db: Database) -> dict[str, str]:
    c = device_credentials.c
    async with db.read() as conn:
        rows = await conn.execute(select(c.device, c.password_hash))
        return {row.device: row.password_hash for row in rows}


async def test_each_device_gets_a_password_whose_hash_alone_is_stored(db: Database, tmp_path: Path) -> None:
    await seed(db)
    settings = mqtt_config.Settings(output_dir=tmp_path / "mosquitto")
    result = await generate(db, settings)
    hashes = await stored(db)
    assert set(hashes) == {device["id"] for device in DEVICES}
    assert set(result.new_passwords["test"]) == set(hashes)
    for device, password in result.new_passwords["test"].items():
        assert verify_password(password, hashes[device])
        assert password not in hashes[device]
    written = read_password_file((tmp_path / "mosquitto" / "passwords").read_text())
    assert list(written) == [DEFAULT_SERVER_USER, *USERNAMES]
    assert all(written[f"test.{device}"] == hashes[device] for device in hashes)
    assert result.server.new_password is not None
    assert verify_password(result.server.new_password, written[DEFAULT_SERVER_USER])
    assert stat.S_IMODE((tmp_path / "mosquitto" / "passwords").stat().st_mode) == 0o600
    assert (tmp_path / "mosquitto" / "acl").read_text().count("\nuser ") == len(DEVICES) + 1


async def test_a_second_run_keeps_every_password_and_adds_new_devices(db: Database, tmp_path: Path) -> None:
    await seed(db)
    settings = mqtt_config.Settings(output_dir=tmp_path / "mosquitto")
    await generate(db, settings)
    before, passwords_file = await stored(db), (tmp_path / "mosquitto" / "passwords").read_text()

    again = await generate(db, settings)
    assert (again.new_passwords, again.kept, again.server.new_password) == ({}, len(DEVICES), None)
    assert await stored(db) == before
    assert (tmp_path / "mosquitto" / "passwords").read_text() == passwords_file

    await set_devices(db, [*DEVICES, {"id": "pad-9", "kind": "pad", "window": 9}])
    third = await generate(db, settings)
    assert list(third.new_passwords["test"]) == ["pad-9"]
    after = await stored(db)
    assert {device: after[device] for device in before} == before
    assert read_password_file((tmp_path / "mosquitto" / "passwords").read_text())["test.pad-9"] == after["pad-9"]


async def test_a_device_that_left_the_registry_loses_its_credentials(db: Database, tmp_path: Path) -> None:
    await seed(db)
    settings = mqtt_config.Settings(output_dir=tmp_path / "mosquitto")
    await generate(db, settings)
    await set_devices(db, [device for device in DEVICES if device["id"] != "pad-2"])
    result = await generate(db, settings)
    assert result.removed == ("test.pad-2",)
    assert "pad-2" not in await stored(db)
    assert "test.pad-2" not in read_password_file((tmp_path / "mosquitto" / "passwords").read_text())
    acl = (tmp_path / "mosquitto" / "acl").read_text()
    assert "test.pad-2" not in acl
    assert "/pad/pad-2/" not in acl


async def test_the_hall_broker_gets_the_stored_accounts_of_registered_devices(db: Database, tmp_path: Path) -> None:
    await seed(db)
    await generate(db, mqtt_config.Settings(output_dir=tmp_path))
    async with db.read() as conn:
        accounts = await mqtt_config.stored_accounts(conn)
    assert [account.username for account in accounts] == USERNAMES
    pad = accounts[0]
    assert pad.password_hash == (await stored(db))["pad-1"]
    assert pad.grants == device_grants("test", Device.model_validate(DEVICES[0]))


async def test_the_server_password_comes_from_its_file_and_is_made_there_when_missing(
    db: Database, tmp_path: Path
) -> None:
    await seed(db)
    password_file = tmp_path / "server-password"
    settings = mqtt_config.Settings(output_dir=tmp_path / "out", server_password_file=password_file)
    first = await generate(db, settings)
    assert first.server.new_password is None
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    password = password_file.read_text().strip()
    server_hash = read_password_file((tmp_path / "out" / "passwords").read_text())[DEFAULT_SERVER_USER]
    assert verify_password(password, server_hash)
    await generate(db, settings)
    assert read_password_file((tmp_path / "out" / "passwords").read_text())[DEFAULT_SERVER_USER] == server_hash
    password_file.write_text("a-new-server-password\n")
    await generate(db, settings)
    changed = read_password_file((tmp_path / "out" / "passwords").read_text())[DEFAULT_SERVER_USER]
    assert verify_password("a-new-server-password", changed)


# --- The command line ---------------------------------------------------------------------------


def initialised(tmp_path: Path, devices: list[dict[str, object]] = DEVICES) -> str:
    url = f"sqlite:///{tmp_path / 'hall.db'}"
    assert cli.main(["init", "--database-url", url]) == 0

    async def add() -> None:
        async with Database(url) as db:
            await seed(db, devices)

    asyncio.run(add())
    return url


def test_the_command_prints_new_passwords_once_and_the_mosquitto_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = initialised(tmp_path)
    capsys.readouterr()
    out_dir = tmp_path / "mosquitto"
    assert cli.main(["mqtt-config", "--database-url", url, "--output-dir", str(out_dir)]) == 0
    out = capsys.readouterr().out
    assert f"{len(DEVICES)} device accounts ({len(DEVICES)} new, 0 kept)" in out
    assert "shown only this once" in out
    for username in [DEFAULT_SERVER_USER, *USERNAMES]:
        assert f"\n  {username} " in out
    assert f"  password_file {(out_dir / 'passwords').resolve()}\n" in out
    assert f"  acl_file {(out_dir / 'acl').resolve()}" in out

    assert cli.main(["mqtt-config", "--database-url", url, "--output-dir", str(out_dir)]) == 0
    again = capsys.readouterr().out
    assert f"(0 new, {len(DEVICES)} kept)" in again
    assert "kept its password" in again
    assert "shown only this once" not in again


def test_with_secrets_the_passwords_go_to_a_private_json_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = initialised(tmp_path)
    secrets = tmp_path / "secrets.json"
    argv = ["mqtt-config", "--database-url", url, "--output-dir", str(tmp_path / "out"), "--secrets", str(secrets)]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    saved = json.loads(secrets.read_text())
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    assert set(saved) == {"test", mqtt_config.SERVER_KEY}
    assert set(saved["test"]) == {device["id"] for device in DEVICES}
    assert list(saved[mqtt_config.SERVER_KEY]) == [DEFAULT_SERVER_USER]
    assert f"New passwords are in {secrets}" in out
    assert not any(password in out for password in saved["test"].values())


def test_the_command_refuses_a_database_that_was_not_initialised(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    assert cli.main(["mqtt-config", "--database-url", url, "--output-dir", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "run `onewindow init` first" in err
    assert "Traceback" not in err


def test_an_empty_server_password_file_is_an_error_that_names_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = initialised(tmp_path)
    empty = tmp_path / "server-password"
    empty.write_text("\n")
    argv = ["mqtt-config", "--database-url", url, "--output-dir", str(tmp_path), "--server-password-file", str(empty)]
    assert cli.main(argv) == 1
    assert f"Cannot read the server's password from {empty}: its first line is empty" in capsys.readouterr().err
    assert asyncio.run(_stored_at(url)) == {}  # rolled back: no hash whose password nobody saw


@pytest.mark.parametrize("user", ["", "server:1", "on window", "server/#"])
def test_a_server_username_that_a_broker_file_cannot_hold_is_refused(
    user: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = initialised(tmp_path)
    argv = ["mqtt-config", "--database-url", url, "--output-dir", str(tmp_path / "out"), "--server-user", user]
    assert cli.main(argv) == 1
    assert f"Cannot use {user!r} as the server's MQTT username" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


async def _stored_at(url: str) -> dict[str, str]:
    async with Database(url) as db:
        return await stored(db)


# --- The rules enforced: a Mosquitto with the written files, the hall's broker with the stored accounts ---

V311 = aiomqtt.ProtocolVersion.V311
EVERYTHING = f"{ROOT}/#"
QUIET_S = 1.0
"""How long a subscriber listens for what must not arrive."""


@dataclass
class Hall:
    kind: str
    host: str
    port: int
    passwords: dict[str, str]
    """Username -> plain password, the server's included."""
    log: Callable[[], str]

    def client(self, username: str, password: str | None = None, identifier: str | None = None) -> aiomqtt.Client:
        return aiomqtt.Client(
            self.host,
            self.port,
            identifier=identifier or f"{username}-client",
            username=username,
            password=self.passwords[username] if password is None else password,
            protocol=V311,
            timeout=5,
        )


def configure(tmp_path: Path, url: str) -> dict[str, str]:
    """Run the command as a person would; the plain passwords it wrote to its secrets file."""
    secrets = tmp_path / "secrets.json"
    server_password = tmp_path / "server-password"
    argv = [
        "mqtt-config", "--database-url", url, "--output-dir", str(tmp_path / "mosquitto"),
        "--secrets", str(secrets), "--server-password-file", str(server_password),
    ]  # fmt: skip
    assert cli.main(argv) == 0
    saved = json.loads(secrets.read_text())
    return {
        DEFAULT_SERVER_USER: server_password.read_text().strip(),
        **{f"{centre}.{device}": password for centre, devices in saved.items() for device, password in devices.items()},
    }


async def prepared(tmp_path: Path) -> tuple[str, dict[str, str]]:
    """An initialised hall database with the devices, configured: its URL and every plain password."""
    url = await asyncio.to_thread(initialised, tmp_path)
    return url, await asyncio.to_thread(configure, tmp_path, url)


@pytest.fixture(params=["mosquitto", "hall"])
async def hall(
    request: pytest.FixtureRequest, tmp_path: Path, mosquitto_with: Callable[[Path, Path], Mosquitto]
) -> AsyncIterator[Hall]:
    """The configured hall behind Mosquitto with the written files, or the hall's broker with the stored accounts."""
    url, passwords = await prepared(tmp_path)
    if request.param == "mosquitto":
        broker = mosquitto_with(tmp_path / "mosquitto" / "passwords", tmp_path / "mosquitto" / "acl")
        yield Hall("mosquitto", broker.host, broker.port, passwords, broker.log)
        return
    async with Database(url) as db, db.read() as conn:
        accounts = [*await mqtt_config.stored_accounts(conn), server_account(passwords[DEFAULT_SERVER_USER])]
    hashes = {account.username: account.password_hash for account in accounts}
    grants = {account.username: account.grants for account in accounts}
    async with HallBroker(port=0, passwords=hashes, grants=grants) as own:
        yield Hall("hall", own.host, own.port, passwords, lambda: "")


async def collect(subscriber: aiomqtt.Client, seconds: float = QUIET_S) -> list[tuple[str, bytes]]:
    """Every message the subscriber gets within ``seconds``."""
    seen: list[tuple[str, bytes]] = []
    try:
        async with asyncio.timeout(seconds):
            async for message in subscriber.messages:
                assert isinstance(message.payload, bytes)
                seen.append((str(message.topic), message.payload))
    except TimeoutError:
        pass
    return seen


async def subscribe_each(subscriber: aiomqtt.Client, topics: list[str]) -> None:
    """One subscription per topic, so a refused one does not hide an allowed one."""
    for topic in topics:
        await subscriber.subscribe(topic, qos=1)


async def test_anonymous_and_wrong_passwords_are_refused(hall: Hall) -> None:
    for username, password in [("test.pad-1", "wrong"), ("test.nobody", "x"), (DEFAULT_SERVER_USER, "wrong")]:
        with pytest.raises(aiomqtt.MqttCodeError, match="Not authorized"):
            async with hall.client(username, password):
                pass
    with pytest.raises(aiomqtt.MqttCodeError, match="Not authorized"):
        async with aiomqtt.Client(hall.host, hall.port, identifier="anonymous", protocol=V311):
            pass
    async with hall.client("test.pad-1"):  # the right password does connect
        pass


async def test_a_pad_cannot_call_at_its_window_nor_request_as_another_device(hall: Hall) -> None:
    forged = [
        WINDOW_CALL.build("test", number=1),
        WINDOW_STATE.build("test", number=1),
        HALL_FEED.build("test"),
        SERVER_AVAILABILITY.build("test"),
        DEVICE_REQUEST.build("test", kind="pad", device="pad-2", what="rating"),
        DEVICE_REQUEST.build("test", kind="keypad", device="keypad-1", what="next"),
        DEVICE_RESPONSE.build("test", kind="pad", device="pad-1", what="rating"),
        DEVICE_AVAILABILITY.build("test", kind="pad", device="pad-2"),
        DEVICE_REQUEST.build("other", kind="pad", device="pad-1", what="rating"),
    ]
    own = [
        DEVICE_REQUEST.build("test", kind="pad", device="pad-1", what="rating"),
        DEVICE_AVAILABILITY.build("test", kind="pad", device="pad-1"),
    ]
    async with hall.client(DEFAULT_SERVER_USER) as server, hall.client("test.pad-1") as pad:
        await server.subscribe(EVERYTHING, qos=1)
        for topic in forged:
            await pad.publish(topic, b"forged", qos=1)
        for topic in own:
            await pad.publish(topic, b"mine", qos=1)
        seen = await collect(server)
    assert seen == [(topic, b"mine") for topic in own]
    if hall.kind == "mosquitto":
        assert hall.log().count("Denied PUBLISH from test.pad-1-client") == len(forged)


async def test_a_keypad_requests_as_itself_but_not_as_another_keypad(hall: Hall) -> None:
    mine = DEVICE_REQUEST.build("test", kind="keypad", device="keypad-1", what="next")
    theirs = DEVICE_REQUEST.build("test", kind="keypad", device="keypad-2", what="next")
    async with hall.client(DEFAULT_SERVER_USER) as server, hall.client("test.keypad-1") as keypad:
        await server.subscribe(DEVICE_REQUEST.filter("test"), qos=1)
        await keypad.publish(theirs, b'{"id":"forged"}', qos=1)
        await keypad.publish(mine, b'{"id":"k1-1"}', qos=1)
        seen = await collect(server)
    assert seen == [(mine, b'{"id":"k1-1"}')]


async def test_a_last_will_cannot_forge_a_call(hall: Hall) -> None:
    call = WINDOW_CALL.build("test", number=1)
    availability = DEVICE_AVAILABILITY.build("test", kind="keypad", device="keypad-1")
    credentials = {"username": "test.keypad-1", "password": hall.passwords["test.keypad-1"]}
    async with hall.client(DEFAULT_SERVER_USER) as server:
        await server.subscribe(EVERYTHING, qos=1)
        # Mosquitto accepts the connection and drops the will.
        await vanish_after_connect(hall.host, hall.port, "forger", will_topic=call, will_payload=b"A999", **credentials)
        accepted = await vanish_after_connect(
            hall.host, hall.port, "keypad-1", will_topic=availability, will_payload=OFFLINE.encode(), **credentials
        )
        seen = await collect(server)
    assert accepted
    assert seen == [(availability, OFFLINE.encode())]


async def test_a_pad_reads_its_own_responses_and_window_but_nothing_of_other_devices(hall: Hall) -> None:
    shown = [
        DEVICE_RESPONSE.build("test", kind="pad", device="pad-1", what="rating"),
        WINDOW_CALL.build("test", number=1),
        PAD_STATE.build("test", device="pad-1"),
        HALL_FEED.build("test"),
    ]
    hidden = [
        DEVICE_RESPONSE.build("test", kind="pad", device="pad-2", what="rating"),
        DEVICE_RESPONSE.build("test", kind="keypad", device="keypad-1", what="next"),
        WINDOW_CALL.build("test", number=2),
        PAD_STATE.build("test", device="pad-2"),
        PRINTER_JOB.build("test", device="printer-1"),
        DEVICE_REQUEST.build("test", kind="keypad", device="keypad-1", what="next"),
    ]
    async with hall.client(DEFAULT_SERVER_USER) as server, hall.client("test.pad-1") as pad:
        await subscribe_each(pad, [EVERYTHING, WINDOW_CALL.filter("test"), *hidden, *shown])
        for topic in hidden + shown:
            await server.publish(topic, b"x", qos=1)
        seen = await collect(pad)
    assert sorted(topic for topic, _ in seen) == sorted(shown)


async def test_a_retained_state_of_another_window_stays_hidden(hall: Hall) -> None:
    mine, theirs = WINDOW_STATE.build("test", number=1), WINDOW_STATE.build("test", number=2)
    async with hall.client(DEFAULT_SERVER_USER) as server:
        await server.publish(theirs, b"2", qos=1, retain=True)
        await server.publish(mine, b"1", qos=1, retain=True)
    async with hall.client("test.pad-1") as pad:
        await subscribe_each(pad, [EVERYTHING, WINDOW_STATE.filter("test"), theirs, mine])
        seen = await collect(pad)
    assert set(seen) == {(mine, b"1")}  # Mosquitto sends it once per matching subscription


async def test_the_hall_board_sees_every_call_and_a_printer_only_its_jobs(hall: Hall) -> None:
    calls = [WINDOW_CALL.build("test", number=number) for number in (1, 2, 9)]
    job, other_job = PRINTER_JOB.build("test", device="printer-1"), PRINTER_JOB.build("test", device="printer-2")
    async with (
        hall.client(DEFAULT_SERVER_USER) as server,
        hall.client("test.board") as board,
        hall.client("test.printer-1") as printer,
    ):
        await board.subscribe(WINDOW_CALL.filter("test"), qos=1)
        await subscribe_each(printer, [EVERYTHING, PRINTER_JOB.filter("test"), other_job, job])
        for topic in [*calls, other_job, job]:
            await server.publish(topic, b"x", qos=1)
        board_seen, printer_seen = await asyncio.gather(collect(board), collect(printer))
    assert [topic for topic, _ in board_seen] == calls
    assert [topic for topic, _ in printer_seen] == [job]


def sample_topic(pattern: TopicPattern) -> str:
    values = {"number": 1, "kind": "pad", "device": "pad-1", "what": "rating", "instance": "a1b2c3"}
    return pattern.build("test", **{name: values[name] for name in pattern.placeholders})


async def test_the_server_account_writes_and_reads_every_topic(hall: Hall) -> None:
    topics = [sample_topic(pattern) for pattern in TOPICS]
    async with (
        hall.client(DEFAULT_SERVER_USER) as server,
        hall.client(DEFAULT_SERVER_USER, identifier="another-instance") as other_instance,
    ):
        await other_instance.subscribe(EVERYTHING, qos=1)
        for topic in topics:
            await server.publish(topic, b"x", qos=1)
        seen = await collect(other_instance)
    assert [topic for topic, _ in seen] == topics


async def test_after_a_second_run_old_passwords_still_work_and_new_devices_connect(
    tmp_path: Path, mosquitto_with: Callable[[Path, Path], Mosquitto]
) -> None:
    url, passwords = await prepared(tmp_path)
    broker = mosquitto_with(tmp_path / "mosquitto" / "passwords", tmp_path / "mosquitto" / "acl")
    async with Database(url) as db:
        await set_devices(db, [*DEVICES, {"id": "keypad-9", "kind": "keypad", "window": 9}])
    (tmp_path / "secrets.json").unlink()
    added = await asyncio.to_thread(configure, tmp_path, url)
    assert set(added) == {DEFAULT_SERVER_USER, "test.keypad-9"}
    assert added[DEFAULT_SERVER_USER] == passwords[DEFAULT_SERVER_USER]
    broker.stop()  # Mosquitto reads the files again when it starts (a reload in production)
    broker.start()
    hall = Hall("mosquitto", broker.host, broker.port, {**passwords, **added}, broker.log)
    request = DEVICE_REQUEST.build("test", kind="keypad", device="keypad-9", what="next")
    async with (
        hall.client(DEFAULT_SERVER_USER) as server,
        hall.client("test.pad-1"),
        hall.client("test.keypad-9") as k9,
    ):
        await server.subscribe(DEVICE_REQUEST.filter("test"), qos=1)
        await k9.publish(request, b"{}", qos=1)
        seen = await collect(server)
    assert [topic for topic, _ in seen] == [request]


def test_centre_data_keeps_the_test_windows() -> None:
    """The tests above rely on windows 1, 2, 3 and 9 of the factory's centre."""
    assert [window["number"] for window in centre_data()["windows"]] == [1, 2, 3, 9]
