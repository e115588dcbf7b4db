"""The knowledge-base file format (documented in content/README.md) and its validation."""

from __future__ import annotations

import tomllib
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

DEFAULT_FILE = "kl_digital.toml"


class KnowledgeError(Exception):
    """A content file that cannot be used; ``problems`` name file, entry and field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Bilingual(Model):
    de: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.de


class BilingualList(Model):
    de: list[str] = []
    en: list[str] = []

    def get(self, lang: str) -> list[str]:
        return self.en if lang == "en" else self.de


class Source(Model):
    id: str
    title: str
    date: date
    url: str = ""
    note: str = ""


class SynonymGroup(Model):
    words: list[str]


class Entry(Model):
    """What every kind of entry has: id, search words, source and date."""

    id: str
    aliases: list[str] = []
    keywords: list[str] = []
    source: str
    date: date


class Organisation(Entry):
    name: str
    summary: Bilingual


class Officer(Entry):
    name: str
    title: Bilingual
    since: date | None = None
    placement: Bilingual | None = None
    responsibilities: BilingualList = BilingualList()
    contact: str = ""
    summary: Bilingual


class Project(Entry):
    name: Bilingual
    status: Bilingual
    summary: Bilingual
    responsible: str = ""
    topics: list[str] = []
    links: list[str] = []


class Faq(Entry):
    questions: BilingualList
    answer: Bilingual
    related: list[str] = []


class Meta(Model):
    title: str
    updated: date


class KnowledgeBase(Model):
    """A whole content file."""

    meta: Meta
    sources: list[Source]
    synonyms: list[SynonymGroup] = []
    organisation: Organisation
    officers: list[Officer] = []
    projects: list[Project] = []
    faq: list[Faq] = []

    def entries(self) -> list[Organisation | Officer | Project | Faq]:
        return [self.organisation, *self.officers, *self.projects, *self.faq]

    def entry(self, entry_id: str) -> Organisation | Officer | Project | Faq | None:
        return next((e for e in self.entries() if e.id == entry_id), None)

    def source(self, source_id: str) -> Source:
        return next(s for s in self.sources if s.id == source_id)

    @model_validator(mode="after")
    def _references(self) -> KnowledgeBase:
        problems = []
        seen: set[str] = set()
        sources = {s.id for s in self.sources}
        for entry in self.entries():
            where = f"{_section(entry)}[{entry.id}]"
            if entry.id in seen:
                problems.append(f"{where} id: used twice")
            seen.add(entry.id)
            if entry.source not in sources:
                problems.append(f"{where} source: no [[sources]] entry {entry.source!r}")
        for entry in self.entries():
            where = f"{_section(entry)}[{entry.id}]"
            references = []
            if isinstance(entry, Project) and entry.responsible:
                references = [("responsible", entry.responsible)]
            if isinstance(entry, Faq):
                references = [("related", r) for r in entry.related]
            for field, target in references:
                if target not in seen:
                    problems.append(f"{where} {field}: no entry with id {target!r}")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _section(entry: Entry) -> str:
    return {Organisation: "organisation", Officer: "officers", Project: "projects"}.get(
        type(entry), "faq"
    )


def parse(text: str, name: str) -> KnowledgeBase:
    """Validate a content file's text; raise :class:`KnowledgeError` naming every problem."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise KnowledgeError([f"{name}: not valid TOML: {exc}"]) from None
    try:
        return KnowledgeBase.model_validate(raw)
    except ValidationError as exc:
        problems = [_describe(error, raw) for error in exc.errors()]
        raise KnowledgeError([f"{name}: {p}" for ps in problems for p in ps.split("; ")]) from None


def load_file(path: str | Path) -> KnowledgeBase:
    """Read and validate a content file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KnowledgeError([f"{path}: cannot read file ({exc.__class__.__name__})"]) from None
    return parse(text, str(path))


def default_text() -> str:
    """The packaged default knowledge base's text."""
    return (resources.files("content") / DEFAULT_FILE).read_text(encoding="utf-8")


def _describe(error: Any, raw: dict[str, Any]) -> str:
    location = list(error["loc"])
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown field (content/README.md lists the fields)"
    elif error["type"] == "missing":
        message = "missing"
    parts: list[str] = []
    node: Any = raw
    for part in location:
        if isinstance(part, int) and isinstance(node, list) and part < len(node):
            node = node[part]
            ident = node.get("id") if isinstance(node, dict) else None
            parts[-1] += f"[{ident}]" if ident else f"[{part + 1}]"
            continue
        node = node.get(part) if isinstance(node, dict) else None
        parts.append(str(part))
    path = parts[0] + "".join(f" {p}" if i == 0 else f".{p}" for i, p in enumerate(parts[1:]))
    return f"{path}: {message}" if parts else message
