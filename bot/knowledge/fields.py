"""What of each knowledge-base entry is searched, and how much each part weighs."""

from __future__ import annotations

from collections.abc import Iterable

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


def fact_texts(entry: AnyEntry) -> list[str]:
    """The running text of an entry, whose sentences each state facts of their own."""
    texts: list[str] = []
    if isinstance(entry, Officer):
        texts += entry.responsibilities.de + entry.responsibilities.en
        if entry.placement:
            texts += [entry.placement.de, entry.placement.en]
    if isinstance(entry, Faq):
        texts += entry.questions.de + entry.questions.en + [entry.answer.de, entry.answer.en]
    else:
        texts += [entry.summary.de, entry.summary.en]
    return texts


def entry_fields(entry: AnyEntry) -> Iterable[tuple[str, int]]:
    """(text, weight) pairs to index for an entry; names and aliases weigh most."""
    yield from ((alias, 3) for alias in entry.aliases)
    yield from ((keyword, 2) for keyword in entry.keywords)
    if isinstance(entry, Organisation | Officer):
        yield entry.name, 3
    if isinstance(entry, Project):
        yield from ((entry.name.de, 3), (entry.name.en, 3), (" ".join(entry.topics), 2))
    yield from ((label, 1) for label in field_labels(entry))
    if isinstance(entry, Officer):
        yield from ((entry.title.de, 2), (entry.title.en, 2))
        yield from ((text, 1) for text in entry.responsibilities.de + entry.responsibilities.en)
        if entry.placement:
            yield from ((entry.placement.de, 1), (entry.placement.en, 1))
    if isinstance(entry, Faq):
        yield from ((q, 2) for q in entry.questions.de + entry.questions.en)
        yield from ((entry.answer.de, 1), (entry.answer.en, 1))
    else:
        yield from ((entry.summary.de, 1), (entry.summary.en, 1))
