"""The topics people subscribe to, by the names people use: "all", a project (by name,
alias or id, typos allowed) or a topic tag of the projects ("Smart City" or "#Smart City").

Stored as ``all``, ``project:ID`` or ``tag:NAME``; an announcement's audience names one as
``topic:NAME`` in chat and in the shell alike."""

from __future__ import annotations

from bot.knowledge.schema import KnowledgeBase
from handlers.catalogue import entries
from storage.subscriptions import ALL

EVERYONE = ("all", "alle", "alles")


def tags(kb: KnowledgeBase) -> list[str]:
    """The projects' topic tags, sorted."""
    return sorted({tag for project in kb.projects for tag in project.topics})


def topic_key(kb: KnowledgeBase, name: str) -> str | None:
    """The stored topic a person names, or ``None`` if the knowledge base has no such topic."""
    wanted = name.strip().removeprefix("tag:").lstrip("#").strip()
    if wanted.casefold() in EVERYONE:
        return ALL
    for tag in tags(kb):
        if tag.casefold() == wanted.casefold():
            return f"tag:{tag}"
    project = entries.find(kb.projects, name.strip().removeprefix("project:"))
    return f"project:{project.id}" if project is not None else None


def known(kb: KnowledgeBase, lang: str) -> list[str]:
    """Every topic by the name to use for it: all, the projects, the tags."""
    return ["all", *(p.name.get(lang) for p in kb.projects), *tags(kb)]
