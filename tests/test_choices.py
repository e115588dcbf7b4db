"""Choices answered by typing: numbers, labels, synonyms; no dead end in any flow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.choices import Choice, chosen
from bot.core.events import Surface
from bot.runtime.app import App
from storage import knowledge
from tests.harness import Chat

CONSOLE = Surface(buttons=False, push=False)
RATING_DE = "Wie zufrieden bist du"
TEXT_DE = "Was möchtest du uns sagen?"


@pytest.fixture(params=["buttons", "numbers"])
def person(app: App, request: pytest.FixtureRequest) -> Chat:
    """Someone on Telegram (buttons) or in the terminal (numbered choices)."""
    if request.param == "numbers":
        return Chat(app.dispatcher, user="console:ana", surface=CONSOLE)
    return Chat(app.dispatcher)


async def test_numbers_still_work_after_a_typed_word(person: Chat) -> None:
    await person.ask("/feedback")
    again = await person.ask("hallo")
    assert again.startswith("Das habe ich nicht verstanden")
    assert "Worum geht es?" in again  # the question is asked again, with its buttons
    assert "ℹ️" not in again  # the first-time line on what klbot stores is not repeated
    assert person.buttons()[-1] == "Dieser Bot"
    assert RATING_DE in await person.ask("3")


@pytest.mark.parametrize("typed", ["dieser bot", "BOT", "Dieser Bott"])
async def test_a_label_typed_out_is_a_press(person: Chat, typed: str) -> None:
    await person.ask("/feedback")
    assert RATING_DE in await person.ask(typed)
    assert TEXT_DE in await person.ask("Überspringen")


async def test_umlauts_and_synonyms_choose_too(person: Chat) -> None:
    await person.ask("/feedback")
    await person.ask("allgemein")
    assert TEXT_DE in await person.ask("ueberspringen")
    await person.ask("Mehr Bänke im Park")
    assert "Kontakt erlaubt: Ja" in await person.ask("ja")
    assert "Danke" in await person.ask("absenden")


async def test_the_language_typed_out_is_chosen_and_no_gap(app: App, person: Chat) -> None:
    await person.ask("/language")
    assert await person.ask("englisch") == "All right, I will write to you in English from now on."
    async with app.sessions() as session:
        gaps = await knowledge.gaps(session, since=datetime.now(UTC) - timedelta(days=1))
    assert gaps == []


async def test_numbers_outlive_a_reply_without_buttons(person: Chat) -> None:
    await person.ask("/language")
    assert "keine Informationen" in await person.ask("foo bar")  # no buttons with it
    assert await person.ask("2") == "All right, I will write to you in English from now on."


async def test_a_whole_label_typed_out_is_a_press(person: Chat) -> None:
    await person.ask("/feedback")
    assert RATING_DE in await person.ask("Projekte aus der Bewerbung „Digitale Stadt“")


async def test_a_question_in_the_middle_is_answered_and_the_flow_offered_again(
    person: Chat,
) -> None:
    await person.ask("/feedback")
    answer = await person.ask("Wer ist der CDO?")
    assert "Rombach" in answer
    assert "Zurück zu /feedback:" in answer and "Worum geht es?" in answer
    assert person.buttons() == [
        "Projekte aus der Bewerbung „Digitale Stadt“",
        "KL.digital allgemein",
        "Dieser Bot",
    ]
    assert RATING_DE in await person.ask("2")


async def test_the_second_miss_leaves_the_flow_and_is_answered(person: Chat) -> None:
    await person.ask("/feedback")
    await person.ask("hallo")
    answer = await person.ask("moin moin")
    assert answer.startswith("Ich habe /feedback hier beendet; mit /feedback fängst du neu an.")
    assert "Hallo! Frag mich etwas" in answer
    assert "Es läuft gerade nichts" in await person.ask("/cancel")


async def test_questions_are_answered_twice_then_the_flow_ends(person: Chat) -> None:
    await person.ask("/feedback")
    assert "Zurück zu /feedback:" in await person.ask("Wer ist der CDO?")
    assert "Zurück zu /feedback:" in await person.ask("Wer ist der CUO?")
    left = await person.ask("Was macht KL.digital?")
    assert left.startswith("Ich habe /feedback hier beendet")
    assert "Zurück" not in left


async def test_a_question_answered_by_a_choice_ends_the_flow_with_that_choice(
    person: Chat,
) -> None:
    await person.ask("/feedback")
    answer = await person.ask("Wie alt ist Rombach?")
    assert answer.startswith("Ich habe /feedback hier beendet")
    assert "Prof. Dieter Rombach" in person.buttons()  # "maybe one of these" keeps its buttons
    assert "Rombach" in await person.ask("Prof. Dieter Rombach")


async def test_cancel_typed_out_leaves_any_flow(person: Chat) -> None:
    await person.ask("/feedback")
    await person.ask("allgemein")
    await person.ask("4")
    assert (await person.ask("Abbrechen")).startswith("Abgebrochen.")
    assert "Es läuft gerade nichts" in await person.ask("/cancel")


async def test_the_same_in_english(person: Chat) -> None:
    await person.ask("/language en")
    await person.ask("/feedback")
    assert person.buttons()[-1] == "This bot"
    again = await person.ask("hmm")
    assert again.startswith("I did not get that.") and "What is it about?" in again
    assert "How satisfied are you" in await person.ask("this bot")
    assert "What would you like to tell us?" in await person.ask("skip")
    await person.ask("More benches in the park")
    await person.ask("no")
    assert "stopped" not in await person.ask("/help")
    answer = await person.ask("Who is the CDO?")
    assert "Back to /feedback:" in answer and "Rombach" in answer
    left = await person.ask("whatever")
    assert left.startswith("I have stopped /feedback here; send /feedback to start again.")


EDIT_MENU = [
    Choice(label, str(number))
    for number, label in enumerate(
        ["Deutscher Text", "Englischer Text", "Zeitpunkt", "Empfänger", "Fertig"], 1
    )
]


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("zeit", "Zeitpunkt"),  # the start of a word
        ("empfaenger", "Empfänger"),
        ("Empfanger", "Empfänger"),
        ("englisch", "Englischer Text"),
        ("fertig!", "Fertig"),
        ("5", "Fertig"),
        ("text", None),  # two labels say "Text": ask again
        ("6", None),
        ("Ich möchte bitte den Zeitpunkt ändern", None),  # a sentence is not a button
    ],
)
def test_which_button_a_typed_word_means(typed: str, meant: str | None) -> None:
    found = chosen(typed, EDIT_MENU)
    assert (found.label if found else None) == meant
