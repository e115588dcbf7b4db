"""What every ``klbot`` command shares: the console identity option, one-line failures,
and running work against the opened app."""

from __future__ import annotations

import asyncio
import getpass
import os
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, NoReturn, TypeVar

import click

from bot.runtime.config import Config, ConfigError

if TYPE_CHECKING:
    from bot.runtime.app import App

T = TypeVar("T")


def default_user() -> str:
    """The login name of the person at the shell: under ``sudo`` the one who called it
    (not ``root``), else the login name, else ``console``."""
    called_by = os.environ.get("SUDO_USER", "").strip()
    if called_by and called_by != "root":
        return called_by
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "console"


def shell_identity(user: str | None = None) -> str:
    """The identity a ``klbot`` command acts as: ``console:NAME`` (default: your login
    name), the one ``klbot chat`` talks as, so replies and reports meet there."""
    return f"console:{user or default_user()}"


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


def fail(message: str) -> NoReturn:
    """Print one clear line and exit with status 2."""
    click.echo(f"klbot: {message}", err=True)
    sys.exit(2)


def with_app(config: Config, work: Callable[[App], Awaitable[T]]) -> T:
    """Open the app (migrating the database if needed), run ``work``, close it."""
    from bot.runtime.app import App

    async def main() -> T:
        async with App.open(config) as app:
            return await work(app)

    try:
        return asyncio.run(main())
    except ConfigError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot open the database {config.storage.resolved_url()}: {exc}")


def counted(count: int, thing: str, things: str | None = None) -> str:
    """``1 recipient``, ``1,250 recipients``: a number and the noun that agrees with it."""
    return f"{count:,} {thing if count == 1 else things or thing + 's'}"
