"""Database fixtures: every store test runs on SQLite and on PostgreSQL.

``database_url`` is a fresh, empty database of each kind: a file under ``tmp_path``, or a
PostgreSQL database created for the test and dropped after it. PostgreSQL is found at
``ONEWINDOW_TEST_POSTGRES_URL`` (default ``postgresql://postgres@127.0.0.1/``, trust auth); when it
is not reachable its tests are skipped, except under CI (the ``CI`` variable set), where a
missing database must fail the run rather than quietly test less.

MQTT brokers: ``mosquitto`` (a real, anonymous Mosquitto; the same skip-or-fail rule when it is not
installed), ``mosquitto_with(password_file, acl_file)`` and ``hall_broker`` (the server's own broker,
a supervised Mosquitto child process).

Fault tests (marked ``fault``, tests/test_fault_*.py) run once; ``--soak N`` runs each N times and
ends with the count of runs passed and failed per test.

Markers ``broker``, ``postgres`` and ``browser`` (a real Mosquitto, PostgreSQL, Chromium) are put on
the tests that need one, from the fixtures they use and from the helpers their module imports to
start one itself, so ``scripts/test -m "not browser"`` leaves the browser tests out.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import asyncpg
import pytest
from hypothesis import settings
from sqlalchemy.engine import make_url

from queue_server.app.service import RANGE_ROUND_PREFIX
from queue_server.bus.broker import HallBroker
from queue_server.store.database import STRICT_POOL, Database, utcnow
from queue_server.store.migrate import upgrade
from queue_server.store.seed import create_centre
from tests.brokers import Mosquitto, mosquitto_executable
from tests.factories import make_centre

pytest_plugins = ["tests.hang_dump"]

os.environ[STRICT_POOL] = "1"  # a task that takes a second read connection while holding one fails the test

POSTGRES_URL = os.environ.get("ONEWINDOW_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1/")

# No property test has a time limit: on two cores shared with a browser and a broker one example
# can take longer than Hypothesis's default 200 ms, which is a loaded machine, not a defect.
# Speed is measured by the benchmarks (python -m bench), never by a test.
settings.register_profile("onewindow", deadline=None)
settings.load_profile("onewindow")


async def _server() -> asyncpg.Connection:
    """A connection to the PostgreSQL server, or a skip (a failure under CI) saying why not."""
    try:
        return await asyncpg.connect(POSTGRES_URL, timeout=5)
    except (OSError, TimeoutError, asyncpg.PostgresError) as error:
        message = f"PostgreSQL is not reachable at {POSTGRES_URL}: {error}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def _url(name: str) -> str:
    """The URL of the database ``name`` on the test PostgreSQL server."""
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


async def _drop(server: asyncpg.Connection, name: str) -> None:
    await server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Templates:
    """Databases migrated once per test process, copied for each test that asks for ``db``: a copy
    costs a file copy (SQLite) or a ``CREATE DATABASE ... TEMPLATE`` (PostgreSQL), where running
    every migration took 0.3 s and over a second. The migrations themselves are tested on empty
    databases (``database_url`` alone, tests/test_migration*.py)."""

    folder: Path
    sqlite: Path | None = None
    postgresql: str | None = None
    migrated: set[str] = field(default_factory=set)
    """The URLs made as copies: the ``db`` fixture has nothing to migrate there."""

    async def sqlite_copy(self, path: Path) -> None:
        if self.sqlite is None:
            template = self.folder / "template.db"
            async with Database(f"sqlite:///{template}") as database:
                await upgrade(database)
            assert not template.with_name("template.db-wal").exists(), "closed, the WAL is in the file"
            self.sqlite = template
        shutil.copyfile(self.sqlite, path)

    async def postgresql_copy(self, server: asyncpg.Connection, name: str) -> None:
        if self.postgresql is None:
            template = f"onewindow_template_{secrets.token_hex(6)}"
            await server.execute(f'CREATE DATABASE "{template}"')
            async with Database(_url(template)) as database:
                await upgrade(database)
            self.postgresql = template
        await server.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.postgresql}"')

    async def drop(self) -> None:
        if self.postgresql is not None:
            server = await _server()
            try:
                await _drop(server, self.postgresql)
            finally:
                await server.close()


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    made = Templates(tmp_path_factory.mktemp("templates"))
    yield made
    asyncio.run(made.drop())


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path, templates: Templates) -> AsyncIterator[str]:
    """A database: a SQLite file, or a PostgreSQL database dropped after the test; empty, unless the
    test asks for ``db`` too, when it starts as a copy of one migrated to the newest schema."""
    migrated = "db" in request.fixturenames
    if request.param == "sqlite":
        path = tmp_path / "onewindow.db"
        url = f"sqlite:///{path}"
        if migrated:
            await templates.sqlite_copy(path)
            templates.migrated.add(url)
        yield url
        return
    name = f"onewindow_test_{secrets.token_hex(6)}"
    server = await _server()
    try:
        if migrated:
            await templates.postgresql_copy(server, name)
        else:
            await server.execute(f'CREATE DATABASE "{name}"')
        url = _url(name)
        if migrated:
            templates.migrated.add(url)
        yield url
    finally:
        await _drop(server, name)
        await server.close()


@pytest.fixture
async def db(database_url: str, templates: Templates) -> AsyncIterator[Database]:
    """A database migrated to the newest schema, disposed of after the test."""
    async with Database(database_url) as database:
        if database_url not in templates.migrated:
            await upgrade(database)
        yield database
        await end_wait_range_rounds()


async def end_wait_range_rounds() -> None:
    """Cancel the wait-range rounds that services the test left open started, and wait until they ended.

    A round runs after an issue's answer, on the database; one still reading when the database
    closed (and the loop after it) had its worker thread answer a closed loop. A service opened
    with ``async with`` ends its own; most tests' services are never closed."""
    rounds = [task for task in asyncio.all_tasks() if task.get_name().startswith(RANGE_ROUND_PREFIX)]
    for task in rounds:
        task.cancel()
    await asyncio.gather(*rounds, return_exceptions=True)


@pytest.fixture
async def seeded_db(db: Database) -> Database:
    """The migrated database with ``make_centre()`` (code ``test``) loaded."""
    async with db.write() as conn:
        await create_centre(conn, make_centre(), utcnow())
    return db


# --- MQTT brokers ----------------------------------------------------------------------------------


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    """A real Mosquitto on a free port of 127.0.0.1 that lets anyone in (skipped if not installed, failed under CI)."""
    with Mosquitto(tmp_path / "mosquitto") as broker:
        yield broker


@pytest.fixture
def mosquitto_with(tmp_path: Path) -> Iterator[Callable[[Path, Path], Mosquitto]]:
    """A factory: ``mosquitto_with(password_file, acl_file)`` starts a Mosquitto that uses them."""
    started: list[Mosquitto] = []

    def start(password_file: Path, acl_file: Path) -> Mosquitto:
        broker = Mosquitto(tmp_path / f"mosquitto-{len(started)}", password_file=password_file, acl_file=acl_file)
        started.append(broker)
        broker.start()
        return broker

    try:
        yield start
    finally:
        for broker in started:
            broker.stop()


@pytest.fixture
async def hall_broker() -> AsyncIterator[HallBroker]:
    """The broker the server runs by default, on a free port of 127.0.0.1, anonymous."""
    mosquitto_executable()  # a skip without Mosquitto, but a failure under CI
    async with HallBroker(port=0) as broker:
        yield broker


# --- Fault tests and their soak mode (tests/test_fault_*.py) ----------------------------------------

SOAK_PARAM = "soak_round"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--soak",
        type=int,
        default=1,
        metavar="N",
        help="run every test marked `fault` N times (docs/reliability.md); the summary counts the runs",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fault: breaks a real part mid-traffic; repeated N times by --soak N")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """With ``--soak N``, each fault test runs N times, as ``test[...-soak3]`` and so on."""
    rounds = int(metafunc.config.getoption("soak"))
    if rounds > 1 and metafunc.definition.get_closest_marker("fault") is not None:
        metafunc.fixturenames.append(SOAK_PARAM)
        metafunc.parametrize(SOAK_PARAM, range(1, rounds + 1), ids=lambda n: f"soak{n}")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """Under ``--soak``, how many runs of each fault test passed and failed."""
    if int(config.getoption("soak")) <= 1:
        return
    counts: dict[str, dict[str, int]] = {}
    for outcome in ("passed", "failed", "error", "skipped"):
        for report in terminalreporter.stats.get(outcome, []):
            if getattr(report, "when", "call") not in ("call", "setup") or "fault" not in report.keywords:
                continue
            if report.when == "setup" and report.passed:
                continue
            name = report.nodeid.split("[")[0] + _other_params(report.nodeid)
            counts.setdefault(name, {}).setdefault(outcome, 0)
            counts[name][outcome] += 1
    terminalreporter.section("soak: runs per fault test")
    for name, outcomes in sorted(counts.items()):
        runs = sum(outcomes.values())
        listed = ", ".join(f"{n} {outcome}" for outcome, n in sorted(outcomes.items()))
        terminalreporter.write_line(f"{name}: {runs} runs, {listed}")


def _other_params(nodeid: str) -> str:
    """The test's parameters besides the soak round, e.g. ``[sqlite]`` of ``[sqlite-soak3]``."""
    if "[" not in nodeid:
        return ""
    kept = [p for p in nodeid.split("[", 1)[1].rstrip("]").split("-") if not p.startswith("soak")]
    return f"[{'-'.join(kept)}]" if kept else ""


# --- What a test needs from outside: markers broker, postgres, browser ------------------------------

NEEDS_BY_FIXTURE = {"mosquitto": "broker", "mosquitto_with": "broker", "hall_broker": "broker"}
NEEDS_BY_HELPER = {
    "tests.brokers.Mosquitto": "broker",
    "tests.brokers.mosquitto_executable": "broker",
    "queue_server.bus.broker.HallBroker": "broker",
    "tests.serverproc.ServerProcess": "broker",  # `onewindow serve` starts the hall's own Mosquitto
    "tests.pgcluster.PgCluster": "postgres",
    "tests.conftest._server": "postgres",
    "tests.browser.chromium": "browser",
}
"""What a module's imports say it starts, by the helper's full name (a module imported whole counts too)."""
NEEDS_BY_MODULE = {
    "tests.test_demo": {"broker"},  # scripts/demo runs the hall's broker
    "tests.test_demo_traffic": {"broker"},
}
"""Modules that start one in a way their imports do not show."""


def _module_needs(module: ModuleType) -> set[str]:
    needs = set(NEEDS_BY_MODULE.get(module.__name__, ()))
    for name, value in vars(module).items():
        if name == "POSTGRES_URL" and value is POSTGRES_URL:
            needs.add("postgres")
        elif isinstance(value, ModuleType):
            prefix = f"{value.__name__}."
            needs.update(need for helper, need in NEEDS_BY_HELPER.items() if helper.startswith(prefix))
        else:
            full_name = f"{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', '')}"
            if full_name in NEEDS_BY_HELPER:
                needs.add(NEEDS_BY_HELPER[full_name])
    return needs


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test with what it needs: by fixture, by the ``database_url`` it runs on, by module."""
    by_module: dict[str, set[str]] = {}
    for item in items:
        needs = {NEEDS_BY_FIXTURE[name] for name in getattr(item, "fixturenames", ()) if name in NEEDS_BY_FIXTURE}
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("database_url") == "postgresql":
            needs.add("postgres")
        module = getattr(item, "module", None)
        if module is not None:
            if module.__name__ not in by_module:
                by_module[module.__name__] = _module_needs(module)
            needs |= by_module[module.__name__]
        for need in sorted(needs):
            item.add_marker(need)
