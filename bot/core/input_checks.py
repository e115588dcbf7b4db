"""Checks on what people type, before any handler sees it."""

from __future__ import annotations

import unicodedata

from bot.core.i18n import Text

EMPTY = Text("Your message was empty. Ask me a question or send /help.")
TOO_LONG = Text(
    "Your message is too long at {length} characters: {limit} at most, please. Nothing was saved."
)
UNREADABLE = Text(
    "I could not read your message (invalid character encoding). Please send it "
    "again as plain text."
)

_KEEP = {"\n", "\t"}


def clean(text: str) -> str:
    """Drop control characters and lone surrogates (keeping newlines and tabs) and trim."""
    return "".join(
        ch for ch in text if ch in _KEEP or unicodedata.category(ch) not in {"Cc", "Cs"}
    ).strip()


def problem(text: str, limit: int) -> tuple[Text, dict[str, int]] | None:
    """Why a message cannot be handled, or ``None`` if it can."""
    if "\ufffd" in text:
        return UNREADABLE, {}
    if len(text) > limit:
        return TOO_LONG, {"length": len(text), "limit": limit}
    if not clean(text):
        return EMPTY, {}
    return None
