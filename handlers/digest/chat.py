"""/digest: the weekly feedback digest on demand, for the board and staff."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.context import Context
from bot.core.events import Reply
from bot.core.i18n import Text
from bot.core.roles import Role
from bot.core.router import Router
from handlers.digest.service import PERIOD, compose

router = Router("digest")


@router.command(
    "digest",
    description=Text("the feedback digest of the last 7 days"),
    roles=[Role.BOARD, Role.STAFF],
)
async def digest(ctx: Context) -> Reply:
    found = await compose(
        ctx.session,
        knowledge=ctx.services.knowledge,
        lang=ctx.lang,
        since=datetime.now(UTC) - PERIOD,
        recent=ctx.config.feedback.digest_recent,
    )
    buttons = [[(label, data) for label, data in row] for row in found.buttons]
    return ctx.reply(found.text, buttons=buttons)
