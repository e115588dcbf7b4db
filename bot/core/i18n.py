"""User-facing text, German and English kept side by side."""

from __future__ import annotations

from dataclasses import dataclass

LANGUAGES = ("de", "en")


@dataclass(frozen=True, slots=True)
class Text:
    """One message in both languages; ``str.format`` placeholders allowed."""

    de: str
    en: str

    def __call__(self, lang: str, **values: object) -> str:
        template = self.en if lang == "en" else self.de
        return template.format(**values) if values else template


def language_from_hint(hint: str | None) -> str | None:
    """Map a platform or locale hint (``de-DE``, ``en_US.UTF-8``) to ``de``/``en``."""
    if not hint:
        return None
    code = hint.strip().lower()[:2]
    return code if code in LANGUAGES else None
