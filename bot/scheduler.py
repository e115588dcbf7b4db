"""klbot's one scheduler (APScheduler 3), owned by the running app."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.config import ConfigError

log = logging.getLogger(__name__)


class Scheduler:
    """Cron jobs with explicit ids, in the bot's time zone."""

    def __init__(self, timezone: str) -> None:
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        self.zone = ZoneInfo(timezone)
        self._scheduler: Any = AsyncIOScheduler(timezone=self.zone)

    def cron(
        self, job_id: str, crontab: str, job: Callable[[datetime], Awaitable[object]], *, key: str
    ) -> None:
        """Run ``job(fire_time)`` on a five-field ``crontab``; ``key`` names it in errors."""
        from apscheduler.triggers.cron import CronTrigger

        try:
            trigger = CronTrigger.from_crontab(crontab, timezone=self.zone)
        except ValueError as exc:
            raise ConfigError(f"{key}: not a valid cron expression ({exc})") from None

        async def run() -> None:
            now = datetime.now(self.zone)
            try:
                await job(now)
            except Exception:
                log.exception("scheduled job %s failed", job_id)

        self._scheduler.add_job(run, trigger, id=job_id, replace_existing=True, coalesce=True)

    def start(self) -> None:
        self._scheduler.start()

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
