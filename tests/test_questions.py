"""Free-text questions answered from the knowledge base, and honest declines."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import App
from bot.config import Config
from bot.dispatcher import Dispatcher
from bot.knowledge.index import SearchIndex
from bot.knowledge.schema import default_text, parse
from bot.knowledge.terms import Terms
from bot.knowledge.text import holds_a_count, sentences
from handlers.questions import gap_report
from storage.knowledge import Gap
from tests.harness import Chat, dispatcher_for, with_roles

BENCH = Path(__file__).parent.parent / "bench"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Wer ist der CDO?", "Prof. Dieter Rombach"),
        ("who runs the city's digital company?", "Rombach"),  # no managing director named
        ("Was macht Herr Steinebach?", "Hochschulentwicklungsplan"),
        ("wer ist der chief urban oficer", "Gerhard Steinebach"),  # typo, lower case
        ("Wer ist der Oberburgermeister?", "Klaus Weichel"),  # umlaut dropped
        ("Wer ist der Oberbuergermeister?", "Klaus Weichel"),  # umlaut as ue
        ("who is the mayor", "Klaus Weichel"),  # mayor ↔ Oberbürgermeister
        ("Wer ist der OB?", "Klaus Weichel"),
        ("Rombahc", "Chief Digital Officer"),
        ("Hat Kaiserslautern den Bitkom-Wettbewerb gewonnen?", "Darmstadt"),
        ("Was ist KL.digital?", "einhundertprozentige Tochtergesellschaft"),
        ("Who chairs the advisory board?", "Rombach"),
        ("Wer ist denn zur Zeit unser Oberbürgermeister?", "Klaus Weichel"),  # "zur Zeit": filler
    ],
)
async def test_questions_get_the_right_answer(chat: Chat, question: str, expected: str) -> None:
    assert expected in await chat.ask(question)


async def test_answer_is_in_the_language_of_the_question_with_source_and_date(chat: Chat) -> None:
    english = await chat.ask("Who is the CDO?")
    assert "has been the City of Kaiserslautern's Chief Digital Officer" in english
    assert "Source: Kaiserslautern: Tochter für die Digitalisierung, 15 November 2017" in english
    german = await chat.ask("Wer ist der CDO?")
    assert "Quelle: Kaiserslautern: Tochter für die Digitalisierung, 15.11.2017" in german


async def test_answer_offers_rating_and_a_next_step(chat: Chat) -> None:
    await chat.ask("Hat KL.digital einen Beirat?")
    assert chat.buttons()[:2] == ["👍 Hilfreich", "👎 Nicht hilfreich"]
    assert "Mehr: Prof. Dieter Rombach" in chat.buttons()
    assert "Chief Digital Officer" in await chat.press("Mehr: Prof. Dieter Rombach")


@pytest.mark.parametrize(
    "question",
    [
        "Wer ist der CDO von Siemens?",
        "Who is the mayor of Munich?",
        "Wer ist Oberbürgermeister von Darmstadt?",
        "Wie wird das Wetter morgen?",
        "Wie viele Mitarbeiter hat KL.digital?",
        "What is the phone number of KL.digital?",
        # They name someone the base knows, but ask what it does not say of them.
        "How old is Dieter Rombach?",
        "Wo hat Gerhard Steinebach studiert?",
        "Ist Klaus Weichel verheiratet?",
        "Was verdient der Oberbürgermeister?",
        "Wer war vor Klaus Weichel Oberbürgermeister?",
        "Who chairs the supervisory board of KL.digital?",
        "Wann endet die Amtszeit von Rombach?",
    ],
)
async def test_out_of_scope_questions_are_declined(chat: Chat, question: str) -> None:
    answer = await chat.ask(question)
    assert "keine Informationen" in answer or "no information" in answer
    assert "/feedback" in answer
    assert len(chat.buttons()) <= 3
    assert "👍 Hilfreich" not in chat.buttons()


async def test_decline_suggests_close_topics(chat: Chat) -> None:
    await chat.ask("Wer ist Oberbürgermeister von Darmstadt?")
    assert "Hat Kaiserslautern den Bitkom-Wettbewerb gewonnen?" in chat.buttons() or (
        "Klaus Weichel" in chat.buttons()
    )


@pytest.mark.parametrize("question", ["👍🎉", "?!", "Hallo", "Danke!"])
async def test_content_free_messages_get_an_introduction(chat: Chat, question: str) -> None:
    assert "Wer ist der CDO?" in await chat.ask(question)


@pytest.mark.parametrize(
    "question",
    [
        "'; DROP TABLE persons; --",
        "<script>alert('CDO')</script>",
        "**Wer** ist der _CDO_? [link](http://x)",
        "Who ist der CDO von KL.digital, please?",
        "x" * 4000,
    ],
)
async def test_markup_sql_and_mixed_languages_are_just_text(chat: Chat, question: str) -> None:
    answer = await chat.ask(question)
    assert answer
    assert "schiefgegangen" not in answer
    assert "/help" in await chat.ask("/help")  # the database is intact


async def test_rating_is_stored_and_summarised_for_staff(app: App, config: Config) -> None:
    citizen = Chat(app.dispatcher)
    await citizen.ask("Wer ist der CDO?")
    assert "Danke" in await citizen.press("👍 Hilfreich")
    await citizen.ask("Who is the CUO?")
    await citizen.press("👎 Not helpful")
    staff = Chat(staff_dispatcher(app, config), user="console:staff")
    summary = await staff.ask("/ratings")
    assert "rombach: 1 · 1 · 0" in summary and "steinebach: 1 · 0 · 1" in summary


def staff_dispatcher(app: App, config: Config) -> Dispatcher:
    """The app's dispatcher, with console:staff as a staff member."""
    return dispatcher_for(app, with_roles(config, staff=["console:staff"]))


async def test_unanswered_questions_are_logged_without_identity(app: App, config: Config) -> None:
    for user in ("telegram:1", "telegram:2", "matrix:@ana:example.org"):
        await Chat(app.dispatcher, user=user).ask("Wann fährt der Bus?")
    await Chat(app.dispatcher).ask("Wie wird das Wetter?")
    staff = Chat(staff_dispatcher(app, config), user="console:staff")
    gaps = await staff.ask("/gaps")
    assert gaps.index("3× Wann fährt der Bus?") < gaps.index("1× Wie wird das Wetter?")
    assert "telegram:1" not in gaps and "@ana" not in gaps
    assert "nur Mitarbeitenden" in await Chat(app.dispatcher).ask("/gaps")


async def test_gaps_show_what_the_base_lacks_until_staff_add_it(app: App, config: Config) -> None:
    question = "Wer ist der Chef vom ganzen Digitalkram?"
    assert "keine Informationen" in await Chat(app.dispatcher).ask(question)
    staff = Chat(staff_dispatcher(app, config), user="console:staff")
    gaps = await staff.ask("/gaps")
    assert "Wörter, die die Wissensbasis nicht kennt: Digitalkram" in gaps
    assert "am nächsten: Wer leitet KL.digital?, Klaus Weichel" in gaps
    assert "klbot kb check" in gaps

    taught = default_text().replace('keywords = ["Stabsstelle",', 'keywords = ["Digitalkram",', 1)
    async with app.sessions() as session, session.begin():
        await app.services.knowledge.import_text(session, source="taught", text=taught)
    assert "Prof. Dieter Rombach" in await Chat(app.dispatcher).ask(question)
    assert "inzwischen beantwortet mit: Prof. Dieter Rombach" in await staff.ask("/gaps")


def test_a_long_gap_is_shown_short() -> None:
    index = SearchIndex(parse(default_text(), "default"))
    words = " ".join(f"Wort{n:04}x" for n in range(900))
    first, unknown = gap_report(index, Gap(words, 2, datetime.now(UTC)), "de")
    assert first.startswith("2× Wort0000x Wort0001x") and first.endswith("…")
    assert len(first) <= 203
    assert unknown.endswith("Wort0008x, Wort0009x, …")


@pytest.mark.parametrize(
    ("content", "questions", "correct", "declined"),
    [
        (None, "questions.toml", 0.9, 0.9),
        # Fictional content and questions, written by sessions that never saw the search.
        ("musterstadt_content.toml", "musterstadt_questions.toml", 0.65, 0.85),
        ("stadtwerke_content.toml", "stadtwerke_questions.toml", 0.75, 0.75),
        ("hafenstadt_content.toml", "hafenstadt_questions.toml", 0.6, 0.75),
    ],
)
def test_question_sets_stay_good(
    content: str | None, questions: str, correct: float, declined: float
) -> None:
    """A regression guard over whole question sets (bench/answers.py prints them all)."""
    text = (BENCH / content).read_text(encoding="utf-8") if content else default_text()
    right, kept_out = answered_and_declined(SearchIndex(parse(text, "test")), BENCH / questions)
    assert right >= correct
    assert kept_out >= declined


@functools.cache
def bench_index(content: str) -> SearchIndex:
    """One of the fictional knowledge bases in bench/, written by sessions that never saw
    the search (bench/README.md)."""
    return SearchIndex(parse((BENCH / content).read_text(encoding="utf-8"), content))


MUSTERSTADT, HAFENSTADT = "musterstadt_content.toml", "hafenstadt_content.toml"


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


def answered_and_declined(index: SearchIndex, path: Path) -> tuple[float, float]:
    """Shares of a question set's in-scope questions answered right and the rest declined."""
    questions = tomllib.loads(path.read_text(encoding="utf-8"))["question"]
    right = declined = 0
    for question in questions:
        result = index.search(question["text"])
        got = result.answer.entry.id if result.answer else None
        if question["expect"]:
            right += got in question["expect"]
        else:
            declined += got is None
    in_scope = sum(1 for q in questions if q["expect"])
    return right / in_scope, declined / (len(questions) - in_scope)
