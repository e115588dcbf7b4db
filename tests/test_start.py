"""The first handlers: /start, /help, /language, /cancel, /privacy, unknown input."""

from __future__ import annotations

import pytest

from bot.runtime.app import App
from bot.runtime.config import Config, load_config
from storage.db import head_revision
from tests.harness import Chat, dispatcher_for, with_roles


async def test_start_greets_in_german_by_default_and_points_to_help_and_privacy(
    chat: Chat,
) -> None:
    answer = await chat.ask("/start")
    assert "Hallo" in answer and "KL.digital" in answer
    assert "/help" in answer and "/privacy" in answer


async def test_start_follows_the_platforms_language_hint(chat: Chat) -> None:
    chat.language = "en-GB"
    answer = await chat.ask("/start")
    assert answer.startswith("Hello") and "/help" in answer


async def test_language_choice_is_remembered_across_a_restart(config: Config) -> None:
    async with App.open(config) as app:
        chat = Chat(app.dispatcher, language="de")
        await chat.ask("/language")
        assert chat.buttons() == ["Deutsch", "English"]
        assert "English" in await chat.press("English")
    async with App.open(config) as app:
        chat = Chat(app.dispatcher, language="de")
        assert (await chat.ask("/start")).startswith("Hello")
        assert "Deutsch" in await chat.ask("/language de")
        assert (await chat.ask("/start")).startswith("Hallo")


async def test_language_rejects_unknown_languages_and_keeps_the_old_one(chat: Chat) -> None:
    assert "/language de" in await chat.ask("/language fr")
    assert (await chat.ask("/start")).startswith("Hallo")


async def test_help_lists_only_the_commands_a_citizen_may_use(chat: Chat) -> None:
    answer = await chat.ask("/help")
    for command in ("/start", "/help", "/language", "/cancel", "/privacy"):
        assert command in answer
    assert "/status" not in answer


async def test_staff_see_and_may_use_staff_commands(db_url: str) -> None:
    config = load_config(None, env={"KLBOT_DATABASE_URL": db_url})
    config = config.model_copy(
        update={"roles": config.roles.model_copy(update={"staff": ["telegram:7"]})}
    )
    async with App.open(config) as app:
        staff = Chat(app.dispatcher, user="telegram:7")
        citizen = Chat(app.dispatcher, user="telegram:8")
        assert "/status" in await staff.ask("/help")
        assert f"Schema {head_revision()}" in await staff.ask("/status")
        refused = await citizen.ask("/status")
        assert "nur Mitarbeitenden" in refused and "Schema" not in refused


async def test_board_and_staff_each_get_their_own_help(app: App, config: Config) -> None:
    roles = {"board": ["telegram:5"], "staff": ["telegram:6"], "admin": ["telegram:4"]}
    dispatcher = dispatcher_for(app, with_roles(config, **roles))
    board = await Chat(dispatcher, user="telegram:5").ask("/help")
    everyone, own = board.split("Für den Beirat:")
    assert "/start – " in everyone and "/digest" not in everyone
    assert "/digest – die Rückmeldungen der letzten 7 Tage im Überblick" in own
    assert "/show – " in own and "jede Woche einen Überblick über die Rückmeldungen" in own
    assert "/inbox" not in board and "Für Mitarbeitende" not in board
    assert "/show F-" in await Chat(dispatcher, user="telegram:5").ask("/help show")

    english = await Chat(dispatcher, user="telegram:5", language="en").ask("/help")
    assert "For the board:\n/digest – the feedback digest of the last 7 days" in english
    assert "you receive the feedback digest every week" in english

    staff = await Chat(dispatcher, user="telegram:6").ask("/help")
    assert "Für Mitarbeitende:" in staff and "Für den Beirat" not in staff
    assert "/inbox" in staff.split("Für Mitarbeitende:")[1] and "/digest" in staff
    admin = await Chat(dispatcher, user="telegram:4", language="en").ask("/help")
    staff_part, admin_part = admin.split("For staff:")[1].split("For administrators:")
    assert "/inbox" in staff_part and "/roles" in admin_part and "/roles" not in staff_part


async def test_help_about_one_command_shows_an_example(chat: Chat) -> None:
    answer = await chat.ask("/help language")
    assert "/language en" in answer


async def test_cancel_without_a_conversation_says_so(chat: Chat) -> None:
    assert "nichts" in await chat.ask("/cancel")


async def test_unknown_command_suggests_the_closest_one(chat: Chat) -> None:
    answer = await chat.ask("/halp")
    assert "/halp" in answer and "/help" in answer


async def test_unknown_command_does_not_suggest_staff_commands_to_citizens(chat: Chat) -> None:
    assert "/status" not in await chat.ask("/statu")


async def test_privacy_names_the_controller_from_config(chat: Chat) -> None:
    answer = await chat.ask("/privacy")
    assert "KL.digital GmbH" in answer and "DSGVO" in answer


@pytest.mark.parametrize(
    ("lang", "lines"),
    [
        ("de", ["Kontakt: datenschutz@kl.example", "Datenschutzbeauftragte(r): Dr. Eva Muster"]),
        ("en", ["Contact: datenschutz@kl.example", "Data protection officer: Dr. Eva Muster"]),
    ],
)
async def test_privacy_notice_shows_the_configured_contacts(
    app: App, config: Config, lang: str, lines: list[str]
) -> None:
    privacy = config.privacy.model_copy(
        update={"contact": "datenschutz@kl.example", "data_protection_officer": "Dr. Eva Muster"}
    )
    chat = Chat(dispatcher_for(app, config.model_copy(update={"privacy": privacy})), language=lang)
    notice = await chat.ask("/privacy")
    assert all(line in notice.splitlines() for line in lines)
    assert "{" not in notice and "\n\n\n" not in notice
    assert "365" in notice  # the retention periods from [privacy]


async def test_free_text_without_an_answer_is_honest(chat: Chat) -> None:
    assert "keine Informationen" in await chat.ask("Wie wird das Wetter morgen?")
