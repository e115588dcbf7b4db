"""Retention: old feedback loses its person, old logs and delivery rows go."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from bot.runtime.app import App
from bot.runtime.config import Config, PrivacySection
from handlers.privacy.retention import apply_retention
from handlers.web.service import LINK_VALID, SESSION_IDLE
from storage import outbox, platform, web
from storage.models import (
    Feedback,
    OutboxMessage,
    ProcessedUpdate,
    UnansweredQuestion,
)
from storage.models_web import WebLogin
from storage.web import LinkProblem
from tests.harness import Chat

NOW = datetime.now(UTC)
STAFF = "console:sina"


async def age(app: App, model: type, days: int) -> None:
    """Make every row of ``model`` look ``days`` old."""
    async with app.sessions() as session, session.begin():
        await session.execute(update(model).values(created_at=NOW - timedelta(days=days)))


async def test_each_kind_is_forgotten_after_its_own_period(app: App, config: Config) -> None:
    periods = PrivacySection(
        feedback_anonymise_days=100, gap_log_days=10, delivery_days=5, processed_update_days=2
    )
    config = config.model_copy(update={"privacy": periods})
    ana = Chat(app.dispatcher, user="telegram:1001")
    await ana.ask("/feedback")
    await ana.press("Dieser Bot")
    await ana.press("Überspringen")
    await ana.ask("Alt, aber gern mit Kontakt")
    await ana.press("Ja")
    await ana.press("Absenden")
    await ana.ask("Wie hoch ist der Mond über dem Pfaffenberg?")  # not answerable: logged
    async with app.sessions() as session, session.begin():
        await outbox.enqueue(session, chat="telegram:1001", text="sent")
        await outbox.enqueue(session, chat="telegram:1001", text="still waiting")
        await session.execute(
            update(OutboxMessage).where(OutboxMessage.text == "sent").values(sent_at=NOW)
        )
        await platform.mark_processed(session, key="telegram:update:1")
    for model in (Feedback, UnansweredQuestion, OutboxMessage, ProcessedUpdate):
        await age(app, model, 3)

    nothing = await apply_retention(app.sessions, config, NOW)
    assert nothing.processed_updates_deleted == 1
    assert (nothing.feedback_anonymised, nothing.gap_questions_deleted) == (0, 0)
    assert nothing.deliveries_deleted == 0

    for model in (Feedback, UnansweredQuestion, OutboxMessage):
        await age(app, model, 11)
    later = await apply_retention(app.sessions, config, NOW)
    assert (later.gap_questions_deleted, later.deliveries_deleted) == (1, 1)
    assert later.feedback_anonymised == 0

    await age(app, Feedback, 101)
    last = await apply_retention(app.sessions, config, NOW)
    assert last.feedback_anonymised == 1
    async with app.sessions() as session:
        feedback = (await session.scalars(select(Feedback))).one()
        assert feedback.person_id is None and not feedback.may_contact
        assert feedback.text == "Alt, aber gern mit Kontakt"
        waiting = list(await session.scalars(select(OutboxMessage.text)))
        assert "still waiting" in waiting and "sent" not in waiting  # unsent: kept until sent
        assert not list(await session.scalars(select(UnansweredQuestion)))


async def test_the_app_runs_retention_every_hour(app: App) -> None:
    scheduler = app.scheduler()
    job = scheduler._scheduler.get_job("retention")
    assert job is not None and job.trigger.interval == timedelta(hours=1)
    async with app.sessions() as session, session.begin():
        await platform.mark_processed(session, key="telegram:update:7")
    await age(app, ProcessedUpdate, 8)  # the default period is 7 days
    await job.func()
    async with app.sessions() as session:
        assert not list(await session.scalars(select(ProcessedUpdate)))


async def test_ended_web_sessions_and_expired_sign_in_links_are_deleted(
    app: App, config: Config
) -> None:
    start = datetime.now(UTC)
    async with app.sessions() as session, session.begin():
        used = await web.create_login(session, identity=STAFF, valid_for=LINK_VALID)
        assert await web.check_login(session, token=used, use=True) == STAFF
        await web.create_login(session, identity=STAFF, valid_for=LINK_VALID)  # never opened
        await web.open_session(session, identity=STAFF)  # left idle
        working, _ = await web.open_session(session, identity=STAFF)
    async with app.sessions() as session, session.begin():  # one browser keeps working
        later = start + SESSION_IDLE - timedelta(hours=1)
        assert await web.current_session(session, token=working, idle=SESSION_IDLE, now=later)

    soon = await apply_retention(app.sessions, config, start + timedelta(minutes=5))
    assert (soon.web_sessions_deleted, soon.web_links_deleted) == (0, 0)
    async with app.sessions() as session:  # opened again, it still says it was used
        assert await web.check_login(session, token=used) == LinkProblem.USED

    expired = await apply_retention(app.sessions, config, start + timedelta(minutes=11))
    assert (expired.web_sessions_deleted, expired.web_links_deleted) == (0, 2)
    async with app.sessions() as session:
        assert await web.check_login(session, token=used) == LinkProblem.UNKNOWN

    ended = await apply_retention(app.sessions, config, start + SESSION_IDLE + timedelta(minutes=1))
    assert (ended.web_sessions_deleted, ended.web_links_deleted) == (1, 0)
    async with app.sessions() as session:
        assert len(await web.sessions_of(session, identity=STAFF)) == 1
        assert not await session.scalar(select(WebLogin.token_hash))
