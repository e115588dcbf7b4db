"""Models of delivery and the platforms: the outbox, handled updates, adapter state,
long button data, running senders."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy import text as sql
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UTCDateTime, utcnow

PENDING_DIRECT = "sent_at IS NULL AND failed IS NULL AND announcement_id IS NULL"


class OutboxMessage(Base):
    """A message klbot owes a chat (a staff answer, a digest), sent once and marked sent."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat: Mapped[str] = mapped_column(String(320), index=True)
    text: Mapped[str] = mapped_column(Text)
    buttons: Mapped[list[list[list[str]]] | None] = mapped_column(JSON)
    """Rows of [label, data] pairs, if the message offers buttons."""
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failed: Mapped[str | None] = mapped_column(String(500))
    """Why the message was given up (recipient gone, refused); it is then never retried."""
    announcement_id: Mapped[int | None] = mapped_column(
        ForeignKey("announcements.id", ondelete="CASCADE"), index=True
    )
    platform_message_id: Mapped[str | None] = mapped_column(String(200))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """Set just before sending: a crash after it leaves the row visibly in flight."""
    attachment_name: Mapped[str | None] = mapped_column(String(200))
    """A file sent after the text (e.g. a person's data as JSON), with its type and bytes."""
    attachment_type: Mapped[str | None] = mapped_column(String(100))
    attachment: Mapped[bytes | None] = mapped_column(LargeBinary)
    reserved_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """A sender took the row into its next batch; other senders leave it alone until then."""
    sender: Mapped[str | None] = mapped_column(String(120))
    """The worker that reserved or claimed the row: once it stops beating, others take over."""
    paid: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sql("false"))
    """A paid broadcast (Telegram Stars): sent above the free limit."""
    edit_of: Mapped[int | None] = mapped_column(Integer)
    """The row whose sent message this one's text replaces (a broadcast's progress)."""
    secret: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sql("false"))
    """The text holds a secret (a sign-in link): it is replaced by a placeholder as soon as
    the row is sent or given up."""

    __table_args__ = (
        Index(
            "ix_outbox_pending",
            "id",
            postgresql_where=sql("sent_at IS NULL AND failed IS NULL"),
            sqlite_where=sql("sent_at IS NULL AND failed IS NULL"),
        ),
        Index(  # replies and progress, reserved before a broadcast's rows
            "ix_outbox_pending_direct",
            "id",
            postgresql_where=sql(PENDING_DIRECT),
            sqlite_where=sql(PENDING_DIRECT),
        ),
    )


class Worker(Base):
    """A running klbot process that sends; senders share a platform's rate limit among the
    workers seen recently."""

    __tablename__ = "workers"

    name: Mapped[str] = mapped_column(String(120), primary_key=True)
    platforms: Mapped[str] = mapped_column(String(200))
    """Comma-separated platforms this worker sends to."""
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class ProcessedUpdate(Base):
    """A platform update klbot has handled: handling it again after a crash does nothing."""

    __tablename__ = "processed_updates"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class PlatformState(Base):
    """Small values an adapter keeps across restarts (polling offset, sync token)."""

    __tablename__ = "platform_state"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class CallbackToken(Base):
    """Button data too long for a platform's limit, referenced by a short token."""

    __tablename__ = "callback_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
