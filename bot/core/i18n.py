"""User-facing text: each message is written once, in English, in the code; its German
and English wording live in gettext catalogues, ``bot/locales/<lang>/LC_MESSAGES/klbot.po``,
kept up to date with Babel (docs/architecture.md says how)."""

from __future__ import annotations

import gettext
import io
from dataclasses import dataclass
from datetime import date, datetime
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
        template = translations(lang).gettext(self.msgid)
        return template.format(**values) if values else template


@dataclass(frozen=True, slots=True)
class Plural:
    """A message about ``{count}`` things, named by its English singular and plural; each
    catalogue holds its language's forms (gettext's ``ngettext``). ``{count}`` is written
    as people there write numbers (``1.250`` in German)."""

    singular: str
    plural: str

    def __call__(self, lang: str, count: int, **values: object) -> str:
        template = translations(lang).ngettext(self.singular, self.plural, count)
        return template.format(count=number(count, lang), **values)


def number(value: float, lang: str) -> str:
    """``value`` as people write numbers in ``lang``."""
    from babel.numbers import format_decimal

    return format_decimal(value, locale=lang)


DATE_PATTERNS = {"de": "dd.MM.yyyy", "en": "d MMM yyyy"}
TIME_PATTERNS = {"de": "dd.MM.yyyy HH:mm", "en": "d MMM yyyy, HH:mm"}


def day(value: date, lang: str) -> str:
    """A date as people write it in ``lang``: ``03.12.2026``, ``3 Dec 2026``."""
    from babel.dates import format_date

    return format_date(value, DATE_PATTERNS.get(lang, DATE_PATTERNS["en"]), locale=lang)


def moment(value: datetime, lang: str) -> str:
    """A time (already in the reader's zone) as people write it in ``lang``:
    ``03.12.2026 06:54``, ``3 Dec 2026, 06:54``."""
    from babel.dates import format_datetime

    return format_datetime(value, TIME_PATTERNS.get(lang, TIME_PATTERNS["en"]), locale=lang)


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """One language's catalogue, read once per process: the ``.po`` file compiled in
    memory (fuzzy entries left out), so no compiled file needs to be kept in step."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    path = LOCALES / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.is_file():
        return gettext.NullTranslations()
    with path.open("rb") as file:
        compiled = io.BytesIO()
        write_mo(compiled, read_po(file, locale=lang))
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def language_from_hint(hint: str | None) -> str | None:
    """Map a platform or locale hint (``de-DE``, ``en_US.UTF-8``) to ``de``/``en``."""
    if not hint:
        return None
    code = hint.strip().lower()[:2]
    return code if code in LANGUAGES else None
