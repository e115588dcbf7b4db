"""Shared fixtures: an isolated database per test, no network beyond 127.0.0.1."""

from __future__ import annotations

import asyncio
import ipaddress
import os
import shutil
import socket
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from bot.runtime.app import App
from bot.runtime.config import Config, load_config
from storage import db
from tests.harness import Chat

POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432"


def _is_local(address: Any) -> bool:
    if not isinstance(address, tuple):
        return True  # Unix sockets
    host = address[0]
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True, scope="session")
def no_network() -> Iterator[None]:
    """Fail any test that tries to reach anything but this machine."""
    original = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        if not _is_local(address):
            raise RuntimeError(f"test tried to reach {address!r}; only 127.0.0.1 is allowed")
        return original(self, address)

    socket.socket.connect = guarded  # type: ignore[method-assign,assignment]
    yield
    socket.socket.connect = original  # type: ignore[method-assign]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests marked ``both_databases`` run once on SQLite and once on PostgreSQL."""
    if "db_url" in metafunc.fixturenames and metafunc.definition.get_closest_marker(
        "both_databases"
    ):
        metafunc.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database, made once per run and copied for each test."""
    path = tmp_path_factory.mktemp("template") / "klbot.sqlite3"
    run_apart(migrate(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A migrated PostgreSQL database, made once per run; each test gets a copy
    (``CREATE DATABASE … TEMPLATE``)."""
    name = f"klbot_template_{uuid.uuid4().hex[:12]}"
    run_apart(admin(f'CREATE DATABASE "{name}"'))
    try:
        run_apart(migrate(f"{POSTGRES}/{name}"))
        yield name
    finally:
        run_apart(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def run_apart(work: Coroutine[Any, Any, None]) -> None:
    """Run ``work`` to the end on an event loop of its own (a test's loop may be running)."""
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, work).result()


async def migrate(url: str) -> None:
    engine = db.make_engine(url)
    try:
        await db.ensure_current(engine)
    finally:
        await engine.dispose()


@pytest.fixture
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A migrated database of its own for one test: SQLite in a temporary folder, or
    (parametrised) PostgreSQL on 127.0.0.1, dropped afterwards."""
    if getattr(request, "param", "sqlite") == "sqlite":
        path = tmp_path / "klbot.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    template = request.getfixturevalue("postgres_template")
    async with postgres_database(template) as url:
        yield url


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """An empty PostgreSQL database on 127.0.0.1, dropped afterwards."""
    async with postgres_database() as url:
        yield url


async def admin(statement: str) -> None:
    """Run ``statement`` on the machine's PostgreSQL (skip the test if there is none,
    except under CI, where it must be there)."""
    import asyncpg

    try:
        connection = await asyncpg.connect(host="127.0.0.1", user="postgres", database="postgres")
    except (OSError, asyncpg.PostgresError) as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL on 127.0.0.1:5432 not reachable: {exc}")
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@asynccontextmanager
async def postgres_database(template: str | None = None) -> AsyncIterator[str]:
    """Create a database (a copy of ``template``, if given) and drop it afterwards."""
    name = f"klbot_test_{uuid.uuid4().hex[:12]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    await admin(f'CREATE DATABASE "{name}"{copy}')
    try:
        yield f"{POSTGRES}/{name}"
    finally:
        await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """The environment of a ``klbot`` command (``tests/shell.py``): a database of its own,
    no configuration file."""
    return {
        "KLBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'klbot.sqlite3'}",
        "LANG": "C.UTF-8",
    }


@pytest.fixture
def config(db_url: str) -> Config:
    return load_config(None, env={"KLBOT_DATABASE_URL": db_url})


@pytest.fixture
async def app(config: Config) -> AsyncIterator[App]:
    async with App.open(config) as opened:
        yield opened


@pytest.fixture
def chat(app: App) -> Chat:
    return Chat(app.dispatcher)
