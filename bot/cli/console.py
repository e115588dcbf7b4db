"""Talking to klbot: ``klbot chat``, ``klbot ask`` and ``klbot run``."""

from __future__ import annotations

import asyncio
import logging
import os

import click

from bot.adapters.console import ConsoleAdapter
from bot.cli.support import USER_OPTION, default_user, with_app
from bot.runtime.app import App, stop_event_on_signals
from bot.runtime.config import Config
from bot.runtime.logsetup import configure


@click.command()
@USER_OPTION
@click.pass_obj
def chat(config: Config, user: str) -> None:
    """Chat with klbot in the terminal (reads one message per line when piped)."""
    logging.basicConfig(level=logging.WARNING)
    adapter = ConsoleAdapter(user, language=os.environ.get("LANG"))
    if adapter.interactive:
        click.echo(
            "klbot – KL.digital. /help zeigt die Befehle, Strg-D beendet. / "
            "/help lists the commands, Ctrl-D quits.\n"
        )

    async def work(app: App) -> None:

        await adapter.converse(app.dispatcher.handle, stop_event_on_signals())

    with_app(config, work)


@click.command()
@USER_OPTION
@click.argument("text", nargs=-1, required=True)
@click.pass_obj
def ask(config: Config, user: str, text: tuple[str, ...]) -> None:
    """Send one message as a console user and print the reply."""
    logging.basicConfig(level=logging.WARNING)
    adapter = ConsoleAdapter(user, language=os.environ.get("LANG"))

    async def work(app: App) -> None:
        for reply in await app.dispatcher.handle(adapter.incoming(" ".join(text)), adapter.surface):
            await adapter.send(adapter.identity, reply)

    with_app(config, work)


@click.command()
@click.pass_obj
def run(config: Config) -> None:
    """Run every enabled adapter until SIGINT/SIGTERM (console chat when none is enabled)."""
    configure(config.logging)

    async def work(app: App) -> None:

        app.scheduler()  # checks every cron expression before anything starts
        adapters = app.platform_adapters()
        stop = stop_event_on_signals()
        leading = asyncio.create_task(app.lead(stop), name="leader")
        ended = None
        if not adapters:  # no platform configured: the console, until its input ends
            console = ConsoleAdapter(default_user(), language=os.environ.get("LANG"))
            adapters = [console]
            ended = asyncio.create_task(_stop_when(console.finished, stop))
        try:
            await app.serve(adapters, stop, freeze_heap=True)
        finally:
            stop.set()
            await leading
            if ended is not None:
                await ended

    with_app(config, work)


async def _stop_when(finished: asyncio.Event, stop: asyncio.Event) -> None:
    """Set ``stop`` once ``finished`` is set (or return once ``stop`` is)."""
    waiting = asyncio.create_task(finished.wait())
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({waiting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    waiting.cancel()
    stopping.cancel()
    stop.set()
