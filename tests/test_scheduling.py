"""Announcements at a time and on a schedule, across restarts, with a grace time for misfires."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from bot.core.events import Surface
from bot.runtime.app import App
from bot.runtime.config import Config
from bot.runtime.scheduler import Scheduler
from storage import announcements
from storage.db import sync_url
from tests.harness import Chat, dispatcher_for, with_roles

pytestmark = pytest.mark.both_databases

CONSOLE = Surface(buttons=False, push=False)
BERLIN = ZoneInfo("Europe/Berlin")


def test_job_store_urls() -> None:
    assert sync_url("sqlite+aiosqlite:////tmp/k.db") == "sqlite:////tmp/k.db"
    assert sync_url("postgresql+asyncpg://u:p@h/db") == "postgresql+psycopg://u:p@h/db"


async def schedule(app: App, *, at: datetime | None = None, cron: str | None = None) -> int:
    async with app.sessions() as session, session.begin():
        row = await announcements.create(
            session,
            author="console:staff",
            audience="all",
            text_de="Geplante Nachricht",
            text_en=None,
            send_at=at,
            cron=cron,
        )
    scheduler = Scheduler(
        "Europe/Berlin",
        app.config.storage.resolved_url(),
        misfire_grace=app.config.announcements.misfire_grace,
    )
    scheduler.start(None, paused=True)  # as `klbot announce --at` does
    scheduler.announcement(row.id, at=at, crontab=cron)
    scheduler.stop()
    return row.id


async def test_an_announcement_scheduled_before_a_restart_goes_out_once(config: Config) -> None:
    async with App.open(config) as app:
        ana = Chat(app.dispatcher, user="console:ana", surface=CONSOLE)
        await ana.ask("/subscribe alle")
        await schedule(app, at=datetime.now(BERLIN) + timedelta(minutes=10))
    with time_machine.travel(datetime.now(BERLIN) + timedelta(minutes=10, seconds=5)):
        for _ in range(2):  # two processes, one after the other, both running the scheduler
            async with App.open(config) as app:
                scheduler = app.scheduler()
                scheduler.start(app)
                await asyncio.sleep(0.5)
                scheduler.stop()
    async with App.open(config) as app:
        ana = Chat(app.dispatcher, user="console:ana", surface=CONSOLE)
        assert (await ana.ask("/start")).count("Geplante Nachricht") == 1
        assert "Geplante Nachricht" not in await ana.ask("/start")


async def test_a_missed_announcement_is_skipped_and_its_author_told(config: Config) -> None:
    quick = config.announcements.model_copy(update={"misfire_grace": 1})
    config = config.model_copy(update={"announcements": quick})
    async with App.open(config) as app:
        ana = Chat(app.dispatcher, user="console:ana", surface=CONSOLE)
        await ana.ask("/subscribe alle")
        await schedule(app, at=datetime.now(BERLIN) + timedelta(minutes=10))
    # nobody runs klbot at the planned time; it starts 3 s later (grace: 1 s)
    with time_machine.travel(datetime.now(BERLIN) + timedelta(minutes=10, seconds=3)):
        async with App.open(config) as app:
            scheduler = app.scheduler()
            scheduler.start(app)
            await asyncio.sleep(0.5)
            scheduler.stop()
            staff = Chat(app.dispatcher, user="console:staff", surface=CONSOLE)
            assert "wurde ausgelassen" in await staff.ask("/start")
            ana = Chat(app.dispatcher, user="console:ana", surface=CONSOLE)
            assert "Geplante Nachricht" not in await ana.ask("/start")


async def test_recurring_announcement_keeps_its_schedule(config: Config) -> None:
    async with App.open(config) as app:
        number = await schedule(app, cron="0 9 * * mon")
    for _ in range(2):  # restarts: the job is still there, once, and not fired early
        async with App.open(config) as app:
            scheduler = app.scheduler()
            scheduler.start(app)
            assert scheduler.has_announcement(number)
            job = scheduler._scheduler.get_job(f"announcement:{number}")
            assert job.next_run_time.weekday() == 0 and job.next_run_time.hour == 9
            assert len(scheduler._scheduler.get_jobs(jobstore="default")) == 1
            scheduler.stop()
    async with App.open(config) as app:
        async with app.sessions() as session:
            row = await announcements.get(session, announcement_id=number)
            assert row is not None and row.cron == "0 9 * * mon" and row.status == "scheduled"
        staff = Chat(app.dispatcher, user="console:staff")
        staffed = app.config.roles.model_copy(update={"staff": ["console:staff"]})
        app.dispatcher.config = app.config.model_copy(update={"roles": staffed})
        assert f"#{number} · all · scheduled" in await staff.ask("/scheduled")


async def test_planning_an_announcement_in_chat(config: Config) -> None:
    staffed = with_roles(config, staff=["console:staff"])
    async with App.open(staffed) as app:
        staff = Chat(
            dispatcher_for(app, staffed),
            user="console:staff",
            surface=CONSOLE,
        )
        ana = Chat(app.dispatcher, user="console:ana", surface=CONSOLE)
        await ana.ask("/subscribe alle")
        await staff.ask("/announce")
        await staff.ask("1")
        await staff.ask("Gleich geht es los")
        await staff.ask("1")  # no English text
        assert "2) Später senden" in "\n".join(
            f"{n}) {b}" for n, b in enumerate(staff.buttons(), 1)
        )
        assert "Wann?" in await staff.ask("2")
        assert "Bitte so" in await staff.ask("morgen früh")
        assert "Vergangenheit" in await staff.ask("01.01.2001 09:00")
        soon = datetime.now(BERLIN) + timedelta(minutes=1, seconds=1)
        planned = await staff.ask(f"{soon:%d.%m.%Y %H:%M}")
        assert "ist geplant" in planned
        scheduler = app.scheduler()
        scheduler.start(app)
        await app.finish_announcements()  # the running klbot plans it
        assert scheduler.has_announcement(1)
        scheduler.stop()
        await staff.ask("/announce")
        await staff.ask("1")
        await staff.ask("Jeden Montag")
        await staff.ask("1")
        await staff.ask("3")  # repeat
        assert "kein gültiger Cron" in await staff.ask("montags")
        assert "„0 9 * * mon“" in await staff.ask("0 9 * * mon")


async def test_editing_a_planned_announcement(config: Config) -> None:
    staffed = with_roles(config, staff=["console:staff"])
    async with App.open(staffed) as app:
        number = await schedule(app, at=datetime.now(BERLIN) + timedelta(days=1))
        staff = Chat(
            dispatcher_for(app, staffed),
            user="console:staff",
            surface=CONSOLE,
        )
        assert "bisher: „Geplante Nachricht“" in await staff.ask(f"/edit {number}")
        await staff.ask("Verschoben auf Dienstag")
        assert f"#{number} ist geändert" in await staff.ask("Postponed to Tuesday")
        async with app.sessions() as session:
            row = await announcements.get(session, announcement_id=number)
            assert row is not None
            assert (row.text_de, row.text_en) == ("Verschoben auf Dienstag", "Postponed to Tuesday")
        await staff.ask(f"/unschedule {number}")
        assert "nicht mehr ändern" in await staff.ask(f"/edit {number}")
