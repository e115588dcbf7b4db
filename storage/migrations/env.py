"""Alembic environment: klbot passes the connection in ``config.attributes``."""

from alembic import context

from storage.db import modelled
from storage.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `klbot db upgrade`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    include_name=modelled,
)
with context.begin_transaction():
    context.run_migrations()
