"""What platform adapters keep across restarts: handled updates, offsets, long button data."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.base import changed
from storage.models import CallbackToken, PlatformState, ProcessedUpdate


def _insert(session: AsyncSession):  # type: ignore[no-untyped-def]
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


async def mark_processed(session: AsyncSession, *, key: str) -> bool:
    """Record that an update is being handled; False if it was handled before."""
    statement = _insert(session)(ProcessedUpdate).values(key=key)
    result = await session.execute(statement.on_conflict_do_nothing(index_elements=["key"]))
    return bool(changed(result))


async def get_state(session: AsyncSession, *, key: str) -> str | None:
    row = await session.get(PlatformState, key)
    return row.value if row is not None else None


async def set_state(session: AsyncSession, *, key: str, value: str) -> None:
    row = await session.get(PlatformState, key)
    if row is None:
        session.add(PlatformState(key=key, value=value))
    else:
        row.value = value


async def shorten(session: AsyncSession, *, data: str) -> int:
    """Keep long button data; returns the id that stands for it."""
    row = CallbackToken(data=data)
    session.add(row)
    await session.flush()
    return row.id


async def expand(session: AsyncSession, *, token: int) -> str | None:
    row = await session.get(CallbackToken, token)
    return row.data if row is not None else None


class AdapterState:
    """The adapters' key-value store (``bot.adapters.KeyValueStore``) in the database."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def get(self, key: str) -> str | None:
        async with self.sessions() as session:
            return await get_state(session, key=key)

    async def put(self, values: Mapping[str, str]) -> None:
        async with self.sessions() as session, session.begin():
            for key, value in values.items():
                await set_state(session, key=key, value=value)

    async def shorten(self, data: str) -> int:
        async with self.sessions() as session, session.begin():
            return await shorten(session, data=data)

    async def expand(self, token: int) -> str | None:
        async with self.sessions() as session:
            return await expand(session, token=token)
