"""The one way a reply reaches a person: written to the outbox in the transaction that
produced it, then sent by the outbox sender (platforms that push) or shown with the next
reply (the console). This module converts between replies and outbox rows."""

from __future__ import annotations

from dataclasses import replace

from bot.core.events import Attachment, Button, Identity, Reply
from storage import Session, outbox


async def owe(session: Session, chat: Identity, replies: list[Reply]) -> None:
    """Write ``replies`` to ``chat``'s outbox; a file gets a row of its own, after its text."""
    for reply in replies:
        buttons = [[[b.label, b.data] for b in row] for row in reply.buttons]
        await outbox.enqueue(
            session, chat=str(chat), text=reply.text, buttons=buttons, secret=reply.secret
        )
        if (file := reply.attachment) is not None:
            attachment = (file.name, file.data, file.mime_type)
            await outbox.enqueue(session, chat=str(chat), text="", attachment=attachment)


def as_reply(message: outbox.Due) -> Reply:
    """An outbox row as the reply it was written from."""
    buttons = tuple(tuple(Button(label, data) for label, data in row) for row in message.buttons)
    file = message.attachment
    return Reply(message.text, buttons, attachment=Attachment(*file) if file else None)


async def take(session: Session, chat: Identity) -> list[Reply]:
    """Everything ``chat`` is owed, oldest first, marked as shown; a file joins the reply
    it was written with."""
    replies: list[Reply] = []
    for message in await outbox.take_pending(session, chat=str(chat)):
        reply = as_reply(message)
        if replies and not reply.text and reply.attachment and not replies[-1].attachment:
            replies[-1] = replace(replies[-1], attachment=reply.attachment)
        else:
            replies.append(reply)
    return replies
