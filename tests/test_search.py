"""The search itself, over whole question sets and the fictional knowledge bases in bench/."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.answers import evaluate, klbot, load_questions, loaded, vectors_file
from bot.knowledge import embedding
from bot.knowledge.index import SearchIndex
from bot.knowledge.passages import passages
from bot.knowledge.schema import default_text, parse
from bot.knowledge.shipped import stored_vectors
from bot.knowledge.terms import Terms
from bot.knowledge.text import holds_a_count, sentences

BENCH = Path(__file__).parent.parent / "bench" / "sets"


@functools.cache
def bench_index(content: str) -> SearchIndex:
    """One of the fictional knowledge bases in bench/, written by sessions that never saw
    the search (bench/README.md)."""
    return SearchIndex(parse((BENCH / content).read_text(encoding="utf-8"), content))


@pytest.mark.parametrize(
    ("content", "questions", "correct", "declined"),
    [
        (None, "default_dev.toml", 90, 90),
        # Fictional content and questions, written by sessions that never saw the search.
        ("fiction_musterstadt.toml", "fiction_musterstadt_questions.toml", 65, 85),
        ("fiction_stadtwerke.toml", "fiction_stadtwerke_questions.toml", 75, 75),
        ("fiction_hafenstadt.toml", "fiction_hafenstadt_questions.toml", 60, 75),
    ],
)
def test_question_sets_stay_good(
    content: str | None, questions: str, correct: float, declined: float
) -> None:
    """A regression guard over whole question sets, in % (bench/answers.py prints them all),
    for the lexical search alone (where the model cannot run)."""
    kb = bench_index(content).kb if content else parse(default_text(), "default")
    score = evaluate(klbot(loaded(kb, None)), load_questions(BENCH / questions))
    assert score.correct >= correct
    assert score.declined >= declined


def test_the_model_finds_what_content_nobody_tuned_says_in_other_words() -> None:
    """On a keyword-free content (bench/README.md), lexical search and model together answer
    or offer the right entry for nearly every question and answer wrongly far less often
    than the lexical search alone (first run: wrong 2.9 % against 11.4 %)."""
    model = embedding.model()
    assert model is not None
    kb = bench_index("plain_brunnstadt.toml").kb
    questions = load_questions(BENCH / "plain_brunnstadt_questions.toml")
    hybrid = evaluate(klbot(loaded(kb, model, vectors_file("plain_brunnstadt"))), questions)
    lexical = evaluate(klbot(loaded(kb, None)), questions)
    assert hybrid.found >= 95 > lexical.found
    assert hybrid.wrong <= 5 < lexical.wrong
    assert hybrid.declined >= 90


def test_the_kept_vectors_of_the_keyword_free_content_are_current() -> None:
    """The model test reads them; stale ones would be computed again (15 s more)."""
    texts = [p.text for p in passages(bench_index("plain_brunnstadt.toml").kb)]
    assert stored_vectors(vectors_file("plain_brunnstadt"), texts) is not None, (
        "run: .venv/bin/python -m bench.answers --store-vectors plain_brunnstadt"
    )


MUSTERSTADT, HAFENSTADT = "fiction_musterstadt.toml", "fiction_hafenstadt.toml"


@pytest.mark.parametrize(
    ("content", "question", "expected"),
    [
        (MUSTERSTADT, "Wie viele Gateways hat das LoRaWAN-Netz?", "lorawan"),  # a number
        (MUSTERSTADT, "Bekommen die Schulen Tablets?", "schul-tablets"),  # a verb, its subject
        (MUSTERSTADT, "Wann hat die Digitalagentur geöffnet?", "oeffnungszeiten"),
        (MUSTERSTADT, "Wer ist Aylin Özdemir?", "oezdemir"),
        (MUSTERSTADT, "Wie alt ist Katrin Vogelsang?", None),  # the base holds no age
        (MUSTERSTADT, "Where did Aylin Özdemir go to university?", None),  # English, a name
        (MUSTERSTADT, "Wann hat die Stadtbibliothek geöffnet?", None),  # only a hotspot
        (MUSTERSTADT, "What is the managing director's salary?", None),
        (MUSTERSTADT, "How many employees does the agency have?", "digitalagentur"),  # "45"
        (MUSTERSTADT, "Wie viele Einwohner hat Musterstadt?", None),
        # "morgen" is a German stop word, but it asks something: weather data is no forecast.
        (HAFENSTADT, "Wie wird das Wetter morgen?", None),
        (HAFENSTADT, "Welche Wetterdaten misst das Sensornetz im Hafen?", "sensornetz-hafen"),
        # What is asked (a number) must be in the sentence that answers, not elsewhere.
        (HAFENSTADT, "How many car parks does the HafenParken app cover?", "hafenparken"),
        (HAFENSTADT, "How much does street parking in the town centre cost per hour?", None),
    ],
)
def test_other_content_answers_what_it_holds_and_only_that(
    content: str, question: str, expected: str | None
) -> None:
    result = bench_index(content).search(question)
    assert (result.answer.entry.id if result.answer else None) == expected


def test_answers_do_not_depend_on_the_hash_seed() -> None:
    """A word whose German and English stems are in two synonym groups (``running``,
    ``run``) belongs to both, whatever order Python's sets have in this process."""
    script = (
        "from bot.knowledge.index import SearchIndex\n"
        "from bot.knowledge.schema import default_text, parse\n"
        "index = SearchIndex(parse(default_text(), 'default'))\n"
        'r = index.search("Who\'s the big cheese running the town of Kaiserslautern?")\n'
        "print(r.answer and r.answer.entry.id, [m.entry.id for m in r.suggestions])\n"
    )
    answers = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in range(1, 7)
    }
    assert len(answers) == 1


@pytest.mark.parametrize(
    ("text", "counts"),
    [
        ("Bis März 2024 sind 12.000 von 38.000 Zählern getauscht.", True),
        ("The company has 1500 employees.", True),
        ("rund 45 Beschäftigte", True),
        ("seit dem 1. November 2017", False),
        ("since 1 November 2017, announced on 15.11.2017", False),
        ("seit 2021", False),
    ],
)
def test_a_count_is_a_number_that_is_no_date(text: str, counts: bool) -> None:
    assert holds_a_count(text) == counts


def test_sentences_end_at_full_stops_not_at_abbreviations() -> None:
    text = "Er ist seit 2021 dabei. Prof. Dr. Rombach kam am 1. November. Das ist z. B. gut."
    assert sentences(text) == [
        "Er ist seit 2021 dabei.",
        "Prof. Dr. Rombach kam am 1. November.",
        "Das ist z. B. gut.",
    ]


def test_a_very_long_word_is_not_split_letter_by_letter(monkeypatch: pytest.MonkeyPatch) -> None:
    """Trying every cut of a 4,000-letter "word" as a compound took seconds per message."""
    index = SearchIndex(parse(default_text(), "default"))
    looked_up: list[str] = []
    known = Terms._known

    def counting(self: Terms, word: str) -> set[str]:
        looked_up.append(word)
        return known(self, word)

    monkeypatch.setattr(Terms, "_known", counting)
    assert index.search("x" * 4000).answer is None
    assert len(looked_up) < 10
