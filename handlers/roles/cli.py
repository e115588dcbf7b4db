"""``klbot invite`` and ``klbot roles``: who may do what, from the shell."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import click
from pytimeparse2 import parse as parse_time

from bot.cli.support import fail, shell_identity, with_app
from bot.core.events import Identity
from bot.core.roles import ROLE_NAMES, Role
from bot.runtime.app import App
from bot.runtime.config import Config
from handlers.roles import service
from storage import roles

DURATION_HINT = "a duration like 1w, 7d, 12h or 90m"


def parse_duration(text: str) -> timedelta:
    """``1w``, ``7d``, ``12h``, ``90m`` or combinations (``1d 12h``); a bare number has no
    unit and is refused."""
    words = text.strip()
    seconds = None if words.isdecimal() else parse_time(words)  # seconds, or None
    if seconds is None or seconds < 60:
        raise click.BadParameter(f"{text!r} is not {DURATION_HINT}")
    return timedelta(seconds=seconds)


def role_named(word: str) -> Role:
    """A role by its key or its name ("board", "Beirat"); citizens hold no grant."""
    role = service.role_named(word)
    if role is None:
        fail(f"{word!r} is not a role; roles: {', '.join(r.value for r in ROLE_NAMES)}")
    return role


@click.command()
@click.option("--role", required=True, type=click.Choice([r.value for r in ROLE_NAMES]))
@click.option(
    "--expires", default="7d", show_default=True, help=f"How long it is valid: {DURATION_HINT}."
)
@click.pass_obj
def invite(config: Config, role: str, expires: str) -> None:
    """Print a one-time code a person redeems in chat with /join CODE."""
    try:
        valid = parse_duration(expires)
    except click.BadParameter as exc:
        fail(f"--expires: {exc.message}")
    if valid > roles.MAX_VALIDITY:
        fail(f"--expires: at most {roles.MAX_VALIDITY.days}d")
    until = datetime.now(UTC) + valid

    async def work(app: App) -> str:
        async with app.sessions() as session, session.begin():
            return await roles.create_invite(
                session, role=role, by=shell_identity(), expires_at=until
            )

    code = with_app(config, work)
    local = until.astimezone(ZoneInfo(config.bot.timezone))
    click.echo(f"/join {code}")
    click.echo(
        f"(one use, role {ROLE_NAMES[Role(role)]('en')}, valid until {local:%Y-%m-%d %H:%M})",
        err=True,
    )


@click.command(name="roles")
@click.option("--revoke", nargs=2, metavar="IDENTITY ROLE", help="Take a role given by invite.")
@click.pass_obj
def roles_command(config: Config, revoke: tuple[str, str] | None) -> None:
    """List the roles (configuration and invites), or revoke one (the person is told)."""
    target: tuple[str, Role] | None = None
    if revoke:
        try:
            target = (str(Identity.parse(revoke[0])), role_named(revoke[1]))
        except ValueError:
            fail(f"{revoke[0]!r} is not an identity like telegram:123 or matrix:@ana:example.org")
    zone = ZoneInfo(config.bot.timezone)

    async def work(app: App) -> list[str] | bool:
        async with app.sessions() as session, session.begin():
            if target:
                identity, role = target
                return await service.revoke(
                    session, config, identity=identity, role=role, by=shell_identity()
                )
            lines = [
                f"{ROLE_NAMES[role]('en')}\t{identity}\t{service.FROM_CONFIG('en')}"
                for role in ROLE_NAMES
                for identity in getattr(config.roles, role.value)
            ]
            for g in await roles.grants(session):
                how = service.granted_how(g, "en", zone)
                lines.append(f"{ROLE_NAMES[Role(g.role)]('en')}\t{g.identity}\t{how}")
            return lines

    result = with_app(config, work)
    if target:
        identity, role = target
        name = ROLE_NAMES[role]("en")
        if not result:
            fail(f"{identity} holds no role {name!r} by invitation")
        click.echo(f"{identity} no longer has the role {name!r}; they have been told")
        return
    assert isinstance(result, list)
    click.echo("\n".join(result) if result else "no roles assigned")
