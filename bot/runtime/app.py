"""Wires configuration, storage, handlers and adapters together; starts and stops them."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.adapters import Adapter
from bot.core.dispatcher import Dispatcher
from bot.core.events import Identity, Incoming, Reply, Surface
from bot.knowledge.service import Knowledge
from bot.runtime.config import Config
from bot.runtime.delivery import OutboxSender, recipient_gone
from bot.runtime.limits import Rates
from bot.runtime.membership import wait
from bot.runtime.operations import serve_operations
from bot.runtime.pseudonym import Pseudonyms
from bot.runtime.scheduler import Scheduler
from bot.runtime.services import Services
from handlers import all_routers
from handlers.announcements import broadcast
from handlers.announcements import jobs as announcement_jobs
from handlers.digest import service as digest
from handlers.privacy import retention
from storage import db
from storage.leadership import Leadership
from storage.platform import AdapterState

log = logging.getLogger(__name__)


class App:
    """One running klbot: its database and its dispatcher."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.engine: AsyncEngine = db.make_engine(config.storage.resolved_url())
        self.sessions: async_sessionmaker[AsyncSession] = db.make_sessions(self.engine)
        self.services = Services(
            knowledge=Knowledge(file=config.knowledge.file, embeddings=config.knowledge.embeddings),
            pseudonyms=Pseudonyms(config.privacy.pseudonym_secret),
        )
        self.metrics = self.services.metrics
        self.dispatcher = Dispatcher(all_routers(), self.sessions, config, self.services)
        self.sender: OutboxSender | None = None
        self._scheduler: Scheduler | None = None

    @classmethod
    @asynccontextmanager
    async def open(cls, config: Config) -> AsyncIterator[App]:
        """Open the database (migrating it if it is behind) and close it afterwards."""
        app = cls(config)
        try:
            if await db.ensure_current(app.engine):
                log.info("database migrated to %s", db.head_revision())
            yield app
        finally:
            await app.engine.dispose()

    def platform_adapters(self) -> list[Adapter]:
        """The enabled platform adapters; each platform library is imported only if enabled."""
        adapters: list[Adapter] = []
        if self.config.telegram.enabled:
            from bot.adapters.telegram import TelegramAdapter

            menu = [
                (c.name, c.description) for c in self.dispatcher.commands.values() if not c.roles
            ]
            adapters.append(
                TelegramAdapter(self.config.telegram, AdapterState(self.sessions), menu)
            )
        if self.config.matrix.enabled:
            from bot.adapters.matrix import MatrixAdapter

            matrix = self.config.matrix
            adapters.append(
                MatrixAdapter(matrix, AdapterState(self.sessions), matrix.resolved_store())
            )
        return adapters

    def scheduler(self) -> Scheduler:
        """The app's scheduler (not yet started); checks every cron expression."""
        scheduler = Scheduler(
            self.config.bot.timezone,
            self.config.storage.resolved_url(),
            misfire_grace=self.config.announcements.misfire_grace,
        )
        if self.config.feedback.digest:
            scheduler.cron(
                "feedback-digest",
                self.config.feedback.digest,
                self.send_digest,
                key=f"[feedback] digest {self.config.feedback.digest!r}",
            )
        scheduler.every("announcement-reports", 5, self.finish_announcements)
        scheduler.every("retention", 3600, self.apply_retention)
        self._scheduler = scheduler
        return scheduler

    async def lead(self, stop: asyncio.Event, *, retry_seconds: float = 5.0) -> None:
        """Run the scheduler while this process leads, until ``stop``: of several processes
        on one PostgreSQL database exactly one leads, and another takes over within
        ``retry_seconds`` when it stops or dies."""
        async with Leadership(self.engine) as leadership:
            while not stop.is_set():
                try:
                    elected = await leadership.acquire()
                except Exception as exc:
                    log.warning("could not ask the database who leads: %s", exc)
                    elected = False
                if elected:
                    scheduler = self._scheduler or self.scheduler()  # built at start-up
                    scheduler.start(self)
                    log.info("this process leads: it runs the scheduler")
                    try:
                        while await self._still_leads(leadership, retry_seconds):
                            if await wait(stop, retry_seconds):
                                break
                    finally:
                        scheduler.stop()
                        self._scheduler = None
                    if not stop.is_set():
                        log.warning("this process no longer leads (database connection lost)")
                await wait(stop, retry_seconds)

    @staticmethod
    async def _still_leads(leadership: Leadership, seconds: float) -> bool:
        """Whether the lock is still held; a database that does not answer in ``seconds``
        (network trouble) counts as lost, so this process stops leading at once."""
        try:
            return await asyncio.wait_for(leadership.holds(), seconds)
        except TimeoutError:
            await leadership.resign()
            return False

    # What the scheduler calls (``Scheduler.running``); each feature does the work.

    async def fire_announcement(self, announcement_id: int, fire_time: datetime) -> None:
        fired = await announcement_jobs.fire(self.sessions, self.config, announcement_id, fire_time)
        if fired and self.sender is not None:
            self.sender.wake()

    async def announcement_missed(self, announcement_id: int) -> None:
        await announcement_jobs.missed(self.sessions, self.config, announcement_id)

    async def finish_announcements(self) -> None:
        await announcement_jobs.report_and_plan(self.sessions, self.config, self._scheduler)
        if self.sender is not None:
            self.sender.wake()  # a new figure for an author's progress message goes out now

    async def apply_retention(self) -> None:
        await retention.apply_retention(self.sessions, self.config)

    async def send_digest(self, now: datetime | None = None) -> int:
        return await digest.send_weekly(self.sessions, self.config, self.services.knowledge, now)

    async def serve(
        self,
        adapters: list[Adapter],
        stop: asyncio.Event | None = None,
        ready: asyncio.Event | None = None,
        *,
        freeze_heap: bool = False,
    ) -> None:
        """Run ``adapters`` and the outbox sender until ``stop`` (default: SIGINT or SIGTERM);
        ``ready`` is set once every adapter has started; ``freeze_heap``: then, see
        :func:`freeze_startup_heap` (``klbot run``; a test process would keep it all)."""
        stop = stop or stop_event_on_signals()
        telegram, matrix = self.config.telegram, self.config.matrix
        limits = {
            "telegram": Rates(
                telegram.rate_per_second,
                telegram.rate_per_chat,
                paid=telegram.paid_rate if telegram.paid_broadcast else None,
                in_flight=telegram.max_in_flight,
            ),
            "matrix": Rates(
                matrix.rate_per_second, matrix.rate_per_chat, in_flight=matrix.max_in_flight
            ),
        }
        pushing = {a.platform: a for a in adapters if a.surface.push}  # the console shows its own
        sender = self.sender = OutboxSender(
            self.sessions,
            pushing,
            limits,
            metrics=self.metrics,
            stars_ran_out=lambda session, message: broadcast.stars_ran_out(
                session, message, self.config
            ),
        )
        operations = self.config.operations
        endpoints = None
        if operations.port:
            endpoints = await serve_operations(
                operations.listen,
                operations.port,
                self.metrics,
                adapters,
                lambda: db.reachable(self.engine),
            )
        console = None
        if self.config.web.enabled:  # aiohttp's web console, only when switched on
            from bot.web.server import serve_web

            console = await serve_web(self)
        inbound = Inbound(self.dispatcher, sender, self.sessions)
        sending = asyncio.create_task(sender.run(stop), name="outbox-sender")
        started: list[Adapter] = []
        try:
            for adapter in adapters:
                await adapter.start(inbound)
                started.append(adapter)
                log.info("%s adapter started", adapter.platform)
            if freeze_heap:
                freeze_startup_heap()
            if ready is not None:
                ready.set()
            await stop.wait()
        finally:
            stop.set()
            await sending  # the message being sent goes out before its adapter stops
            for adapter in reversed(started):
                await adapter.stop()
                log.info("%s adapter stopped", adapter.platform)
            if endpoints is not None:
                await endpoints.cleanup()
            if console is not None:
                await console.cleanup()


class Inbound:
    """Where push platforms hand their updates: handled once, replies into the outbox."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        sender: OutboxSender,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        self.dispatcher, self.sender, self.sessions = dispatcher, sender, sessions

    async def __call__(
        self, message: Incoming, surface: Surface, update_key: str | None = None
    ) -> list[Reply]:
        replies = await self.dispatcher.handle(message, surface, update_key=update_key)
        self.sender.wake()
        return replies

    async def gone(self, chat: Identity) -> None:
        async with self.sessions() as session, session.begin():
            await recipient_gone(session, str(chat), "the bot was removed")


def freeze_startup_heap() -> None:
    """Leave what start-up built (libraries, settings, the knowledge base) out of the
    garbage collector's full collections from now on, so each scans only what the running
    bot makes: during a paid broadcast one took some 130 ms of sending, now some 50 ms.
    Reference cycles among those objects are never freed, should they be dropped later
    (a knowledge base replaced by a reload): a bounded, one-off cost."""
    gc.collect()
    gc.freeze()


def stop_event_on_signals() -> asyncio.Event:
    """An event set by SIGINT or SIGTERM (instead of a traceback)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop
