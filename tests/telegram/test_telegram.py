"""klbot on Telegram, end to end: the real adapter against the telegram-test-api emulator."""

from __future__ import annotations

import asyncio
import json
import re

import pytest

from tests.telegram.conftest import TelegramWorld


async def test_start_question_and_button(telegram: TelegramWorld) -> None:
    ana = telegram.user("Ana")
    greeting = await ana.ask("/start")
    assert greeting.startswith("Hallo Ana!") and "/help" in greeting
    answer = await ana.ask("Wer ist der CDO?")
    assert "Prof. Dieter Rombach" in answer and "Quelle:" in answer
    assert ana.buttons()[:2] == ["👍 Hilfreich", "👎 Nicht hilfreich"]
    await ana.press("👍 Hilfreich")
    assert "Danke" in (await ana.replies())[0]["text"]


async def test_command_menu_is_published_in_german_and_english(telegram: TelegramWorld) -> None:
    menus = {
        p.get("language_code"): p["commands"]
        for m, p in telegram.proxy.calls
        if m == "setMyCommands"
    }
    assert {"de", "en"} <= set(menus)
    german = {c["command"]: c["description"] for c in menus["de"]}
    english = {c["command"]: c["description"] for c in menus["en"]}
    assert german["feedback"] == "Rückmeldung an KL.digital geben"
    assert english["feedback"] == "send feedback to KL.digital"
    assert "inbox" not in german  # staff commands stay out of the citizens' menu


async def test_feedback_with_buttons_and_escaped_text(telegram: TelegramWorld) -> None:
    ben = telegram.user("Ben", language="en")
    assert "What is it about?" in await ben.ask("/feedback", count=2)
    await ben.press("This bot")
    await ben.replies()
    await ben.press("5")
    await ben.replies()
    await ben.send("<b>Great</b> & fast")
    await ben.replies()
    await ben.press("Yes")
    summary = (await ben.replies())[0]
    assert summary["parse_mode"] == "HTML"
    assert "&lt;b&gt;Great&lt;/b&gt; &amp; fast" in summary["text"]
    await ben.press("Send")
    assert "saved under the reference F-" in (await ben.replies())[0]["text"]


async def test_staff_answer_reaches_the_citizen_on_telegram(telegram: TelegramWorld) -> None:
    from tests.harness import Chat

    cleo = telegram.user("Cleo")
    done = await cleo.ask("/feedback Wann gibt es WLAN im Stadtpark?", count=2)
    reference = re.findall(r"F-\w{6}", done)[0]
    await cleo.press("Ja")  # staff may answer
    assert "darf sich" in (await cleo.replies())[0]["text"]
    assert telegram.app is not None
    staff = Chat(telegram.app.dispatcher, user="console:staff")
    long_answer = ("Danke für die Frage. " * 194).strip()  # with its heading over 4096 characters
    assert "geschickt" in await staff.ask(f"/answer {reference} {long_answer}")
    parts = await cleo.replies(count=2, timeout=30)
    assert parts[0]["text"].startswith(f"Antwort von KL.digital auf deine Rückmeldung {reference}")
    assert all(len(part["text"]) <= 4096 for part in parts)
    assert "".join(p["text"] for p in parts).count("Danke für die Frage.") == 194


async def test_in_groups_only_commands_and_mentions(telegram: TelegramWorld) -> None:
    member = telegram.user("Dana", group=-4242)
    await member.send("Wer ist der CDO?")  # chatter in the group: not for klbot
    assert "/start" in await member.ask("/help@TestNameBot")
    assert "Rombach" in await member.ask("@TestNameBot Wer ist der CDO?")
    assert len(member.seen) == 2


async def test_long_button_data_goes_through_the_database(telegram: TelegramWorld) -> None:
    from bench.generated_kb import generated_text

    long_id = "projekt-" + "x" * 80
    text = generated_text(12)[0].replace('id = "gen-0"', f'id = "{long_id}"')
    assert telegram.app is not None
    async with telegram.app.sessions() as session, session.begin():
        await telegram.app.services.knowledge.import_text(session, source="test", text=text)
    eva = telegram.user("Eva")
    await eva.ask("/projects")
    first = eva.buttons()[0]
    markup = eva.seen[-1]["reply_markup"]["inline_keyboard"]
    assert all(len(b["callback_data"].encode()) <= 64 for row in markup for b in row)
    await eva.press(first)
    assert (await eva.replies())[0]["text"].startswith(first)


async def test_conversation_continues_after_klbot_restarts(telegram: TelegramWorld) -> None:
    fay = telegram.user("Fay")
    await fay.ask("/feedback", count=2)
    await fay.press("Dieser Bot")
    await fay.replies()
    await telegram.stop_klbot()
    await telegram.start_klbot()
    await fay.press("Überspringen")
    assert "höchstens 4000 Zeichen" in (await fay.replies())[0]["text"]
    assert "Hallo Fay" in await fay.ask("/start")
    with pytest.raises(AssertionError, match="expected 1 replies, got \\[\\]"):
        await fay.replies(timeout=2)  # nothing old was replayed after the restart


async def test_emulator_away_and_back_loses_nothing(telegram: TelegramWorld) -> None:
    from tests.harness import Chat

    gil = telegram.user("Gil")
    reference = re.findall(
        r"F-\w{6}", await gil.ask("/feedback Die Ampel an der Uni ist kaputt", count=2)
    )[0]
    await gil.press("Ja")
    await gil.replies()
    telegram.emulator.stop()
    try:
        assert telegram.app is not None
        staff = Chat(telegram.app.dispatcher, user="console:staff")
        await staff.ask(f"/answer {reference} Ist gemeldet, danke!")  # sent while Telegram is away
        await asyncio.sleep(3)
    finally:
        telegram.emulator.start()
    reply = await gil.replies(timeout=60)
    assert "Ist gemeldet, danke!" in reply[0]["text"]
    assert "Rombach" in await gil.ask(
        "Wer ist der CDO?",
    )  # polling resumed too


async def test_subscribe_and_receive_an_announcement(telegram: TelegramWorld) -> None:
    from tests.harness import Chat

    hugo = telegram.user("Hugo", language="en")
    await hugo.ask("/subscribe", count=2)
    await hugo.press("All news")
    assert "Subscribed: All news" in (await hugo.replies())[0]["text"]
    assert telegram.app is not None
    staff = Chat(telegram.app.dispatcher, user="console:staff")
    await staff.ask("/announce")
    await staff.press("Alle Abonnenten")
    await staff.ask("Das neue Bürgerportal ist online.")
    await staff.ask("The new citizens' portal is online.")
    assert "an 1 Empfänger" in await staff.press("Jetzt senden")
    received = await hugo.replies(timeout=30)
    assert received[0]["text"] == (
        "📣 KL.digital\n\nThe new citizens' portal is online.\n\n"
        "You get this because you subscribed to news. To stop: /unsubscribe"
    )


async def test_mydata_arrives_as_a_json_document(telegram: TelegramWorld) -> None:
    lena = telegram.user("Lena")
    assert "klbot-mydata.json" in await lena.ask("/mydata")
    for _ in range(100):
        if telegram.proxy.documents:
            break
        await asyncio.sleep(0.1)
    [(chat_id, name, data)] = telegram.proxy.documents
    assert (chat_id, name) == (lena.user_id, "klbot-mydata.json")
    assert f"telegram:{lena.user_id}" in str(json.loads(data)["identities"])


@pytest.mark.parametrize("telegram", [{"rate_per_chat": 20.0}], indirect=True, ids=["fast"])
async def test_the_authors_progress_is_one_message_edited_in_place(
    telegram: TelegramWorld,
) -> None:
    """A staff member on Telegram announces to six subscribers (console chats: each gets it
    with their next message); the report job's new figures are new texts for one message
    (editMessageText), down to the done text. The emulator replaces a message's text in
    place and keeps no earlier text (nor tells the client of an edit): the chat holds one
    progress message, showing the done text; the figures on the way are the edits it got.
    (Telegram's one message a second to a chat would only make the test slow.)"""
    from bot.core.events import Surface
    from storage import roles
    from tests.harness import Chat

    assert telegram.app is not None
    app = telegram.app
    console = Surface(buttons=False, push=False)
    readers = [Chat(app.dispatcher, f"console:leser{n}", surface=console) for n in range(6)]
    for reader in readers:
        await reader.ask("/subscribe alle")
    stefan = telegram.user("Stefan")
    async with app.sessions() as session, session.begin():
        await roles.grant(session, identity=f"telegram:{stefan.user_id}", role="staff", by="t")
    assert "An wen geht die Ankündigung?" in await stefan.ask("/announce")
    await stefan.press("Alle Abonnenten")
    await stefan.replies()
    await stefan.send("Sprechstunde am Freitag.")
    await stefan.replies()
    await stefan.press("Ohne englischen Text")
    await stefan.replies()
    await stefan.press("Jetzt senden")
    (started,) = await stefan.replies()
    assert started["text"].startswith("Ankündigung #1 geht an 6 Empfänger")
    await app.finish_announcements()  # what the scheduler runs every five seconds
    (first_figure,) = await stefan.replies()  # after the reply that started the broadcast
    assert first_figure["text"] == "0 / 6 zugestellt"
    calls = len(telegram.proxy.calls)
    for first in (0, 2, 4):
        for reader in readers[first : first + 2]:
            assert "Sprechstunde am Freitag." in await reader.ask("/start")
        await app.finish_announcements()  # what the scheduler runs every five seconds
        for _ in range(100):  # the new text reaches Telegram
            if any(m == "editMessageText" for m, _ in telegram.proxy.calls[calls:]):
                break
            await asyncio.sleep(0.05)
        calls = len(telegram.proxy.calls)
    report = (await stefan.replies())[0]["text"]
    assert report.startswith("Bericht zur Ankündigung #1: 6 Empfänger, 6 zugestellt")

    history = await stefan._post("/getUpdatesHistory", {"token": telegram.token})
    progress = [
        update
        for update in history["result"]
        if str(update.get("message", {}).get("chat_id")) == str(stefan.user_id)  # klbot's
        and " / 6 zugestellt" in update["message"].get("text", "")
    ]
    assert [update["message"]["text"] for update in progress] == ["6 / 6 zugestellt."]
    edits = [
        (int(params["message_id"]), params["text"])
        for method, params in telegram.proxy.calls
        if method == "editMessageText" and int(params["chat_id"]) == stefan.user_id
    ]
    shown = progress[0]["messageId"]
    assert edits == [
        (shown, "2 / 6 zugestellt, noch etwa 1 min"),
        (shown, "4 / 6 zugestellt, noch etwa 1 min"),
        (shown, "6 / 6 zugestellt."),
    ]
