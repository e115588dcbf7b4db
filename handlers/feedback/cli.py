"""``klbot feedback``: export feedback and send the board digest from the shell."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from bot.cli.support import counted, with_app
from bot.runtime.app import App
from bot.runtime.config import Config
from handlers.digest.service import compose
from handlers.feedback.export import as_records, to_csv, to_json
from storage import feedback as store


@click.group()
def feedback() -> None:
    """Citizens' feedback: export it, send the board digest."""


@feedback.command()
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True
)
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="Only feedback from this day on.")
@click.option("--topic", help="Only this topic: general, bot or project:ID.")
@click.option(
    "--output", type=click.Path(dir_okay=False, path_type=Path), help="File (default: stdout)."
)
@click.pass_obj
def export(
    config: Config, fmt: str, since: datetime | None, topic: str | None, output: Path | None
) -> None:
    """Write feedback as CSV (UTF-8, safe for spreadsheets) or JSON."""
    start = _day_start(since.date(), config.bot.timezone) if since else None

    async def work(app: App) -> list[dict[str, object]]:
        async with app.sessions() as session:
            rows = await store.search(session, since=start, topic=topic, limit=None)
            answers = await store.answers_to(session, [row.id for row in rows])
            return as_records(reversed(rows), answers, config.bot.timezone)

    records = with_app(config, work)
    text = to_csv(records) if fmt == "csv" else to_json(records)
    if output is None:
        click.echo(text, nl=False)
        return
    # utf-8-sig: spreadsheet programs recognise UTF-8 (umlauts) by the byte-order mark
    output.write_text(text, encoding="utf-8-sig" if fmt == "csv" else "utf-8", newline="")
    click.echo(f"{counted(len(records), 'feedback record')} written to {output}", err=True)


def _day_start(day: date, timezone: str) -> datetime:
    return datetime.combine(day, time(), ZoneInfo(timezone)).astimezone(UTC)


@feedback.command()
@click.option("--send", is_flag=True, help="Send it to the board members now.")
@click.pass_obj
def digest(config: Config, send: bool) -> None:
    """Print this week's feedback digest, or send it to the board members with --send."""

    async def work(app: App) -> str:
        now = datetime.now(ZoneInfo(config.bot.timezone))
        if send:
            return f"digest queued for {counted(await app.send_digest(now), 'board member')}"
        async with app.sessions() as session:
            digest = await compose(
                session,
                knowledge=app.services.knowledge,
                lang=config.bot.default_language,
                since=now - timedelta(days=7),
                recent=config.feedback.digest_recent,
            )
            return digest.text

    click.echo(with_app(config, work))
