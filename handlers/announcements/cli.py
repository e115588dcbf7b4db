"""``klbot announce`` and ``klbot deliveries``: announcements from the shell."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from bot.cli.support import counted, default_user, fail, with_app
from bot.runtime.app import App
from bot.runtime.config import Config
from bot.runtime.scheduler import Scheduler, trigger
from handlers.announcements import broadcast
from handlers.subscriptions.topics import known
from storage import announcements, roles


@click.command()
@click.option(
    "--audience",
    required=True,
    help="all, board, staff or topic:NAME (a project or topic tag, e.g. 'topic:Smart City').",
)
@click.option("--text", help="The German text.")
@click.option(
    "--file",
    "text_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A UTF-8 file with the German text.",
)
@click.option("--text-en", help="The English text (optional).")
@click.option(
    "--at",
    "send_at",
    type=click.DateTime(["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"]),
    help="Send at this time (Europe/Berlin), e.g. '2026-12-01 09:00'.",
)
@click.option("--cron", help="Send repeatedly, e.g. '0 9 * * mon'.")
@click.option("--user", default=None, help="Console identity of the author (for the report).")
@click.option("--wait/--no-wait", default=True, help="Show delivery progress until done.")
@click.pass_obj
def announce(
    config: Config,
    audience: str,
    text: str | None,
    text_file: Path | None,
    text_en: str | None,
    send_at: datetime | None,
    cron: str | None,
    user: str | None,
    wait: bool,
) -> None:
    """Send an announcement now, at a time, or on a schedule."""
    resolved, topics = with_app(config, lambda app: _audience(app, audience))
    if resolved is None and audience.startswith("topic:"):
        wanted = audience.removeprefix("topic:")
        fail(f"--audience: no topic {wanted!r}; topics: {', '.join(topics)}")
    if resolved is None:
        fail(f"--audience: {audience!r} is not all, board, staff or topic:NAME")
    audience = resolved
    if (text is None) == (text_file is None):
        fail("give the German text with exactly one of --text and --file")
    if send_at and cron:
        fail("give at most one of --at and --cron")
    zone = ZoneInfo(config.bot.timezone)
    if cron:
        try:
            trigger(cron, zone, "--cron")
        except Exception as exc:
            fail(str(exc))
    body = text if text is not None else text_file.read_text(encoding="utf-8").strip()  # type: ignore[union-attr]
    if not body:
        fail("the German text is empty")
    when = send_at.replace(tzinfo=zone) if send_at else None
    if when is not None and when <= datetime.now(zone):
        fail(f"--at: {send_at:%Y-%m-%d %H:%M} is in the past")
    author = f"console:{user or default_user()}"

    async def work(app: App) -> tuple[int, int]:
        async with app.sessions() as session, session.begin():
            row = await announcements.create(
                session,
                author=author,
                audience=audience,
                text_de=body,
                text_en=text_en,
                send_at=when,
                cron=cron,
            )
            if broadcast.needs_approval(row, config):
                row.status = "approval"
                await roles.audit(
                    session,
                    actor=author,
                    action="announce",
                    detail=f"#{row.id} to {audience}: awaiting approval",
                )
                return row.id, -1
            count = 0 if (when or cron) else await broadcast.fire(session, row, config)
            await roles.audit(
                session,
                actor=author,
                action="announce",
                detail=f"#{row.id} to {audience}: {cron or when or count}",
            )
        if when or cron:
            scheduler = Scheduler(
                config.bot.timezone,
                config.storage.resolved_url(),
                misfire_grace=config.announcements.misfire_grace,
            )
            scheduler.start(None, paused=True)
            scheduler.announcement(row.id, at=when, crontab=cron)
            scheduler.stop()
        return row.id, count

    announcement_id, count = with_app(config, work)
    if count < 0:
        click.echo(
            f"announcement #{announcement_id} awaits approval by a second staff "
            f"member in chat: /approve {announcement_id}"
        )
        return
    if when or cron:
        click.echo(
            f"announcement #{announcement_id} scheduled "
            f"({f'at {when:%Y-%m-%d %H:%M}' if when else f'cron {cron!r}'})"
        )
        return
    click.echo(f"announcement #{announcement_id}: {counted(count, 'recipient')}")
    if wait and count:
        _follow(config, announcement_id, count)


def _follow(config: Config, announcement_id: int, total: int) -> None:
    """A progress bar fed by the delivery rows a running klbot works through."""

    async def progress(app: App) -> int:
        async with app.sessions() as session:
            done = await announcements.progress(session, announcement_id=announcement_id)
            return done.sent + done.failed

    click.echo("delivered by the running klbot; Ctrl-C stops watching, not delivering")
    with click.progressbar(length=total, label="delivering") as bar:
        seen = 0
        while seen < total:
            current = with_app(config, progress)
            bar.update(current - seen)
            seen = current
            if seen < total:
                time.sleep(1)


@click.command()
@click.argument("announcement_id", type=int)
@click.pass_obj
def deliveries(config: Config, announcement_id: int) -> None:
    """The delivery state of one announcement."""

    async def work(app: App) -> str | None:
        async with app.sessions() as session:
            row = await announcements.get(session, announcement_id=announcement_id)
            if row is None:
                return None
            done = await announcements.progress(session, announcement_id=announcement_id)
            return (
                f"#{row.id} {row.audience} · {row.status} · recipients {done.recipients}, "
                f"sent {done.sent}, failed {done.failed}, pending {done.pending}"
            )

    state = with_app(config, work)
    if state is None:
        fail(f"there is no announcement #{announcement_id}")
    click.echo(state)


async def _audience(app: App, audience: str) -> tuple[str | None, list[str]]:
    """The audience as stored (``None``: no such audience), and the topics there are."""
    async with app.sessions() as session:
        kb = (await app.services.knowledge.current(session)).kb
    return broadcast.resolve_audience(audience, kb), known(kb, "de")
