"""Drive the dispatcher like a person would: send text, press buttons, read replies."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.dispatcher import Dispatcher
from bot.core.events import Identity, Incoming, Reply, Surface
from bot.runtime.app import App
from bot.runtime.config import Config
from handlers import all_routers

BUTTONS = Surface(buttons=True, username="klbot")


def with_roles(config: Config, **roles: list[str]) -> Config:
    """``config`` with these identities in these roles (``staff=["telegram:2"]``)."""
    return config.model_copy(update={"roles": config.roles.model_copy(update=roles)})


def dispatcher_for(app: App, config: Config) -> Dispatcher:
    """A dispatcher over ``app``'s database and services that reads ``config``."""
    return Dispatcher(all_routers(), app.sessions, config, app.services)


@dataclass
class Chat:
    """A person chatting with klbot on a platform with native buttons."""

    dispatcher: Dispatcher
    user: str = "telegram:1001"
    language: str | None = None
    surface: Surface = BUTTONS
    last: list[Reply] = field(default_factory=list)

    def _message(self, text: str | None = None, callback: str | None = None) -> Incoming:
        who = Identity.parse(self.user)
        return Incoming(chat=who, sender=who, text=text, callback=callback, language=self.language)

    async def send(self, text: str) -> list[Reply]:
        self.last = await self.dispatcher.handle(self._message(text=text), self.surface)
        return self.last

    async def ask(self, text: str) -> str:
        """Send ``text``; all reply texts joined by blank lines."""
        return "\n\n".join(reply.text for reply in await self.send(text))

    async def press(self, label: str) -> str:
        """Press the button labelled ``label`` under the last replies."""
        for reply in self.last:
            for button in reply.flat_buttons:
                if button.label == label:
                    message = self._message(callback=button.data)
                    self.last = await self.dispatcher.handle(message, self.surface)
                    return "\n\n".join(reply.text for reply in self.last)
        raise AssertionError(f"no button {label!r} in {self.last!r}")

    def buttons(self) -> list[str]:
        return [b.label for reply in self.last for b in reply.flat_buttons]
