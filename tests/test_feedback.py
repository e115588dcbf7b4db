"""Feedback from citizens, handled by staff, exported, and digested for the board."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core.dispatcher import Dispatcher
from bot.core.events import Surface
from bot.runtime.app import App
from bot.runtime.config import Config
from handlers.feedback.export import as_records, to_csv, to_json
from storage import feedback as store
from storage.models import Feedback
from tests.harness import Chat, dispatcher_for, with_roles

pytestmark = pytest.mark.both_databases

STAFF, BOARD = "console:staff", "console:bea"


def staffed(config: Config) -> Config:
    return with_roles(config, staff=[STAFF], board=[BOARD])


@pytest.fixture
def dispatcher(app: App, config: Config) -> Dispatcher:
    return dispatcher_for(app, staffed(config))


def reference_in(text: str) -> str:
    """The feedback reference (``F-7K3QX2``) a reply names."""
    found = re.search(r"F-[A-Z0-9]{6}", text)
    assert found is not None, text
    return found.group()


async def stored(app: App) -> list[Feedback]:
    async with app.sessions() as session:
        return await store.search(session, limit=None)


async def test_guided_feedback_survives_a_restart(config: Config) -> None:
    async with App.open(config) as app:
        chat = Chat(app.dispatcher, user="telegram:42")
        await chat.ask("/feedback")
        assert chat.buttons() == [
            "Projekte aus der Bewerbung „Digitale Stadt“",
            "KL.digital allgemein",
            "Dieser Bot",
        ]
        assert "1 (gar nicht) bis 5" in await chat.press("Dieser Bot")
    async with App.open(config) as app:  # klbot restarted in the middle
        chat = Chat(app.dispatcher, user="telegram:42")
        chat.last = []
        await chat.ask("/help")  # a command in between does not end the conversation
        assert "höchstens 4000 Zeichen" in await chat.ask("4")  # typed instead of pressed
        await chat.ask('Die Antworten sind kurz und gut. Weiter so, "KL"!')
        assert chat.buttons() == ["Ja", "Nein"]
        summary = await chat.press("Nein")
        assert "Thema: Dieser Bot" in summary and "Bewertung: 4" in summary
        assert "Kontakt erlaubt: Nein" in summary
        confirmation = chat.last
        done = await chat.press("Absenden")
        assert "gespeichert unter der Nummer F-" in done
        assert "nichts" in await chat.ask("/cancel")  # the conversation is over
        rows = await stored(app)
        assert len(rows) == 1 and rows[0].reference in done
        assert (rows[0].topic, rows[0].rating, rows[0].may_contact) == ("bot", 4, False)
        chat.last = confirmation  # pressing the old button again files nothing twice
        assert "schon abgeschlossen" in await chat.press("Absenden")
        assert len(await stored(app)) == 1


async def test_numbered_choices_and_skipped_rating(app: App) -> None:
    chat = Chat(app.dispatcher, user="console:ana", surface=Surface(buttons=False, push=False))
    await chat.ask("/feedback")
    await chat.ask("2")  # KL.digital allgemein
    await chat.ask("6")  # skip the rating
    await chat.ask("Mehr Projekte bitte")
    await chat.ask("1")  # may contact: yes
    assert "Bewertung: keine" in chat.last[0].text
    assert "gespeichert" in await chat.ask("1")  # send
    rows = await stored(app)
    assert (rows[0].topic, rows[0].rating, rows[0].may_contact) == ("general", None, True)


@pytest.mark.parametrize("steps", [0, 1, 2, 3, 4])
async def test_cancel_at_every_step_stores_nothing(app: App, steps: int) -> None:
    chat = Chat(app.dispatcher)
    await chat.ask("/feedback")
    for action in [("press", "Dieser Bot"), ("press", "3"), ("ask", "Text"), ("press", "Ja")][
        :steps
    ]:
        await (chat.press(action[1]) if action[0] == "press" else chat.ask(action[1]))
    assert "Abgebrochen" in await chat.ask("/cancel")
    assert await stored(app) == []


async def test_feedback_in_one_message(app: App) -> None:
    chat = Chat(app.dispatcher)
    assert "F-" in await chat.ask("/feedback Bitte mehr Sitzbänke mit WLAN!")
    rows = await stored(app)
    assert rows[0].text == "Bitte mehr Sitzbänke mit WLAN!" and rows[0].topic == "general"
    assert not rows[0].may_contact  # until the person says yes


async def test_too_long_text_is_refused_and_nothing_is_stored(app: App) -> None:
    chat = Chat(app.dispatcher)
    assert "4001 Zeichen; höchstens 4000" in await chat.ask("/feedback " + "x" * 4001)
    await chat.ask("/feedback")
    await chat.press("Dieser Bot")
    await chat.press("Überspringen")
    assert "4001 Zeichen" in await chat.ask("y" * 4001)
    assert await stored(app) == []
    await chat.ask("kurz")  # still at the text step
    assert chat.buttons() == ["Ja", "Nein"]


async def test_per_person_limit(app: App) -> None:
    chat, other = Chat(app.dispatcher, user="telegram:1"), Chat(app.dispatcher, user="telegram:2")
    for number in range(5):
        assert "F-" in await chat.ask(f"/feedback Nummer {number}")
    refused = await chat.ask("/feedback Nummer 6")
    assert "schon 5 Rückmeldungen" in refused and "Uhr" in refused
    assert "schon 5" in await chat.ask("/feedback")
    assert "F-" in await other.ask("/feedback Ich darf noch")
    assert len(await stored(app)) == 6


async def test_staff_answer_reaches_the_citizen(app: App, dispatcher: Dispatcher) -> None:
    citizen = Chat(dispatcher, user="console:ana", surface=Surface(buttons=False, push=False))
    reference = reference_in(await citizen.ask("/feedback Wann kommt das nächste Projekt?"))
    assert "darf sich" in await citizen.ask("1")  # yes, staff may answer
    staff = Chat(dispatcher, user=STAFF)
    listing = await staff.ask("/inbox")
    assert reference in listing and "neu: Wann kommt" in listing
    shown = await staff.press(reference)
    assert "Status: gelesen" in shown and "console:ana" in shown
    assert "an die Person geschickt" in await staff.ask(f"/answer {reference} Bald, versprochen!")
    nxt = await citizen.ask("/start")
    assert f"Antwort von KL.digital auf deine Rückmeldung {reference}" in nxt
    assert "Bald, versprochen!" in nxt
    assert "Bald" not in await citizen.ask("/start")  # delivered once
    assert "erledigt" in await staff.ask(f"/close {reference}")
    assert reference in await staff.ask("/inbox closed")
    assert "1 · –" in await staff.ask("/fbstats")


async def test_staff_see_the_identity_only_with_consent(app: App, dispatcher: Dispatcher) -> None:
    citizen = Chat(dispatcher, user="telegram:77")
    await citizen.ask("/feedback")
    await citizen.press("KL.digital allgemein")
    await citizen.press("5")
    await citizen.ask("Gern zurückrufen")
    await citizen.press("Ja")
    reference = reference_in(await citizen.press("Absenden"))
    assert "telegram:77" in await Chat(dispatcher, user=STAFF).ask(f"/show {reference}")


@pytest.mark.parametrize(
    "command",
    [
        "/inbox",
        "/show F-AAAAAA",
        "/answer F-AAAAAA x",
        "/close F-AAAAAA",
        "/reopen F-AAAAAA",
        "/fbstats",
    ],
)
@pytest.mark.parametrize("user", ["telegram:5", BOARD])
async def test_citizens_and_board_cannot_use_staff_commands(
    dispatcher: Dispatcher, command: str, user: str
) -> None:
    assert "nur Mitarbeitenden" in await Chat(dispatcher, user=user).ask(command)


async def test_export_round_trips_through_csv_and_json(app: App) -> None:
    chat = Chat(app.dispatcher)
    tricky = 'Zeile 1, mit Komma\nZeile 2 mit "Zitat" und Ümläuten ß'
    for text in (tricky, '=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)"):
        await chat.ask(f"/feedback {text}")
    async with app.sessions() as session:
        filed = await store.search(session, limit=None)
        answers = await store.answers_to(session, [row.id for row in filed])
        records = as_records(reversed(filed), answers, "Europe/Berlin")
    rows = list(csv.DictReader(io.StringIO(to_csv(records), newline="")))
    assert [row["text"] for row in rows] == [
        tricky,
        '\'=HYPERLINK("http://x")',
        "'+1",
        "'-2",
        "'@SUM(A1)",
    ]
    assert rows[0]["created_at"].endswith(("+01:00", "+02:00"))
    assert json.loads(to_json(records))[1]["text"] == '=HYPERLINK("http://x")'


async def test_board_digest_once_per_period(app: App, config: Config) -> None:
    chat = Chat(app.dispatcher)
    await chat.ask("/feedback")
    await chat.press("Dieser Bot")
    await chat.press("2")
    await chat.ask("Zu langsam")
    await chat.press("Nein")
    await chat.press("Absenden")
    board_app_config = staffed(config)
    now = datetime.now(UTC)
    async with App.open(board_app_config) as board_app:
        assert await board_app.send_digest(now) == 1
        assert await board_app.send_digest(now) == 0  # a second process firing: no duplicate
        bea = Chat(board_app.dispatcher, user=BOARD, surface=Surface(buttons=False, push=False))
        digest = await bea.ask("/start")
    assert "Rückmeldungs-Digest: 1 Rückmeldung in den letzten 7 Tagen" in digest
    assert "Dieser Bot: 1 · 2.0" in digest and "Zu langsam" in digest


def test_export_command_writes_a_spreadsheet_safe_file(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KLBOT_")}
    env["KLBOT_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'klbot.sqlite3'}"

    def klbot(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "bot", *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, check=False)

    klbot("ask", "--user", "ana", '/feedback Grüße, "Anna"\n=1+1')
    klbot("ask", "--user", "ben", "/feedback -Minus")
    target = tmp_path / "feedback.csv"
    done = klbot(
        "feedback", "export", "--format", "csv", "--since", "2020-01-01", "--output", str(target)
    )
    assert done.returncode == 0 and "2 feedback records written" in done.stderr
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 marker for spreadsheets
    with target.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["text"] for row in rows] == ['Grüße, "Anna"\n=1+1', "'-Minus"]
    future = klbot("feedback", "export", "--format", "json", "--since", "2999-01-01")
    assert json.loads(future.stdout) == []
    bad = klbot("feedback", "export", "--since", "yesterday")
    assert bad.returncode == 2 and "Invalid value for '--since'" in bad.stderr
