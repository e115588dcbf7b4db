"""What klbot says when nothing else fits: unknown commands and unanswered text."""

from __future__ import annotations

import difflib

from bot.context import Context
from bot.events import Reply
from bot.i18n import Text
from bot.router import Router

router = Router("fallback")

UNKNOWN = Text(
    de="Den Befehl /{name} kenne ich nicht.{suggestion} /help zeigt alle Befehle.",
    en="I don't know the command /{name}.{suggestion} /help lists all commands.",
)
SUGGESTION = Text(de=" Meintest du /{name}?", en=" Did you mean /{name}?")
NO_ANSWER = Text(
    de="Darauf habe ich leider noch keine Antwort. /help zeigt, wobei ich helfen kann.",
    en="I'm afraid I have no answer to that yet. /help shows what I can help with.",
)


@router.unknown_command()
async def unknown_command(ctx: Context) -> Reply:
    names = [command.name for command in ctx.commands]
    close = difflib.get_close_matches(ctx.command, names, n=1, cutoff=0.6)
    suggestion = ctx.t(SUGGESTION, name=close[0]) if close else ""
    return ctx.reply(UNKNOWN, name=ctx.command, suggestion=suggestion)


@router.text()
async def no_answer(ctx: Context) -> Reply:
    return ctx.reply(NO_ANSWER)
