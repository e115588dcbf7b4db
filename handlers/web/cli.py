"""``klbot web login IDENTITY``: a one-time link to the web console, from the shell."""

from __future__ import annotations

import click

from bot.cli.support import fail, with_app
from bot.core.events import Identity
from bot.runtime.app import App
from bot.runtime.config import Config
from handlers.web.service import LINK_VALID, login_link


@click.group()
def web() -> None:
    """The web console for staff and board."""


@web.command()
@click.argument("identity")
@click.pass_obj
def login(config: Config, identity: str) -> None:
    """Print a one-time login link for IDENTITY (e.g. telegram:123456)."""
    try:
        Identity.parse(identity)
    except ValueError as exc:
        fail(str(exc))
    if not config.web.enabled:
        fail("the web console is switched off: set [web] enabled = true")

    async def work(app: App) -> str | None:
        async with app.sessions() as session, session.begin():
            return await login_link(session, config, identity)

    link = with_app(config, work)
    if link is None:
        fail(f"{identity} holds no staff, board or admin role, so it cannot sign in")
    click.echo(link)
    click.echo(f"(valid for {int(LINK_VALID.total_seconds() // 60)} minutes, once)", err=True)
