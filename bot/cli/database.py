"""``klbot db``: the database schema."""

from __future__ import annotations

import asyncio

import click

from bot.cli.support import with_app
from bot.runtime.app import App
from bot.runtime.config import Config
from storage import db as storage_db


@click.group()
def db() -> None:
    """Database schema: upgrade, current revision."""


@db.command()
@click.pass_obj
def upgrade(config: Config) -> None:
    """Migrate the database to the newest schema."""

    async def work(app: App) -> None:
        click.echo(f"database at {await storage_db.current_revision(app.engine)} (head)")

    with_app(config, work)


@db.command()
@click.pass_obj
def current(config: Config) -> None:
    """Print the database's schema revision without changing anything."""

    async def work() -> tuple[str | None, str]:
        engine = storage_db.make_engine(config.storage.resolved_url())
        try:
            return await storage_db.current_revision(engine), storage_db.head_revision()
        finally:
            await engine.dispose()

    revision, head = asyncio.run(work())
    if revision is None:
        click.echo("empty database (run `klbot db upgrade`)")
    else:
        click.echo(f"{revision} ({'head' if revision == head else f'behind; head is {head}'})")
