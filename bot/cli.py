"""The ``klbot`` command."""

from __future__ import annotations

import asyncio
import getpass
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from bot.config import Config, ConfigError, load_config

if TYPE_CHECKING:
    from bot.app import App

T = TypeVar("T")


def default_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "console"


def _check_user(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    value = value.strip()
    if not value or len(value) > 64 or not value.isprintable() or " " in value:
        raise click.BadParameter("a name of 1 to 64 printable characters without spaces")
    return value


USER_OPTION = click.option(
    "--user",
    default=default_user,
    callback=_check_user,
    show_default="your login name",
    help="Console identity to act as (console:NAME).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="KLBOT_CONFIG",
    help="TOML configuration file (default: $KLBOT_CONFIG, else built-in defaults).",
)
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None) -> None:
    """klbot: KL.digital's chatbot for citizens, staff and the board."""
    try:
        ctx.obj = load_config(config_path)
    except ConfigError as exc:
        fail(str(exc))


def fail(message: str) -> None:
    """Print one clear line and exit with status 2."""
    click.echo(f"klbot: {message}", err=True)
    sys.exit(2)


def with_app(config: Config, work: Callable[[App], Awaitable[T]]) -> T:
    """Open the app (migrating the database if needed), run ``work``, close it."""
    from bot.app import App

    async def main() -> T:
        async with App.open(config) as app:
            return await work(app)

    try:
        return asyncio.run(main())
    except ConfigError as exc:
        fail(str(exc))
        raise  # unreachable; keeps type checkers content
    except OSError as exc:
        fail(f"cannot open the database {config.storage.resolved_url()}: {exc}")
        raise


@cli.command()
@USER_OPTION
@click.pass_obj
def chat(config: Config, user: str) -> None:
    """Chat with klbot in the terminal (reads one message per line when piped)."""
    from bot.adapters.console import ConsoleAdapter

    logging.basicConfig(level=logging.WARNING)
    adapter = ConsoleAdapter(user, language=os.environ.get("LANG"))
    if adapter.interactive:
        click.echo(
            "klbot – KL.digital. /help zeigt die Befehle, Strg-D beendet. / "
            "/help lists the commands, Ctrl-D quits.\n"
        )

    async def work(app: App) -> None:
        from bot.app import stop_event_on_signals

        await adapter.converse(app.dispatcher.handle, stop_event_on_signals())

    with_app(config, work)


@cli.command()
@USER_OPTION
@click.argument("text", nargs=-1, required=True)
@click.pass_obj
def ask(config: Config, user: str, text: tuple[str, ...]) -> None:
    """Send one message as a console user and print the reply."""
    from bot.adapters.console import ConsoleAdapter

    logging.basicConfig(level=logging.WARNING)
    adapter = ConsoleAdapter(user, language=os.environ.get("LANG"))

    async def work(app: App) -> None:
        for reply in await app.dispatcher.handle(adapter.incoming(" ".join(text)), adapter.surface):
            await adapter.send(adapter.identity, reply)

    with_app(config, work)


@cli.command()
@click.pass_obj
def run(config: Config) -> None:
    """Run every enabled adapter until SIGINT/SIGTERM (console chat when none is enabled)."""
    from bot.logsetup import configure

    configure(config.logging)

    async def work(app: App) -> None:
        from bot.app import stop_event_on_signals

        app.scheduler()  # checks every cron expression before anything starts
        adapters = app.platform_adapters()
        stop = stop_event_on_signals()
        leading = asyncio.create_task(app.lead(stop), name="leader")
        try:
            if adapters:
                await app.serve(adapters, stop)
                return
            from bot.adapters.console import ConsoleAdapter

            console = ConsoleAdapter(default_user(), language=os.environ.get("LANG"))
            await console.converse(app.dispatcher.handle, stop)
        finally:
            stop.set()
            await leading

    with_app(config, work)


@cli.group()
def db() -> None:
    """Database schema: upgrade, current revision."""


@db.command()
@click.pass_obj
def upgrade(config: Config) -> None:
    """Migrate the database to the newest schema."""
    from storage import db as storage_db

    async def work(app: App) -> None:
        click.echo(f"database at {await storage_db.current_revision(app.engine)} (head)")

    with_app(config, work)


@db.command()
@click.pass_obj
def current(config: Config) -> None:
    """Print the database's schema revision without changing anything."""
    from storage import db as storage_db

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


def main() -> None:
    from bot.cli_announce import announce, deliveries
    from bot.cli_feedback import feedback
    from bot.cli_knowledge import kb
    from bot.cli_roles import invite, roles_command

    for command in (kb, feedback, announce, deliveries, invite, roles_command):
        cli.add_command(command)
    cli(prog_name="klbot")
