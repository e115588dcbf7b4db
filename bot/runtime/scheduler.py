"""klbot's one scheduler (APScheduler 3), owned by the running app.

Announcements at a time or on a cron schedule live in a persistent SQLAlchemy job store
in klbot's own database, under explicit ids (``announcement:7``), so a restart neither
loses nor duplicates them. Housekeeping jobs (digest, reports) are re-added at start.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Protocol
from zoneinfo import ZoneInfo

from bot.runtime.config import ConfigError
from storage.db import sync_url

log = logging.getLogger(__name__)

WAKEUP_SECONDS = 30
"""How often a running scheduler looks for jobs other processes (``klbot announce``) added."""


class Jobs(Protocol):
    """What scheduled jobs call: the running app."""

    async def fire_announcement(self, announcement_id: int, fire_time: datetime) -> None: ...

    async def announcement_missed(self, announcement_id: int) -> None: ...

    async def send_digest(self, now: datetime | None = None) -> object: ...

    async def finish_announcements(self) -> None: ...


class Scheduler:
    """Cron and one-off jobs in the bot's time zone; at most one running per process."""

    running: ClassVar[Jobs | None] = None
    """The app whose jobs fire (job functions are stored by name, not as objects)."""

    def __init__(self, timezone: str, database_url: str, *, misfire_grace: int = 300) -> None:
        from apscheduler.jobstores.memory import MemoryJobStore
        from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        self.zone = ZoneInfo(timezone)
        self.misfire_grace = misfire_grace
        self._scheduler: Any = AsyncIOScheduler(
            timezone=self.zone,
            jobstores={
                "default": SQLAlchemyJobStore(
                    url=sync_url(database_url), tablename="scheduled_jobs"
                ),
                "memory": MemoryJobStore(),
            },
            job_defaults={"coalesce": True, "misfire_grace_time": misfire_grace},
        )

    def cron(self, job_id: str, crontab: str, function: Any, *, key: str) -> None:
        """A housekeeping job on a five-field ``crontab``; ``key`` names it in errors."""
        self._scheduler.add_job(
            function,
            trigger(crontab, self.zone, key),
            id=job_id,
            replace_existing=True,
            jobstore="memory",
        )

    def every(self, job_id: str, seconds: int, function: Any) -> None:
        self._scheduler.add_job(
            function,
            "interval",
            seconds=seconds,
            id=job_id,
            replace_existing=True,
            jobstore="memory",
        )

    def announcement(
        self,
        announcement_id: int,
        *,
        at: datetime | None,
        crontab: str | None,
        unless_held: bool = False,
    ) -> None:
        """Store the announcement's job (one-off ``at`` or recurring ``crontab``), replacing
        one planned differently (``unless_held``: keep a job with this very time)."""
        from apscheduler.triggers.date import DateTrigger

        when: Any = (
            trigger(crontab, self.zone, "--cron")
            if crontab
            else DateTrigger(run_date=at and at.astimezone(self.zone), timezone=self.zone)
        )
        held = self._scheduler.get_job(f"announcement:{announcement_id}")
        if unless_held and held is not None and str(held.trigger) == str(when):
            return
        self._scheduler.add_job(
            "bot.runtime.scheduler:fire_announcement",
            when,
            args=[announcement_id],
            id=f"announcement:{announcement_id}",
            replace_existing=True,
        )

    def has_announcement(self, announcement_id: int) -> bool:
        return self._scheduler.get_job(f"announcement:{announcement_id}") is not None

    def remove_announcement(self, announcement_id: int) -> None:
        from apscheduler.jobstores.base import JobLookupError

        with contextlib.suppress(JobLookupError):
            self._scheduler.remove_job(f"announcement:{announcement_id}")

    def start(self, jobs: Jobs | None, *, paused: bool = False) -> None:
        """Start firing (``paused``: only read and write the job store, as the CLI does)."""
        from apscheduler.events import EVENT_JOB_MISSED

        if jobs is not None:
            Scheduler.running = jobs
            self.every("scheduler-wakeup", WAKEUP_SECONDS, self._scheduler.wakeup)
        self._scheduler.add_listener(self._missed, EVENT_JOB_MISSED)
        self._scheduler.start(paused=paused)

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        Scheduler.running = None

    def _missed(self, event: Any) -> None:
        job_id = str(event.job_id)
        if job_id.startswith("announcement:") and Scheduler.running is not None:
            import asyncio

            identifier = int(job_id.partition(":")[2])
            asyncio.get_running_loop().create_task(
                Scheduler.running.announcement_missed(identifier)
            )


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Weekday names in APScheduler's (and Python's) order: Monday first."""


@dataclass(frozen=True, slots=True)
class CronFields:
    """Five cron fields as the sets they stand for (``None``: every value). Weekdays are
    counted as Python counts them (0 = Monday), whatever cron text they came from."""

    minutes: tuple[int, ...] | None
    hours: tuple[int, ...] | None
    days: tuple[int, ...] | None
    months: tuple[int, ...] | None
    weekdays: tuple[int, ...] | None


def cron_fields(crontab: str, key: str) -> CronFields:
    """Read five cron fields as cron does (croniter): weekday 0 and 7 are Sunday, names
    (``mon-fri``, ``MON``), ranges through Sunday (``0-4``), lists and steps (``*/2``);
    a mistake names ``key``."""
    from croniter import croniter

    if len(crontab.split()) != 5:
        raise ConfigError(f"{key}: not a valid cron expression (five fields, e.g. '0 9 * * mon')")
    try:
        expanded, _ = croniter.expand(crontab)
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{key}: not a valid cron expression ({exc})") from None
    sets: list[tuple[int, ...] | None] = []
    for field in expanded:
        if field == ["*"]:
            sets.append(None)
        elif all(isinstance(value, int) for value in field):
            sets.append(tuple(sorted(set(field))))
        else:  # croniter's own extensions ("L"): no cron that klbot promises
            raise ConfigError(f"{key}: not a valid cron expression ({crontab!r})")
    minutes, hours, days, months, weekdays = sets
    if days is not None and weekdays is not None:
        raise ConfigError(f"{key}: give a day of the month or weekdays, not both ({crontab!r})")
    monday_first = None if weekdays is None else tuple(sorted({(d - 1) % 7 for d in weekdays}))
    return CronFields(minutes, hours, days, months, monday_first)


def trigger(crontab: str, zone: ZoneInfo, key: str) -> Any:
    """APScheduler's cron trigger for five cron fields read as cron reads them
    (:func:`cron_fields`); a mistake names ``key``."""
    from apscheduler.triggers.cron import CronTrigger

    fields = cron_fields(crontab, key)

    def listed(values: tuple[int, ...] | None, names: tuple[str, ...] = ()) -> str:
        if values is None:
            return "*"
        return ",".join(names[value] if names else str(value) for value in values)

    try:
        return CronTrigger(
            minute=listed(fields.minutes),
            hour=listed(fields.hours),
            day=listed(fields.days),
            month=listed(fields.months),
            day_of_week=listed(fields.weekdays, WEEKDAYS),
            timezone=zone,
        )
    except ValueError as exc:
        raise ConfigError(f"{key}: not a valid cron expression ({exc})") from None


async def fire_announcement(announcement_id: int) -> None:
    """The stored job of an announcement: fires it through the running app."""
    if Scheduler.running is None:
        log.error("announcement %s fired without a running app", announcement_id)
        return
    await Scheduler.running.fire_announcement(announcement_id, datetime.now().astimezone())
