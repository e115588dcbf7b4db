"""One decision over the lexical search and the embedding model: answer, ask back
("Meinst du …? / Did you mean …?") or decline.

The lexical search (``index.py``) knows names, which words the knowledge base lacks and
what a question asks for (``lexicon.toml``); the model knows paraphrases. The thresholds
were fitted on the fictional contents in ``bench/`` with their keywords and synonym
groups removed, leaving one whole content out at a time (``python -m bench.decision``
repeats the fit and prints the held-out figures).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.knowledge.fields import AnyEntry
from bot.knowledge.index import SearchResult

ANSWER_AT = 0.89
"""Similarity of the best passage at which the model's entry is the answer by itself …"""
MARGIN = 0.02
"""… if it leads the next entry by this much …"""
UNKNOWN_AT_MOST = 0.5
"""… and words the knowledge base does not know carry at most this share of the question
(above it, klbot does not ask back either: it declines and offers the entries as close
topics)."""
ASK_AT = 0.80
"""Below this similarity nothing is plausible: klbot declines."""
NAMED_AT = 0.3
"""A lexical answer whose entry the question names by this share stands even where the
model ranks another entry first; otherwise the two disagreeing entries are offered."""
CHOICES = 3


@dataclass(frozen=True, slots=True)
class Outcome:
    """What klbot does with a question."""

    answer: AnyEntry | None = None
    choices: tuple[AnyEntry, ...] = ()
    """When there is no answer: the entries to offer, as "did you mean" (``asking``) or as
    close topics beside "I don't know"."""
    asking: bool = False
    has_content: bool = True


def settled(lexical: SearchResult) -> bool:
    """Whether the lexical result alone decides, whatever the model would say: no content
    words, an answer naming its entry, or a question for what no entry holds."""
    if not lexical.has_content:
        return True
    if lexical.answer is not None:
        return lexical.answer.named >= NAMED_AT
    return lexical.asks_unheld


def decide(
    lexical: SearchResult, entries: list[AnyEntry], ranked: list[tuple[int, float]] | None
) -> Outcome:
    """Combine both searches (``ranked`` is ``None`` where the model cannot run)."""
    if not lexical.has_content:
        return Outcome(has_content=False)
    if ranked is None:
        if lexical.answer:
            return Outcome(lexical.answer.entry)
        return Outcome(choices=tuple(m.entry for m in lexical.suggestions))
    first, similarity = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else -1.0
    dense = [entries[i] for i, _ in ranked]
    if lexical.answer:
        entry = lexical.answer.entry
        if entry is dense[0] or lexical.answer.named >= NAMED_AT:
            return Outcome(entry)
        return Outcome(choices=_unique([entry, *dense]), asking=True)
    close = tuple(m.entry for m in lexical.suggestions)
    if lexical.asks_unheld:
        return Outcome(choices=close)
    if (
        similarity >= ANSWER_AT
        and similarity - runner_up >= MARGIN
        and lexical.unknown_share <= UNKNOWN_AT_MOST
    ):
        return Outcome(entries[first])
    if similarity >= ASK_AT:
        # Where words the base does not know carry much of the question (another city,
        # the weather), klbot says it does not know and offers the same entries as close
        # topics; otherwise it asks back.
        asking = lexical.unknown_share <= UNKNOWN_AT_MOST
        return Outcome(choices=_unique([*close[:1], *dense]), asking=asking)
    return Outcome(choices=close)


def _unique(entries: list[AnyEntry]) -> tuple[AnyEntry, ...]:
    return tuple({entry.id: entry for entry in entries}.values())[:CHOICES]
