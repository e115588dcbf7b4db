"""Engine, sessions and schema migrations for SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

MIGRATIONS = Path(__file__).parent / "migrations"
UNMODELLED = ("feedback_search", "ix_feedback_search", "search_words")
"""What the migrations create that no model describes: the full-text index of the
feedback (0019; SQLite: a virtual table and its own tables, PostgreSQL: a generated
column and its index)."""


def modelled(name: str | None, type_: str, parent_names: Any) -> bool:
    """Whether Alembic compares ``name`` with the models (``include_name``)."""
    return not (name or "").startswith(UNMODELLED)


def make_engine(url: str) -> AsyncEngine:
    """Create the async engine; for SQLite, create the file's folder and set pragmas."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine.sync_engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


def sync_url(url: str) -> str:
    """The job store's (synchronous) URL for klbot's asynchronous database URL."""
    parsed = make_url(url)
    driver = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg"}[parsed.get_backend_name()]
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def make_sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """The session factory every part of klbot uses."""
    return async_sessionmaker(engine, expire_on_commit=False)


def head_revision() -> str:
    """The newest migration, read from file names (``0001_initial.py`` is ``0001``)."""
    names = sorted(p.name for p in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))
    return names[-1][:4]


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at, or ``None`` for an empty database."""
    async with engine.connect() as conn:
        try:
            result = await conn.execute(text("SELECT version_num FROM alembic_version"))
        except (OperationalError, ProgrammingError):
            return None
        return result.scalar_one_or_none()


async def session_revision(session: AsyncSession) -> str | None:
    """The revision, read inside a running session (for status reports)."""
    result = await session.execute(text("SELECT version_num FROM alembic_version"))
    return result.scalar_one_or_none()


def _alembic_config(connection: Connection | None = None) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Run Alembic migrations up to ``revision``."""

    def run(connection: Connection) -> None:
        from alembic import command

        command.upgrade(_alembic_config(connection), revision)

    async with engine.begin() as conn:
        await conn.run_sync(run)


async def ensure_current(engine: AsyncEngine) -> bool:
    """Migrate when the database is behind; cheap when it is not. True if it migrated."""
    if await current_revision(engine) == head_revision():
        return False
    await upgrade(engine)
    return True


async def reachable(engine: AsyncEngine) -> bool:
    """Whether the database answers a trivial query."""
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:
        return False
    return True
