"""``klbot announce`` and ``klbot deliveries``: announcements from the shell."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from bot.cli.support import USER_OPTION, counted, fail, shell_identity, with_app
from bot.runtime.app import App
from bot.runtime.config import Config
from bot.runtime.membership import live_platforms
from bot.runtime.scheduler import Scheduler
from handlers.announcements import broadcast, timing
from handlers.announcements.compose import file_announcement
from handlers.announcements.timing import NotUnderstood, When, describe, understand
from handlers.subscriptions.topics import known
from storage import announcements
from storage.models import Announcement


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
    metavar="WHEN",
    help="Send at this time ([bot] timezone), in German or English words as in chat: "
    "'morgen 9 Uhr', 'Friday 14:30', '2026-12-05 10:00', '05.12.2026 10:00'.",
)
@click.option(
    "--every",
    metavar="RULE",
    help="Send repeatedly: 'Monday 9:00', 'weekday at 8', 'jeden Montag 9 Uhr', "
    "'monthly on the 1st', or cron fields such as '0 9 * * mon'.",
)
@click.option("--cron", "cron_text", hidden=True, help="The same as --every.")
@USER_OPTION
@click.option("--wait/--no-wait", default=True, help="Show delivery progress until done.")
@click.pass_obj
def announce(
    config: Config,
    audience: str,
    text: str | None,
    text_file: Path | None,
    text_en: str | None,
    send_at: str | None,
    every: str | None,
    cron_text: str | None,
    user: str,
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
    rule = every or cron_text
    if send_at and rule:
        fail("give at most one of --at and --every")
    zone = ZoneInfo(config.bot.timezone)
    planned = _when(send_at, zone) if send_at else _rule(rule, zone) if rule else None
    when, cron = (planned.at, planned.cron) if planned else (None, None)
    body = text if text is not None else text_file.read_text(encoding="utf-8").strip()  # type: ignore[union-attr]
    if not body:
        fail("the German text is empty")
    author = shell_identity(user)

    async def cost(app: App) -> str | None:
        async with app.sessions() as session:
            return await broadcast.paid_cost(session, audience, config, "en")

    paid = with_app(config, cost)
    if paid:
        click.echo(paid)  # before anything is sent

    async def work(app: App) -> tuple[int, str, int]:
        async with app.sessions() as session, session.begin():
            filed = await file_announcement(
                session,
                config,
                author=author,
                author_identity=author,
                audience=audience,
                text_de=body,
                text_en=text_en,
                when=planned,
            )
        if filed.state == "planned":
            scheduler = Scheduler(
                config.bot.timezone,
                config.storage.resolved_url(),
                misfire_grace=config.announcements.misfire_grace,
            )
            scheduler.start(None, paused=True)
            scheduler.announcement(filed.row.id, at=when, crontab=cron)
            scheduler.stop()
        return filed.row.id, filed.state, filed.count

    announcement_id, state, count = with_app(config, work)
    if state == "approval":
        click.echo(
            f"announcement #{announcement_id} awaits approval by a second staff "
            f"member in chat: /approve {announcement_id}"
        )
        return
    if planned:
        click.echo(f"announcement #{announcement_id} planned: {describe(planned, zone, 'en')}")
        return
    click.echo(f"announcement #{announcement_id} to {counted(count, 'recipient')}: sending…")
    if wait and count:
        _follow(config, announcement_id, count)


def _when(text: str, zone: ZoneInfo) -> When:
    """``--at``: a single time, in the words chat understands."""
    try:
        planned = understand(text, zone, "en")
    except NotUnderstood as refusal:
        fail(f"--at: {refusal}")
    if planned.cron:
        fail(f"--at: {text!r} repeats; use --every for a rule")
    return planned


def _rule(text: str, zone: ZoneInfo) -> When:
    """``--every``: a rule, "every" understood ("Monday 9:00" is "every Monday 9:00")."""
    try:
        planned: When | None = understand(text, zone, "en")
    except NotUnderstood:
        planned = None
    if planned is not None and planned.cron:
        return planned
    single = f"--every: {text!r} names a single time; use --at for that"
    try:
        again = understand(f"every {text}", zone, "en")
    except NotUnderstood as refusal:
        fail(single if planned else f"--every: {refusal}")
    if again.cron is None:
        fail(single)
    return again


QUEUED = (
    "no klbot is running to send it: the messages are queued and go out when `klbot run` "
    "runs (console chats see theirs with their next message)"
)
STRANDED = (
    "{count} not delivered yet: no running klbot sends to their platform (console chats "
    "see theirs with their next message)"
)
POLL_SECONDS = 1.0
"""How often ``--follow`` reads how far the delivery is."""


@dataclass(frozen=True, slots=True)
class _Look:
    """How far a broadcast is, and how many of those still owed a running klbot sends."""

    standing: broadcast.Standing
    sendable: int
    running: bool
    """Whether any klbot sends at all (to any platform)."""


async def _look(app: App, announcement_id: int) -> _Look:
    async with app.sessions() as session:
        platforms = await live_platforms(session)
        sendable = await announcements.undelivered_on(
            session, announcement_id=announcement_id, platforms=platforms
        )
        # read after what is sendable, so that none it counts as gone is still pending here
        row = await announcements.get(session, announcement_id=announcement_id)
        if row is None:
            fail(f"announcement #{announcement_id} is gone")
        done = await announcements.progress(session, announcement_id=announcement_id)
    return _Look(broadcast.standing(row, done), sendable, bool(platforms))


@contextmanager
def _meter(total: int) -> Iterator[Callable[[int], None]]:
    """Shows how many of ``total`` are through: click's progress bar in a terminal; a
    line at each tenth of the way where the output is a file or a pipe (a bar there is
    one line of escape codes)."""
    if sys.stdout.isatty():
        with click.progressbar(length=total, label="delivering", show_pos=True) as bar:
            yield lambda through: bar.update(through - bar.pos)
        return
    shown = -1

    def line(through: int) -> None:
        nonlocal shown
        tenth = through * 10 // total if total else 10
        if tenth > shown:
            shown = tenth
            click.echo(f"delivering: {through:,} / {total:,}")

    yield line


def _figures(announcement_id: int, state: broadcast.Standing) -> str:
    figures = (
        f"announcement #{announcement_id}: {state.delivered:,} delivered, "
        f"{state.undeliverable:,} undeliverable, {state.uncertain:,} uncertain "
        "(may have arrived; never sent twice)"
    )
    return figures + (f", {state.pending:,} pending" if state.pending else "")


def _follow(config: Config, announcement_id: int, total: int) -> None:
    """Show the delivery rows a running klbot works through until all ``total`` are
    through, or no running klbot serves the platforms of those still owed; then the
    figures. Ctrl-C stops watching, not delivering."""
    try:
        with_app(config, lambda app: _watch(app, announcement_id, total))
    except KeyboardInterrupt:
        click.echo("stopped watching; the running klbot goes on delivering")


async def _watch(app: App, announcement_id: int, total: int) -> None:
    look = await _look(app, announcement_id)
    if not total:
        click.echo(f"announcement #{announcement_id} has no deliveries yet: nothing to follow")
        return
    if look.standing.through < total and not look.running:
        click.echo(QUEUED)
        return
    if look.standing.through < total and look.sendable:
        click.echo("delivered by the running klbot; Ctrl-C stops watching, not delivering")
        with _meter(total) as show:
            show(look.standing.through)
            while look.standing.through < total and look.sendable:
                await asyncio.sleep(POLL_SECONDS)
                look = await _look(app, announcement_id)
                show(min(total, look.standing.through))
    if look.standing.pending:
        click.echo(STRANDED.format(count=f"{look.standing.pending:,}"))
    click.echo(_figures(announcement_id, look.standing))


@click.command()
@click.argument("announcement_id", type=int, required=False)
@click.option(
    "--follow",
    is_flag=True,
    help="Show how far delivery is (a progress bar in a terminal) until it is through, "
    "then the figures.",
)
@click.pass_obj
def deliveries(config: Config, announcement_id: int | None, follow: bool) -> None:
    """The delivery state of one announcement; without a number, every pending one with
    its time or rule and its next run."""
    zone = ZoneInfo(config.bot.timezone)

    async def one(app: App) -> str | None:
        assert announcement_id is not None
        async with app.sessions() as session:
            row = await announcements.get(session, announcement_id=announcement_id)
            if row is None:
                return None
            done = await announcements.progress(session, announcement_id=announcement_id)
            return (
                f"#{row.id} {row.audience} · {_when_in_words(row, zone)} · {row.status} · "
                f"recipients {done.recipients}, sent {done.sent}, "
                f"failed {done.failed - done.uncertain}, pending {done.pending}, "
                f"uncertain {done.uncertain} (may have arrived; never sent twice)"
            )

    async def pending(app: App) -> list[str]:
        async with app.sessions() as session:
            rows = await announcements.pending(session)
        return [
            f"#{row.id} {row.audience} · {_when_in_words(row, zone)} · {row.status} · "
            f"{' '.join(row.text_de.split())[:50]}"
            for row in rows
        ]

    if announcement_id is None:
        click.echo("\n".join(with_app(config, pending)) or "no pending announcements")
        return
    state = with_app(config, one)
    if state is None:
        fail(f"there is no announcement #{announcement_id}")
    click.echo(state)
    if follow:
        _follow(
            config, announcement_id, with_app(config, lambda app: _recipients(app, announcement_id))
        )


async def _recipients(app: App, announcement_id: int) -> int:
    async with app.sessions() as session:
        return (await announcements.progress(session, announcement_id=announcement_id)).recipients


def _when_in_words(row: Announcement, zone: ZoneInfo) -> str:
    planned = timing.of(row)
    return describe(planned, zone, "en") if planned else "at once"


async def _audience(app: App, audience: str) -> tuple[str | None, list[str]]:
    """The audience as stored (``None``: no such audience), and the topics there are."""
    async with app.sessions() as session:
        kb = (await app.services.knowledge.current(session)).kb
    return broadcast.resolve_audience(audience, kb), known(kb, "de")
