"""Search over the knowledge base: BM25 ranking plus a coverage check that keeps klbot honest.

A question becomes *slots*, one per content word, each a set of terms (German and
English Snowball stems, or a synonym group). BM25 (bm25s) ranks the entries;
the best one is an answer only if it covers most of the question's weight,
so a question about something the base does not hold (another city's mayor)
is declined instead of answered with a neighbouring entry.
"""

from __future__ import annotations

import bisect
import logging
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from bot.knowledge.fields import AnyEntry, entry_fields, entry_names
from bot.knowledge.schema import KnowledgeBase
from bot.knowledge.text import (
    capitalised_words,
    fold,
    lexicon,
    max_edits,
    minor_words,
    short_number,
    stems,
    stop_words,
    token_spellings,
    tokens,
    unknown_share,
)

Slot = frozenset[str]

ANSWER_AT = 0.65
"""Share of the question's weight the best entry must cover to be given as the answer."""
NAME_WEIGHT = 1.5
"""An unknown capitalised word (a name such as ``Mannheim``) outweighs the rarest known word."""
SUGGEST_AT = 0.3
"""Share an entry must cover to be offered as a close topic when klbot declines."""


MIN_PREFIX = 5
PREFIX_SHARE = 0.6
"""A derived word matches an index term sharing a prefix this long and this large a share."""
JOINED = re.compile(r"[a-z0-9]+(?:[.\-][a-z0-9]+)+")
"""Words joined by dots or hyphens (``KL.digital``) are also indexed as one (``kldigital``)."""
MIN_PART = 4
"""Shortest part of a split compound word."""


@dataclass(frozen=True, slots=True)
class Match:
    entry: AnyEntry
    coverage: float
    score: float
    named: float = 0.0
    """Share of the question that names the entry (a name, alias or FAQ question in full)."""


@dataclass(frozen=True, slots=True)
class SearchResult:
    answer: Match | None
    """The entry to answer with, or ``None`` when klbot should say it does not know."""
    suggestions: tuple[Match, ...] = ()
    """Up to three close topics, when there is no answer."""
    has_content: bool = True
    """False when the question held no content words at all (a greeting, say)."""


class SearchIndex:
    """An immutable index over one knowledge base."""

    def __init__(self, kb: KnowledgeBase) -> None:
        import bm25s  # numpy comes with it: imported only when the first question arrives

        logging.getLogger("bm25s").setLevel(logging.WARNING)

        self.kb = kb
        self.entries: list[AnyEntry] = kb.entries()
        self._phrases: dict[tuple[str, ...], str] = {}
        self._synonym_stems: dict[str, str] = {}
        protected: set[str] = set()
        groups = [(f"syn:{n}", g.words) for n, g in enumerate(kb.synonyms)]
        groups += [(f"lex:{n}", words) for n, words in enumerate(lexicon())]
        for term, words in groups:  # the content file's synonyms first: they win
            for word in words:
                parts = tuple(tokens(word))
                if len(parts) > 1:
                    self._phrases.setdefault(parts, term)
                    continue
                protected.update(parts)
                for spelling in (p for slot in token_spellings(word) for p in slot):
                    for stem in stems(spelling):
                        self._synonym_stems.setdefault(stem, term)
        for entry in self.entries:
            protected.update(t[0] for alias in entry.aliases if len(t := tokens(alias)) == 1)
        self._stop = stop_words() - protected
        self._vocabulary: dict[str, Slot] = {}
        documents: list[list[str]] = []
        for entry in self.entries:
            terms: list[str] = []
            for text, weight in entry_fields(entry):
                for slot, _ in self._slots(text, learn=True):
                    terms.extend(sorted(slot) * weight)
            documents.append(terms)
        self._entry_terms = [frozenset(doc) for doc in documents]
        self._names = [
            [
                frozenset(s for s, _ in slots)
                for name in entry_names(entry)
                if (slots := self._slots(name))
            ]
            for entry in self.entries
        ]
        df = Counter(term for terms in self._entry_terms for term in terms)
        n = len(documents)
        self._idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        self._unknown_weight = math.log(1 + (n - 0.5) / 1.5)
        self._words = list(self._vocabulary)
        self._terms = sorted(t for t in self._idf if not t.startswith("syn:"))
        self._bm25: Any = bm25s.BM25()
        self._bm25.index(documents, show_progress=False)

    def _slots(self, text: str, *, learn: bool = False) -> list[tuple[Slot, frozenset[str]]]:
        """Content words of ``text`` as (slot, spellings); stop words dropped, phrases merged.

        With ``learn`` (indexing), the words are added to the vocabulary, and the single
        words of a phrase and the joined form of ``KL.digital`` are indexed too.
        """
        spelled = token_spellings(text)
        folded = tokens(text)
        slots: list[tuple[Slot, frozenset[str]]] = []
        i = 0
        while i < len(spelled):
            for n in (3, 2):
                term = self._phrases.get(tuple(folded[i : i + n])) if i + n <= len(folded) else None
                if term:
                    slots.append((frozenset({term}), frozenset()))
                    if learn:
                        slots += [
                            self._word(spelled[k], learn)
                            for k in range(i, i + n)
                            if folded[k] not in self._stop
                        ]
                    i += n
                    break
            else:
                if folded[i] not in self._stop and not short_number(folded[i]):
                    slots.append(self._word(spelled[i], learn))
                i += 1
        if learn:
            for joined in JOINED.findall(fold(text)):
                slots.append(self._word(frozenset({re.sub(r"[.\-]", "", joined)}), learn))
        return slots

    def _word(self, spellings: frozenset[str], learn: bool) -> tuple[Slot, frozenset[str]]:
        slot = self._slot_for(spellings)
        if learn:
            self._vocabulary.update(dict.fromkeys(spellings, slot))
        return slot, spellings

    def _slot_for(self, spellings: frozenset[str]) -> Slot:
        all_stems = {stem for spelling in spellings for stem in stems(spelling)}
        for stem in all_stems:
            if stem in self._synonym_stems:
                return frozenset({self._synonym_stems[stem]})
        return frozenset(all_stems)

    def _resolve(self, slot: Slot, question_words: frozenset[str]) -> tuple[Slot, float] | None:
        """A question slot as index terms with its weight: exact, derived, compound or typo."""
        attempts: list[Callable[[], Iterable[str]]] = [lambda: slot, lambda: self._by_prefix(slot)]
        attempts += [lambda w=w: self._compound(w) for w in question_words]  # type: ignore[misc]
        attempts += [lambda w=w: self._typo(w) for w in question_words]  # type: ignore[misc]
        for attempt in attempts:
            known = [t for t in attempt() if t in self._idf]
            if known:
                return frozenset(known), max(self._idf[t] for t in known)
        return None

    def _by_prefix(self, stems_: Iterable[str]) -> set[str]:
        """Index terms sharing a long prefix with a stem (``kontaktier`` ~ ``kontakt``)."""
        found: set[str] = set()
        for stem in stems_:
            if len(stem) < MIN_PREFIX or stem.startswith("syn:"):
                continue
            for cut in range(MIN_PREFIX, len(stem) + 1):
                if stem[:cut] in self._idf and cut / len(stem) >= PREFIX_SHARE:
                    found.add(stem[:cut])
            start = bisect.bisect_left(self._terms, stem)
            for term in self._terms[start : start + 20]:
                if not term.startswith(stem):
                    break
                if len(stem) / len(term) >= PREFIX_SHARE:
                    found.add(term)
        return found

    def _known(self, word: str) -> set[str]:
        own = self._slot_for(frozenset({word}))
        return {t for t in own if t in self._idf} or self._by_prefix(own)

    def _compound(self, word: str) -> set[str]:
        """``digitalisierungsprojekte`` → terms of ``digitalisierung`` and ``projekte``."""
        if len(word) < 2 * MIN_PART:
            return set()
        for cut in range(len(word) - MIN_PART, MIN_PART - 1, -1):
            tail = self._known(word[cut:])
            if not tail:
                continue
            head = word[:cut]
            for candidate in (head, head[:-1] if head.endswith("s") else ""):
                if len(candidate) >= MIN_PART and (found := self._known(candidate)):
                    return found | tail
        return set()

    def _typo(self, word: str) -> set[str]:
        """A known word one or two edits away (swapped letters count as one edit)."""
        edits = max_edits(len(word))
        if not edits:
            return set()
        found = process.extractOne(
            word, self._words, scorer=DamerauLevenshtein.distance, score_cutoff=edits
        )
        return set(self._vocabulary[found[0]]) if found else set()

    @staticmethod
    def _named_share(name: frozenset[Slot], resolved: list[tuple[Slot, float]]) -> float:
        """The question's weight a name covers, if every word of the name is in the question."""
        if not all(any(part & slot for slot, _ in resolved) for part in name):
            return 0.0
        return sum(w for slot, w in resolved if any(part & slot for part in name))

    def search(self, question: str, *, limit: int = 3) -> SearchResult:
        """Find the entry that answers ``question``, or the close topics if none does."""
        raw_slots = self._slots(question)
        if not raw_slots:
            return SearchResult(None, has_content=False)
        resolved: list[tuple[Slot, float]] = []
        unknown: list[frozenset[str]] = []
        for slot, words in raw_slots:
            found = self._resolve(slot, words)
            if found is None:
                unknown.append(words)
            else:
                resolved.append(found)
        if not resolved:
            return SearchResult(None)
        minor, names = minor_words(question), capitalised_words(question)
        least = min(weight for _, weight in resolved)
        total = sum(weight for _, weight in resolved) + sum(
            least
            if words & minor
            else self._unknown_weight * NAME_WEIGHT
            if words & names
            else self._unknown_weight * unknown_share(max(map(len, words), default=0))
            for words in unknown
        )
        query_terms = {term for slot, _ in resolved for term in slot}
        scores = self._bm25.get_scores(sorted(query_terms))
        ranked = sorted(range(len(self.entries)), key=lambda i: -scores[i])[: limit + 2]
        matches = []
        for i in ranked:
            if scores[i] <= 0:
                continue
            covered = sum(w for slot, w in resolved if slot & self._entry_terms[i])
            named = max((self._named_share(name, resolved) for name in self._names[i]), default=0)
            matches.append(Match(self.entries[i], covered / total, float(scores[i]), named / total))
        matches.sort(key=lambda m: (-m.coverage, -m.named, -m.score))
        if matches and matches[0].coverage >= ANSWER_AT:
            return SearchResult(matches[0])
        close = tuple(m for m in matches if m.coverage >= SUGGEST_AT)[:limit]
        return SearchResult(None, close)
