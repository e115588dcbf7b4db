"""Conversation state and the choices shown last, kept per chat and person."""

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
    started_by: str = ""
    """The command that began it, without the slash."""
    misses: int = 0
    """Messages in a row that did not fit the current step."""


@dataclass(frozen=True, slots=True)
class Offered:
    """The buttons shown last in a chat and the text they were shown under."""

    prompt: str
    buttons: list[tuple[str, str]]
    """``(label, data)`` of each button, in the order shown."""


async def get_conversation(
    session: AsyncSession, *, chat: str, person_id: int
) -> ConversationState | None:
    """The conversation this person is having in this chat, if any."""
    row = await session.get(Conversation, (chat, person_id))
    if row is None:
        return None
    return ConversationState(row.name, row.step, dict(row.data), row.started_by, row.misses)


async def save_conversation(
    session: AsyncSession, *, chat: str, person_id: int, state: ConversationState
) -> None:
    """Store the conversation's current step and data (insert or update)."""
    row = await session.get(Conversation, (chat, person_id))
    if row is None:
        row = Conversation(chat=chat, person_id=person_id)
        session.add(row)
    row.name, row.step, row.data = state.name, state.step, state.data
    row.started_by, row.misses, row.updated_at = state.started_by, state.misses, utcnow()


async def clear_conversation(session: AsyncSession, *, chat: str, person_id: int) -> bool:
    """End the conversation; True if there was one."""
    result = await session.execute(
        delete(Conversation).where(Conversation.chat == chat, Conversation.person_id == person_id)
    )
    return bool(changed(result))


async def get_choices(session: AsyncSession, *, chat: str, person_id: int) -> Offered | None:
    """The buttons shown last here, if they are still open."""
    row = await session.get(PendingChoice, (chat, person_id))
    if row is None:
        return None
    buttons = [("", item) if isinstance(item, str) else (item[0], item[1]) for item in row.options]
    return Offered(row.prompt, buttons)


async def save_choices(
    session: AsyncSession, *, chat: str, person_id: int, offered: Offered
) -> None:
    """Remember the buttons shown now; none forgets those shown before."""
    row = await session.get(PendingChoice, (chat, person_id))
    if not offered.buttons:
        if row is not None:
            await session.delete(row)
        return
    if row is None:
        row = PendingChoice(chat=chat, person_id=person_id)
        session.add(row)
    row.options = [[label, data] for label, data in offered.buttons]
    row.prompt, row.created_at = offered.prompt, utcnow()
