"""The feedback digest for the board: weekly, on demand with /digest, and what it names
opened read-only."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.dispatcher import Dispatcher
from bot.core.events import Surface
from bot.runtime.app import App
from bot.runtime.config import Config
from storage import roles
from tests.harness import Chat, dispatcher_for, with_roles

pytestmark = pytest.mark.both_databases

STAFF, BOARD = "telegram:2", "telegram:3"
CONSOLE = Surface(buttons=False, push=False)


@pytest.fixture
def dispatcher(app: App, config: Config) -> Dispatcher:
    return dispatcher_for(app, with_roles(config, staff=[STAFF], board=[BOARD]))


async def feedback_from_a_citizen(dispatcher: Dispatcher, text: str) -> str:
    """File ``text`` as feedback; its reference."""
    done = await Chat(dispatcher, user="telegram:42").ask(f"/feedback {text}")
    found = re.search(r"F-[A-Z0-9]+", done)
    assert found, done
    return found.group()


async def invited(app: App, role: str) -> str:
    async with app.sessions() as session, session.begin():
        return await roles.create_invite(
            session, role=role, by="console:test", expires_at=datetime.now(UTC) + timedelta(days=1)
        )


async def test_the_board_reads_the_digest_on_demand_and_opens_what_it_names(
    dispatcher: Dispatcher,
) -> None:
    reference = await feedback_from_a_citizen(dispatcher, "Die Antworten sind zu langsam")
    bea = Chat(dispatcher, user=BOARD)
    digest = await bea.ask("/digest")
    assert "Rückmeldungen im Überblick: 1 in den letzten 7 Tagen." in digest
    assert f"{reference}: „Die Antworten sind zu langsam“" in digest
    assert f"mit /show {reference} oder über ihren Knopf" in digest and bea.buttons() == [reference]
    shown = await bea.press(reference)
    assert "Die Antworten sind zu langsam" in shown and "für den Beirat nicht sichtbar" in shown
    assert "telegram:42" not in shown
    assert "für den Beirat nicht sichtbar" in await bea.ask(f"/show {reference.lower()}")
    assert "/answer steht nur Mitarbeitenden" in await bea.ask(f"/answer {reference} Danke")
    inbox = await Chat(dispatcher, user=STAFF).ask("/inbox")
    assert reference in inbox  # the board's reading left it unread for staff

    ben = Chat(dispatcher, user=BOARD, language="en")
    await ben.ask("/language en")
    digest = await ben.ask("/digest")
    assert "Feedback digest: 1 piece of feedback in the last 7 days" in digest
    assert f"send /show {reference} or press its button" in digest
    assert "not shown to the board" in await ben.press(reference)


async def test_an_invited_board_member_gets_the_weekly_digest_and_citizens_none(
    app: App, config: Config, dispatcher: Dispatcher
) -> None:
    await feedback_from_a_citizen(dispatcher, "Mehr Projekte bitte")
    zoe = Chat(dispatcher, user="console:zoe", surface=CONSOLE, language="en")
    await zoe.ask("/language en")
    await zoe.ask(f"/join {await invited(app, 'board')}")
    async with App.open(with_roles(config, board=[BOARD])) as board_app:
        assert await board_app.send_digest(datetime.now(UTC)) == 2
    weekly = await zoe.ask("/start")
    assert "Feedback digest: 1 piece of feedback in the last 7 days" in weekly
    assert "Mehr Projekte bitte" in weekly
    citizen = await Chat(dispatcher, user="telegram:77").ask("/digest")
    assert "/digest" in citizen and "nur" in citizen and "Digest:" not in citizen
    assert "nur" in await Chat(dispatcher, user="telegram:77").ask("/show F-AAAAAA")
    unknown = await Chat(dispatcher, user=BOARD).ask("/show F-AAAAAA")
    assert unknown == "Eine Rückmeldung F-AAAAAA gibt es nicht. /digest nennt die neuesten."


async def test_an_empty_week_says_so(dispatcher: Dispatcher) -> None:
    assert "In den letzten 7 Tagen kam keine neue Rückmeldung." in await Chat(
        dispatcher, user=STAFF
    ).ask("/digest")
    english = Chat(dispatcher, user=BOARD, language="en")
    await english.ask("/language en")
    assert "no new feedback in the last 7 days" in await english.ask("/digest")
