"""/join CODE for invited people; /roles and /revoke for admins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.context import Context
from bot.core.events import Identity, Reply
from bot.core.i18n import Text
from bot.core.roles import Role
from bot.core.router import Args, Router
from storage import roles as store

router = Router("roles")

MAX_FAILED_JOINS = 5
ROLE_NAMES = {
    "staff": Text("staff"),
    "board": Text("board"),
    "admin": Text("administrator"),
}
JOINED = Text("Welcome! You now have the role “{role}”. /help shows what you can do with it.")
BAD_CODE = Text("This code is invalid, expired or already used.")
TOO_MANY = Text(
    "Too many invalid codes in the last hour: /join is locked for you. You can "
    "try again at {time} at the latest."
)
LIST = Text("Roles (from the configuration and by invitation):")
FROM_CONFIG = Text("configuration")
REVOKED = Text("{identity} no longer has the role “{role}”.")
NOT_GRANTED = Text(
    "{identity} does not hold “{role}” by invitation. Roles from the "
    "configuration are changed there."
)
REVOKE_USAGE = Text("Like this: /revoke telegram:123 staff")


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
    role = await store.redeem(ctx.session, code=ctx.args.split()[0], identity=identity)
    if role is None:
        return ctx.reply(BAD_CODE)
    return ctx.reply(JOINED, role=ctx.t(ROLE_NAMES[role]))


@router.command(
    "roles",
    description=Text("manage roles"),
    roles=[Role.ADMIN],
)
async def roles(ctx: Context) -> Reply:
    lines = [ctx.t(LIST)]
    configured = ctx.config.roles
    for role in ("admin", "staff", "board"):
        for identity in getattr(configured, role):
            lines.append(f"• {role}: {identity} ({ctx.t(FROM_CONFIG)})")
    for grant in await store.grants(ctx.session):
        lines.append(
            f"• {grant.role}: {grant.identity} ({grant.granted_by}, {grant.created_at:%d.%m.%Y})"
        )
    return ctx.reply("\n".join(lines))


@router.command(
    "revoke",
    description=Text("take a role away"),
    roles=[Role.ADMIN],
    args=Args.REQUIRED,
    usage=REVOKE_USAGE,
)
async def revoke(ctx: Context) -> Reply:
    parts = ctx.args.split()
    if len(parts) != 2 or parts[1] not in ROLE_NAMES:
        return ctx.reply(REVOKE_USAGE)
    try:
        identity = str(Identity.parse(parts[0]))
    except ValueError:
        return ctx.reply(REVOKE_USAGE)
    if not await store.revoke(ctx.session, identity=identity, role=parts[1], by=ctx.chat):
        return ctx.reply(NOT_GRANTED, identity=identity, role=parts[1])
    return ctx.reply(REVOKED, identity=identity, role=parts[1])
