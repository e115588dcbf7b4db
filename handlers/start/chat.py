"""Greeting, help, language choice and leaving a conversation."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.buttons import ButtonData
from bot.core.context import Context
from bot.core.events import Reply
from bot.core.i18n import LANGUAGES, Text
from bot.core.roles import Role
from bot.core.router import Args, Command, Router
from storage import people

router = Router("start")


@dataclass(frozen=True)
class Language(ButtonData, prefix="lang"):
    code: str


GREETING = Text(
    "Hello{name}! I am klbot, the chatbot of KL.digital GmbH – the City of "
    "Kaiserslautern's digitalisation company.\n\nI answer questions about projects "
    "and contacts, take your feedback and, if you like, keep you posted on "
    "news.\n\n/help lists all commands, /privacy explains what I store. Deutsch? "
    "/language de"
)
HELP_HEADER = Text("Here is what I can do for you:")
HELP_FOOTER = Text("You can also simply write me a question.")
HELP_SECTIONS = {
    Role.BOARD: Text("For the board:"),
    Role.STAFF: Text("For staff:"),
    Role.ADMIN: Text("For administrators:"),
}
"""The headings of the commands only a role may use, in the order /help shows them."""
BOARD_RECEIVES = Text(
    "As a board member you receive the feedback digest every week and the news "
    "KL.digital sends to the board."
)
HELP_ONE = Text("/{name} – {description}\nExample: {usage}")
HELP_UNKNOWN = Text(
    "I have no help on /{name} – it is not a command you can use. /help lists them all."
)
LANGUAGE_ASK = Text("Which language would you like?")
LANGUAGE_SET = Text("All right, I will write to you in English from now on.")
LANGUAGE_BAD = Text("I don't know that language. You can choose: /language de or /language en.")
CANCELLED = Text("Cancelled. I discarded what you had entered in that conversation.")
NOTHING_TO_CANCEL = Text("There is nothing going on that I could cancel.")


@router.command("start", description=Text("greeting and overview"))
async def start(ctx: Context) -> Reply:
    name = ctx.message.sender_name
    return ctx.reply(GREETING, name=f" {name}" if name else "")


@router.command(
    "help",
    description=Text("this overview"),
    args=Args.OPTIONAL,
    usage=Text("/help language"),
)
async def help_(ctx: Context) -> Reply:
    if ctx.args:
        name = ctx.args.split()[0].lstrip("/").lower()
        for command in ctx.commands:
            if command.name == name:
                usage = ctx.t(command.usage) if command.usage else f"/{name}"
                return ctx.reply(
                    HELP_ONE, name=name, description=ctx.t(command.description), usage=usage
                )
        return ctx.reply(HELP_UNKNOWN, name=name)
    lines = [ctx.t(HELP_HEADER), ""]
    lines += [_listed(ctx, c) for c in ctx.commands if not c.roles]
    shown: set[str] = set()
    for role, heading in HELP_SECTIONS.items():
        if role not in ctx.roles:
            continue
        own = [c for c in ctx.commands if role in c.roles and c.name not in shown]
        lines += ["", ctx.t(heading), *(_listed(ctx, c) for c in own)]
        shown |= {c.name for c in own}
        if role is Role.BOARD and ctx.config.feedback.digest:
            lines += ["", ctx.t(BOARD_RECEIVES)]
    lines += ["", ctx.t(HELP_FOOTER)]
    return ctx.reply("\n".join(lines))


def _listed(ctx: Context, command: Command) -> str:
    return f"/{command.name} – {ctx.t(command.description)}"


@router.command(
    "language",
    description=Text("choose the language (de/en)"),
    args=Args.OPTIONAL,
    usage=Text("/language de"),
)
async def language(ctx: Context) -> Reply:
    if not ctx.args:
        return ctx.reply(
            LANGUAGE_ASK,
            buttons=[[("Deutsch", Language("de").pack()), ("English", Language("en").pack())]],
        )
    return await _set_language(ctx, ctx.args.strip().lower())


@router.callback(Language)
async def language_button(ctx: Context) -> Reply:
    return await _set_language(ctx, ctx.pressed(Language).code)


async def _set_language(ctx: Context, choice: str) -> Reply:
    choice = {"deutsch": "de", "english": "en", "englisch": "en"}.get(choice, choice)
    if choice not in LANGUAGES:
        return ctx.reply(LANGUAGE_BAD)
    await people.set_language(ctx.session, person_id=ctx.person_id, language=choice)
    ctx.lang = choice
    return ctx.reply(LANGUAGE_SET)


@router.command(
    "cancel",
    description=Text("leave the current conversation"),
)
async def cancel(ctx: Context) -> Reply:
    return ctx.reply(CANCELLED if await ctx.end_conversation() else NOTHING_TO_CANCEL)
