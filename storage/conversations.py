"""Conversation state and pending numbered choices, kept per chat and person."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.base import changed
from storage.models import Conversation, PendingChoice, utcnow


@dataclass(slots=True)
class ConversationState:
    """Where a person is in a multi-step conversation, and what they entered so far."""

    name: str
    step: str
    data: dict[str, Any] = field(default_factory=dict)


async def get_conversation(
    session: AsyncSession, *, chat: str, person_id: int
) -> ConversationState | None:
    """The conversation this person is having in this chat, if any."""
    row = await session.get(Conversation, (chat, person_id))
    return None if row is None else ConversationState(row.name, row.step, dict(row.data))


async def save_conversation(
    session: AsyncSession, *, chat: str, person_id: int, state: ConversationState
) -> None:
    """Store the conversation's current step and data (insert or update)."""
    row = await session.get(Conversation, (chat, person_id))
    if row is None:
        row = Conversation(chat=chat, person_id=person_id)
        session.add(row)
    row.name, row.step, row.data, row.updated_at = state.name, state.step, state.data, utcnow()


async def clear_conversation(session: AsyncSession, *, chat: str, person_id: int) -> bool:
    """End the conversation; True if there was one."""
    result = await session.execute(
        delete(Conversation).where(Conversation.chat == chat, Conversation.person_id == person_id)
    )
    return bool(changed(result))


async def get_choices(session: AsyncSession, *, chat: str, person_id: int) -> list[str]:
    """Button data of the numbered choices last offered here (empty if none)."""
    row = await session.get(PendingChoice, (chat, person_id))
    return [] if row is None else list(row.options)


async def save_choices(
    session: AsyncSession, *, chat: str, person_id: int, options: list[str]
) -> None:
    """Remember numbered choices; an empty list forgets them."""
    row = await session.get(PendingChoice, (chat, person_id))
    if not options:
        if row is not None:
            await session.delete(row)
        return
    if row is None:
        row = PendingChoice(chat=chat, person_id=person_id, options=options)
        session.add(row)
    row.options, row.created_at = options, utcnow()
