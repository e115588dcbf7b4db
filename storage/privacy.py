"""Everything klbot stores about one person: to show it (/mydata) and to erase it (/deleteme)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.base import changed
from storage.feedback import forget_deleted_words
from storage.models import (
    AuditEntry,
    Conversation,
    Feedback,
    FeedbackAnswer,
    Invite,
    OutboxMessage,
    PendingChoice,
    Person,
    PersonIdentity,
    RoleGrant,
    Subscription,
)
from storage.models_web import WebLogin, WebSession


@dataclass(frozen=True, slots=True)
class Erased:
    """How many rows of each kind an erasure removed (feedback: deleted or anonymised)."""

    identities: int = 0
    subscriptions: int = 0
    roles: int = 0
    conversations: int = 0
    deliveries: int = 0
    feedback: int = 0


@dataclass(slots=True)
class PersonData:
    """A person's data as plain values (times as aware datetimes), for a message or JSON."""

    person: dict[str, Any]
    identities: list[dict[str, Any]] = field(default_factory=list)
    roles: list[dict[str, Any]] = field(default_factory=list)
    subscriptions: list[dict[str, Any]] = field(default_factory=list)
    feedback: list[dict[str, Any]] = field(default_factory=list)
    answers: list[dict[str, Any]] = field(default_factory=list)
    conversations: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    web_sessions: list[dict[str, Any]] = field(default_factory=list)


async def _identities(session: AsyncSession, person_id: int) -> list[PersonIdentity]:
    query = select(PersonIdentity).where(PersonIdentity.person_id == person_id)
    return list(await session.scalars(query.order_by(PersonIdentity.created_at)))


def _chats(names: list[str], chat: str | None) -> set[str]:
    """The chats that are the person's own: their identities (Telegram's private chat has
    the person's id) and ``chat``, the direct chat they write from (a Matrix direct room).
    Group rooms are not: messages there belong to everyone in them."""
    return {*names, *([chat] if chat else [])}


async def has_feedback_or_subscription(session: AsyncSession, *, person_id: int) -> bool:
    """Whether the person has filed feedback or subscribed to news (then they have been told
    what klbot stores)."""
    filed = exists().where(Feedback.person_id == person_id)
    subscribed = exists().where(Subscription.person_id == person_id)
    return bool(await session.scalar(select(or_(filed, subscribed))))


async def collect(session: AsyncSession, *, person_id: int, chat: str | None = None) -> PersonData:
    """Everything stored about the person: identities, language, roles given by invite,
    subscriptions, feedback, conversation state, the messages owed or sent to them
    (``chat``: the direct chat they ask from) and their web console sessions."""
    person = await session.get_one(Person, person_id)
    identities = await _identities(session, person_id)
    names = [row.identity for row in identities]
    own_chats = _chats(names, chat)
    data = PersonData(
        person={
            "id": person.id,
            "language": person.language,
            "spoken_language": person.spoken_language,
            "since": person.created_at,
        }
    )
    data.identities = [{"identity": i.identity, "since": (i.created_at)} for i in identities]
    grants = await session.scalars(select(RoleGrant).where(RoleGrant.identity.in_(names)))
    data.roles = [{"identity": g.identity, "role": g.role, "since": (g.created_at)} for g in grants]
    subscriptions = await session.scalars(
        select(Subscription).where(Subscription.person_id == person_id).order_by(Subscription.id)
    )
    data.subscriptions = [
        {"chat": s.chat, "topic": s.topic, "language": s.language, "since": (s.created_at)}
        for s in subscriptions
    ]
    feedback = list(
        await session.scalars(
            select(Feedback).where(Feedback.person_id == person_id).order_by(Feedback.id)
        )
    )
    data.feedback = [
        {
            "reference": f.reference,
            "created_at": (f.created_at),
            "topic": f.topic,
            "rating": f.rating,
            "text": f.text,
            "may_contact": f.may_contact,
            "status": f.status,
        }
        for f in feedback
    ]
    references = {f.id: f.reference for f in feedback}
    answers = await session.scalars(
        select(FeedbackAnswer)
        .where(FeedbackAnswer.feedback_id.in_(references))
        .order_by(FeedbackAnswer.created_at, FeedbackAnswer.id)
    )
    data.answers = [
        {"reference": references[a.feedback_id], "created_at": (a.created_at), "text": a.text}
        for a in answers
    ]
    conversations = await session.scalars(
        select(Conversation).where(Conversation.person_id == person_id)
    )
    data.conversations = [
        {"chat": c.chat, "name": c.name, "step": c.step, "data": c.data} for c in conversations
    ]
    web = await session.scalars(
        select(WebSession).where(WebSession.identity.in_(names)).order_by(WebSession.created_at)
    )
    data.web_sessions = [
        {"identity": w.identity, "signed_in": w.created_at, "last_seen": w.seen_at} for w in web
    ]
    deliveries = await session.scalars(
        select(OutboxMessage).where(OutboxMessage.chat.in_(own_chats)).order_by(OutboxMessage.id)
    )
    data.deliveries = [
        {
            "chat": d.chat,
            "created_at": (d.created_at),
            "sent_at": (d.sent_at),
            "failed": d.failed,
            "announcement": d.announcement_id,
            "text": d.text,
            "attachment": d.attachment_name,
        }
        for d in deliveries
    ]
    return data


ERASED = "(gelöscht/erased)"


async def _forget_in_records(session: AsyncSession, names: list[str]) -> None:
    """The audit log, used invites and staff's answers keep what happened, but no longer
    who it was."""
    for name in names:
        await session.execute(
            update(AuditEntry).where(AuditEntry.actor == name).values(actor=ERASED)
        )
        await session.execute(
            update(AuditEntry)
            .where(AuditEntry.detail.contains(name, autoescape=True))
            .values(detail=func.replace(AuditEntry.detail, name, ERASED))
        )
        await session.execute(update(Invite).where(Invite.used_by == name).values(used_by=ERASED))
        await session.execute(
            update(FeedbackAnswer).where(FeedbackAnswer.author == name).values(author=ERASED)
        )


async def erase(
    session: AsyncSession,
    *,
    person_id: int,
    feedback: Literal["delete", "anonymise"],
    chat: str | None = None,
) -> Erased:
    """Delete the person with their identities, subscriptions, roles given by invite,
    web console sessions and sign-in links, conversation state, delivery rows (``chat``:
    the direct chat they ask from) and the answers to their feedback; delete or anonymise
    their feedback."""
    names = [row.identity for row in await _identities(session, person_id)]
    own_chats = _chats(names, chat)
    theirs = select(Feedback.id).where(Feedback.person_id == person_id)
    # the answers they were sent go either way: they were written to them
    await session.execute(delete(FeedbackAnswer).where(FeedbackAnswer.feedback_id.in_(theirs)))
    if feedback == "delete":
        filed = await session.execute(delete(Feedback).where(Feedback.person_id == person_id))
        if changed(filed):  # their words are gone from the search, too
            await forget_deleted_words(session)
    else:
        filed = await session.execute(
            update(Feedback)
            .where(Feedback.person_id == person_id)
            .values(person_id=None, may_contact=False)
        )
    subscriptions = await session.execute(
        delete(Subscription).where(
            or_(Subscription.person_id == person_id, Subscription.chat.in_(names))
        )
    )
    roles = await session.execute(delete(RoleGrant).where(RoleGrant.identity.in_(names)))
    await session.execute(delete(WebSession).where(WebSession.identity.in_(names)))
    await session.execute(delete(WebLogin).where(WebLogin.identity.in_(names)))
    conversations = await session.execute(
        delete(Conversation).where(Conversation.person_id == person_id)
    )
    await session.execute(delete(PendingChoice).where(PendingChoice.person_id == person_id))
    deliveries = await session.execute(
        delete(OutboxMessage).where(OutboxMessage.chat.in_(own_chats))
    )
    await _forget_in_records(session, names)
    identities = await session.execute(
        delete(PersonIdentity).where(PersonIdentity.person_id == person_id)
    )
    await session.execute(delete(Person).where(Person.id == person_id))
    return Erased(
        identities=changed(identities),
        subscriptions=changed(subscriptions),
        roles=changed(roles),
        conversations=changed(conversations),
        deliveries=changed(deliveries),
        feedback=changed(filed),
    )
