"""Migrations create the schema on an empty database, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import pickle
from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from bot.runtime.scheduler import Scheduler
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
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"include_name": db.modelled}),
                    Base.metadata,
                )
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


async def test_announcements_planned_before_the_move_of_the_scheduler_stay_planned(
    tmp_path: os.PathLike[str],
) -> None:
    """A job stored by a klbot whose scheduler lived in ``bot.scheduler`` (migration 0012)."""
    url = f"sqlite+aiosqlite:///{tmp_path}/klbot.sqlite3"
    engine = db.make_engine(url)
    try:
        await db.upgrade(engine, "0011")  # as the older klbot left the database
        scheduler = Scheduler("Europe/Berlin", url)
        scheduler.start(None, paused=True)
        scheduler.announcement(7, at=datetime.now(UTC) + timedelta(days=1), crontab=None)
        scheduler.stop()
        async with engine.begin() as conn:  # as the older klbot stored it
            state = pickle.loads(await conn.scalar(text("SELECT job_state FROM scheduled_jobs")))
            state["func"] = "bot.scheduler:fire_announcement"
            await conn.execute(
                text("UPDATE scheduled_jobs SET job_state = :s"), {"s": pickle.dumps(state)}
            )
        assert await db.ensure_current(engine) is True
    finally:
        await engine.dispose()
    scheduler = Scheduler("Europe/Berlin", url)
    scheduler.start(None, paused=True)
    try:
        assert scheduler.has_announcement(7)
        job = scheduler._scheduler.get_job("announcement:7")
        assert job.func_ref == "bot.runtime.scheduler:fire_announcement"
    finally:
        scheduler.stop()


async def check_single_answers_move_into_the_history(url: str) -> None:
    """Feedback answered before 0014 (one ``answer`` column) keeps its answer as the first
    entry of its history, on the way up and back down."""
    engine = db.make_engine(url)
    answered_at = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    try:
        await db.upgrade(engine, "0013")
        async with engine.begin() as conn:
            await conn.execute(
                text("INSERT INTO persons (id, created_at) VALUES (1, :t)"), {"t": answered_at}
            )
            for number, answer in ((1, "Danke, ist erledigt!"), (2, None)):
                await conn.execute(
                    text(
                        "INSERT INTO feedback (id, reference, person_id, platform, topic, text,"
                        " language, may_contact, status, answer, answered_at, created_at) VALUES"
                        " (:id, :ref, 1, 'telegram', 'general', 'Ampel kaputt', 'de', :contact,"
                        " :status, :answer, :at, :at)"
                    ),
                    {
                        "id": number,
                        "ref": f"F-AAAAA{number + 1}",
                        "contact": True,
                        "status": "answered" if answer else "new",
                        "answer": answer,
                        "at": answered_at,
                    },
                )
        await db.upgrade(engine)
        async with engine.connect() as conn:
            history = (
                await conn.execute(
                    text("SELECT feedback_id, text, author, created_at FROM feedback_answers")
                )
            ).all()
            kept = await conn.scalar(text("SELECT count(*) FROM feedback"))
        assert kept == 2
        assert [(row[0], row[1], row[2]) for row in history] == [
            (1, "Danke, ist erledigt!", "(unknown)")
        ]

        def down(connection: Connection) -> None:
            from alembic import command

            command.downgrade(db._alembic_config(connection), "0013")

        async with engine.begin() as conn:
            await conn.run_sync(down)
        async with engine.connect() as conn:
            back = (await conn.execute(text("SELECT id, answer FROM feedback ORDER BY id"))).all()
        assert [tuple(row) for row in back] == [(1, "Danke, ist erledigt!"), (2, None)]
    finally:
        await engine.dispose()


async def test_sqlite_keeps_single_answers_in_the_history(tmp_path: os.PathLike[str]) -> None:
    await check_single_answers_move_into_the_history(
        f"sqlite+aiosqlite:///{tmp_path}/klbot.sqlite3"
    )


@pytest.mark.postgres
async def test_postgresql_keeps_single_answers_in_the_history(postgres_url: str) -> None:
    await check_single_answers_move_into_the_history(postgres_url)
