"""Which klbot process leads (runs the scheduler): the one holding a PostgreSQL advisory
lock. The lock belongs to a database session, so a process that dies, or loses its
connection, lets another one take over. SQLite serves one process: it always leads."""

from __future__ import annotations

import contextlib
from types import TracebackType

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

LOCK_KEY = 0x6B6C626F74  # "klbot"
IDLE = "30s"
"""The leader asks every few seconds whether it still leads; silent longer, it is gone."""


class Leadership:
    """A claim to lead, held on a connection of its own."""

    def __init__(self, engine: AsyncEngine, key: int = LOCK_KEY) -> None:
        self.engine = engine
        self.key = key
        self.exclusive = engine.dialect.name == "postgresql"
        self._connection: AsyncConnection | None = None

    async def __aenter__(self) -> Leadership:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.resign()

    async def acquire(self) -> bool:
        """Try to become the leader (returns at once); True if this process leads now."""
        if not self.exclusive:
            return True
        if self._connection is None:
            self._connection = await self.engine.connect()
            # a leader whose host dies stops asking: PostgreSQL (14 and newer) then ends its
            # session, and the lock with it, after 30 s, not when TCP notices hours later
            try:
                await self._connection.execute(text(f"SET idle_session_timeout = '{IDLE}'"))
            except Exception:
                await self._connection.rollback()
        try:
            locked = await self._connection.scalar(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}
            )
            await self._connection.commit()
        except Exception:
            await self._drop()
            raise
        return bool(locked)

    async def holds(self) -> bool:
        """Whether the lock is still held (its connection is alive)."""
        if not self.exclusive:
            return True
        if self._connection is None:
            return False
        try:
            await self._connection.scalar(text("SELECT 1"))
            await self._connection.commit()
        except Exception:
            await self._drop()
            return False
        return True

    async def resign(self) -> None:
        """Let another process lead (closing the connection releases the lock)."""
        await self._drop()

    async def _drop(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            with contextlib.suppress(Exception):
                # never back into the pool: the lock would stay held by a pooled connection
                await connection.invalidate()
                await connection.close()
