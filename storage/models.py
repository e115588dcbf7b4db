"""SQLAlchemy models: everything klbot keeps between restarts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UTCDateTime, utcnow
from storage.models_platform import (
    CallbackToken,
    OutboxMessage,
    PlatformState,
    ProcessedUpdate,
    Worker,
)
from storage.models_web import WebLogin, WebSession

__all__ = [
    "Announcement",
    "AnswerLog",
    "AuditEntry",
    "Base",
    "CallbackToken",
    "Conversation",
    "Feedback",
    "FeedbackAnswer",
    "Invite",
    "KnowledgeVectors",
    "KnowledgeVersion",
    "OutboxMessage",
    "PendingChoice",
    "Person",
    "PersonIdentity",
    "PlatformState",
    "ProcessedUpdate",
    "RoleGrant",
    "Subscription",
    "TaughtQuestion",
    "UTCDateTime",
    "UnansweredQuestion",
    "WebLogin",
    "WebSession",
    "Worker",
    "utcnow",
]


class Person(Base):
    """A human being, known through one or more platform identities."""

    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    language: Mapped[str | None] = mapped_column(String(8))
    """The language chosen with /language; ``None`` until someone chooses."""
    spoken_language: Mapped[str | None] = mapped_column(String(8))
    """The language of the last message whose language was clear."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def language_or(self, default: str) -> str:
        """The language to write to this person in: their choice, else the language they
        last wrote in, else ``default``."""
        return self.language or self.spoken_language or default


class PersonIdentity(Base):
    """``telegram:123``, ``matrix:@ana:example.org`` or ``console:ana`` of a person."""

    __tablename__ = "identities"

    identity: Mapped[str] = mapped_column(String(320), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Conversation(Base):
    """The step a person is at in a multi-step conversation in one chat."""

    __tablename__ = "conversations"

    chat: Mapped[str] = mapped_column(String(320), primary_key=True)
    person_id: Mapped[int] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(64))
    step: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    started_by: Mapped[str] = mapped_column(String(64), default="", server_default="")
    """The command that began it (``feedback``), to name it when leaving."""
    misses: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Messages in a row that did not fit the current step."""
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PendingChoice(Base):
    """The buttons shown last in a chat, answered by pressing, by number or typed out."""

    __tablename__ = "pending_choices"

    chat: Mapped[str] = mapped_column(String(320), primary_key=True)
    person_id: Mapped[int] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True
    )
    options: Mapped[list[Any]] = mapped_column(JSON)
    """``[label, data]`` per button (button data alone in rows stored before 0013)."""
    prompt: Mapped[str] = mapped_column(Text, default="", server_default="")
    """The text the buttons were shown under."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class KnowledgeVersion(Base):
    """One imported knowledge-base file; the newest is the one klbot answers from."""

    __tablename__ = "knowledge_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(500))
    content: Mapped[str] = mapped_column(Text)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class KnowledgeVectors(Base):
    """The embedding vectors of one knowledge-base version's passages (float32 rows)."""

    __tablename__ = "knowledge_vectors"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("knowledge_versions.id", ondelete="CASCADE"), primary_key=True
    )
    model: Mapped[str] = mapped_column(String(100))
    rows: Mapped[int] = mapped_column(Integer)
    vectors: Mapped[bytes] = mapped_column(LargeBinary)


class TaughtQuestion(Base):
    """A question staff attached to the entry that answers it; kept across imports."""

    __tablename__ = "taught_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question: Mapped[str] = mapped_column(Text)
    normalised: Mapped[str] = mapped_column(String(500), index=True)
    entry_id: Mapped[str] = mapped_column(String(200))
    model: Mapped[str | None] = mapped_column(String(100))
    vector: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AnswerLog(Base):
    """An answer klbot gave (which entry, in which language) and whether it helped."""

    __tablename__ = "answers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[str] = mapped_column(String(200), index=True)
    language: Mapped[str] = mapped_column(String(8))
    helpful: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class UnansweredQuestion(Base):
    """A question klbot could not answer: text, language and time, never who asked."""

    __tablename__ = "unanswered_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    normalised: Mapped[str] = mapped_column(String(500), index=True)
    language: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class Feedback(Base):
    """A citizen's feedback; the person is referenced by klbot's own id, never a platform id."""

    __tablename__ = "feedback"
    __table_args__ = (Index("ix_feedback_inbox", "created_at", "status", "topic", "rating"),)
    """The inbox's pages, newest first, filtered without reading the rows (0015)."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("persons.id", ondelete="SET NULL"), index=True
    )
    platform: Mapped[str] = mapped_column(String(16))
    topic: Mapped[str] = mapped_column(String(200), index=True)
    rating: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    may_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)
    about_entry: Mapped[str | None] = mapped_column(String(200))
    """The knowledge-base entry of the answer this feedback says was missing something."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FeedbackAnswer(Base):
    """One answer staff sent to a piece of feedback; every answer is kept, in order."""

    __tablename__ = "feedback_answers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feedback_id: Mapped[int] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(320))
    """The identity of the staff member who answered (``telegram:2``)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Subscription(Base):
    """A chat that asked for news on a topic (``all``, ``project:ID``); opt-in only."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("chat", "topic"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat: Mapped[str] = mapped_column(String(320), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(200), index=True)
    language: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Announcement(Base):
    """News from staff to an audience, in German and optionally English."""

    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    author: Mapped[str] = mapped_column(String(320))
    """The chat the author's reports go to."""
    author_identity: Mapped[str | None] = mapped_column(String(320))
    """Who wrote it or changed it last (``matrix:@ana:example.org``), for the four-eyes
    rule: that person may not approve it."""
    audience: Mapped[str] = mapped_column(String(200))
    text_de: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="scheduled", index=True)
    send_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cron: Mapped[str | None] = mapped_column(String(100))
    runs: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RoleGrant(Base):
    """A role given in chat (by invite code), on top of the roles in the config file."""

    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("identity", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    identity: Mapped[str] = mapped_column(String(320), index=True)
    role: Mapped[str] = mapped_column(String(20))
    granted_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Invite(Base):
    """A one-time code for a role; only its hash is kept."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    created_by: Mapped[str] = mapped_column(String(320))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_by: Mapped[str | None] = mapped_column(String(320))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AuditEntry(Base):
    """Who did what when: role changes, invites, announcements, failed /join attempts."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor: Mapped[str] = mapped_column(String(320), index=True)
    action: Mapped[str] = mapped_column(String(40), index=True)
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
