"""Feedback from citizens, handled by staff, exported, and digested for the board."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy import text as sql

from bot.core.dispatcher import Dispatcher
from bot.core.events import Surface
from bot.core.i18n import day
from bot.runtime.app import App
from bot.runtime.config import Config
from handlers.feedback.export import as_records, to_csv, to_json
from storage import feedback as store
from storage import people
from storage.models import Feedback, FeedbackAnswer
from tests.harness import Chat, dispatcher_for, with_roles
from tests.shell import klbot as shell

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
        assert "ist gespeichert und hat die Nummer F-" in done
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
    assert "Rückmeldungen im Überblick: 1 in den letzten 7 Tagen." in digest
    assert "Dieser Bot: 1 · 2,0" in digest and "Zu langsam" in digest


def test_export_command_writes_a_spreadsheet_safe_file(tmp_path: Path) -> None:
    env = {"KLBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'klbot.sqlite3'}"}
    shell(env, "ask", "--user", "ana", '/feedback Grüße, "Anna"\n=1+1')
    shell(env, "ask", "--user", "ben", "/feedback -Minus")
    target = tmp_path / "feedback.csv"
    done = shell(
        env,
        "feedback",
        "export",
        "--format",
        "csv",
        "--since",
        "2020-01-01",
        "--output",
        str(target),
    )
    assert done.returncode == 0 and "2 feedback records written" in done.stderr
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 marker for spreadsheets
    with target.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["text"] for row in rows] == ['Grüße, "Anna"\n=1+1', "'-Minus"]
    future = shell(env, "feedback", "export", "--format", "json", "--since", "2999-01-01")
    assert json.loads(future.stdout) == []
    bad = shell(env, "feedback", "export", "--since", "yesterday")
    assert bad.returncode == 2 and "Invalid value for '--since'" in bad.stderr


async def answers_in(app: App) -> list[FeedbackAnswer]:
    async with app.sessions() as session:
        return list(await session.scalars(select(FeedbackAnswer).order_by(FeedbackAnswer.id)))


@pytest.mark.parametrize(
    ("lang", "asked", "yes", "no", "allowed", "refused", "stale"),
    [
        (
            "de",
            "Darf das Team von KL.digital dich dazu kontaktieren?",
            "Ja",
            "Nein",
            "darf sich wegen {reference} bei dir melden",
            "meldet sich wegen {reference} nicht bei dir",
            "nicht mehr mit dir verknüpft",
        ),
        (
            "en",
            "May the KL.digital team contact you about it?",
            "Yes",
            "No",
            "may contact you about {reference}",
            "will not contact you about {reference}",
            "no longer linked to you",
        ),
    ],
)
async def test_one_message_feedback_asks_whether_staff_may_answer(
    app: App, lang: str, asked: str, yes: str, no: str, allowed: str, refused: str, stale: str
) -> None:
    chat = Chat(app.dispatcher, user="telegram:31", language=lang)
    receipt = await chat.ask("/feedback Mehr Bänke im Park")
    reference = reference_in(receipt)
    assert asked in receipt and chat.buttons() == [yes, no]
    question = chat.last
    assert allowed.format(reference=reference) in await chat.press(yes)
    assert (await stored(app))[0].may_contact
    chat.last = question  # they may change their mind
    assert refused.format(reference=reference) in await chat.press(no)
    assert not (await stored(app))[0].may_contact
    someone_else = Chat(app.dispatcher, user="telegram:32", language=lang, last=question)
    assert stale in await someone_else.press(yes)  # only the author decides
    assert not (await stored(app))[0].may_contact


@pytest.mark.parametrize(
    ("lang", "refusal"),
    [("de", "hat uns nicht erlaubt, sie zu kontaktieren"), ("en", "did not allow us to contact")],
)
async def test_answer_only_where_contact_is_allowed(
    app: App, dispatcher: Dispatcher, lang: str, refusal: str
) -> None:
    citizen = Chat(dispatcher, user="console:ana", surface=Surface(buttons=False, push=False))
    staff = Chat(dispatcher, user=STAFF, language=lang)
    quick = reference_in(await citizen.ask("/feedback Die Ampel ist kaputt"))
    await citizen.ask("2")  # no contact
    await citizen.ask("/feedback")
    for step in ("2", "6", "Der Bus kommt zu spät", "2", "1"):  # guided, no contact either
        done = await citizen.ask(step)
    guided = reference_in(done)
    for reference in (quick, guided):
        reply = await staff.ask(f"/answer {reference} Ist repariert")
        assert reply.startswith(reference) and refusal in reply
        assert "Ist repariert" not in await staff.ask(f"/show {reference}")
    assert "Ist repariert" not in await citizen.ask("/start")  # nothing was sent
    assert await answers_in(app) == []


@pytest.mark.parametrize(
    ("lang", "closed", "refused", "reopened", "not_closed", "sent"),
    [
        (
            "de",
            "ist erledigt. Mit /reopen",
            "ist erledigt, deshalb wurde nichts verschickt",
            "ist wieder offen (Status: gelesen)",
            "ist nicht erledigt (Status: beantwortet)",
            "an die Person geschickt",
        ),
        (
            "en",
            "is closed. /reopen",
            "is closed, so nothing was sent",
            "is open again (status: read)",
            "is not closed (status: answered)",
            "sent to the person",
        ),
    ],
)
async def test_closed_feedback_is_answered_only_after_reopening(
    app: App,
    dispatcher: Dispatcher,
    lang: str,
    closed: str,
    refused: str,
    reopened: str,
    not_closed: str,
    sent: str,
) -> None:
    citizen = Chat(dispatcher, user="console:ana", surface=Surface(buttons=False, push=False))
    reference = reference_in(await citizen.ask("/feedback Wann kommt das WLAN?"))
    await citizen.ask("1")  # staff may answer
    staff = Chat(dispatcher, user=STAFF, language=lang)
    assert closed in await staff.ask(f"/close {reference}")
    refusal = await staff.ask(f"/answer {reference} Im Frühjahr")
    assert refused in refusal and f"/reopen {reference}" in refusal
    assert "Im Frühjahr" not in await citizen.ask("/start")
    assert reopened in await staff.ask(f"/reopen {reference}")
    assert sent in await staff.ask(f"/answer {reference} Im Frühjahr")
    assert not_closed in await staff.ask(f"/reopen {reference}")
    assert "Im Frühjahr" in await citizen.ask("/start")
    assert [a.text for a in await answers_in(app)] == ["Im Frühjahr"]


@pytest.mark.parametrize(
    ("lang", "heading", "erase"),
    [("de", "Antworten:", "Ja, alles löschen"), ("en", "Answers:", "Yes, delete everything")],
)
async def test_every_answer_is_kept_shown_exported_and_erased(
    app: App, dispatcher: Dispatcher, lang: str, heading: str, erase: str
) -> None:
    citizen = Chat(dispatcher, user="console:ana", surface=Surface(buttons=False, push=False))
    reference = reference_in(await citizen.ask("/feedback Gibt es einen Stadtplan als App?"))
    await citizen.ask("1")
    staff = Chat(dispatcher, user=STAFF, language=lang)
    await staff.ask(f"/answer {reference} Wir prüfen das.")
    await staff.ask(f"/answer {reference} Ja, ab Mai im App-Store.")
    owed = await citizen.ask("/start")
    assert "Wir prüfen das." in owed and "Ja, ab Mai im App-Store." in owed
    shown = await staff.ask(f"/show {reference}")
    today = day(datetime.now(ZoneInfo("Europe/Berlin")), lang)  # 03.12.2026, 3 Dec 2026
    history = shown[shown.index(heading) :].splitlines()
    assert history[1].startswith(f"• {today}") and history[1].endswith(
        f" · {STAFF}: Wir prüfen das."
    )
    assert history[2].endswith(f" · {STAFF}: Ja, ab Mai im App-Store.")
    async with app.sessions() as session:
        filed = await store.search(session, limit=None)
        records = as_records(filed, await store.answers_to(session, [filed[0].id]), "Europe/Berlin")
    exported = json.loads(to_json(records))[0]["answers"]
    assert [(a["author"], a["text"]) for a in exported] == [
        (STAFF, "Wir prüfen das."),
        (STAFF, "Ja, ab Mai im App-Store."),
    ]
    cell = next(csv.DictReader(io.StringIO(to_csv(records), newline="")))["answers"]
    assert cell.splitlines()[1].endswith(f"{STAFF}: Ja, ab Mai im App-Store.")
    (mydata,) = await citizen.send("/mydata")
    assert "Antworten auf deine Rückmeldungen: 2" in mydata.text
    assert mydata.attachment is not None
    mine = json.loads(mydata.attachment.data)["answers"]
    assert [a["text"] for a in mine] == ["Wir prüfen das.", "Ja, ab Mai im App-Store."]
    await staff.ask("/deleteme")  # the staff member leaves: their answers stay, unsigned
    await staff.press(erase)
    shown = await Chat(dispatcher, user=STAFF, language=lang).ask(f"/show {reference}")
    assert f"{STAFF}:" not in shown and "(gelöscht/erased): Wir prüfen das." in shown
    await citizen.ask("/deleteme")
    await citizen.ask("1")  # yes, delete everything
    assert await answers_in(app) == [] and await stored(app) == []


@pytest.mark.parametrize(
    ("lang", "question", "unhelpful", "asked", "title", "allow"),
    [
        (
            "de",
            "Wer ist der CDO?",
            "👎 Nicht hilfreich",
            "Was hat gefehlt?",
            "Zur Antwort: Prof. Dieter Rombach",
            "Ja",
        ),
        (
            "en",
            "Who is the CDO?",
            "👎 Not helpful",
            "What was missing?",
            "About the answer: Prof. Dieter Rombach",
            "Yes",
        ),
    ],
)
async def test_a_thumbs_down_asks_what_was_missing(
    app: App,
    dispatcher: Dispatcher,
    lang: str,
    question: str,
    unhelpful: str,
    asked: str,
    title: str,
    allow: str,
) -> None:
    citizen = Chat(dispatcher, user="telegram:51", language=lang)
    await citizen.ask(question)
    assert asked in await citizen.press(unhelpful)
    receipt = await citizen.ask("Die Telefonnummer fehlt")
    reference = reference_in(receipt)
    assert receipt.startswith("ℹ️")  # their first feedback: what klbot stores, in one line
    await citizen.press(allow)
    (row,) = await stored(app)
    assert (row.text, row.topic, row.about_entry, row.may_contact) == (
        "Die Telefonnummer fehlt",
        "bot",
        "rombach",
        True,
    )
    shown = await Chat(dispatcher, user=STAFF, language=lang).ask(f"/show {reference}")
    assert title in shown and "Die Telefonnummer fehlt" in shown
    assert "· 0 · 1" in await Chat(dispatcher, user=STAFF).ask("/ratings")  # the 👎 counts


@pytest.mark.parametrize(
    ("lang", "question", "unhelpful", "skip", "skipped", "helpful", "thanks"),
    [
        (
            "de",
            "Wer ist der CDO?",
            "👎 Nicht hilfreich",
            "Überspringen",
            "danke trotzdem für deine Bewertung",
            "👍 Hilfreich",
            "Danke für deine Rückmeldung!",
        ),
        (
            "en",
            "Who is the CDO?",
            "👎 Not helpful",
            "Skip",
            "thank you for your rating all the same",
            "👍 Helpful",
            "Thank you for your feedback!",
        ),
    ],
)
async def test_the_missing_part_can_be_skipped_and_thumbs_up_just_thanks(
    app: App,
    dispatcher: Dispatcher,
    lang: str,
    question: str,
    unhelpful: str,
    skip: str,
    skipped: str,
    helpful: str,
    thanks: str,
) -> None:
    citizen = Chat(dispatcher, user="telegram:52", language=lang)
    await citizen.ask(question)
    rated = citizen.last
    await citizen.press(unhelpful)
    assert skipped in await citizen.press(skip)
    assert "Rombach" in await citizen.ask(question)  # a question again, not feedback
    await citizen.press(unhelpful)
    await citizen.ask("/cancel")
    assert "Rombach" in await citizen.ask(question)
    citizen.last = rated
    assert await citizen.press(helpful) == thanks
    assert "Rombach" in await citizen.ask(question)
    assert await stored(app) == []
    ratings = await Chat(dispatcher, user=STAFF).ask("/ratings")
    assert "Prof. Dieter Rombach: 4 · 1 · 1" in ratings  # both 👎 kept; the 👍 replaced the first


async def file_three(dispatcher: Dispatcher) -> str:
    """A guided ★4 about this bot (closed by staff), a ★2 and a quick one in general;
    returns the bot one's reference."""
    citizen = Chat(dispatcher, user="telegram:61")
    await citizen.ask("/feedback Allgemein gut")
    for topic, stars, text in (
        ("Dieser Bot", "4", "Schnell"),
        ("KL.digital allgemein", "2", "Mau"),
    ):
        await citizen.ask("/feedback")
        await citizen.press(topic)
        await citizen.press(stars)
        await citizen.ask(text)
        await citizen.press("Nein")
        reference = reference_in(await citizen.press("Absenden"))
        if text == "Schnell":
            bot = reference
    await Chat(dispatcher, user=STAFF).ask(f"/close {bot}")
    return bot


async def test_staff_read_statuses_in_german_and_filter_with_them(
    app: App, dispatcher: Dispatcher
) -> None:
    bot = await file_three(dispatcher)
    staff = Chat(dispatcher, user=STAFF)
    listing = await staff.ask("/inbox")
    assert listing.startswith("Rückmeldungen (neu, gelesen):") and bot not in listing
    assert "new" not in listing and listing.count("· neu: ") == 2
    for filters in (
        "status:erledigt",
        "status:closed",
        "erledigt",
        "thema:bot alle",
        "topic:bot all",
    ):
        found = await staff.ask(f"/inbox {filters}")
        assert bot in found and "Mau" not in found, filters
    both = await staff.ask("/inbox status:alle thema:bot bewertung:4")
    assert both.startswith("Rückmeldungen (alle · Dieser Bot · ★4):")
    assert f"{bot} · " in both and "★4 · erledigt: Schnell" in both
    assert "Mau" in await staff.ask(
        "/inbox rating:2"
    ) and "Keine passende Rückmeldung" in await staff.ask("/inbox rating:5")
    assert "Status: erledigt" in await staff.ask(f"/show {bot}")
    refused = await staff.ask("/inbox status:kaputt")
    assert refused.startswith("Unbekannter Filter „status:kaputt“") and "status:erledigt" in refused
    assert "Dieser Bot: 1 · 4,0" in await staff.ask("/fbstats")


async def test_staff_read_statuses_in_english_and_filter_with_them(
    app: App, dispatcher: Dispatcher
) -> None:
    bot = await file_three(dispatcher)
    staff = Chat(dispatcher, user=STAFF, language="en")
    assert (await staff.ask("/inbox")).startswith("Feedback (new, read):")
    both = await staff.ask("/inbox status:closed topic:bot rating:4")
    assert both.startswith("Feedback (closed · This bot · ★4):") and "★4 · closed: Schnell" in both
    assert bot in await staff.ask("/inbox status:erledigt")  # either language's words work
    assert "status: closed" in await staff.ask(f"/show {bot}")
    refused = await staff.ask("/inbox rating:9")
    assert refused.startswith("Unknown filter “rating:9”") and "status:closed" in refused
    assert "This bot: 1 · 4.0" in await staff.ask("/fbstats")


@pytest.mark.parametrize(
    ("lang", "question", "unhelpful", "again", "answer", "thanks", "welcome"),
    [
        ("de", "Wer ist der CDO?", "👎 Nicht hilfreich", "Wer ist der CUO?", "Steinebach",
         "danke", "Gern geschehen"),
        ("en", "Who is the CDO?", "👎 Not helpful", "Who is the CUO?", "Steinebach",
         "thanks", "You're welcome"),
    ],
)  # fmt: skip
async def test_after_a_thumbs_down_a_new_question_or_thanks_is_no_feedback(
    app: App,
    dispatcher: Dispatcher,
    lang: str,
    question: str,
    unhelpful: str,
    again: str,
    answer: str,
    thanks: str,
    welcome: str,
) -> None:
    citizen = Chat(dispatcher, user="telegram:52", language=lang)
    await citizen.ask(question)
    await citizen.press(unhelpful)
    assert answer in await citizen.ask(again)  # asked anew, answered
    await citizen.press(unhelpful)
    assert welcome in await citizen.ask(thanks)
    assert await stored(app) == []


SEARCHED = [
    "ÄRGER über die Baustelle",
    "Die Straße ist voller Müll",
    "Ein Café am Radweg, bitte",
    "Meine E-Mail kam nie an?!",
]
FOUND = {
    "ärger": [0],
    "ÄRGER": [0],
    "aerger BAUSTELLE": [0],
    "STRASSE": [1],
    "straße müll": [1],
    "Muell": [1],
    "cafe": [2],
    "CAFÉ rad": [2],  # a word's beginning is enough
    "e-mail": [3],
    "mail": [3],
    "?!": [3],  # punctuation alone: where the text has it
    "weg": [],  # inside a word: not found
    "straße café": [],  # every word must be there
    "die": [0, 1],
}


async def test_the_inbox_search_ignores_case_umlauts_and_accents(app: App) -> None:
    async with app.sessions() as session, session.begin():
        person = await people.get_or_create_person(session, identity="console:ana")
        for text in SEARCHED:
            await store.add_feedback(
                session,
                person_id=person.id,
                platform="console",
                topic="general",
                rating=None,
                text=text,
                language="de",
                may_contact=False,
            )
    async with app.sessions() as session:
        for words, expected in FOUND.items():
            found = await store.search(session, words=words, limit=None)
            assert sorted(row.text for row in found) == sorted(SEARCHED[i] for i in expected), words
            assert await store.count(session, words=words) == len(expected), words
            found_page = await store.page(session, words=words, size=1)
            assert found_page.total == len(expected) and not found_page.more, words
            assert len(found_page.rows) == min(1, len(expected)), words
        counted = await store.page(session, words="die", size=1, number=9, most=1)
        assert (counted.total, counted.more, counted.number) == (1, True, 1)
        assert [row.text for row in counted.rows] == [SEARCHED[1]]  # the newer


async def words_in_the_index(app: App) -> bytes:
    """SQLite: every block of the full-text index as stored."""
    async with app.sessions() as session:
        blocks = await session.scalars(sql("SELECT block FROM feedback_search_data"))
        return b"".join(block for block in blocks if isinstance(block, bytes))


async def test_erased_feedback_leaves_the_search_index(app: App, dispatcher: Dispatcher) -> None:
    citizen = Chat(dispatcher, user="console:ana", surface=Surface(buttons=False, push=False))
    await citizen.ask("/feedback Der Quastenflosser im Stadtweiher hat Hunger")
    await citizen.ask("2")  # no contact
    async with app.sessions() as session:
        sqlite = session.get_bind().dialect.name == "sqlite"
        assert await store.count(session, words="quastenflosser") == 1
    if sqlite:
        assert b"quastenflosser" in await words_in_the_index(app)
    await citizen.ask("/deleteme")
    await citizen.ask("1")  # yes, delete everything
    async with app.sessions() as session:
        assert await store.count(session, words="quastenflosser") == 0
    if sqlite:  # not only marked deleted: the word is no longer stored
        assert b"quastenflosser" not in await words_in_the_index(app)


async def test_the_search_reads_the_databases_full_text_index(app: App) -> None:
    async with app.sessions() as session:
        dialect = session.get_bind().dialect
        query = store.Filters(words="Radweg Straße").apply(session, select(Feedback.id))
        compiled = query.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
        if dialect.name == "postgresql":  # usable at all: the query repeats the index's words
            await session.execute(sql("SET enable_seqscan = off"))
            plan = " ".join(await session.scalars(sql(f"EXPLAIN {compiled}")))
            assert "ix_feedback_search" in plan, plan
        else:
            rows = await session.execute(sql(f"EXPLAIN QUERY PLAN {compiled}"))
            plan = " ".join(str(row[-1]) for row in rows)
            assert "VIRTUAL TABLE INDEX" in plan and "feedback_search" in plan, plan
