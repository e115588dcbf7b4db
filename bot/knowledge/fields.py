"""What of each knowledge-base entry is searched, and how much each part weighs."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from bot.knowledge.schema import Faq, Officer, Organisation, Project

AnyEntry = Organisation | Officer | Project | Faq


def proper_names(entry: AnyEntry) -> list[str]:
    """The names and aliases of what an entry is about (a person, a project, a role)."""
    names = list(entry.aliases)
    if isinstance(entry, Organisation | Officer):
        names.append(entry.name)
    if isinstance(entry, Project):
        names += [entry.name.de, entry.name.en]
    return names


def entry_names(entry: AnyEntry) -> list[str]:
    """Names, aliases and (for FAQ entries) questions: what a question may name in full."""
    names = proper_names(entry)
    if isinstance(entry, Faq):
        names += entry.questions.de + entry.questions.en
    return names


# Words people use to ask for a field, indexed with every entry that fills that field.
LABELS = {
    "responsibilities": "Aufgaben Aufgabe Zuständigkeit zuständig Rolle Funktion macht "
    "responsibilities responsible duties tasks role job does",
    "since": "seit wann begonnen angefangen since start started",
    "placement": "angesiedelt zugeordnet placed",
    "name": "Name heißt called named",
    "contact": "Kontakt erreichen contact reach",
    "status": "Stand Status status progress",
    "responsible": "verantwortlich zuständig responsible",
    "organisation": "Unternehmen Organisation company organisation",
}


def field_labels(entry: AnyEntry) -> list[str]:
    """The label words of the fields this entry fills (see :data:`LABELS`)."""
    filled = {
        "responsibilities": isinstance(entry, Officer) and bool(entry.responsibilities.de),
        "since": isinstance(entry, Officer) and entry.since is not None,
        "placement": isinstance(entry, Officer) and entry.placement is not None,
        "contact": isinstance(entry, Officer) and bool(entry.contact),
        "status": isinstance(entry, Project),
        "responsible": isinstance(entry, Project) and bool(entry.responsible),
        "organisation": isinstance(entry, Organisation),
        "name": not isinstance(entry, Faq),
    }
    return [LABELS[field] for field, present in filled.items() if present]


class Field(NamedTuple):
    """A text to index for an entry, how much it weighs, and whether it is running text
    (whose sentences each state a fact) or a name, title or keyword (which hold for the
    whole entry)."""

    text: str
    weight: int
    running: bool = False


def entry_fields(entry: AnyEntry) -> Iterable[Field]:
    """The texts to index for an entry; names and aliases weigh most."""
    yield from (Field(alias, 3) for alias in entry.aliases)
    yield from (Field(keyword, 2) for keyword in entry.keywords)
    if isinstance(entry, Organisation | Officer):
        yield Field(entry.name, 3)
    if isinstance(entry, Project):
        yield from (Field(entry.name.de, 3), Field(entry.name.en, 3))
        yield Field(" ".join(entry.topics), 2)
    yield from (Field(label, 1) for label in field_labels(entry))
    if isinstance(entry, Officer):
        yield from (Field(entry.title.de, 2), Field(entry.title.en, 2))
        duties = entry.responsibilities.de + entry.responsibilities.en
        yield from (Field(text, 1, running=True) for text in duties)
        if entry.placement:
            yield Field(entry.placement.de, 1, running=True)
            yield Field(entry.placement.en, 1, running=True)
    if isinstance(entry, Faq):
        questions = entry.questions.de + entry.questions.en
        yield from (Field(question, 2, running=True) for question in questions)
        yield Field(entry.answer.de, 1, running=True)
        yield Field(entry.answer.en, 1, running=True)
    else:
        yield Field(entry.summary.de, 1, running=True)
        yield Field(entry.summary.en, 1, running=True)
