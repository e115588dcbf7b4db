"""Everything klbot keeps: models, query functions, migrations. The only place with SQL."""

from sqlalchemy.ext.asyncio import AsyncSession as Session

__all__ = ["Session"]
