"""/mydata shows everything klbot stores about a person; /deleteme erases it."""

from __future__ import annotations

import json
import logging
import textwrap
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.buttons import ButtonData
from bot.core.context import Context
from bot.core.events import Attachment, Reply
from bot.core.i18n import Plural, Text, day, number
from bot.core.roles import ROLE_NAMES, Role
from bot.core.router import Router
from handlers.feedback.chat import NO, YES, topic_name
from handlers.feedback.staff import status_name
from handlers.subscriptions.chat import label as subscription_label
from storage import privacy as store

router = Router("privacy_data")


@dataclass(frozen=True)
class Erase(ButtonData, prefix="del", confirms=True):
    """The answer to "delete everything?": ``yes`` or ``no``."""

    answer: str


log = logging.getLogger(__name__)

CONVERSATION = "deleteme"
router.choices(CONVERSATION, "confirm")
SHOWN_PER_KIND = 10
HEADER = Text("This is what I store about you (complete in the file {file}):")
SECTIONS = {
    "identities": Text("Identities"),
    "roles": Text("Roles by invitation"),
    "subscriptions": Text("Subscriptions"),
    "feedback": Text("Feedback"),
    "answers": Text("Answers to your feedback"),
    "conversations": Text("Running conversations"),
    "deliveries": Text("Messages to you"),
    "web_sessions": Text("Web console sessions"),
}
LANGUAGE = Text("Language: {value} · known since {since}")
AUTOMATIC = Text("automatic")
AUTOMATIC_LAST = Text("automatic: {language}, the language you last wrote in")
LANGUAGE_NAMES = {"de": Text("German"), "en": Text("English")}
IDENTITY_ROW = Text("{identity}, since {since}")
ROLE_ROW = Text("{role} for {identity}, since {since}")
SUBSCRIPTION_ROW = Text("{topic} · in {chat} · in {language} · since {since}")
FEEDBACK_ROW = Text(
    "{reference} · {when} · {topic} · rating: {rating} · contact allowed: {contact} · "
    "status: {status} · “{content}”"
)
ANSWER_ROW = Text("{when} · to {reference}: “{content}”")
WEB_SESSION_ROW = Text("{identity} · signed in on {since} · last active on {seen}")
CONVERSATION_ROW = Text("/{command} in {chat}, not finished yet")
DELIVERY_ROW = Text("{when} · {state}: “{content}”")
DELIVERY_STATES = {
    "sent": Text("delivered"),
    "failed": Text("undeliverable"),
    "waiting": Text("not delivered yet"),
}
NOTHING = Text("none")
MORE = Text("  … and {count} more")
ASK = Text(
    "Do you really want me to delete everything I stored about you? Identities, "
    "language, roles, subscriptions, conversation state and messages to you are "
    "deleted, your feedback is {feedback}. This cannot be undone."
)
FEEDBACK_FATE = {
    "delete": Text("deleted too"),
    "anonymise": Text("anonymised (kept for statistics without any link to you)"),
}
CONFIRM = Text("Yes, delete everything")
KEEP = Text("No, keep everything")
DELETED = Text(
    "Done: I deleted {identities}, {subscriptions}, {roles}, {deliveries} and your "
    "conversation state; {feedback} {fate}. If you write to me again, I start afresh "
    "without any data."
)
IDENTITIES = Plural("{count} identity", "{count} identities")
SUBSCRIPTIONS = Plural("{count} subscription", "{count} subscriptions")
ROLES = Plural("{count} role", "{count} roles")
MESSAGES = Plural("{count} message", "{count} messages")
PIECES_OF_FEEDBACK = Plural("{count} piece of feedback", "{count} pieces of feedback")
FATE = {
    "delete": Text("deleted"),
    "anonymise": Text("anonymised"),
}
DIRECT_ONLY = Text(
    "I show and change this only in a direct chat with me, not in a group: send "
    "me /{command} there."
)
KEPT = Text("Cancelled – nothing was deleted.")
STALE = Text("That question has expired. Send /deleteme to start again.")

CONFIRM_OR_KEEP = [[(CONFIRM, Erase("yes").pack())], [(KEEP, Erase("no").pack())]]


def _short(value: object) -> str:
    """A stored text on one line, cut at a word after about 80 characters."""
    return textwrap.shorten(str(value), 80, placeholder=" …")


async def _line(ctx: Context, kind: str, row: dict[str, Any]) -> str:
    """One stored row in words: names for topics, roles, statuses and languages."""
    text = ""
    if kind == "identities":
        text = ctx.t(IDENTITY_ROW, identity=row["identity"], since=ctx.when(row["since"]))
    elif kind == "roles":
        role = ctx.t(ROLE_NAMES[Role(row["role"])])
        text = ctx.t(ROLE_ROW, role=role, identity=row["identity"], since=ctx.when(row["since"]))
    elif kind == "subscriptions":
        language = LANGUAGE_NAMES.get(row["language"])
        text = ctx.t(
            SUBSCRIPTION_ROW,
            topic=await subscription_label(ctx, row["topic"]),
            chat=row["chat"],
            language=ctx.t(language) if language else row["language"],
            since=ctx.when(row["since"]),
        )
    elif kind == "feedback":
        text = ctx.t(
            FEEDBACK_ROW,
            reference=row["reference"],
            when=ctx.when(row["created_at"]),
            topic=await topic_name(ctx, row["topic"]),
            rating=row["rating"] or "–",
            contact=ctx.t(YES if row["may_contact"] else NO),
            status=status_name(ctx, row["status"]),
            content=_short(row["text"]),
        )
    elif kind == "answers":
        when = ctx.when(row["created_at"])
        text = ctx.t(ANSWER_ROW, when=when, reference=row["reference"], content=_short(row["text"]))
    elif kind == "conversations":
        command = str(row["name"]).partition("-")[0]
        text = ctx.t(CONVERSATION_ROW, command=command, chat=row["chat"])
    elif kind == "deliveries":
        state = "sent" if row["sent_at"] else "failed" if row["failed"] else "waiting"
        text = ctx.t(
            DELIVERY_ROW,
            when=ctx.when(row["created_at"]),
            state=ctx.t(DELIVERY_STATES[state]),
            content=_short(row["text"] or row["attachment"] or ""),
        )
    elif kind == "web_sessions":
        text = ctx.t(
            WEB_SESSION_ROW,
            identity=row["identity"],
            since=ctx.when(row["signed_in"]),
            seen=ctx.when(row["last_seen"]),
        )
    return "  • " + text


def _as_json(content: dict[str, Any], zone: ZoneInfo) -> bytes:
    def convert(value: object) -> str:
        if isinstance(value, datetime):
            return value.astimezone(zone).isoformat(timespec="seconds")
        return str(value)

    return json.dumps(content, ensure_ascii=False, indent=2, default=convert).encode()


@router.command(
    "mydata",
    description=Text("what I store about you"),
)
async def mydata(ctx: Context) -> Reply:
    if not ctx.message.is_direct:
        return ctx.reply(DIRECT_ONLY, command="mydata")
    data = await store.collect(ctx.session, person_id=ctx.person_id, chat=str(ctx.message.chat))
    since = day(data.person["since"].astimezone(ctx.zone), ctx.lang)
    name = "klbot-mydata.json"
    lines = [ctx.t(HEADER, file=name), ""]
    chosen, spoken = data.person["language"], data.person["spoken_language"]
    if chosen:
        value = ctx.t(LANGUAGE_NAMES[chosen])
    elif spoken:
        value = ctx.t(AUTOMATIC_LAST, language=ctx.t(LANGUAGE_NAMES[spoken]))
    else:
        value = ctx.t(AUTOMATIC)
    lines.append(ctx.t(LANGUAGE, value=value, since=since))
    content = asdict(data)
    for key, title in SECTIONS.items():
        rows: list[dict[str, Any]] = content[key]
        count = number(len(rows), ctx.lang) if rows else ctx.t(NOTHING)
        lines.append(f"{ctx.t(title)}: {count}")
        lines += [await _line(ctx, key, row) for row in rows[-SHOWN_PER_KIND:]]
        if len(rows) > SHOWN_PER_KIND:
            lines.append(ctx.t(MORE, count=number(len(rows) - SHOWN_PER_KIND, ctx.lang)))
    document = _as_json(content, ctx.zone)
    return Reply("\n".join(lines), attachment=Attachment(name, document))


@router.command(
    "deleteme",
    description=Text("delete everything about me"),
)
async def deleteme(ctx: Context) -> Reply:
    if not ctx.message.is_direct:
        return ctx.reply(DIRECT_ONLY, command="deleteme")
    await ctx.start_conversation(CONVERSATION, "confirm")
    fate = FEEDBACK_FATE[ctx.config.privacy.feedback_on_deletion]
    return ctx.reply(ASK, feedback=ctx.t(fate), buttons=CONFIRM_OR_KEEP)


@router.callback(Erase, conversation=CONVERSATION, step="confirm", stale=STALE)
async def confirmed(ctx: Context) -> Reply:
    await ctx.end_conversation()
    if ctx.pressed(Erase).answer != "yes":
        return ctx.reply(KEPT)
    how = ctx.config.privacy.feedback_on_deletion
    erased = await store.erase(
        ctx.session, person_id=ctx.person_id, feedback=how, chat=str(ctx.message.chat)
    )
    pseudonym = ctx.services.pseudonyms(ctx.message.sender)
    log.info("person %s erased their data (feedback %s)", pseudonym, how)
    return ctx.reply(
        DELETED,
        identities=ctx.t(IDENTITIES, count=erased.identities),
        subscriptions=ctx.t(SUBSCRIPTIONS, count=erased.subscriptions),
        roles=ctx.t(ROLES, count=erased.roles),
        deliveries=ctx.t(MESSAGES, count=erased.deliveries),
        feedback=ctx.t(PIECES_OF_FEEDBACK, count=erased.feedback),
        fate=ctx.t(FATE[how]),
    )
