"""/web: a one-time link to the web console, for staff and board, in a direct chat."""

from __future__ import annotations

from dataclasses import replace

from bot.core.context import Context
from bot.core.events import Reply
from bot.core.i18n import Text
from bot.core.router import Router
from handlers.web.service import CONSOLE_ROLES, LINK_VALID, login_link

router = Router("web")

LINK = Text(
    "Your link to the web console (valid for {minutes} minutes, once):\n{link}\n\n"
    "Do not pass it on: it signs you in."
)
DIRECT_ONLY = Text("Please send /web in a direct chat with me: the link signs you in.")
OFF = Text("The web console is switched off ([web] enabled in the configuration).")


@router.command("web", description=Text("sign in to the web console"), roles=CONSOLE_ROLES)
async def web(ctx: Context) -> Reply:
    if not ctx.message.is_direct:
        return ctx.reply(DIRECT_ONLY)
    if not ctx.config.web.enabled:
        return ctx.reply(OFF)
    link = await login_link(ctx.session, ctx.config, str(ctx.message.sender))
    if link is None:  # the router checked the roles; kept for a role lost meanwhile
        return ctx.reply(DIRECT_ONLY)
    minutes = int(LINK_VALID.total_seconds() // 60)
    return replace(ctx.reply(LINK, minutes=minutes, link=link), secret=True)  # not kept once sent
