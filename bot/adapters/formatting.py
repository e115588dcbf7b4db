"""Reply text for platforms: numbered choices instead of buttons, long texts split."""

from __future__ import annotations

from collections.abc import Callable

from bot.core.events import Reply


def with_choices(reply: Reply) -> str:
    """The reply's text with its buttons as numbered choices (answered by number)."""
    lines = [reply.text]
    buttons = reply.flat_buttons
    if buttons:
        lines.append("")
        lines += [f"  {number}) {button.label}" for number, button in enumerate(buttons, 1)]
    return "\n".join(lines)


def split_text(
    text: str,
    limit: int,
    *,
    escape: Callable[[str], str] = str,
    size: Callable[[str], int] = len,
) -> list[str]:
    """Parts of ``text`` whose escaped form fits ``limit`` (measured by ``size``, characters
    by default): cut at paragraphs, else at lines, else at spaces, else anywhere."""

    def fits(part: str) -> bool:
        return size(escape(part)) <= limit

    if fits(text) or len(text) <= 1:
        return [text]
    for separator in ("\n\n", "\n", " "):
        pieces = text.split(separator)
        if len(pieces) > 1:
            return _pack(
                pieces,
                separator,
                fits,
                lambda piece: split_text(piece, limit, escape=escape, size=size),
            )
    middle = len(text) // 2
    return split_text(text[:middle], limit, escape=escape, size=size) + split_text(
        text[middle:], limit, escape=escape, size=size
    )


def _pack(
    pieces: list[str],
    separator: str,
    fits: Callable[[str], bool],
    split: Callable[[str], list[str]],
) -> list[str]:
    parts: list[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current}{separator}{piece}" if current else piece
        if fits(candidate):
            current = candidate
            continue
        if current:
            parts.append(current)
        if fits(piece):
            current = piece
        else:
            parts.extend(split(piece))
            current = ""
    if current:
        parts.append(current)
    return parts
