"""Wires configuration, storage, handlers and adapters together; starts and stops them."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.adapters import Adapter
from bot.config import Config, ConfigError
from bot.dispatcher import Dispatcher
from bot.knowledge.service import Knowledge
from bot.scheduler import Scheduler
from bot.services import Services
from handlers import all_routers, digest
from storage import db

log = logging.getLogger(__name__)


class App:
    """One running klbot: its database and its dispatcher."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.engine: AsyncEngine = db.make_engine(config.storage.resolved_url())
        self.sessions: async_sessionmaker[AsyncSession] = db.make_sessions(self.engine)
        self.services = Services(knowledge=Knowledge(file=config.knowledge.file))
        self.dispatcher = Dispatcher(all_routers(), self.sessions, config, self.services)

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
        for platform in ("telegram", "matrix"):
            if getattr(self.config, platform).enabled:
                raise ConfigError(
                    f"[{platform}] enabled: this version has no {platform} adapter yet"
                )
        return adapters

    def scheduler(self) -> Scheduler:
        """The app's scheduled jobs (not yet started); checks their cron expressions."""
        scheduler = Scheduler(self.config.bot.timezone)
        if self.config.feedback.digest:
            scheduler.cron(
                "feedback-digest",
                self.config.feedback.digest,
                self.send_digest,
                key=f"[feedback] digest {self.config.feedback.digest!r}",
            )
        return scheduler

    async def send_digest(self, now: datetime) -> int:
        """Owe each board member the feedback digest for the week before ``now``."""
        async with self.sessions() as session, session.begin():
            queued = await digest.send_to_board(
                session, config=self.config, knowledge=self.services.knowledge, now=now
            )
        log.info("feedback digest queued for %d board member(s)", queued)
        return queued

    async def serve(self, adapters: list[Adapter]) -> None:
        """Run ``adapters`` until SIGINT or SIGTERM, then stop each of them."""
        stop = stop_event_on_signals()
        for adapter in adapters:
            await adapter.start(self.dispatcher.handle)
            log.info("%s adapter started", adapter.platform)
        try:
            await stop.wait()
        finally:
            for adapter in reversed(adapters):
                await adapter.stop()
                log.info("%s adapter stopped", adapter.platform)


def stop_event_on_signals() -> asyncio.Event:
    """An event set by SIGINT or SIGTERM (instead of a traceback)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop
