"""Persons and their platform identities."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Person, PersonIdentity


async def find_person(session: AsyncSession, *, identity: str) -> Person | None:
    """The person behind ``identity``, or ``None`` if klbot has never met them."""
    return await session.scalar(
        select(Person).join(PersonIdentity).where(PersonIdentity.identity == identity)
    )


async def get_or_create_person(session: AsyncSession, *, identity: str) -> Person:
    """The person behind ``identity``, created on first contact (safe under concurrency)."""
    person = await find_person(session, identity=identity)
    if person is not None:
        return person
    person = Person()
    session.add(person)
    await session.flush()
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    await session.execute(
        insert(PersonIdentity)
        .values(identity=identity, person_id=person.id)
        .on_conflict_do_nothing(index_elements=["identity"])
    )
    winner = await find_person(session, identity=identity)
    assert winner is not None
    if winner.id != person.id:
        await session.delete(person)
    return winner


async def language_of(session: AsyncSession, *, identity: str, default: str) -> str:
    """The language to write to ``identity`` in: chosen, else last written in, else
    ``default``."""
    person = await find_person(session, identity=identity)
    return person.language_or(default) if person is not None else default


async def set_language(session: AsyncSession, *, person_id: int, language: str | None) -> None:
    """Remember the language a person chose (``None`` follows the platform again)."""
    person = await session.get_one(Person, person_id)
    person.language = language


async def set_spoken_language(session: AsyncSession, *, person_id: int, language: str) -> None:
    """Remember the language a person last wrote in."""
    person = await session.get_one(Person, person_id)
    person.spoken_language = language


async def count_persons(session: AsyncSession) -> int:
    """How many people klbot knows."""
    return await session.scalar(select(func.count()).select_from(Person)) or 0
