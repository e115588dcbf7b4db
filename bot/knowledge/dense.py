"""The embedding side of the search: passage vectors of one knowledge base and of the
questions staff taught, ranked by cosine similarity to a question's vector."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from bot.knowledge.embedding import DIM
from bot.knowledge.hybrid import CHOICES
from bot.knowledge.passages import Passage

if TYPE_CHECKING:
    from bot.knowledge.embedding import Vectors

TAUGHT_AT = 0.93
"""Similarity of a question to one staff taught at which it gets that question's entry
(not fitted: paraphrases of one question score 0.93–0.98, unrelated ones below 0.9)."""


@dataclass(frozen=True)
class DenseIndex:
    """The passage vectors of one knowledge base and of the questions staff taught."""

    owners: np.ndarray
    """For each passage row, the position of its entry."""
    vectors: Vectors
    size: int
    """Number of entries."""
    taught_owners: np.ndarray
    taught_vectors: Vectors

    @classmethod
    def build(
        cls, passages: list[Passage], vectors: Vectors, size: int, taught: list[tuple[int, Vectors]]
    ) -> DenseIndex:
        return cls(
            np.array([p.entry for p in passages], dtype=np.int64),
            vectors,
            size,
            np.array([entry for entry, _ in taught], dtype=np.int64),
            np.array([v for _, v in taught], dtype=np.float32).reshape(len(taught), DIM),
        )

    def rank(self, query: Vectors) -> list[tuple[int, float]]:
        """Entries by their best passage's similarity to ``query``, best first."""
        best = np.full(self.size, -1.0, dtype=np.float32)
        np.maximum.at(best, self.owners, self.vectors @ query)
        order = np.argsort(-best)[: CHOICES + 2]
        return [(int(i), float(best[i])) for i in order]

    def taught(self, query: Vectors) -> int | None:
        """The entry of a taught question this query says in other words, if any."""
        if not len(self.taught_owners):
            return None
        similarity = self.taught_vectors @ query
        best = int(np.argmax(similarity))
        return int(self.taught_owners[best]) if similarity[best] >= TAUGHT_AT else None
