"""What a handler receives: the message, who sent it, their language, the database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import i18n
from bot.core.buttons import ButtonData
from bot.core.events import Button, Incoming, Reply
from bot.core.i18n import Plural, Text
from bot.core.roles import Role
from bot.core.router import Command
from bot.runtime.config import Config
from bot.runtime.services import Services
from storage import conversations, people
from storage.conversations import ConversationState

B = TypeVar("B", bound=ButtonData)


@dataclass
class Context:
    """Everything one handler call may use; built anew for every message."""

    message: Incoming
    person_id: int
    roles: frozenset[Role]
    lang: str
    """The language replies are written in."""
    session: AsyncSession
    config: Config
    services: Services
    commands: Sequence[Command] = ()
    """The commands this person may use, in help order."""
    command: str = ""
    """The command's name, without the slash, when the message is a command."""
    args: str = ""
    """Text after the command name."""
    button: ButtonData | None = None
    """The data of the button pressed (see :meth:`pressed`)."""
    conversation: ConversationState | None = None
    chosen_language: str | None = None
    """The language this person chose with /language, if any."""

    def pressed(self, kind: type[B]) -> B:
        """The data of the button pressed; the router only calls a button's handler with
        data of the kind it was registered for."""
        if not isinstance(self.button, kind):
            raise TypeError(f"expected a {kind.__name__} button, got {self.button!r}")
        return self.button

    @property
    def chat(self) -> str:
        return str(self.message.chat)

    @property
    def zone(self) -> ZoneInfo:
        """The time zone in which people read times (``[bot] timezone``)."""
        return ZoneInfo(self.config.bot.timezone)

    def when(self, moment: datetime) -> str:
        """``moment`` in the reader's time zone and language: ``15.11.2017 14:05``,
        ``15 Nov 2017, 14:05``."""
        return i18n.moment(moment.astimezone(self.zone), self.lang)

    def t(self, text: Text | Plural, **values: Any) -> str:
        """``text`` in this person's language (a :class:`Plural` needs ``count``)."""
        return text(self.lang, **values)

    def reply(
        self,
        text: Text | Plural | str,
        *,
        buttons: Sequence[Sequence[tuple[Text | str, str]]] = (),
        **values: object,
    ) -> Reply:
        """A reply in this person's language; ``buttons`` are rows of (label, data)."""
        rows = tuple(
            tuple(Button(self._localise(label), data) for label, data in row) for row in buttons
        )
        return Reply(self._localise(text, **values), rows)

    def _localise(self, text: Text | Plural | str, **values: Any) -> str:
        return text if isinstance(text, str) else text(self.lang, **values)

    async def heard(self, lang: str) -> None:
        """The message was written in ``lang``: answer in it and remember it for what comes
        next, unless the person chose a language."""
        if self.chosen_language is None:
            self.lang = lang
            await people.set_spoken_language(self.session, person_id=self.person_id, language=lang)

    async def start_conversation(self, name: str, step: str, **data: Any) -> None:
        """Begin (or restart) conversation ``name`` at ``step``; stored at once."""
        self.conversation = ConversationState(name, step, dict(data), started_by=self.command)
        await self._save()

    async def goto(self, step: str, **data: Any) -> None:
        """Move the running conversation to ``step``, merging ``data`` into what it holds."""
        if self.conversation is None:
            raise RuntimeError("goto() outside a conversation")
        self.conversation.step = step
        self.conversation.data.update(data)
        self.conversation.misses = 0
        await self._save()

    async def end_conversation(self) -> bool:
        """Leave any conversation in this chat; True if there was one."""
        self.conversation = None
        return await conversations.clear_conversation(
            self.session, chat=self.chat, person_id=self.person_id
        )

    async def _save(self) -> None:
        assert self.conversation is not None
        await conversations.save_conversation(
            self.session, chat=self.chat, person_id=self.person_id, state=self.conversation
        )
