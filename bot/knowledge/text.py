"""Turning German and English text into search terms: folding, stop words, stemming."""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import Stemmer

TOKEN = re.compile(r"[a-z0-9]+")
UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ẞ": "ss"})
PLAIN_UMLAUTS = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "Ä": "A", "Ö": "O", "Ü": "U"})
LANGUAGES = ("de", "en")

# Courtesy and chat words that carry no topic in either language, beyond the stop-word lists.
FILLER = """
herr herrn frau prof professor professorin dr hallo hi hey moin servus guten tag bitte
danke sagen sag sagst erzaehlen erzaehl erklaeren erklaer wissen weisst moechte moechten
gern gerne infos info information informationen mal eigentlich genau kurz wofuer wozu
weshalb wieso mr mrs ms hello please thanks thank tell explain know want like would
could can me us beim ans aufs fuers uebers ums unterm vorm durchs schon damals darf
duerfen wurde worden ne nen pls plz thx gibt gibts jemand jemanden someone somebody anyone
anybody konkret konkrete konkreten specifically exactly concrete ganz ganze ganzen ganzes
unserem unseren unseres
""".split()  # noqa: SIM905 (a word list reads better as text)

TIME_WORDS = frozenset("heute morgen uhr tag tage tagen jahr jahre jahren".split())  # noqa: SIM905
"""Words the German stop-word list holds that ask something: "heute geöffnet?", "Wetter morgen"."""


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


@lru_cache(maxsize=2)
def _listed_stop_words(lang: str) -> frozenset[str]:
    import stopwordsiso  # reads its package metadata: imported when first needed, not at start

    return frozenset(fold(word) for word in stopwordsiso.stopwords(lang))


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """German and English stop words, folded like the text they are compared with."""
    words = set(FILLER).union(*(_listed_stop_words(lang) for lang in LANGUAGES))
    return frozenset(words - TIME_WORDS)


@lru_cache(maxsize=1)
def _stemmers() -> dict[str, Stemmer.Stemmer]:
    return {"de": Stemmer.Stemmer("german"), "en": Stemmer.Stemmer("english")}


def stems(token: str) -> frozenset[str]:
    """The German and English Snowball stems of a folded token."""
    return frozenset(stemmer.stemWord(token) for stemmer in _stemmers().values())


def guess_language(text: str) -> str | None:
    """``de`` or ``en`` by which language's common words the text uses; ``None`` if unclear."""
    words = TOKEN.findall(unicodedata.normalize("NFKC", text).lower())
    score = {lang: sum(w in _common(lang) for w in words) for lang in LANGUAGES}
    if score["de"] == score["en"]:  # umlauts decide, not before: names have them too (Özdemir)
        return "de" if any(ch in text.lower() for ch in "äöüß") else None
    return "de" if score["de"] > score["en"] else "en"


QUESTION_WORDS = frozenset(
    {
        *("wer", "was", "wie", "wo", "wann", "warum", "wieso", "welche", "welcher", "gibt"),
        *("who", "what", "how", "where", "when", "why", "which", "is", "are", "can", "does"),
    }
)


def is_question(text: str) -> bool:
    """A question mark, or a question word first ("wer ist der cdo")."""
    words = TOKEN.findall(fold(text))
    return "?" in text or bool(words and words[0] in QUESTION_WORDS)


def clear_language(text: str) -> str | None:
    """``de`` or ``en`` when at least two of the text's words are common words of that
    language and none of the other ("Wer ist der CDO?"); ``None`` for anything less clear
    ("ok danke", "Open Data Portal")."""
    words = TOKEN.findall(unicodedata.normalize("NFKC", text).lower())
    score = {lang: sum(w in _common(lang) for w in words) for lang in LANGUAGES}
    found = [lang for lang in LANGUAGES if score[lang] >= 2 and sum(score.values()) == score[lang]]
    return found[0] if found else None


@lru_cache(maxsize=2)
def _common(lang: str) -> frozenset[str]:
    other = "en" if lang == "de" else "de"
    return _listed_stop_words(lang) - _listed_stop_words(other)


def max_edits(length: int) -> int:
    """How many typing errors a word of this length may have and still be recognised."""
    return 0 if length < 6 else 1 if length < 10 else 2


def unknown_share(length: int) -> float:
    """How much an unknown word of this length weighs against the rarest known one.

    Short words are mostly common words (``setzt``, ``stuff``); long unknown words are
    usually the topic of the question (``Personalausweis``) and count in full.
    """
    return min(1.0, max(0.15, (length - 3) / 6))


@dataclass(frozen=True)
class WordGroup:
    """Words that ask alike (``lexicon.toml`` says what ``asks`` and ``counts`` mean)."""

    words: list[str]
    asks: bool = False
    counts: bool = False


@lru_cache(maxsize=1)
def lexicon() -> list[WordGroup]:
    """klbot's general question vocabulary (``lexicon.toml``): groups of words that ask alike."""
    text = resources.files("bot.knowledge").joinpath("lexicon.toml").read_text(encoding="utf-8")
    return [WordGroup(**group) for group in tomllib.loads(text)["group"]]


MONTHS = (
    "januar|februar|maerz|märz|april|mai|juni|juli|august|september|oktober|november|dezember"
    "|january|february|march|may|june|july|october|december"
)
COUNT = re.compile(
    rf"(?<![\d.,])\d{{1,3}}(?:[.,]\d{{3}})+(?![\d.,])|(?<![\d.,])\d+(?![\d.,])(?!\s+(?:{MONTHS})\b)",
    re.IGNORECASE,
)
"""A number that may count something (``45``, ``12.000``, ``1,500``), not a day (``1.``,
``15.11.``, ``1 November``); :func:`holds_a_count` leaves out years."""


def holds_a_count(text: str) -> bool:
    """Whether ``text`` says how many or how much (``40 von 55 Gateways``, ``2 Mio. Euro``)."""
    return any(not (len(n) == 4 and 1900 <= int(n) <= 2100) for n in COUNT.findall(text))


def short_number(token: str) -> bool:
    """Numbers shorter than a year (``1`` of ``1. November``) say nothing on their own."""
    return token.isdecimal() and len(token) < 4


def minor_words(question: str) -> frozenset[str]:
    """Words that cannot be the topic: lower-case words in German written with capitals.

    German capitalises nouns, so where the writer does, an unknown lower-case word is a
    verb or an adjective (``kümmert``), while an unknown capitalised one is a topic
    klbot does not know (``Mitarbeiter``). Without that signal every word counts. The
    first word counts as a verb when the subject follows it (``Bekommen die …``).
    """
    first, *words = re.findall(r"\w+", question) or [""]
    if guess_language(question) != "de" or not any(w[:1].isupper() for w in words):
        return frozenset()
    lower = [w for w in words if w[:1].islower()]
    if words and words[0].lower() in SUBJECT_WORDS:
        lower.append(first)  # "Bekommen die Schulen Tablets?": a verb first, then its subject
    return frozenset(word for slot in token_spellings(" ".join(lower)) for word in slot)


SUBJECT_WORDS = frozenset(
    "der die das den dem des ein eine einen einem einer es man ich du er sie wir ihr".split()  # noqa: SIM905
)
"""Words that start the subject of a German sentence: a word before them is a verb."""


def capitalised_words(question: str) -> frozenset[str]:
    """Names: capitalised words after the first in a question that is not German (where
    every noun is capitalised) nor written in capitals throughout. An unknown name is the
    topic of the question, whatever its length."""
    words = re.findall(r"\w+", question)[1:]
    if guess_language(question) == "de" or sum(w[:1].isupper() for w in words) > len(words) / 2:
        return frozenset()
    upper = " ".join(w for w in words if w[:1].isupper())
    return frozenset(word for slot in token_spellings(upper) for word in slot)


SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[A-ZÄÖÜ„\"])")
"""Where a sentence of running text may end."""
ABBREVIATION = re.compile(
    r"(?:\b(?:Prof|Dr|Nr|Str|St|Tel|Abs|Mio|Mrd|ca|bzw|ggf|inkl|usw|vgl|z|Mr|Mrs|Ms|"
    r"No|approx|e\.g|i\.e)|(?<![\d.])\d{1,2})\.$"
)
"""A sentence "ending" in ``Prof.``, ``z. B.`` or the day of ``1. November`` goes on."""


def is_group(term: str) -> bool:
    """Whether an index term stands for a synonym group (``syn:3``, ``lex:12``), not a word."""
    return ":" in term


def sentences(text: str) -> list[str]:
    """The sentences of running text."""
    found: list[str] = []
    for piece in SENTENCE_END.split(text):
        if found and ABBREVIATION.search(found[-1]):
            found[-1] += " " + piece
        else:
            found.append(piece)
    return found


def written_as(text: str, folded: frozenset[str]) -> tuple[str, ...]:
    """The words of ``text`` as written whose folded spelling is among ``folded``."""
    found = dict.fromkeys(
        word
        for word in re.findall(r"\w+", text)
        if any(part in folded for slot in token_spellings(word) for part in slot)
    )
    return tuple(found)


def normalise_question(text: str) -> str:
    """A question folded for counting how often the same gap comes up."""
    return " ".join(tokens(text))
