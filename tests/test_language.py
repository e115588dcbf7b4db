"""One language per person: the one they chose, else the one they last wrote in."""

from __future__ import annotations

import re

from bot.core.dispatcher import Dispatcher
from bot.core.events import Surface
from bot.runtime.app import App
from bot.runtime.config import Config
from tests.harness import Chat, dispatcher_for, with_roles

STAFF = "console:staff"
CONSOLE = Surface(buttons=False, push=False)


def staffed(app: App, config: Config) -> Dispatcher:
    return dispatcher_for(app, with_roles(config, staff=[STAFF]))


async def test_an_english_question_makes_every_later_reply_english(app: App) -> None:
    ana = Chat(app.dispatcher)  # no platform hint: the default is German
    assert "Steinebach" in await ana.ask("who is the CUO?")
    assert await ana.press("👍 Helpful") == "Thank you for your feedback!"
    assert "What is it about?" in await ana.ask("/feedback")
    await ana.ask("/cancel")
    assert "What would you like news about?" in await ana.ask("/subscribe")
    assert (await ana.ask("ok")).startswith("All right.")


async def test_writing_german_again_switches_back(app: App) -> None:
    ana = Chat(app.dispatcher, language="en")  # an English app
    assert "Rombach" in await ana.ask("Wer ist der CDO?")
    assert "Worum geht es?" in await ana.ask("/feedback")


async def test_text_inside_a_flow_does_not_switch_the_language(app: App, config: Config) -> None:
    """Staff write the English version of an announcement; the dialog stays German."""
    staff = Chat(staffed(app, config), user=STAFF, surface=CONSOLE)
    await staff.ask("/announce")
    await staff.ask("1")
    await staff.ask("Das neue Bürgerportal ist online.")
    preview = await staff.ask("The new citizens' portal is online.")
    assert preview.startswith("Vorschau")


async def test_a_chosen_language_holds_over_questions_in_the_other(app: App) -> None:
    ana = Chat(app.dispatcher)
    await ana.ask("/language de")
    assert "Rombach" in await ana.ask("who is the CDO?")
    assert "Worum geht es?" in await ana.ask("/feedback")


async def test_staff_answers_reach_the_citizen_in_their_language(app: App, config: Config) -> None:
    dispatcher = staffed(app, config)
    ana = Chat(dispatcher, user="console:ana", surface=CONSOLE)
    await ana.ask("Who is the CDO?")
    receipt = await ana.ask("/feedback More benches in the park, please")
    found = re.search(r"F-[A-Z0-9]+", receipt)
    assert found is not None and "May the KL.digital team contact you" in receipt
    await ana.ask("yes")
    staff = Chat(dispatcher, user=STAFF, surface=CONSOLE)
    assert "geschickt" in await staff.ask(f"/answer {found.group()} Sie kommen im Frühjahr.")
    delivered = await ana.ask("/start")
    assert f"KL.digital's answer to your feedback {found.group()}" in delivered


async def test_announcements_follow_the_language_last_written_in(app: App, config: Config) -> None:
    dispatcher = staffed(app, config)
    ana = Chat(dispatcher, user="console:ana", surface=CONSOLE)
    await ana.ask("/subscribe alle")
    await ana.ask("Who is the CDO?")
    staff = Chat(dispatcher, user=STAFF, surface=CONSOLE)
    await staff.ask("/announce")
    await staff.ask("1")
    await staff.ask("Das Bürgerportal ist online.")
    preview = await staff.ask("The citizens' portal is online.")
    assert preview.startswith("Vorschau – so kommt es bei 1 Empfänger an")
    await staff.ask("Jetzt senden")
    delivered = await ana.ask("/start")
    assert "The citizens' portal is online." in delivered
    assert "Bürgerportal" not in delivered


async def test_mydata_shows_the_language_remembered(app: App) -> None:
    eve = Chat(app.dispatcher, user="console:eve", surface=CONSOLE)
    await eve.ask("Who is the CDO?")
    assert "automatic: English, the language you last wrote in" in await eve.ask("/mydata")
    await eve.ask("Wer ist der CDO?")
    assert "automatisch: Deutsch, die Sprache deiner letzten Nachricht" in await eve.ask("/mydata")
    await eve.ask("/language en")
    assert "Language: English ·" in await eve.ask("/mydata")


async def test_a_few_words_of_unclear_language_change_nothing(app: App) -> None:
    ana = Chat(app.dispatcher, language="en")  # an English app, a German speaker
    await ana.ask("Wer ist der CDO?")
    await ana.ask("ok danke")
    await ana.ask("Open Data Portal")
    assert (await ana.ask("/help")).startswith("Das kann ich für dich tun:")
