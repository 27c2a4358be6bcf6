"""Accounts: argon2id passwords, bearer tokens, roles scoped to centres, the demo's accounts, the CLI.

Database tests run on SQLite and PostgreSQL (the ``seeded_db`` fixture); the command line is
tested on a SQLite file, as a person would run it.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import sys
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Table, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from queue_server import cli
from queue_server.auth.accounts import (
    ACTION_ROLES,
    LOGIN_ROLES,
    AccountError,
    Action,
    DemoAccounts,
    Principal,
    Role,
    add_token,
    add_user,
    allowed,
    authenticate_token,
    check_password,
    ensure_demo_accounts,
    hash_password,
    list_users,
    revoke_token,
    verify_login,
    verify_password,
)
from queue_server.cli import accounts as cli_accounts
from queue_server.store.database import Database, utcnow
from queue_server.store.migrate import upgrade
from queue_server.store.schema import tokens, users
from queue_server.store.seed import create_centre
from tests.factories import make_centre

T = TypeVar("T")
GOOD = "correct horse battery"


def principal(
    role: Role, subject: str = "x", centres: tuple[str, ...] = ("test",), staff: str | None = None
) -> Principal:
    return Principal(role=role, subject=subject, centres=centres, staff_code=staff, via="token", user_id=None)


async def in_write(db: Database, action: Callable[[AsyncConnection], Awaitable[T]]) -> T:
    async with db.write() as conn:
        return await action(conn)


async def count(db: Database, table: Table) -> int:
    async with db.read() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table)) or 0)


# --- Passwords ---------------------------------------------------------------------------------


def test_hashes_are_argon2id_with_at_least_64_mib_and_verify() -> None:
    hashed = hash_password(GOOD)
    assert hashed.startswith("$argon2id$v=19$m=")
    memory = int(hashed.split("$")[3].split(",")[0].removeprefix("m="))
    assert memory >= 65536, "memory-hard: at least 64 MiB per hash"
    assert verify_password(hashed, GOOD)
    assert hashed != hash_password(GOOD), "a fresh salt each time"


def test_a_wrong_password_or_a_broken_hash_does_not_verify() -> None:
    hashed = hash_password(GOOD)
    assert not verify_password(hashed, "correct horse battery!")
    assert not verify_password("not a hash", GOOD)


@pytest.mark.parametrize(
    ("password", "words"),
    [
        ("short", "it has 5 characters; use at least 8"),
        ("aaaaaaaaaaaa", "it repeats one character"),
        ("12345678", "a plain run of letters or digits"),
        ("hgfedcba", "a plain run of letters or digits"),
        ("Password1", "among the first ones guessed"),
        ("wang.fang2024", "contains the username"),
        ("x" * 1024 + "y", "use at most 1024"),
    ],
)
def test_obviously_bad_passwords_are_refused_saying_why(password: str, words: str) -> None:
    with pytest.raises(AccountError, match=r"^Cannot use this password: ") as caught:
        check_password(password, username="wang.fang")
    assert words in str(caught.value)


def test_a_reasonable_password_passes() -> None:
    check_password("黄鹤楼 2026 春", username="wang.fang")
    check_password("xs2Y9qpLmw", username="s2")  # a short username may turn up by chance


# --- Roles and permissions -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "actor"),
    [
        (principal(Role.STAFF, "wang.fang", staff="s1"), "staff:s1"),
        (principal(Role.KIOSK, "k1"), "kiosk:k1"),
        (principal(Role.MANAGER, "wang"), "manager:wang"),
        (principal(Role.GUIDE, "desk1"), "guide:desk1"),
    ],
)
def test_the_actor_is_what_the_event_log_records(who: Principal, actor: str) -> None:
    assert who.actor == actor


def test_permissions_follow_the_role_and_the_centre() -> None:
    kiosk, guide = principal(Role.KIOSK), principal(Role.GUIDE)
    staff, manager = principal(Role.STAFF, staff="s1"), principal(Role.MANAGER)
    assert allowed(kiosk, "issue", "test") and allowed(guide, Action.ISSUE, "test")
    assert not allowed(kiosk, "issue", "other"), "a role acts only at its own centres"
    assert not allowed(staff, "issue", "test") and not allowed(manager, "issue", "test")
    assert allowed(staff, "window", "test") and not allowed(guide, "window", "test")
    assert allowed(guide, "requeue", "test") and allowed(guide, "cancel", "test")
    assert not allowed(kiosk, "cancel", "test")
    assert allowed(manager, "close_day", "test") and not allowed(staff, "close_day", "test")
    assert allowed(kiosk, "read", "test") and not allowed(principal(Role.DEVICE), "read", "test")
    supervisor = principal(Role.SUPERVISOR, centres=("test", "other"))
    assert allowed(supervisor, "read", "other") and not allowed(supervisor, "window", "test")


def test_an_unknown_action_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match=r"Unknown action 'call': use one of issue, window"):
        allowed(principal(Role.ADMIN), "call", "test")


def test_every_action_has_roles_and_the_cli_offers_the_same_roles() -> None:
    assert set(ACTION_ROLES) == set(Action)
    assert set(cli_accounts.LOGIN_ROLES) == LOGIN_ROLES
    assert set(cli_accounts.TOKEN_ROLES) == set(Role)


# --- Users ---------------------------------------------------------------------------------------


async def test_a_user_logs_in_with_the_right_password_only(seeded_db: Database) -> None:
    user_id = await in_write(
        seeded_db,
        lambda c: add_user(c, username="wang", password=GOOD, role="manager", centres=["test"], display_name="王"),
    )
    async with seeded_db.write() as conn:
        who = await verify_login(conn, " Wang ", GOOD)
        assert who == Principal(
            role=Role.MANAGER, subject="wang", centres=("test",), staff_code=None, via="password", user_id=user_id
        )
        assert who.actor == "manager:wang"
        assert await verify_login(conn, "wang", "correct horse batterY") is None
        assert await verify_login(conn, "nobody", GOOD) is None


async def test_a_disabled_user_cannot_log_in(seeded_db: Database) -> None:
    await in_write(seeded_db, lambda c: add_user(c, username="li", password=GOOD, role="guide", centres=["test"]))
    async with seeded_db.write() as conn:
        await conn.execute(update(users).where(users.c.username == "li").values(disabled=True))
        assert await verify_login(conn, "li", GOOD) is None


async def test_a_staff_account_acts_as_its_staff_member(seeded_db: Database) -> None:
    await in_write(
        seeded_db,
        lambda c: add_user(c, username="wang.fang", password=GOOD, role=Role.STAFF, centres=["test"], staff_code="s1"),
    )
    async with seeded_db.write() as conn:
        who = await verify_login(conn, "wang.fang", GOOD)
    assert who is not None and who.actor == "staff:s1" and who.staff_code == "s1"


async def test_a_supervisor_may_see_several_centres(seeded_db: Database) -> None:
    async with seeded_db.write() as conn:
        await create_centre(conn, make_centre(centre={"code": "other", "name": "另一个中心"}), utcnow())
        await add_user(conn, username="zhou", password=GOOD, role="supervisor", centres=["test", "other", "test"])
        who = await verify_login(conn, "zhou", GOOD)
    assert who is not None and who.centres == ("test", "other")
    assert who.may_see("other") and not who.may_see("third")


async def test_a_weaker_hash_is_replaced_at_login(seeded_db: Database) -> None:
    await in_write(seeded_db, lambda c: add_user(c, username="wang", password=GOOD, role="admin", centres=["test"]))
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(GOOD)
    async with seeded_db.write() as conn:
        await conn.execute(update(users).where(users.c.username == "wang").values(password_hash=weak))
        assert await verify_login(conn, "wang", GOOD) is not None
    async with seeded_db.read() as conn:
        stored = await conn.scalar(select(users.c.password_hash).where(users.c.username == "wang"))
    assert stored is not None and stored != weak and stored.startswith("$argon2id$v=19$m=65536")


async def test_list_users_shows_accounts_without_hashes(seeded_db: Database) -> None:
    async with seeded_db.write() as conn:
        await add_user(conn, username="zz", password=GOOD, role="guide", centres=["test"], display_name="导办")
        await add_user(conn, username="aa", password=GOOD, role="staff", centres=["test"], staff_code="s2")
        listed = await list_users(conn)
    assert [(u.username, u.role, u.centres, u.staff_code, u.disabled) for u in listed] == [
        ("aa", Role.STAFF, ("test",), "s2", False),
        ("zz", Role.GUIDE, ("test",), None, False),
    ]
    assert not hasattr(listed[0], "password_hash")


USER_REFUSALS = [
    ({"username": "Wang"}, "Cannot add user 'Wang': a username is 2 to 64 lower-case letters"),
    ({"username": "w"}, "Cannot add user 'w': a username is 2 to 64"),
    ({"role": "kiosk"}, "a kiosk never logs in; issue it a token with `onewindow user token`"),
    (
        {"role": "boss"},
        "there is no role 'boss' (one of: admin, manager, staff, guide, supervisor, kiosk, device, business, platform)",
    ),
    ({"centres": ["nowhere"]}, "there is no centre 'nowhere' (known: other, test)"),
    ({"centres": []}, "name the centre it belongs to"),
    ({"centres": ["test", "other"]}, "role manager is for one centre, not 2 (test, other); only a supervisor"),
    ({"role": "staff"}, "a staff account needs the staff code it signs on to windows as"),
    (
        {"role": "staff", "staff_code": "s99"},
        "centre 'test' has no staff member 's99' (its staff: s1, s2, s3, s9, s10)",
    ),
    ({"staff_code": "s1"}, "only a staff account has a staff code, and this one is manager"),
    ({"password": "11111111"}, "the password is not good enough: it repeats one character"),
    ({"username": "taken"}, "Cannot add user 'taken': the username is taken"),
    ({"role": "staff", "staff_code": "s3"}, "staff member 's3' of centre 'test' already has the account 'zhang'"),
]


@pytest.mark.parametrize(("change", "message"), USER_REFUSALS, ids=[m for _, m in USER_REFUSALS])
async def test_add_user_refuses_saying_what_and_why(
    seeded_db: Database, change: dict[str, object], message: str
) -> None:
    async with seeded_db.write() as conn:
        await create_centre(conn, make_centre(centre={"code": "other", "name": "另一个中心"}), utcnow())
        await add_user(conn, username="taken", password=GOOD, role="guide", centres=["test"])
        await add_user(conn, username="zhang", password=GOOD, role="staff", centres=["test"], staff_code="s3")
    arguments: dict[str, object] = {"username": "wang", "password": GOOD, "role": "manager", "centres": ["test"]}
    arguments.update(change)
    async with seeded_db.write() as conn:
        with pytest.raises(AccountError) as caught:
            await add_user(conn, **arguments)  # type: ignore[arg-type]
    assert message in str(caught.value)
    assert str(caught.value).startswith(f"Cannot add user {arguments['username']!r}: ")


# --- Tokens --------------------------------------------------------------------------------------


async def test_a_kiosk_token_round_trips_and_only_its_hash_is_stored(seeded_db: Database) -> None:
    async with seeded_db.write() as conn:
        token = await add_token(conn, label="east door", role="kiosk", centres=["test"], subject="k1")
    assert token.startswith("ow_") and len(token) > 40
    async with seeded_db.read() as conn:
        who = await authenticate_token(conn, token)
        stored = (await conn.execute(select(tokens.c.token_hash, tokens.c.label))).one()
    assert who == Principal(
        role=Role.KIOSK, subject="k1", centres=("test",), staff_code=None, via="token", user_id=None
    )
    assert who.actor == "kiosk:k1" and allowed(who, "issue", "test")
    assert tuple(stored) == (hashlib.sha256(token.encode()).hexdigest(), "east door")


@pytest.mark.parametrize("token", ["", "ow_", "Bearer ow_abc", "ow_" + "A" * 43, "x" * 5000])
async def test_an_unknown_or_malformed_token_is_nobody(seeded_db: Database, token: str) -> None:
    async with seeded_db.read() as conn:
        assert await authenticate_token(conn, token) is None


async def test_a_revoked_token_stops_working(seeded_db: Database) -> None:
    async with seeded_db.write() as conn:
        first = await add_token(conn, label="desk", role="guide", centres=["test"], subject="desk1")
        second = await add_token(conn, label="desk", role="guide", centres=["test"], subject="desk2")
        second_id = (await conn.execute(select(tokens.c.id).where(tokens.c.subject == "desk2"))).scalar_one()
        await revoke_token(conn, first)
        await revoke_token(conn, first)  # twice changes nothing
        await revoke_token(conn, int(second_id))
        assert await authenticate_token(conn, first) is None
        assert await authenticate_token(conn, second) is None
        with pytest.raises(AccountError, match=r"^Cannot revoke token 999: there is no such token$"):
            await revoke_token(conn, 999)


async def test_a_staff_token_acts_as_the_staff_member_of_its_subject(seeded_db: Database) -> None:
    async with seeded_db.write() as conn:
        token = await add_token(conn, label="window 3 pad", role="staff", centres=["test"], subject="s3")
        who = await authenticate_token(conn, token)
        assert who is not None and who.staff_code == "s3" and who.actor == "staff:s3"
        with pytest.raises(AccountError, match=r"centre 'test' has no staff member 'desk1'"):
            await add_token(conn, label="x", role="staff", centres=["test"], subject="desk1")


async def test_a_token_bound_to_a_user_dies_with_the_user(seeded_db: Database) -> None:
    async with seeded_db.write() as conn:
        user_id = await add_user(conn, username="wang", password=GOOD, role="manager", centres=["test"])
        token = await add_token(
            conn, label="report script", role="manager", centres=["test"], subject="wang", user_id=user_id
        )
        who = await authenticate_token(conn, token)
        assert who is not None and who.user_id == user_id and who.actor == "manager:wang"
        await conn.execute(update(users).where(users.c.id == user_id).values(disabled=True))
        assert await authenticate_token(conn, token) is None


TOKEN_REFUSALS = [
    ({"subject": "Kiosk 1"}, "Cannot issue a token for kiosk 'Kiosk 1': a subject is 1 to 80 lower-case letters"),
    ({"label": "  "}, "give it a label of 1 to 120 characters"),
    ({"centres": ["test", "other"]}, "role kiosk is for one centre, not 2"),
    ({"centres": ["nowhere"]}, "there is no centre 'nowhere' (known: other, test)"),
    ({"role": "janitor"}, "Cannot issue a token for janitor 'k1': there is no role 'janitor'"),
    ({"role": "guide", "user_id": 1}, "user 'wang' acts as manager 'wang', so its tokens must too"),
    ({"role": "manager", "subject": "li", "user_id": 1}, "user 'wang' acts as manager 'wang'"),
    ({"role": "manager", "subject": "wang", "user_id": 42}, "there is no user with id 42"),
]


@pytest.mark.parametrize(("change", "message"), TOKEN_REFUSALS, ids=[m for _, m in TOKEN_REFUSALS])
async def test_add_token_refuses_saying_what_and_why(
    seeded_db: Database, change: dict[str, object], message: str
) -> None:
    async with seeded_db.write() as conn:
        await create_centre(conn, make_centre(centre={"code": "other", "name": "另一个中心"}), utcnow())
        assert await add_user(conn, username="wang", password=GOOD, role="manager", centres=["test"]) == 1
    arguments: dict[str, object] = {"label": "kiosk", "role": "kiosk", "centres": ["test"], "subject": "k1"}
    arguments.update(change)
    async with seeded_db.write() as conn:
        with pytest.raises(AccountError) as caught:
            await add_token(conn, **arguments)  # type: ignore[arg-type]
    assert message in str(caught.value)


async def test_a_supervisor_token_may_span_centres(seeded_db: Database) -> None:
    async with seeded_db.write() as conn:
        await create_centre(conn, make_centre(centre={"code": "other", "name": "另一个中心"}), utcnow())
        token = await add_token(
            conn, label="city figures", role="supervisor", centres=["test", "other"], subject="city"
        )
        who = await authenticate_token(conn, token)
    assert who is not None and who.centres == ("test", "other") and who.actor == "supervisor:city"


async def test_the_business_systems_token_may_span_centres_and_never_logs_in(seeded_db: Database) -> None:
    async with seeded_db.write() as conn:
        await create_centre(conn, make_centre(centre={"code": "other", "name": "另一个中心"}), utcnow())
        token = await add_token(
            conn, label="省政务服务平台", role="business", centres=["test", "other"], subject="province"
        )
        who = await authenticate_token(conn, token)
        with pytest.raises(AccountError, match="a business never logs in"):
            await add_user(conn, username="province", password=GOOD, role="business", centres=["test"])
    assert who is not None and who.centres == ("test", "other") and who.actor == "business:province"
    assert allowed(who, "result", "other") and not allowed(who, "read", "test") and not allowed(who, "deliver", "test")


# --- The demo's accounts ---------------------------------------------------------------------------

DEMO_USERS = {"admin", "manager", "guide", "supervisor", "s1", "s2", "s3", "s9", "s10"}
DEMO_TOKENS = {"kiosk:kiosk-1", "guide:desk1", "manager:manager", "business:province"} | {
    f"staff:{s}" for s in ("s1", "s2", "s3", "s9", "s10")
}


async def check_demo(db: Database, demo: DemoAccounts) -> None:
    """Every demo password logs in and every demo token acts as the actor it is named after."""
    assert set(demo.passwords) == DEMO_USERS and set(demo.tokens) == DEMO_TOKENS
    async with db.read() as conn:
        for username in ("admin", "supervisor", "s3"):
            assert await verify_login(conn, username, demo.passwords[username]) is not None
        for name, token in demo.tokens.items():
            who = await authenticate_token(conn, token)
            assert who is not None and who.actor == name and who.centres == ("test",)


async def test_demo_accounts_are_made_once_and_kept(seeded_db: Database) -> None:
    first = await in_write(seeded_db, lambda c: ensure_demo_accounts(c, "test"))
    await check_demo(seeded_db, first)
    counts = (await count(seeded_db, users), await count(seeded_db, tokens))
    assert counts == (9, 9)

    again = await in_write(
        seeded_db, lambda c: ensure_demo_accounts(c, "test", DemoAccounts.from_json(first.to_json()))
    )
    assert again == first
    assert (await count(seeded_db, users), await count(seeded_db, tokens)) == counts


async def test_demo_accounts_recover_from_a_lost_file_and_a_lost_token_table(seeded_db: Database) -> None:
    first = await in_write(seeded_db, lambda c: ensure_demo_accounts(c, "test"))

    async with seeded_db.write() as conn:
        await conn.execute(delete(tokens))
    kept = await in_write(seeded_db, lambda c: ensure_demo_accounts(c, "test", first))
    assert kept == first, "saved tokens the database lost are registered again"
    await check_demo(seeded_db, kept)

    fresh = await in_write(seeded_db, lambda c: ensure_demo_accounts(c, "test"))
    assert fresh.passwords["admin"] != first.passwords["admin"]
    assert fresh.tokens["kiosk:kiosk-1"] != first.tokens["kiosk:kiosk-1"]
    await check_demo(seeded_db, fresh)
    assert await count(seeded_db, users) == 9


async def test_demo_accounts_need_the_centre(seeded_db: Database) -> None:
    async with seeded_db.write() as conn:
        with pytest.raises(AccountError, match=r"^Cannot set up the demo accounts at 'nowhere': there is no centre"):
            await ensure_demo_accounts(conn, "nowhere")


def test_demo_accounts_read_back_from_json_ignoring_junk() -> None:
    data = {"passwords": {"admin": "pw", "bad": 3}, "tokens": "nonsense"}
    assert DemoAccounts.from_json(data) == DemoAccounts(passwords={"admin": "pw"}, tokens={})


# --- The command line ----------------------------------------------------------------------------


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


async def _initialise(url: str) -> None:
    async with Database(url) as db:
        await upgrade(db)
        async with db.write() as conn:
            await create_centre(conn, make_centre(), utcnow())


async def _login(url: str, username: str, password: str) -> Principal | None:
    async with Database(url) as db, db.read() as conn:
        return await verify_login(conn, username, password)


async def _token(url: str, token: str) -> Principal | None:
    async with Database(url) as db, db.read() as conn:
        return await authenticate_token(conn, token)


@pytest.fixture
def cli_database(tmp_path: Path) -> str:
    """An initialised SQLite file holding the ``test`` centre."""
    url = f"sqlite:///{tmp_path / 'onewindow.db'}"
    run(_initialise(url))
    return url


def test_user_add_reads_the_password_from_stdin(
    cli_database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{GOOD}\n"))
    argv = ["user", "add", "wang.fang", "--role", "staff", "--centre", "test", "--staff", "s1", "--name", "王芳"]
    assert cli.main([*argv, "--password-stdin", "--database-url", cli_database]) == 0
    assert capsys.readouterr().out == "Added user 'wang.fang' (staff at test, staff member s1).\n"
    who = run(_login(cli_database, "wang.fang", GOOD))
    assert who is not None and who.actor == "staff:s1"


def test_user_add_takes_the_database_from_the_environment(
    cli_database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ONEWINDOW_DATABASE_URL", cli_database)
    monkeypatch.setattr(sys, "stdin", io.StringIO(GOOD))
    argv = ["user", "add", "zhou", "--role", "supervisor", "--centre", "test", "--password-stdin"]
    assert cli.main(argv) == 0
    assert run(_login(cli_database, "zhou", GOOD)) is not None


def test_user_add_reports_a_refusal_without_a_traceback(
    cli_database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{GOOD}\n"))
    argv = ["user", "add", "wang", "--role", "staff", "--centre", "test", "--staff", "s99", "--password-stdin"]
    assert cli.main([*argv, "--database-url", cli_database]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("Cannot add user 'wang': centre 'test' has no staff member 's99'")
    assert "Traceback" not in captured.err


def test_user_add_needs_a_terminal_or_password_stdin(
    cli_database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert cli.main(["user", "add", "wang", "--role", "admin", "--centre", "test", "--database-url", cli_database]) == 1
    assert "there is no terminal to ask for the password; pipe it in with --password-stdin" in capsys.readouterr().err


def test_user_token_prints_the_token_once_with_a_warning(cli_database: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["user", "token", "--role", "kiosk", "--centre", "test", "--subject", "kiosk1"]
    assert cli.main([*argv, "--database-url", cli_database]) == 0
    captured = capsys.readouterr()
    token = captured.out.strip()
    assert captured.out == f"{token}\n" and token.startswith("ow_")
    assert "shown only once" in captured.err
    who = run(_token(cli_database, token))
    assert who is not None and who.actor == "kiosk:kiosk1"


def test_user_token_issues_the_business_systems_token(cli_database: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["user", "token", "--role", "business", "--centre", "test", "--subject", "province"]
    assert cli.main([*argv, "--database-url", cli_database]) == 0
    who = run(_token(cli_database, capsys.readouterr().out.strip()))
    assert who is not None and who.actor == "business:province"


@pytest.mark.parametrize(
    "argv",
    [
        ["user", "add", "wang", "--role", "admin", "--centre", "test", "--password-stdin"],
        ["user", "token", "--role", "kiosk", "--centre", "test", "--subject", "kiosk1"],
    ],
)
def test_user_commands_refuse_a_database_not_initialised(
    argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{GOOD}\n"))
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    assert cli.main([*argv, "--database-url", url]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"The database {url} has no OneWindow tables: run `onewindow init` first\n"


def test_user_commands_name_their_database_variable(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("add", "token"):
        cli.main(["user", command, "--help"])
        assert "env ONEWINDOW_DATABASE_URL" in " ".join(capsys.readouterr().out.split())
