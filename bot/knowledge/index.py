"""Search over the knowledge base: BM25 ranking plus a coverage check that keeps klbot honest.

A question becomes *slots*, one per content word, each a set of terms (German and
English Snowball stems, or a synonym group). BM25 (bm25s) ranks the entries;
the best one is an answer only if its names plus one of its sentences cover most of
the question's weight, it covers most of what the question asks beside the entry's
name, and such a sentence holds what the question asks for (an age, a number:
``lexicon.toml``).
So a question about something the base does not hold (another city's mayor,
Rombach's age) is declined instead of answered with a neighbouring entry.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from bot.knowledge.fields import AnyEntry, entry_fields, entry_names, proper_names
from bot.knowledge.schema import KnowledgeBase
from bot.knowledge.terms import Slot, Terms
from bot.knowledge.text import (
    capitalised_words,
    holds_a_count,
    minor_words,
    sentences,
    unknown_share,
)

ANSWER_AT = 0.65
"""Share of the question's weight the best entry must cover to be given as the answer."""
NAME_WEIGHT = 1.5
"""An unknown capitalised word (a name such as ``Mannheim``) outweighs the rarest known word."""
SUGGEST_AT = 0.3
"""Share an entry must cover to be offered as a close topic when klbot declines."""
REST_AT = 0.3
"""Share of the rest of a question that names an entry (beside the name) the entry must
cover: "How old is Rombach?" names him, but his entry says nothing of his age."""
REST_MIN = 0.05
"""A rest lighter than this share of the question is no rest ("Who is Rombach?")."""


@dataclass(frozen=True, slots=True)
class Match:
    entry: AnyEntry
    coverage: float
    score: float
    named: float = 0.0
    """Share of the question that names the entry (a name, alias or FAQ question in full)."""
    rest: float = 1.0
    """Share of the rest of the question (beside the entry's name) the entry covers."""


@dataclass(frozen=True, slots=True)
class SearchResult:
    answer: Match | None
    """The entry to answer with, or ``None`` when klbot should say it does not know."""
    suggestions: tuple[Match, ...] = ()
    """Up to three close topics, when there is no answer."""
    has_content: bool = True
    """False when the question held no content words at all (a greeting, say)."""
    unknown: frozenset[str] = frozenset()
    """The folded spellings of the question's words that no entry holds: what staff may
    add to the content (a keyword, a synonym) so that the question is answered next time
    (``text.written_as`` finds them as the question writes them)."""
    unknown_share: float = 0.0
    """Share of the question's weight carried by words no entry holds."""
    asks_unheld: bool = False
    """The question asks for something (an age, a salary) no entry holds a word for."""


class SearchIndex:
    """An immutable index over one knowledge base."""

    def __init__(self, kb: KnowledgeBase) -> None:
        import bm25s  # numpy comes with it: imported only when the first question arrives

        logging.getLogger("bm25s").setLevel(logging.WARNING)

        self.kb = kb
        self.entries: list[AnyEntry] = kb.entries()
        self._terms = Terms(kb)
        documents: list[list[str]] = []
        self._identity: list[frozenset[str]] = []
        self._sentences: list[list[frozenset[str]]] = []
        for entry in self.entries:
            terms, identity, facts = self._index_entry(entry)
            documents.append(terms)
            self._identity.append(identity)
            self._sentences.append(facts)
        self._terms.learned(documents)
        self._names = [self._name_slots(entry_names(entry)) for entry in self.entries]
        self._proper = [self._name_slots(proper_names(entry)) for entry in self.entries]
        self._position = {entry.id: i for i, entry in enumerate(self.entries)}
        self._bm25: Any = bm25s.BM25()
        self._bm25.index(documents, show_progress=False)

    def _index_entry(
        self, entry: AnyEntry
    ) -> tuple[list[str], frozenset[str], list[frozenset[str]]]:
        """An entry's weighted terms for BM25, the terms of its names and titles (which
        hold for all it says), and the terms of each sentence of its running text."""
        terms: list[str] = []
        identity: set[str] = set()
        facts: list[frozenset[str]] = []
        for text, weight, running in entry_fields(entry):
            for part in sentences(text) if running else [text]:
                part_terms = [
                    term for slot, _ in self._terms.slots(part, learn=True) for term in slot
                ]
                if running and holds_a_count(part):
                    part_terms += self._terms.counted
                terms.extend(part_terms * weight)
                if running:
                    facts.append(frozenset(part_terms))
                else:
                    identity.update(part_terms)
        return terms, frozenset(identity), facts

    def _name_slots(self, names: list[str]) -> list[frozenset[Slot]]:
        return [
            frozenset(s for s, _ in slots) for name in names if (slots := self._terms.slots(name))
        ]

    def _in_one_sentence(self, i: int, resolved: list[tuple[Slot, float]]) -> float:
        """The question's weight entry ``i`` covers with its names and one of its sentences.

        Words scattered over different facts (``Darmstadt`` won the contest, the ``CDO``
        was on the bid) do not make a question about one fact (Darmstadt's CDO).
        """
        identity = self._identity[i]
        return max(
            (
                sum(w for slot, w in resolved if slot & identity or slot & sentence)
                for sentence in self._sentences[i] or [frozenset()]
            ),
        )

    @staticmethod
    def _named_share(name: frozenset[Slot], resolved: list[tuple[Slot, float]]) -> float:
        """The question's weight a name covers, if every word of the name is in the question."""
        if not all(any(part & slot for slot, _ in resolved) for part in name):
            return 0.0
        return sum(w for slot, w in resolved if any(part & slot for part in name))

    def search(self, question: str, *, limit: int = 3) -> SearchResult:
        """Find the entry that answers ``question``, or the close topics if none does."""
        raw_slots = self._terms.slots(question)
        if not raw_slots:
            return SearchResult(None, has_content=False)
        resolved: list[tuple[Slot, float]] = []
        unknown: list[frozenset[str]] = []
        asked_for_nothing_held = False
        for slot, words in raw_slots:
            found = self._terms.resolve(slot, words)
            if found is None:
                unknown.append(words)
                asked_for_nothing_held |= slot <= self._terms.asked
            else:
                resolved.append(found)
        unheard = frozenset[str]().union(*unknown)
        if not resolved:
            return SearchResult(
                None, unknown=unheard, unknown_share=1.0, asks_unheld=asked_for_nothing_held
            )
        minor, names = minor_words(question), capitalised_words(question)
        least = min(weight for _, weight in resolved)
        total = sum(weight for _, weight in resolved) + sum(
            least
            if words & minor
            else self._terms.unknown_weight * NAME_WEIGHT
            if words & names
            else self._terms.unknown_weight * unknown_share(max(map(len, words), default=0))
            for words in unknown
        )
        unheard_share = 1 - sum(weight for _, weight in resolved) / total
        verbs = least * sum(1 for words in unknown if words & minor)
        query_terms = {term for slot, _ in resolved for term in slot}
        scores = self._bm25.get_scores(sorted(query_terms))
        ranked = sorted(range(len(self.entries)), key=lambda i: -scores[i])[: limit + 2]
        matches = []
        for i in ranked:
            if scores[i] <= 0:
                continue
            covered = self._in_one_sentence(i, resolved)
            named = max((self._named_share(name, resolved) for name in self._names[i]), default=0)
            proper = max((self._named_share(name, resolved) for name in self._proper[i]), default=0)
            open_rest = total - proper - verbs
            rest = (covered - proper) / open_rest if open_rest > REST_MIN * total else 1.0
            matches.append(
                Match(self.entries[i], covered / total, float(scores[i]), named / total, rest)
            )
        matches.sort(key=lambda m: (-m.coverage, -m.named, -m.score))
        if matches and not asked_for_nothing_held and self._answers(matches[0], resolved, total):
            return SearchResult(matches[0], unknown=unheard, unknown_share=unheard_share)
        close = tuple(m for m in matches if m.coverage >= SUGGEST_AT)[:limit]
        return SearchResult(
            None,
            close,
            unknown=unheard,
            unknown_share=unheard_share,
            asks_unheld=asked_for_nothing_held,
        )

    def _answers(self, match: Match, resolved: list[tuple[Slot, float]], total: float) -> bool:
        """Whether the best match may be given as the answer (see the module docstring):
        what the question asks for (an age, a number) must be in the sentence that answers."""
        if match.coverage < ANSWER_AT or match.rest < REST_AT:
            return False
        i = self._position[match.entry.id]
        asked = [slot for slot, _ in resolved if slot & self._terms.asked]
        facts = (self._identity[i] | sentence for sentence in self._sentences[i] or [frozenset()])
        return any(
            all(slot & fact for slot in asked)
            and sum(w for slot, w in resolved if slot & fact) >= ANSWER_AT * total
            for fact in facts
        )
