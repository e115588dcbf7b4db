"""Greetings, thanks, goodbyes and "ok": a short friendly reply, not a knowledge gap.

The phrases are in ``smalltalk.toml``; a message counts only if it is nothing but one of
them (so "Hallo, wer ist der CDO?" is still a question).
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path

from bot.core.context import Context
from bot.core.events import Reply
from bot.core.i18n import Text
from bot.core.router import Router

router = Router("smalltalk")

INTRO = Text(
    "Hello! Ask me about KL.digital GmbH, its projects and contacts – for "
    "example: “Who is the CDO?” or “What does KL.digital do?”. /help lists all "
    "commands."
)

REPLIES = {
    "greeting": INTRO,
    "thanks": Text("You're welcome! Just ask if there is anything else."),
    "goodbye": Text("Goodbye, and see you soon!"),
    "okay": Text("All right. If you would like to know more, just ask."),
}
ADDRESSED = ("klbot", "bot")
"""Words after a phrase that still make it small talk ("danke klbot")."""


@cache
def phrases() -> dict[str, tuple[str, str | None]]:
    """Each phrase (folded) → its kind and language (``None`` for a phrase both languages
    use, such as "ok")."""
    table = tomllib.loads((Path(__file__).parent / "smalltalk.toml").read_text("utf-8"))
    found: dict[str, tuple[str, str | None]] = {}
    for kind, languages in table.items():
        for lang, listed in languages.items():
            for phrase in map(fold, listed):
                known = found.get(phrase)
                found[phrase] = (kind, lang if known is None or known[1] == lang else None)
    return found


def fold(text: str) -> str:
    """Lower case, letters and single spaces only."""
    return " ".join(re.sub(r"[^\w\s]|_|\d", " ", text.casefold()).split())


def small_talk(text: str) -> tuple[str, str | None] | None:
    """The kind and language of a message that is nothing but small talk."""
    words = fold(text).split()
    while words and words[-1] in ADDRESSED:
        words.pop()
    return phrases().get(" ".join(words)) if words else None


@router.text()
async def reply_to_small_talk(ctx: Context) -> Reply | None:
    found = small_talk(ctx.message.text or "")
    if found is None:
        return None
    kind, lang = found
    if lang is not None:
        await ctx.heard(lang)
    return ctx.reply(REPLIES[kind])
