"""A knowledge base's vocabulary: how text becomes search terms, and how a question's
word is found among them (as written, derived, as part of a compound, or mistyped)."""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from bot.knowledge.schema import KnowledgeBase
from bot.knowledge.text import (
    fold,
    is_group,
    lexicon,
    max_edits,
    short_number,
    stems,
    stop_words,
    token_spellings,
    tokens,
)

Slot = frozenset[str]
"""One word of a text as index terms: its stems, or the synonym group it belongs to."""

MIN_PREFIX = 5
PREFIX_SHARE = 0.6
"""A derived word matches an index term sharing a prefix this long and this large a share."""
JOINED = re.compile(r"[a-z0-9]+(?:[.\-][a-z0-9]+)+")
"""Words joined by dots or hyphens (``KL.digital``) are also indexed as one (``kldigital``)."""
MIN_PART = 4
"""Shortest part of a split compound word."""
MAX_LOOKUP = 40
"""Longer words are only looked up as written, never as typo or compound: no real word is
that long, and splitting a 4,000-letter "word" takes seconds."""


class Terms:
    """Stop words, synonym groups and phrases of one knowledge base, and, once the entries
    are indexed (:meth:`learned`), each term's weight."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self._phrases: dict[tuple[str, ...], str] = {}
        self._synonym_stems: dict[str, str] = {}
        protected: set[str] = set()
        groups = [(f"syn:{n}", g.words) for n, g in enumerate(kb.synonyms)]
        general = {f"lex:{n}": group for n, group in enumerate(lexicon())}
        groups += [(term, group.words) for term, group in general.items()]
        self.asked = frozenset(term for term, group in general.items() if group.asks)
        """Groups of words that name what is asked for (see ``lexicon.toml``)."""
        self.counted = frozenset(term for term, group in general.items() if group.counts)
        """Groups of words that ask how many or how much."""
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
        for entry in kb.entries():
            protected.update(t[0] for alias in entry.aliases if len(t := tokens(alias)) == 1)
        self._stop = stop_words() - protected
        self._vocabulary: dict[str, Slot] = {}
        self.idf: dict[str, float] = {}
        self.unknown_weight = 0.0
        """The weight of a word no entry holds: that of a term only one entry holds."""
        self._words: list[str] = []
        self._terms: list[str] = []

    def learned(self, documents: list[list[str]]) -> None:
        """Weigh the terms of the indexed entries (inverse document frequency, as BM25)."""
        df = Counter(term for terms in documents for term in set(terms))
        n = len(documents)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        self.unknown_weight = math.log(1 + (n - 0.5) / 1.5)
        self._words = list(self._vocabulary)
        self._terms = sorted(t for t in self.idf if not is_group(t))

    def slots(self, text: str, *, learn: bool = False) -> list[tuple[Slot, frozenset[str]]]:
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
        """A word's synonym groups (its German and English stems may be in different
        ones: ``running`` and ``run``), or its stems if it is in none."""
        all_stems = {stem for spelling in spellings for stem in stems(spelling)}
        groups = {self._synonym_stems[stem] for stem in all_stems if stem in self._synonym_stems}
        return frozenset(groups or all_stems)

    def resolve(self, slot: Slot, question_words: frozenset[str]) -> tuple[Slot, float] | None:
        """A question slot as index terms with its weight: exact, derived, compound or typo."""
        attempts: list[Callable[[], Iterable[str]]] = [lambda: slot]
        longest = max(map(len, question_words), default=0)
        if longest <= MAX_LOOKUP and not all(is_group(term) for term in slot):
            spellings = sorted(question_words)  # the same answer whatever the hash seed
            attempts.append(lambda: self._by_prefix(slot))
            attempts += [lambda w=w: self._compound(w) for w in spellings]  # type: ignore[misc]
            attempts += [lambda w=w: self._typo(w) for w in spellings]  # type: ignore[misc]
        for attempt in attempts:
            known = [t for t in attempt() if t in self.idf]
            if known:
                return frozenset(known), max(self.idf[t] for t in known)
        return None

    def _by_prefix(self, stems_: Iterable[str]) -> set[str]:
        """Index terms sharing a long prefix with a stem (``kontaktier`` ~ ``kontakt``)."""
        found: set[str] = set()
        for stem in stems_:
            if len(stem) < MIN_PREFIX or is_group(stem):
                continue
            for cut in range(MIN_PREFIX, len(stem) + 1):
                if stem[:cut] in self.idf and cut / len(stem) >= PREFIX_SHARE:
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
        return {t for t in own if t in self.idf} or self._by_prefix(own)

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
