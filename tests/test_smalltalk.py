"""Greetings, thanks, goodbyes and "ok" get a short friendly reply, never a knowledge gap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.runtime.app import App
from storage import knowledge
from tests.harness import Chat


@pytest.mark.parametrize(
    ("said", "reply"),
    [
        ("Guten Morgen!", "Hallo! Frag mich etwas"),
        ("good morning", "Hello! Ask me about"),
        ("Danke klbot 🙏", "Gern geschehen!"),
        ("Thank you!", "You're welcome!"),
        ("tschüss", "Tschüss und bis bald!"),
        ("Bye!", "Goodbye, and see you soon!"),
        ("alles klar", "Alles klar."),
        ("Alright.", "All right."),
    ],
)
async def test_small_talk_is_answered_in_its_language(
    app: App, chat: Chat, said: str, reply: str
) -> None:
    assert (await chat.ask(said)).startswith(reply)
    async with app.sessions() as session:
        gaps = await knowledge.gaps(session, since=datetime.now(UTC) - timedelta(days=1))
    assert gaps == []


async def test_ok_keeps_the_language_of_the_conversation(chat: Chat) -> None:
    await chat.ask("Guten Morgen!")
    assert (await chat.ask("ok")).startswith("Alles klar.")
    await chat.ask("good morning")
    assert (await chat.ask("ok")).startswith("All right.")
    assert (await chat.ask("/help")).startswith("Here is what I can do for you:")


async def test_a_chosen_language_holds_and_a_question_is_no_small_talk(chat: Chat) -> None:
    await chat.ask("/language en")
    assert (await chat.ask("danke")).startswith("You're welcome!")
    assert "Rombach" in await chat.ask("Hallo, wer ist der CDO?")
