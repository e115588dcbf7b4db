"""What staff do with a piece of feedback, the same in chat (/show, /answer, /close,
/reopen) and in the web console: who sent it, marking it read, answering, closing and
reopening it; every change is written to the audit log under the same action."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.events import Identity
from bot.core.i18n import Text, number
from storage import Session, outbox, people
from storage import feedback as store
from storage import roles as audit_log
from storage.models import Feedback

STATUS_NAMES = {
    "new": Text("new"),
    "read": Text("read"),
    "answered": Text("answered"),
    "closed": Text("closed"),
}
UNKNOWN_AUTHOR = Text("unknown")
PSEUDONYM = Text("person {id} (no permission to contact)")
ANONYMOUS = Text("anonymous (deleted or anonymised)")
ANSWER_TO_CITIZEN = Text("KL.digital's answer to your feedback {reference}:\n\n{answer}")
ANSWER_SENT = Text("Answer to {reference} saved and sent to the person.")
NO_PERMISSION = Text(
    "{reference}: the person did not allow us to contact them, so nothing was sent."
)
ANSWER_TOO_LONG = Text(
    "The answer has {length} characters; {limit} at most, please. Nothing was sent."
)
UNREACHABLE = Text("{reference}: the person can no longer be reached, so nothing was sent.")
ANSWER_CLOSED = Text(
    "{reference} is closed, so nothing was sent. To answer it, reopen it first: /reopen {reference}"
)

ANSWERED, CLOSED, REOPENED = "feedback-answer", "feedback-close", "feedback-reopen"
"""The audit log's actions for what staff did to a piece of feedback (its reference as
the detail)."""


async def sender(session: Session, row: Feedback, lang: str) -> str:
    """Who filed ``row``, as staff may see it: the person's identities where they allowed
    contact, else a pseudonym; "anonymous" once it is no longer linked to anyone."""
    if row.person_id is None:
        return ANONYMOUS(lang)
    if not row.may_contact:
        return PSEUDONYM(lang, id=row.person_id)
    return ", ".join(await store.identities_of(session, person_id=row.person_id))


def seen_by_staff(row: Feedback) -> None:
    """Staff opened ``row``: new feedback becomes read (nothing else changes)."""
    store.set_status(row, "read")


@dataclass(frozen=True)
class Answered:
    """What became of an answer: whether it went out, and the message saying so."""

    sent: bool
    message: Text
    values: dict[str, object]

    def said(self, lang: str) -> str:
        """The message in ``lang``, numbers written as people there write them."""
        values = {k: number(v, lang) if isinstance(v, int) else v for k, v in self.values.items()}
        return self.message(lang, **values)


async def send_answer(
    session: Session, row: Feedback, *, text: str, author: str, limit: int
) -> Answered:
    """Answer ``row`` as ``author`` (an identity): sent to the person's chat where they
    allowed contact, kept in the feedback's history and in the audit log; refused when
    the feedback is closed, the person cannot or may not be contacted, or the text is
    longer than ``limit`` (``[bot] max_message_length``, what a chat message may hold)."""
    text = text.strip()
    values: dict[str, object] = {"reference": row.reference}
    if len(text) > limit:
        return Answered(False, ANSWER_TOO_LONG, values | {"length": len(text), "limit": limit})
    if row.status == "closed":
        return Answered(False, ANSWER_CLOSED, values)
    if row.person_id is None:
        return Answered(False, UNREACHABLE, values)
    if not row.may_contact:
        return Answered(False, NO_PERMISSION, values)
    identities = await store.identities_of(session, person_id=row.person_id)
    same_platform = [i for i in identities if Identity.parse(i).platform == row.platform]
    chats = same_platform or identities[:1]
    if not chats:
        return Answered(False, UNREACHABLE, values)
    saved = await store.add_answer(session, row, text=text, author=author)
    lang = await people.language_of(session, identity=chats[0], default=row.language)
    message = ANSWER_TO_CITIZEN(lang, reference=row.reference, answer=saved.text)
    await outbox.enqueue(session, chat=chats[0], text=message)
    await audit_log.audit(session, actor=author, action=ANSWERED, detail=row.reference)
    return Answered(True, ANSWER_SENT, values)


async def close(session: Session, row: Feedback, *, by: str) -> None:
    """Close ``row`` (staff ``by`` are done with it); closing it again changes nothing."""
    if row.status != "closed":
        store.set_status(row, "closed")
        await audit_log.audit(session, actor=by, action=CLOSED, detail=row.reference)


async def reopen(session: Session, row: Feedback, *, by: str) -> bool:
    """Open closed ``row`` again (answered if it has an answer, read otherwise); False
    if it was not closed."""
    if row.status != "closed":
        return False
    await store.reopen(session, row)
    await audit_log.audit(session, actor=by, action=REOPENED, detail=row.reference)
    return True
