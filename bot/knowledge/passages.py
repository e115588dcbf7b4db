"""What of each entry the embedding model reads: one passage per language with the
entry's name, title and summary (or an FAQ's questions and answer), and for officers a
second one with their responsibilities.

Measured on the fictional contents in ``bench/`` with their keywords removed (right
entry first, mean over 14 question sets): whole entries 84.3 %, single sentences 84.7 %
(more spread: 62–88 % per set), whole entries plus responsibilities 85.2 %; adding each
FAQ question as a passage of its own lowered it to 80.9 % (68.6 % as queries).
"""

from __future__ import annotations

from typing import NamedTuple

from bot.knowledge.fields import AnyEntry
from bot.knowledge.schema import Faq, KnowledgeBase, Officer, Organisation, Project

LANGUAGES = ("de", "en")


class Passage(NamedTuple):
    entry: int
    """Position of the entry in ``KnowledgeBase.entries()``."""
    text: str


def _head(entry: AnyEntry, lang: str) -> str:
    if isinstance(entry, Officer):
        return f"{entry.name} – {entry.title.get(lang)}."
    if isinstance(entry, Project):
        return f"{entry.name.get(lang)}."
    if isinstance(entry, Organisation):
        return f"{entry.name}."
    return " ".join(entry.questions.get(lang))


def entry_passages(entry: AnyEntry) -> list[str]:
    """The passages of one entry, German first."""
    passages = []
    for lang in LANGUAGES:
        body = entry.answer.get(lang) if isinstance(entry, Faq) else entry.summary.get(lang)
        passages.append(f"{_head(entry, lang)} {body}")
        if isinstance(entry, Officer) and (duties := entry.responsibilities.get(lang)):
            passages.append(f"{entry.name} – {entry.title.get(lang)}: {'; '.join(duties)}")
    return passages


def passages(kb: KnowledgeBase) -> list[Passage]:
    """Every passage of a knowledge base, in the order of its entries."""
    return [
        Passage(i, text) for i, entry in enumerate(kb.entries()) for text in entry_passages(entry)
    ]
