"""User-facing text: each message is written once, in English, in the code; its German
and English wording live in gettext catalogues, ``bot/locales/<lang>/LC_MESSAGES/klbot.po``,
kept up to date with Babel (docs/architecture.md says how)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

LANGUAGES = ("de", "en")
LOCALES = Path(__file__).parent.parent / "locales"
DOMAIN = "klbot"


@dataclass(frozen=True, slots=True)
class Text:
    """One message, named by its English text; ``str.format`` placeholders allowed."""

    msgid: str

    def __call__(self, lang: str, **values: object) -> str:
        template = catalogue(lang).get(self.msgid) or self.msgid
        return template.format(**values) if values else template


@cache
def catalogue(lang: str) -> dict[str, str]:
    """The translations of one language (read once per process)."""
    from babel.messages.pofile import read_po

    path = LOCALES / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.is_file():
        return {}
    with path.open("rb") as file:
        messages = read_po(file, locale=lang)
    return {
        str(m.id): str(m.string)
        for m in messages
        if m.id and isinstance(m.string, str) and m.string and not m.fuzzy
    }


def language_from_hint(hint: str | None) -> str | None:
    """Map a platform or locale hint (``de-DE``, ``en_US.UTF-8``) to ``de``/``en``."""
    if not hint:
        return None
    code = hint.strip().lower()[:2]
    return code if code in LANGUAGES else None
