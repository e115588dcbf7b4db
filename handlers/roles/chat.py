"""/join CODE for invited people; /roles and /revoke for admins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.context import Context
from bot.core.events import Identity, Reply
from bot.core.i18n import Text
from bot.core.roles import ROLE_NAMES, Role
from bot.core.router import Args, Router
from handlers.roles import service
from storage import roles as store

router = Router("roles")

MAX_FAILED_JOINS = 5
JOINED = Text("Welcome! You now have the role “{role}”. /help shows what you can do with it.")
BAD_CODE = Text("This code is invalid, expired or already used.")
TOO_MANY = Text(
    "Too many invalid codes in the last hour: /join is locked for you. You can "
    "try again at {time} at the latest."
)
LIST = Text("Roles (from the configuration and by invitation):")
REVOKED = Text("{identity} no longer has the role “{role}”.")
NOT_GRANTED = Text(
    "{identity} does not hold “{role}” by invitation. Roles from the "
    "configuration are changed there."
)
REVOKE_USAGE = Text("/revoke telegram:123 board")
REVOKE_HOW = Text(
    "Name the person and the role, for example: /revoke telegram:123 board (roles: {roles})."
)


@router.command(
    "join",
    description=Text("redeem an invitation code"),
    args=Args.REQUIRED,
    usage=Text("/join CODE"),
)
async def join(ctx: Context) -> Reply:
    identity = str(ctx.message.sender)
    since = datetime.now(UTC) - timedelta(hours=1)
    failed = await store.count_actions(
        ctx.session, actor=identity, action="join-failed", since=since
    )
    if failed >= MAX_FAILED_JOINS:
        again = (datetime.now(UTC) + timedelta(hours=1)).astimezone(ctx.zone)
        return ctx.reply(TOO_MANY, time=again.strftime("%H:%M"))
    role = await store.redeem(ctx.session, code=ctx.args, identity=identity)
    if role is None:
        return ctx.reply(BAD_CODE)
    return ctx.reply(JOINED, role=ctx.t(ROLE_NAMES[Role(role)]))


@router.command(
    "roles",
    description=Text("manage roles"),
    roles=[Role.ADMIN],
)
async def roles(ctx: Context) -> Reply:
    def named(role: Role) -> str:
        name = ctx.t(ROLE_NAMES[role])
        return name[:1].upper() + name[1:]  # a list item starts with a capital

    lines = [ctx.t(LIST)]
    for role in ROLE_NAMES:
        for identity in getattr(ctx.config.roles, role.value):
            lines.append(f"• {named(role)}: {identity} ({ctx.t(service.FROM_CONFIG)})")
    for grant in await store.grants(ctx.session):
        how = service.granted_how(grant, ctx.lang, ctx.zone)
        lines.append(f"• {named(Role(grant.role))}: {grant.identity} ({how})")
    return ctx.reply("\n".join(lines))


@router.command(
    "revoke",
    description=Text("take a role away"),
    roles=[Role.ADMIN],
    args=Args.REQUIRED,
    usage=REVOKE_USAGE,
)
async def revoke(ctx: Context) -> Reply:
    who, _, word = ctx.args.strip().partition(" ")
    role = service.role_named(word)
    try:
        identity = str(Identity.parse(who))
    except ValueError:
        identity = ""
    if role is None or not identity:
        names = ", ".join(ctx.t(name) for name in ROLE_NAMES.values())
        return ctx.reply(REVOKE_HOW, roles=names)
    name = ctx.t(ROLE_NAMES[role])
    if not await service.revoke(
        ctx.session, ctx.config, identity=identity, role=role, by=str(ctx.message.sender)
    ):
        return ctx.reply(NOT_GRANTED, identity=identity, role=name)
    return ctx.reply(REVOKED, identity=identity, role=name)
