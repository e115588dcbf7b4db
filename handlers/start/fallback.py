"""What klbot says to a command it does not know."""

from __future__ import annotations

import difflib

from bot.core.context import Context
from bot.core.events import Reply
from bot.core.i18n import Text
from bot.core.router import Router

router = Router("fallback")

UNKNOWN = Text("I don't know the command /{name}.{suggestion} /help lists all commands.")
SUGGESTION = Text(" Did you mean /{name}?")


@router.unknown_command()
async def unknown_command(ctx: Context) -> Reply:
    names = [command.name for command in ctx.commands]
    close = difflib.get_close_matches(ctx.command, names, n=1, cutoff=0.6)
    suggestion = ctx.t(SUGGESTION, name=close[0]) if close else ""
    return ctx.reply(UNKNOWN, name=ctx.command, suggestion=suggestion)
