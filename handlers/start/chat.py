"""Greeting, help, language choice and leaving a conversation."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.buttons import ButtonData
from bot.core.context import Context
from bot.core.events import Reply
from bot.core.i18n import LANGUAGES, Text
from bot.core.router import Args, Router
from storage import people

router = Router("start")


@dataclass(frozen=True)
class Language(ButtonData, prefix="lang"):
    code: str


GREETING = Text(
    de="Hallo{name}! Ich bin klbot, der Chatbot der KL.digital GmbH – der Digitalisierungs"
    "gesellschaft der Stadt Kaiserslautern.\n\n"
    "Ich beantworte Fragen zu Projekten und Ansprechpersonen, nehme deine Rückmeldung "
    "entgegen und halte dich auf Wunsch über Neuigkeiten auf dem Laufenden.\n\n"
    "/help zeigt alle Befehle, /privacy was ich speichere. English? /language en",
    en="Hello{name}! I am klbot, the chatbot of KL.digital GmbH – the City of "
    "Kaiserslautern's digitalisation company.\n\n"
    "I answer questions about projects and contacts, take your feedback and, if you like, "
    "keep you posted on news.\n\n"
    "/help lists all commands, /privacy explains what I store. Deutsch? /language de",
)
HELP_HEADER = Text(de="Das kann ich für dich tun:", en="Here is what I can do for you:")
HELP_FOOTER = Text(
    de="Du kannst mir auch einfach eine Frage schreiben.",
    en="You can also simply write me a question.",
)
HELP_ONE = Text(
    de="/{name} – {description}\nBeispiel: {usage}", en="/{name} – {description}\nExample: {usage}"
)
HELP_UNKNOWN = Text(
    de="Zu /{name} habe ich keine Hilfe – den Befehl gibt es für dich nicht. /help zeigt alle.",
    en="I have no help on /{name} – it is not a command you can use. /help lists them all.",
)
LANGUAGE_ASK = Text(de="Welche Sprache möchtest du?", en="Which language would you like?")
LANGUAGE_SET = Text(
    de="Alles klar, ich schreibe dir ab jetzt auf Deutsch.",
    en="All right, I will write to you in English from now on.",
)
LANGUAGE_BAD = Text(
    de="Diese Sprache kenne ich nicht. Möglich sind: /language de oder /language en.",
    en="I don't know that language. You can choose: /language de or /language en.",
)
CANCELLED = Text(
    de="Abgebrochen. Was du in diesem Gespräch eingegeben hattest, habe ich verworfen.",
    en="Cancelled. I discarded what you had entered in that conversation.",
)
NOTHING_TO_CANCEL = Text(
    de="Es läuft gerade nichts, das ich abbrechen könnte.",
    en="There is nothing going on that I could cancel.",
)


@router.command("start", description=Text(de="Begrüßung und Überblick", en="greeting and overview"))
async def start(ctx: Context) -> Reply:
    name = ctx.message.sender_name
    return ctx.reply(GREETING, name=f" {name}" if name else "")


@router.command(
    "help",
    description=Text(de="diese Übersicht", en="this overview"),
    args=Args.OPTIONAL,
    usage=Text(de="/help language", en="/help language"),
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
    lines += [f"/{command.name} – {ctx.t(command.description)}" for command in ctx.commands]
    lines += ["", ctx.t(HELP_FOOTER)]
    return ctx.reply("\n".join(lines))


@router.command(
    "language",
    description=Text(de="Sprache wählen (de/en)", en="choose the language (de/en)"),
    args=Args.OPTIONAL,
    usage=Text(de="/language en", en="/language de"),
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
    description=Text(de="laufendes Gespräch abbrechen", en="leave the current conversation"),
)
async def cancel(ctx: Context) -> Reply:
    return ctx.reply(CANCELLED if await ctx.end_conversation() else NOTHING_TO_CANCEL)
