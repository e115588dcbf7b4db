"""How knowledge-base entries read in chat: titles, detail cards, sources, look-up by name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rapidfuzz import fuzz, process

from bot.core.buttons import ButtonData
from bot.core.i18n import Text
from bot.knowledge.fields import AnyEntry
from bot.knowledge.schema import Faq, KnowledgeBase, Officer, Organisation, Project
from bot.knowledge.text import fold

MONTHS_EN = "January February March April May June July August September October November December"

SOURCE = Text("Source: {title}, {date}")
SINCE = Text("Since: {date}")
PLACED = Text("Placed: {value}")
DUTIES = Text("Responsibilities:")
CONTACT = Text("Contact: {value}")
NO_CONTACT = Text("Contact: not on file yet")
STATUS = Text("Status: {value}")
RESPONSIBLE = Text("Responsible: {value}")
TOPICS = Text("Topics: {value}")
LINKS = Text("Links: {value}")


@dataclass(frozen=True)
class Show(ButtonData, prefix="kb", optional=True):
    """A button that shows one entry's card."""

    entry: str


def format_date(day: date, lang: str) -> str:
    """``15.11.2017`` in German, ``15 November 2017`` in English."""
    if lang == "en":
        return f"{day.day} {MONTHS_EN.split()[day.month - 1]} {day.year}"
    return day.strftime("%d.%m.%Y")


def title(entry: AnyEntry, lang: str) -> str:
    """A short name for buttons and lists."""
    if isinstance(entry, Organisation | Officer):
        return entry.name
    if isinstance(entry, Project):
        return entry.name.get(lang)
    questions = entry.questions.get(lang)
    return questions[0] if questions else entry.id


def answer_text(entry: AnyEntry, lang: str) -> str:
    """The few sentences klbot answers with."""
    return entry.answer.get(lang) if isinstance(entry, Faq) else entry.summary.get(lang)


def source_line(entry: AnyEntry, kb: KnowledgeBase, lang: str) -> str:
    source = kb.source(entry.source)
    return SOURCE(lang, title=source.title, date=format_date(entry.date, lang))


def detail(entry: AnyEntry, kb: KnowledgeBase, lang: str) -> str:
    """Everything the knowledge base holds on an entry, as a card."""
    lines = [title(entry, lang)]
    if isinstance(entry, Officer):
        lines.append(entry.title.get(lang))
        if entry.since:
            lines.append(SINCE(lang, date=format_date(entry.since, lang)))
        if entry.placement:
            lines.append(PLACED(lang, value=entry.placement.get(lang)))
        duties = entry.responsibilities.get(lang)
        if duties:
            lines += [DUTIES(lang), *(f"• {duty}" for duty in duties)]
        lines.append(CONTACT(lang, value=entry.contact) if entry.contact else NO_CONTACT(lang))
    elif isinstance(entry, Project):
        lines += [STATUS(lang, value=entry.status.get(lang)), "", entry.summary.get(lang)]
        responsible = kb.entry(entry.responsible) if entry.responsible else None
        if responsible is not None:
            lines.append(RESPONSIBLE(lang, value=title(responsible, lang)))
        if entry.topics:
            lines.append(TOPICS(lang, value=", ".join(entry.topics)))
        if entry.links:
            lines.append(LINKS(lang, value=" ".join(entry.links)))
    else:
        lines += ["", answer_text(entry, lang)]
    lines += ["", source_line(entry, kb, lang)]
    return "\n".join(lines)


def related(entry: AnyEntry, kb: KnowledgeBase) -> list[AnyEntry]:
    """Entries to offer next: an FAQ's links, a project's officer, an officer's projects."""
    if isinstance(entry, Faq):
        ids = entry.related
    elif isinstance(entry, Project):
        ids = [entry.responsible] if entry.responsible else []
    elif isinstance(entry, Officer):
        ids = [p.id for p in kb.projects if p.responsible == entry.id]
    else:
        ids = [p.id for p in kb.projects]
    return [found for i in ids if (found := kb.entry(i)) is not None and found.id != entry.id]


def find(entries: list[Officer] | list[Project], query: str) -> Officer | Project | None:
    """The officer or project a person names: by name, alias or title, typos allowed."""
    choices: dict[str, Officer | Project] = {}
    for entry in entries:
        names = [*entry.aliases, entry.id]
        if isinstance(entry, Officer):
            names += [entry.name, entry.title.de, entry.title.en]
        else:
            names += [entry.name.de, entry.name.en]
        choices.update({fold(name): entry for name in names})
    wanted = fold(query)
    if wanted in choices:
        return choices[wanted]
    found = process.extractOne(wanted, list(choices), scorer=fuzz.WRatio, score_cutoff=85)
    return choices[found[0]] if found else None
