"""User-facing text: each message is written once, in English, in the code; its German
and English wording live in gettext catalogues, ``bot/locales/<lang>/LC_MESSAGES/klbot.po``,
kept up to date with Babel (docs/architecture.md says how)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

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


@dataclass(frozen=True, slots=True)
class Plural:
    """A message about ``{count}`` things, named by its English singular and plural; each
    catalogue holds its language's forms. ``{count}`` is written as people there write
    numbers (``1.250`` in German)."""

    singular: str
    plural: str

    def __call__(self, lang: str, count: int, **values: object) -> str:
        forms = plural_forms(lang).get(self.singular)
        other = plural_category(lang, count) != "one"
        if forms and len(forms) == 2 and all(forms):
            template = forms[other]
        else:
            template = self.plural if other else self.singular
        return template.format(count=number(count, lang), **values)


def number(value: float, lang: str) -> str:
    """``value`` as people write numbers in ``lang``."""
    from babel.numbers import format_decimal

    return format_decimal(value, locale=lang)


def plural_category(lang: str, count: int) -> str:
    """``one`` or ``other`` (CLDR) for ``count`` in ``lang``; both of klbot's languages
    have these two forms, in this order in their catalogues."""
    from babel import Locale

    return str(Locale.parse(lang).plural_form(count))


@cache
def catalogue(lang: str) -> dict[str, str]:
    """The translations of one language (read once per process)."""
    return {
        str(m.id): str(m.string)
        for m in _messages(lang)
        if isinstance(m.id, str) and m.id and isinstance(m.string, str) and m.string
    }


@cache
def plural_forms(lang: str) -> dict[str, tuple[str, ...]]:
    """The plural messages of one language: English singular → its forms there."""
    return {
        str(m.id[0]): tuple(str(form) for form in m.string)
        for m in _messages(lang)
        if isinstance(m.id, tuple) and isinstance(m.string, tuple)
    }


@cache
def _messages(lang: str) -> list[Any]:
    from babel.messages.pofile import read_po

    path = LOCALES / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.is_file():
        return []
    with path.open("rb") as file:
        return [m for m in read_po(file, locale=lang) if not m.fuzzy]


def language_from_hint(hint: str | None) -> str | None:
    """Map a platform or locale hint (``de-DE``, ``en_US.UTF-8``) to ``de``/``en``."""
    if not hint:
        return None
    code = hint.strip().lower()[:2]
    return code if code in LANGUAGES else None
