"""Announcements at a time and on a schedule, across restarts, with a grace time for misfires."""

from __future__ import annotations

import asyncio
import time
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
from tests.harness import BUTTONS, Chat, dispatcher_for, with_roles
from tests.shell import Done, klbot

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
            author_identity="console:staff",
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
        listing = await staff.ask("/scheduled")
        assert f"#{number} · jeden Montag um 09:00, nächster Termin Mo., " in listing
        assert "· Alle Abonnenten · geplant" in listing


async def test_planning_an_announcement_in_chat(config: Config) -> None:
    staffed = with_roles(config, staff=["console:staff"])
    async with App.open(staffed) as app:
        staff = Chat(dispatcher_for(app, staffed), user="console:staff", surface=CONSOLE)
        ana = Chat(app.dispatcher, user="console:ana", surface=CONSOLE)
        await ana.ask("/subscribe alle")
        await compose(staff, "Gleich geht es los")
        assert "2) Später senden" in "\n".join(
            f"{n}) {b}" for n, b in enumerate(staff.buttons(), 1)
        )
        assert "Wann soll sie rausgehen?" in await staff.ask("2")
        soon = datetime.now(BERLIN) + timedelta(minutes=1, seconds=1)
        assert "ist geplant" in await staff.ask(f"{soon:%d.%m.%Y %H:%M}")
        scheduler = app.scheduler()
        scheduler.start(app)
        await app.finish_announcements()  # the running klbot plans it
        assert scheduler.has_announcement(1)
        scheduler.stop()


THURSDAY = datetime(2027, 1, 14, 10, 0, tzinfo=BERLIN)
"""Thursday, 14 January 2027, 10:00 in Kaiserslautern: "now" in the tests below."""


async def compose(staff: Chat, german: str = "Sprechstunde", english: str | None = None) -> None:
    """Write an announcement to all subscribers, up to the preview."""
    await staff.ask("/announce")
    await staff.ask("1")
    await staff.ask(german)
    assert "Vorschau" in await staff.ask(english or "1") or "Preview" in staff.last[0].text


async def planned(staff: Chat, button: str, text: str) -> str:
    """Compose an announcement, press "later" (2) or "repeat" (3), answer ``text``."""
    await compose(staff)
    await staff.ask(button)
    return await staff.ask(text)


@pytest.fixture
def staff(app: App, config: Config) -> Chat:
    dispatcher = dispatcher_for(app, with_roles(config, staff=["console:staff"]))
    return Chat(dispatcher, user="console:staff", surface=CONSOLE)


async def test_times_and_rules_in_german_words(staff: Chat) -> None:
    with time_machine.travel(THURSDAY):
        await compose(staff)
        prompt = await staff.ask("2")
        assert "„morgen 9 Uhr“" in prompt and "„21.01.2027 10:00“" in prompt  # never a past date
        assert "„irgendwann“ verstehe ich nicht als Zeitpunkt" in await staff.ask("irgendwann")
        passed = await staff.ask("heute 8 Uhr")
        assert passed == (
            "Do., 14.01.2027 um 08:00 ist schon vorbei; bitte nenn einen Zeitpunkt in der Zukunft."
        )
        assert "#1 ist geplant: Fr., 15.01.2027 um 09:00." in await staff.ask("morgen 9 Uhr")
        for text, said in [
            ("Freitag 14:30", "Fr., 15.01.2027 um 14:30"),
            ("2027-12-05 10:00", "So., 05.12.2027 um 10:00"),
            ("05.12.2027 10:00", "So., 05.12.2027 um 10:00"),
            ("am 24.12. um 18 Uhr", "Fr., 24.12.2027 um 18:00"),
        ]:
            assert f"ist geplant: {said}." in await planned(staff, "2", text)
        for text, said in [
            ("jeden Montag 9 Uhr", "jeden Montag um 09:00, nächster Termin Mo., 18.01.2027"),
            (
                "werktags 8 Uhr",
                "werktags (Montag bis Freitag) um 08:00, nächster Termin Fr., 15.01.2027",
            ),
            ("täglich 7:30", "täglich um 07:30, nächster Termin Fr., 15.01.2027"),
            ("monatlich am 1.", "monatlich am 1. um 09:00, nächster Termin Mo., 01.02.2027"),
            (
                "montags und donnerstags 18 Uhr",
                "jeden Montag und Donnerstag um 18:00, nächster Termin Do., 14.01.2027",
            ),
            ("0 9 * * 1", "jeden Montag um 09:00"),  # cron counts 1 as Monday
            (
                "*/15 8-17 * * 1-5",
                "werktags (Montag bis Freitag) alle 15 Minuten von 08:00 bis 17:45, "
                "nächster Termin Do., 14.01.2027 um 10:15",
            ),
            ("0 9 1,15 * *", "nach dem Cron-Ausdruck „0 9 1,15 * *“, nächster Termin Fr."),
        ]:
            assert f"ist geplant: {said}" in await planned(staff, "3", text)
        refused = await planned(staff, "3", "jeden zweiten Montag")
        assert refused.startswith("Die Regel „jeden zweiten Montag“ verstehe ich nicht.")
        assert "„0 9 31 2 *“ gäbe es nie" in await staff.ask("0 9 31 2 *")
        listing = await staff.ask("/scheduled")
        assert "#1 · Fr., 15.01.2027 um 09:00 · Alle Abonnenten · geplant" in listing
        assert "#6 · jeden Montag um 09:00, nächster Termin Mo., 18.01.2027 · Alle" in listing


async def test_times_and_rules_in_english_words(staff: Chat) -> None:
    await staff.ask("/language en")
    with time_machine.travel(THURSDAY):
        await compose(staff, "Sprechstunde", "Office hours")
        prompt = await staff.ask("2")
        assert "“tomorrow 9am”" in prompt and "“2027-01-21 10:00”" in prompt
        assert "Mon 1 Jan 2001 at 09:00 has passed" in await staff.ask("2001-01-01 09:00")
        assert "#1 is planned: Fri 15 Jan 2027 at 09:00." in await staff.ask("tomorrow 9am")
        for text, said in [
            ("every Monday at 9", "every Monday at 09:00, next on Mon 18 Jan 2027"),
            (
                "every weekday at 8",
                "every weekday (Monday to Friday) at 08:00, next on Fri 15 Jan 2027",
            ),
            ("every day at 7:30pm", "every day at 19:30, next on Thu 14 Jan 2027"),
            ("monthly on the 1st", "monthly on the 1st at 09:00, next on Mon 1 Feb 2027"),
        ]:
            assert f"is planned: {said}." in await planned(staff, "3", text)
        assert "I did not understand the rule “every other Monday”" in await planned(
            staff, "3", "every other Monday"
        )
        listing = await staff.ask("/scheduled")
        assert (
            "#2 · every Monday at 09:00, next on Mon 18 Jan 2027 · All subscribers · planned"
            in listing
        )


async def test_editing_a_planned_announcement(app: App, staff: Chat) -> None:
    staff.surface = BUTTONS
    with time_machine.travel(THURSDAY):
        number = await schedule(app, at=THURSDAY + timedelta(days=1))
        overview = await staff.ask(f"/edit {number}")
        assert "Wann: Fr., 15.01.2027 um 10:00" in overview and "🇩🇪 Geplante Nachricht" in overview
        assert "🇬🇧 (kein englischer Text: alle bekommen den deutschen)" in overview
        assert staff.buttons() == [
            "Deutscher Text",
            "Englischer Text",
            "Zeitpunkt",
            "Empfänger",
            "Fertig",
        ]
        assert "Der neue englische Text" in await staff.press("Englischer Text")
        shown = await staff.ask("Planned message")
        assert "Gespeichert." in shown and "🇬🇧 Planned message" in shown
        await staff.press("Deutscher Text")
        shown = await staff.ask("Verschoben auf Montag")
        assert "🇩🇪 Verschoben auf Montag" in shown and "🇬🇧 Planned message" in shown  # kept
        await staff.press("Zeitpunkt")
        assert "verstehe ich nicht" in await staff.ask("bald")
        shown = await staff.ask("jeden Montag 9 Uhr")
        assert "Wann: jeden Montag um 09:00, nächster Termin Mo., 18.01.2027" in shown
        await staff.press("Empfänger")
        assert "An: Beirat" in await staff.press("Beirat")
        assert "Englischen Text löschen" in staff.buttons()
        removed = await staff.press("Englischen Text löschen")
        assert "Der englische Text ist gelöscht" in removed and "kein englischer Text" in removed
        assert f"#{number} ist fertig" in await staff.press("Fertig")
        async with app.sessions() as session:
            row = await announcements.get(session, announcement_id=number)
            assert row is not None
            assert (row.text_de, row.text_en) == ("Verschoben auf Montag", None)
            assert (row.audience, row.cron, row.send_at) == ("board", "0 9 * * mon", None)
        scheduler = app.scheduler()
        scheduler.start(app)
        await app.finish_announcements()  # the running klbot plans the new rule
        job = scheduler._scheduler.get_job(f"announcement:{number}")
        assert job.next_run_time == datetime(2027, 1, 18, 9, 0, tzinfo=BERLIN)
        scheduler.stop()
        await staff.ask(f"/unschedule {number}")
        assert "lässt sich nicht mehr ändern: sie wurde abgesagt" in await staff.ask(
            f"/edit {number}"
        )
        assert "Eine Ankündigung #999 gibt es nicht." in await staff.ask("/edit 999")


async def test_editing_in_english(app: App, staff: Chat) -> None:
    staff.surface = BUTTONS
    await staff.ask("/language en")
    with time_machine.travel(THURSDAY):
        number = await schedule(app, at=THURSDAY + timedelta(days=1))
        await staff.ask(f"/edit {number}")
        await staff.press("English text")
        await staff.ask("Planned message")
        await staff.press("Time")
        shown = await staff.ask("every weekday at 8")
        assert "When: every weekday (Monday to Friday) at 08:00, next on Fri 15 Jan 2027" in shown
        assert "🇩🇪 Geplante Nachricht" in shown and "🇬🇧 Planned message" in shown
        assert f"#{number} is ready" in await staff.press("Done")
        assert "There is no announcement #999." in await staff.ask("/edit 999")


def test_planning_from_the_shell_in_the_same_words(env: dict[str, str]) -> None:
    def announce(*args: str) -> Done:
        return klbot(env, "announce", "--audience", "all", "--text", "Sprechstunde", *args)

    with time_machine.travel(THURSDAY):
        assert "#1 planned: Fri 15 Jan 2027 at 09:00\n" in announce("--at", "morgen 9 Uhr").stdout
        assert (
            "#2 planned: Sun 5 Dec 2027 at 10:00\n" in announce("--at", "05.12.2027 10:00").stdout
        )
        weekly = announce("--every", "Monday 9:00").stdout
        assert "#3 planned: every Monday at 09:00, next on Mon 18 Jan 2027\n" in weekly
        workdays = announce("--every", "werktags 8 Uhr").stdout
        assert "every weekday (Monday to Friday) at 08:00, next on Fri 15 Jan 2027" in workdays
        for wrong, message in [
            (["--at", "heute 8 Uhr"], "klbot: --at: Thu 14 Jan 2027 at 08:00 has passed;"),
            (["--every", "tomorrow 9am"], "klbot: --every: 'tomorrow 9am' names a single time;"),
            (["--at", "irgendwann"], "klbot: --at: I did not understand “irgendwann” as a time."),
        ]:
            done = announce(*wrong)
            assert done.returncode == 2 and done.stderr.startswith(message), done.stderr
        listing = klbot(env, "deliveries").stdout.splitlines()
        assert listing[0] == "#1 all · Fri 15 Jan 2027 at 09:00 · scheduled · Sprechstunde"
        assert listing[2].startswith("#3 all · every Monday at 09:00, next on Mon 18 Jan 2027")


def test_announcing_now_without_a_running_sender_returns(env: dict[str, str]) -> None:
    klbot(env, "ask", "--user", "ana", "/subscribe alle")
    started = time.monotonic()
    sent = klbot(env, "announce", "--audience", "all", "--text", "Hallo zusammen")
    assert sent.returncode == 0 and "announcement #1 to 1 recipient: sending…\n" in sent.stdout
    assert "no klbot is running to send it: the messages are queued" in sent.stdout
    assert "delivering" not in sent.stdout and time.monotonic() - started < 20
    assert "Hallo zusammen" in klbot(env, "ask", "--user", "ana", "/start").stdout
