"""Migrations create the schema on an empty database, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from storage import db
from storage.models import Base

TABLES = {
    "persons",
    "identities",
    "conversations",
    "pending_choices",
    "knowledge_versions",
    "answers",
    "unanswered_questions",
    "alembic_version",
}


def test_head_from_file_names_matches_alembics_own_view() -> None:
    config = AlembicConfig()
    config.set_main_option("script_location", str(db.MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == db.head_revision()


async def check_empty_database_is_migrated(url: str) -> None:
    engine = db.make_engine(url)
    try:
        assert await db.current_revision(engine) is None
        assert await db.ensure_current(engine) is True
        assert await db.current_revision(engine) == db.head_revision()
        assert await db.ensure_current(engine) is False  # second start: nothing to do
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
        assert tables >= TABLES
        async with engine.connect() as conn:
            differences = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
            )
        assert differences == [], "the migrations and storage/models.py disagree"
    finally:
        await engine.dispose()


async def test_sqlite_file_is_created_and_migrated(tmp_path: os.PathLike[str]) -> None:
    path = f"{tmp_path}/new/folder/klbot.sqlite3"
    await check_empty_database_is_migrated(f"sqlite+aiosqlite:///{path}")
    assert os.path.exists(path)


@pytest.mark.postgres
async def test_postgresql_database_is_migrated(postgres_url: str) -> None:
    await check_empty_database_is_migrated(postgres_url)
