"""Which of the choices shown last a typed message means.

People answer buttons by typing too: the number shown beside a button ("2"), its label
in their own spelling ("englisch", "Ubersicht", "smart city") or an obvious synonym
("ja" for "Yes, delete everything", "alle" for "All news"). A message means a choice
when it names exactly one of them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

SYNONYMS = {
    "yes": ("ja", "jawohl", "jo", "jep", "yep", "yeah", "klar", "gerne", "gern", "sure"),
    "no": ("nein", "nee", "ne", "nope"),
    "all": ("alle", "alles", "everything", "everyone"),
    "send": ("senden", "absenden", "abschicken", "schicken", "verschicken", "submit"),
    "discard": ("verwerfen", "wegwerfen", "löschen"),
    "skip": ("überspringen", "weiter", "ohne"),
    "cancel": ("abbrechen", "abbruch", "stopp", "stop", "beenden", "quit"),
    "de": ("deutsch", "german"),
    "en": ("englisch", "english"),
    "now": ("jetzt", "sofort", "gleich"),
    "later": ("später", "spaeter"),
}
"""Words that mean the same in a choice, by the word they all stand for."""

WORD = re.compile(r"\w+")
MOST_WORDS = 4
"""A longer message is something said, not a button typed out."""
TYPO_SIMILARITY = 85
"""How alike (0–100) a typed word and a label's word must be to count as the same."""
SHORTEST_GUESS = 4
"""Shorter words must match a label's word exactly."""


@dataclass(frozen=True, slots=True)
class Choice:
    """One button as it was offered: its label and its data."""

    label: str
    data: str
    confirms: bool = False
    """Only its number, its whole label or a plain yes or no chooses it (``ButtonData``)."""


def fold(word: str) -> str:
    """A word as compared: lower case, without accents, umlauts as people without umlaut
    keys type them or not (``Übersicht``, ``Uebersicht``, ``ubersicht`` all alike)."""
    decomposed = unicodedata.normalize("NFKD", word.casefold().replace("ß", "ss"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return plain.replace("ae", "a").replace("oe", "o").replace("ue", "u")


CANONICAL = {
    fold(word): meaning for meaning, listed in SYNONYMS.items() for word in (meaning, *listed)
}


def spelling(text: str) -> frozenset[str]:
    """The folded words of ``text``."""
    return frozenset(fold(word) for word in WORD.findall(text))


def words(text: str) -> frozenset[str]:
    """The folded words of ``text``, synonyms unified."""
    return frozenset(CANONICAL.get(word, word) for word in spelling(text))


def chosen(text: str, offered: Sequence[Choice]) -> Choice | None:
    """The choice ``text`` names: its number, its whole label, or words found in exactly
    one label."""
    typed = text.strip().rstrip(".!)")
    if typed.isdecimal():
        number = int(typed)
        return offered[number - 1] if 1 <= number <= len(offered) else None
    said = words(text)
    whole = [choice for choice in offered if said and said == words(choice.label)]
    if len(whole) == 1:
        return whole[0]
    if not said or len(WORD.findall(text)) > MOST_WORDS:
        return None
    labels = [words(choice.label) for choice in offered]
    exact = [choice for choice, label in zip(offered, labels, strict=True) if said <= label]
    found = exact[0] if len(exact) == 1 else None if exact else _alike(spelling(text), offered)
    if found is not None and found.confirms and not said <= {"yes", "no"}:
        return None  # "alles" does not delete everything
    return found


def _alike(said: frozenset[str], offered: Sequence[Choice]) -> Choice | None:
    """The one choice whose label has, for each word said, a word spelt almost alike or
    beginning with it."""
    labels = [spelling(choice.label) for choice in offered]

    def near(word: str, label: frozenset[str]) -> bool:
        if len(word) < SHORTEST_GUESS or not label:
            return False
        if any(known.startswith(word) for known in label):  # "zeit" for "Zeitpunkt"
            return True
        best = process.extractOne(word, label, scorer=fuzz.ratio)
        return best is not None and best[1] >= TYPO_SIMILARITY

    found = [
        choice
        for choice, label in zip(offered, labels, strict=True)
        if all(near(word, label) for word in said)
    ]
    return found[0] if len(found) == 1 else None
