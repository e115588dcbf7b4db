"""Everything klbot keeps: models, query functions, migrations. The only place with SQL."""

from sqlalchemy.ext.asyncio import AsyncSession as Session
from sqlalchemy.ext.asyncio import async_sessionmaker

Sessions = async_sessionmaker[Session]
"""Where each unit of work gets its session."""

__all__ = ["Session", "Sessions"]
