"""The live knowledge base: the newest imported version, shared by every klbot process."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot.knowledge.index import SearchIndex
from bot.knowledge.schema import KnowledgeBase, KnowledgeError, default_text, parse
from storage import knowledge as store

log = logging.getLogger(__name__)

DEFAULT_SOURCE = "default"


@dataclass
class Loaded:
    """One parsed version; its search index is built on first use."""

    version: int
    source: str
    kb: KnowledgeBase

    @cached_property
    def index(self) -> SearchIndex:
        return SearchIndex(self.kb)


@dataclass
class Knowledge:
    """Keeps the newest knowledge base loaded; reloads when another process imports one."""

    file: str = ""
    """The configured content file; empty for the packaged default."""
    _loaded: Loaded | None = field(default=None, repr=False)
    _checked_default: bool = field(default=False, repr=False)

    def _seed(self) -> tuple[str, str]:
        if self.file:
            return self.file, Path(self.file).read_text(encoding="utf-8")
        return DEFAULT_SOURCE, default_text()

    async def current(self, session: AsyncSession) -> Loaded:
        """The newest version, importing the configured file if the database has none yet."""
        latest = await store.latest_version_id(session)
        if latest is None or not self._checked_default:
            latest = await self._seed_if_needed(session, latest)
        if self._loaded is None or self._loaded.version != latest:
            stored = await store.get_version(session, version_id=latest)
            kb = parse(stored.content, stored.source)
            self._loaded = Loaded(stored.id, stored.source, kb)
            log.info("knowledge base version %s loaded (%s)", stored.id, stored.source)
        return self._loaded

    async def _seed_if_needed(self, session: AsyncSession, latest: int | None) -> int:
        """Import the seed file on first use, or a newer packaged default after an upgrade."""
        self._checked_default = True
        source, text = self._seed()
        if latest is not None:
            stored = await store.get_version(session, version_id=latest)
            if stored.source != source or stored.content == text:
                return latest
        try:
            parse(text, source)
        except KnowledgeError as exc:
            if latest is None:
                raise
            log.error("%s is broken; keeping knowledge base version %s: %s", source, latest, exc)
            return latest
        return await store.add_version(session, source=source, content=text)

    async def import_text(self, session: AsyncSession, *, source: str, text: str) -> Loaded:
        """Validate and store ``text`` as the newest version; raises :class:`KnowledgeError`."""
        kb = parse(text, source)
        version = await store.add_version(session, source=source, content=text)
        self._loaded = Loaded(version, source, kb)
        return self._loaded

    async def reload(self, session: AsyncSession) -> Loaded:
        """Re-read the configured file and make it current; a broken file changes nothing."""
        try:
            source, text = self._seed()
        except (OSError, UnicodeDecodeError) as exc:
            raise KnowledgeError([f"{self.file}: cannot read file ({exc})"]) from None
        current = await self.current(session)
        stored = await store.get_version(session, version_id=current.version)
        if stored.source == source and stored.content == text:
            return current
        return await self.import_text(session, source=source, text=text)
