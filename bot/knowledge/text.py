"""Turning German and English text into search terms: folding, stop words, stemming."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer
from stop_words import get_stop_words

TOKEN = re.compile(r"[a-z0-9]+")
UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ẞ": "ss"})
PLAIN_UMLAUTS = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "Ä": "A", "Ö": "O", "Ü": "U"})
LANGUAGES = ("de", "en")

# Courtesy and chat words that carry no topic in either language, beyond the stop-word lists.
FILLER = [
    "herr",
    "herrn",
    "frau",
    "prof",
    "professor",
    "professorin",
    "dr",
    "hallo",
    "hi",
    "hey",
    "moin",
    "servus",
    "guten",
    "tag",
    "bitte",
    "danke",
    "sagen",
    "sag",
    "sagst",
    "erzaehlen",
    "erzaehl",
    "erklaeren",
    "erklaer",
    "wissen",
    "weisst",
    "moechte",
    "moechten",
    "gern",
    "gerne",
    "infos",
    "info",
    "information",
    "informationen",
    "mal",
    "eigentlich",
    "genau",
    "kurz",
    "wofuer",
    "wozu",
    "weshalb",
    "wieso",
    "mr",
    "mrs",
    "ms",
    "hello",
    "please",
    "thanks",
    "thank",
    "tell",
    "explain",
    "know",
    "want",
    "like",
    "would",
    "could",
    "can",
    "me",
    "us",
]


def fold(text: str) -> str:
    """Lower-case, umlauts as ae/oe/ue/ss, other accents dropped (``Bürger`` → ``buerger``)."""
    text = unicodedata.normalize("NFKC", text).lower().translate(UMLAUTS)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokens(text: str) -> list[str]:
    """The folded words of ``text``."""
    return TOKEN.findall(fold(text))


def token_spellings(text: str) -> list[frozenset[str]]:
    """Each word's folded spellings: umlauts as ae/oe/ue and as people type them without."""
    plain = text.translate(PLAIN_UMLAUTS)
    return [frozenset(pair) for pair in zip(tokens(text), tokens(plain), strict=True)]


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """German and English stop words, folded like the text they are compared with."""
    words = set(FILLER)
    for lang in LANGUAGES:
        words |= {fold(word) for word in get_stop_words(lang)}
    return frozenset(words)


@lru_cache(maxsize=1)
def _stemmers() -> dict[str, Stemmer.Stemmer]:
    return {"de": Stemmer.Stemmer("german"), "en": Stemmer.Stemmer("english")}


def stems(token: str) -> frozenset[str]:
    """The German and English Snowball stems of a folded token."""
    return frozenset(stemmer.stemWord(token) for stemmer in _stemmers().values())


def guess_language(text: str) -> str | None:
    """``de`` or ``en`` by which language's common words the text uses; ``None`` if unclear."""
    words = TOKEN.findall(unicodedata.normalize("NFKC", text).lower())
    if any(ch in text.lower() for ch in "äöüß"):
        return "de"
    score = {lang: sum(w in _common(lang) for w in words) for lang in LANGUAGES}
    if score["de"] == score["en"]:
        return None
    return "de" if score["de"] > score["en"] else "en"


@lru_cache(maxsize=2)
def _common(lang: str) -> frozenset[str]:
    other = "en" if lang == "de" else "de"
    own = {fold(w) for w in get_stop_words(lang)}
    return frozenset(own - {fold(w) for w in get_stop_words(other)})
