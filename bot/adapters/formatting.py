"""Reply text for platforms: numbered choices instead of buttons, long texts split."""

from __future__ import annotations

from collections.abc import Callable

from bot.events import Reply


def with_choices(reply: Reply) -> str:
    """The reply's text with its buttons as numbered choices (answered by number)."""
    lines = [reply.text]
    buttons = reply.flat_buttons
    if buttons:
        lines.append("")
        lines += [f"  {number}) {button.label}" for number, button in enumerate(buttons, 1)]
    return "\n".join(lines)


def split_text(text: str, limit: int, *, escape: Callable[[str], str] = str) -> list[str]:
    """Parts of ``text`` whose escaped form fits ``limit``: cut at paragraphs, else at lines,
    else at spaces, else anywhere."""
    if len(escape(text)) <= limit:
        return [text]
    for separator in ("\n\n", "\n", " "):
        pieces = text.split(separator)
        if len(pieces) > 1:
            return _pack(pieces, separator, limit, escape)
    middle = len(text) // 2
    return split_text(text[:middle], limit, escape=escape) + split_text(
        text[middle:], limit, escape=escape
    )


def _pack(pieces: list[str], separator: str, limit: int, escape: Callable[[str], str]) -> list[str]:
    parts: list[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current}{separator}{piece}" if current else piece
        if len(escape(candidate)) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        if len(escape(piece)) <= limit:
            current = piece
        else:
            parts.extend(split_text(piece, limit, escape=escape))
            current = ""
    if current:
        parts.append(current)
    return parts
