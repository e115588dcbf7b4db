"""Text for Telegram: HTML-escaped, split into messages of at most 4,096 UTF-16 units."""

from __future__ import annotations

import html

from telegram.constants import MessageLimit

from bot.adapters.formatting import split_text


def escape(text: str) -> str:
    """``text`` safe inside Telegram HTML."""
    return html.escape(text, quote=False)


def utf16_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji like 🦄 counts two)."""
    return len(text.encode("utf-16-le", errors="surrogatepass")) // 2


def message_parts(text: str) -> list[str]:
    """The HTML-escaped messages ``text`` is sent as: split at paragraphs where it is
    longer than Telegram's 4,096 characters (UTF-16 code units)."""
    parts = split_text(text, MessageLimit.MAX_TEXT_LENGTH, escape=escape, size=utf16_length)
    return [escape(part) for part in parts]


def shown(text: str) -> list[str]:
    """What a Telegram chat shows for ``text`` sent as the adapter sends it: one entry per
    message, its HTML read back as the reader sees it (for previews)."""
    return [html.unescape(part) for part in message_parts(text)]
