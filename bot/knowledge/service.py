"""The live knowledge base: the newest imported version, shared by every klbot process,
with its passages' vectors and the questions staff taught."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.knowledge import embedding
from bot.knowledge.embedding import DIM, MODEL, Embedder
from bot.knowledge.hybrid import Outcome, decide, settled
from bot.knowledge.index import SearchIndex, SearchResult
from bot.knowledge.passages import passages
from bot.knowledge.schema import KnowledgeBase, KnowledgeError, default_text, parse
from bot.knowledge.shipped import shipped_vectors
from bot.knowledge.text import normalise_question
from storage import knowledge as store

if TYPE_CHECKING:
    from bot.knowledge.dense import DenseIndex
    from bot.knowledge.embedding import Vectors

log = logging.getLogger(__name__)

DEFAULT_SOURCE = "default"


@dataclass
class Loaded:
    """One parsed version; its lexical index is built on first use."""

    version: int
    source: str
    kb: KnowledgeBase
    embedder: Embedder | None = None
    dense: DenseIndex | None = None
    taught: dict[str, str] = field(default_factory=dict)
    """Taught questions (normalised) and the ids of the entries that answer them."""

    @cached_property
    def index(self) -> SearchIndex:
        return SearchIndex(self.kb)

    @property
    def hybrid(self) -> bool:
        return self.dense is not None

    def decide(self, question: str, lexical: SearchResult, query: Vectors | None) -> Outcome:
        """Answer, ask back or decline, given the lexical search's result and the
        question's vector (``None``: lexically)."""
        entry_id = self.taught.get(normalise_question(question))
        if entry_id is not None and (entry := self.kb.entry(entry_id)) is not None:
            return Outcome(entry)
        if self.dense is None or query is None:
            return decide(lexical, self.index.entries, None)
        taught = self.dense.taught(query)
        if taught is not None:
            return Outcome(self.index.entries[taught])
        return decide(lexical, self.index.entries, self.dense.rank(query))

    def needs_model(self, lexical: SearchResult) -> bool:
        """Whether the question must be embedded (the lexical search has not settled it)."""
        return self.embedder is not None and self.dense is not None and not settled(lexical)

    async def ask(self, question: str) -> Outcome:
        """:meth:`decide`, embedding the question in a worker thread where the lexical
        search has not settled it (a question naming an entry needs no model)."""
        lexical = self.index.search(question)
        query = None
        if self.embedder is not None and self.needs_model(lexical):
            query = await asyncio.to_thread(self.embedder.query, question)
        return self.decide(question, lexical, query)

    def ask_now(self, question: str) -> Outcome:
        """:meth:`ask` in this thread (benchmarks)."""
        lexical = self.index.search(question)
        query = None
        if self.embedder is not None and self.needs_model(lexical):
            query = self.embedder.query(question)
        return self.decide(question, lexical, query)


@dataclass
class Knowledge:
    """Keeps the newest knowledge base loaded; reloads when another process imports one
    or teaches a question."""

    file: str = ""
    """The configured content file; empty for the packaged default."""
    embeddings: bool = True
    """False: answer with the lexical search alone, as where the model cannot run."""
    _loaded: Loaded | None = field(default=None, repr=False)
    _taught_revision: tuple[int, int] = field(default=(0, 0), repr=False)
    _checked_default: bool = field(default=False, repr=False)

    async def embedder(self) -> Embedder | None:
        """The embedding model, loaded off the event loop on first use; ``None`` where it
        cannot run or is switched off."""
        if not self.embeddings:
            return None
        return await asyncio.to_thread(embedding.model)

    async def mode(self) -> str:
        """``hybrid`` or ``lexical``."""
        return "hybrid" if await self.embedder() is not None else "lexical"

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
            self._loaded = Loaded(stored.id, stored.source, kb, await self.embedder())
            await self._attach(session, self._loaded, None)
            log.info("knowledge base version %s loaded (%s)", stored.id, stored.source)
        elif await store.taught_revision(session) != self._taught_revision:
            await self._attach(session, self._loaded, self._loaded.dense)
        return self._loaded

    async def _attach(
        self, session: AsyncSession, loaded: Loaded, dense: DenseIndex | None
    ) -> None:
        """Give ``loaded`` its taught questions and, with the model, its vectors
        (read from the database, or computed and stored if the version has none yet)."""
        self._taught_revision = await store.taught_revision(session)
        taught = [t for t in await store.taught(session) if loaded.kb.entry(t.entry_id)]
        loaded.taught = {t.normalised: t.entry_id for t in taught}
        model = loaded.embedder
        if model is None:
            return
        import numpy as np

        from bot.knowledge.dense import DenseIndex

        if dense is not None:
            vectors = dense.vectors
        else:
            vectors = await self._vectors(session, loaded, model)
        position = {entry.id: i for i, entry in enumerate(loaded.kb.entries())}
        taught_vectors = []
        for t in taught:
            if t.vector is None or t.model != MODEL:
                vector = await asyncio.to_thread(model.query, t.question)
                await store.set_taught_vector(
                    session, taught_id=t.id, model=MODEL, vector=vector.tobytes()
                )
            else:
                vector = np.frombuffer(t.vector, dtype=np.float32)
            taught_vectors.append((position[t.entry_id], vector))
        loaded.dense = DenseIndex.build(passages(loaded.kb), vectors, len(position), taught_vectors)

    async def _vectors(self, session: AsyncSession, loaded: Loaded, model: Embedder) -> Vectors:
        import numpy as np

        texts = [p.text for p in passages(loaded.kb)]
        stored = await store.get_vectors(session, version_id=loaded.version, model=MODEL)
        if stored is not None and len(stored) == len(texts) * DIM * 4:
            return np.frombuffer(stored, dtype=np.float32).reshape(len(texts), DIM)
        vectors = await _embed(model, texts, loaded.source)
        await store.put_vectors(
            session,
            version_id=loaded.version,
            model=MODEL,
            rows=len(texts),
            vectors=vectors.tobytes(),
        )
        log.info("vectors of knowledge base version %s computed", loaded.version)
        return vectors

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
        """Validate ``text``, compute its vectors and store both as the newest version;
        raises :class:`KnowledgeError` (and changes nothing) if either fails."""
        kb = parse(text, source)
        model = await self.embedder()
        vectors = None
        if model is not None:
            vectors = await _embed(model, [p.text for p in passages(kb)], source)
        version = await store.add_version(session, source=source, content=text)
        loaded = Loaded(version, source, kb, model)
        if vectors is not None:
            from bot.knowledge.dense import DenseIndex

            await store.put_vectors(
                session,
                version_id=version,
                model=MODEL,
                rows=len(vectors),
                vectors=vectors.tobytes(),
            )
            loaded.dense = DenseIndex.build(passages(kb), vectors, len(kb.entries()), [])
        await self._attach(session, loaded, loaded.dense)
        self._loaded = loaded
        return loaded

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

    async def teach(self, session: AsyncSession, *, question: str, entry_id: str) -> int | None:
        """Attach ``question`` to the entry ``entry_id`` of the current knowledge base
        (embedded at once); ``None`` if there is no such entry."""
        loaded = await self.current(session)
        if loaded.kb.entry(entry_id) is None:
            return None
        vector = None
        if loaded.embedder is not None:
            vector = (await asyncio.to_thread(loaded.embedder.query, question)).tobytes()
        return await store.teach(
            session,
            question=question,
            normalised=normalise_question(question),
            entry_id=entry_id,
            model=MODEL if vector else None,
            vector=vector,
        )


async def _embed(model: Embedder, texts: list[str], source: str) -> Vectors:
    """The passages' vectors (shipped ones for the default content); a
    :class:`KnowledgeError` if the model fails on them."""
    import numpy as np

    shipped = shipped_vectors(texts)
    if shipped is not None:
        return shipped
    try:
        vectors = await asyncio.to_thread(model.passages, texts)
    except (RuntimeError, OSError, ValueError) as exc:
        raise KnowledgeError(
            [f"{source}: the passages' vectors cannot be computed ({exc})"]
        ) from None
    if vectors.shape != (len(texts), DIM) or not np.isfinite(vectors).all():
        raise KnowledgeError([f"{source}: the model returned no usable vectors"])
    return vectors
