"""``klbot invite`` and ``klbot roles``: who may do what, from the shell."""

from __future__ import annotations

import getpass
import re
from datetime import UTC, datetime, timedelta

import click

from bot.cli.support import fail, with_app
from bot.runtime.app import App
from bot.runtime.config import Config
from storage import roles

DURATION = re.compile(r"^(\d+)([mhd])$")


def parse_duration(text: str) -> timedelta:
    """``30m``, ``12h`` or ``7d``."""
    match = DURATION.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise click.BadParameter("a duration like 30m, 12h or 7d")
    amount, unit = int(match.group(1)), match.group(2)
    unit_name = {"m": "minutes", "h": "hours", "d": "days"}[unit]
    return timedelta(**{unit_name: amount})


def operator() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):
        return "cli:unknown"


@click.command()
@click.option("--role", required=True, type=click.Choice(["staff", "board", "admin"]))
@click.option("--expires", default="7d", show_default=True, help="How long the code is valid.")
@click.pass_obj
def invite(config: Config, role: str, expires: str) -> None:
    """Print a one-time code a person redeems in chat with /join CODE."""
    try:
        valid = parse_duration(expires)
    except click.BadParameter as exc:
        fail(f"--expires: {exc.message}")
    if valid > roles.MAX_VALIDITY:
        fail(f"--expires: at most {roles.MAX_VALIDITY.days}d")

    async def work(app: App) -> str:
        async with app.sessions() as session, session.begin():
            until = datetime.now(UTC) + valid
            return await roles.create_invite(session, role=role, by=operator(), expires_at=until)

    code = with_app(config, work)
    click.echo(f"/join {code}")
    click.echo(f"(one use, role {role}, valid for {expires})", err=True)


@click.command(name="roles")
@click.option("--revoke", nargs=2, metavar="IDENTITY ROLE", help="Take a role given by invite.")
@click.pass_obj
def roles_command(config: Config, revoke: tuple[str, str] | None) -> None:
    """List the roles (configuration and invites), or revoke one."""

    async def work(app: App) -> list[str] | bool:
        async with app.sessions() as session, session.begin():
            if revoke:
                return await roles.revoke(
                    session, identity=revoke[0], role=revoke[1], by=operator()
                )
            lines = [
                f"{role}\t{identity}\tconfig"
                for role in ("admin", "staff", "board")
                for identity in getattr(config.roles, role)
            ]
            lines += [
                f"{g.role}\t{g.identity}\t{g.granted_by}" for g in await roles.grants(session)
            ]
            return lines

    result = with_app(config, work)
    if revoke:
        if not result:
            fail(f"{revoke[0]} holds no {revoke[1]} role by invite")
        click.echo(f"revoked {revoke[1]} from {revoke[0]}")
        return
    assert isinstance(result, list)
    click.echo("\n".join(result) if result else "no roles assigned")
