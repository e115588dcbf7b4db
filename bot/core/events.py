"""Neutral events that flow between platform adapters and handlers.

Nothing here knows about Telegram, Matrix or the terminal: an adapter turns
what its platform delivers into an :class:`Incoming` and turns each
:class:`Reply` back into whatever its platform shows.
"""

from __future__ import annotations

from dataclasses import dataclass

PLATFORMS = ("telegram", "matrix", "console")


@dataclass(frozen=True, slots=True)
class Identity:
    """A person (or a chat) on one platform, written ``platform:id``.

    Examples: ``telegram:123456``, ``matrix:@ana:example.org``, ``console:ana``.
    """

    platform: str
    id: str

    @classmethod
    def parse(cls, text: str) -> Identity:
        """Parse ``platform:id``; raise ``ValueError`` with a readable reason."""
        platform, sep, ident = text.partition(":")
        if not sep or not ident:
            raise ValueError(f"{text!r} is not of the form 'platform:id'")
        if platform not in PLATFORMS:
            raise ValueError(
                f"{text!r}: unknown platform {platform!r} (use {', '.join(PLATFORMS)})"
            )
        return cls(platform, ident)

    def __str__(self) -> str:
        return f"{self.platform}:{self.id}"


@dataclass(frozen=True, slots=True)
class Button:
    """One choice offered under a reply; pressing it sends ``data`` back."""

    label: str
    data: str


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with a reply (e.g. a person's data as JSON)."""

    name: str
    data: bytes
    mime_type: str = "application/json"


@dataclass(frozen=True, slots=True)
class Reply:
    """What a handler answers: text and, optionally, rows of buttons and a file."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    attachment: Attachment | None = None
    secret: bool = False
    """The text holds a secret (a sign-in link): not kept once it was delivered."""

    @property
    def flat_buttons(self) -> list[Button]:
        """All buttons in reading order (used for numbered choices)."""
        return [button for row in self.buttons for button in row]


@dataclass(frozen=True, slots=True)
class Incoming:
    """One message or button press from a person in a chat.

    Exactly one of ``text`` and ``callback`` is set. ``chat`` identifies the
    conversation (a direct chat or a room), ``sender`` the person.
    ``language`` is the platform's hint (``"de"``, ``"en-US"``, …) if it has one.
    """

    chat: Identity
    sender: Identity
    text: str | None = None
    callback: str | None = None
    language: str | None = None
    is_direct: bool = True
    sender_name: str | None = None

    @property
    def platform(self) -> str:
        return self.sender.platform


@dataclass(frozen=True, slots=True)
class Surface:
    """What the platform a message came through can show."""

    buttons: bool
    """Native buttons; without them, buttons become numbered choices."""
    username: str | None = None
    """The bot's own user name there, for ``/cmd@username``."""
    push: bool = True
    """The platform can deliver messages at any time; without it (the console), messages
    owed to a person are shown with the next reply."""
