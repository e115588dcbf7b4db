"""The web console over HTTP: signing in with one-time links, who may do what, the
feedback inbox and answering through it, bad input."""

from __future__ import annotations

import base64
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from aiohttp import FormData
from sqlalchemy import select

from bot.core.events import Identity, Incoming, Surface
from bot.knowledge.schema import default_text
from bot.runtime.app import App
from bot.runtime.config import Config
from bot.web import feedback as web_feedback
from handlers.privacy.retention import apply_retention
from storage import announcements, dashboard, outbox, people, roles, sending, subscriptions
from storage import feedback as store
from storage import knowledge as knowledge_store
from storage import web as web_store
from storage.models import (
    AnswerLog,
    AuditEntry,
    Base,
    OutboxMessage,
    UnansweredQuestion,
    utcnow,
)
from tests.harness import Chat, dispatcher_for, with_roles
from tests.shell import klbot
from tests.web.client import Client, link_for, open_console, sign_in, text_of, token_of

pytestmark = pytest.mark.both_databases

STAFF, BOARD, CITIZEN = "console:sina", "console:bea", "console:ana"
CONSOLE = Surface(buttons=False, push=False)


def web_config(config: Config) -> Config:
    staffed = with_roles(config, staff=[STAFF], board=[BOARD])
    web_section = staffed.web.model_copy(update={"enabled": True})
    return staffed.model_copy(update={"web": web_section})


@pytest.fixture
async def app(config: Config) -> AsyncIterator[App]:
    async with App.open(web_config(config)) as opened:
        yield opened


@pytest.fixture
async def client(app: App) -> AsyncIterator[Client]:
    opened = await open_console(app)
    yield opened
    await opened.close()


async def citizen_feedback(
    app: App, text: str, *, contact: bool = True, user: str = CITIZEN
) -> tuple[Chat, str]:
    """``user`` files ``text`` with /feedback and answers the contact question."""
    chat = Chat(dispatcher_for(app, app.config), user=user, surface=CONSOLE)
    receipt = await chat.ask(f"/feedback {text}")
    found = re.search(r"F-[A-Z0-9]{6}", receipt)
    assert found is not None, receipt
    await chat.ask("1" if contact else "2")  # "may the team contact you?"
    return chat, found.group()


async def test_staff_answer_a_citizen_from_the_inbox_in_german(app: App, client: Client) -> None:
    chat, reference = await citizen_feedback(app, "Die Bänke am Stiftsplatz sind kaputt.")
    csrf = await sign_in(client, app, STAFF)
    start = text_of(await (await client.get("/web/")).text())
    assert "Rückmeldungen" in start and "1 Rückmeldung wartet" in start
    inbox = await (await client.get("/web/feedback")).text()
    assert f'href="/web/feedback/{reference}">Die Bänke am Stiftsplatz sind kaputt.</a>' in inbox
    page = text_of(await (await client.get(f"/web/feedback/{reference}")).text())
    assert "Noch keine Antwort." in page and CITIZEN in page
    sent = await client.post(
        f"/web/feedback/{reference}/answer",
        data={"csrf": csrf, "text": "Danke, der Bauhof kümmert sich diese Woche."},
    )
    shown = text_of(await sent.text())
    assert f"Antwort auf {reference} gespeichert und an die Person geschickt." in shown
    assert "Danke, der Bauhof kümmert sich diese Woche." in shown  # in the history
    assert "beantwortet" in shown
    received = await chat.ask("/help")  # the console shows what it is owed
    assert f"Antwort von KL.digital auf deine Rückmeldung {reference}" in received
    assert "der Bauhof kümmert sich diese Woche" in received
    async with app.sessions() as session:
        row = await store.find(session, reference=reference)
        assert row is not None and row.status == "answered"
        answers = (await store.answers_to(session, [row.id]))[row.id]
    assert [(a.author, a.text) for a in answers] == [
        (STAFF, "Danke, der Bauhof kümmert sich diese Woche.")
    ]


async def test_the_console_speaks_english_to_an_english_speaker(app: App, client: Client) -> None:
    _, reference = await citizen_feedback(app, "Please add more benches.")
    staff = Chat(dispatcher_for(app, app.config), user=STAFF, surface=CONSOLE)
    await staff.ask("/language en")
    csrf = await sign_in(client, app, STAFF)
    start = await (await client.get("/web/")).text()
    assert '<html lang="en">' in start and '<a href="/web/feedback">Feedback</a>' in start
    await client.post(f"/web/feedback/{reference}/close", data={"csrf": csrf})
    closed = text_of(await (await client.get(f"/web/feedback/{reference}")).text())
    assert f"{reference} is closed." not in closed  # the notice belongs to the redirect
    refused = await client.post(
        f"/web/feedback/{reference}/answer", data={"csrf": csrf, "text": "Thanks!"}
    )
    assert refused.status == 422
    assert "is closed, so nothing was sent" in text_of(await refused.text())
    reopened = text_of(
        await (await client.post(f"/web/feedback/{reference}/reopen", data={"csrf": csrf})).text()
    )
    assert f"{reference} is open again." in reopened and "Send the answer" in reopened


async def test_chat_and_web_handle_feedback_alike_and_both_audit_it(
    app: App, client: Client
) -> None:
    _, by_chat = await citizen_feedback(app, "Per Chat bearbeitet", user="console:c1")
    _, by_web = await citizen_feedback(app, "Im Web bearbeitet", user="console:c2")
    staff = Chat(dispatcher_for(app, app.config), user=STAFF, surface=CONSOLE)
    assert "Von: console:c1" in await staff.ask(f"/show {by_chat}")
    await staff.ask(f"/answer {by_chat} Danke!")
    for _ in range(2):  # closing twice closes once
        await staff.ask(f"/close {by_chat}")
    await staff.ask(f"/reopen {by_chat}")
    csrf = await sign_in(client, app, STAFF)
    page = text_of(await (await client.get(f"/web/feedback/{by_web}")).text())
    assert "console:c2" in page and "gelesen" in page
    await client.post(f"/web/feedback/{by_web}/answer", data={"csrf": csrf, "text": "Danke!"})
    for _ in range(2):
        await client.post(f"/web/feedback/{by_web}/close", data={"csrf": csrf})
    await client.post(f"/web/feedback/{by_web}/reopen", data={"csrf": csrf})
    async with app.sessions() as session:
        audit = [
            (entry.actor, entry.action, entry.detail)
            for entry in await session.scalars(
                select(AuditEntry).where(AuditEntry.action.startswith("feedback-"))
            )
        ]
        handled = [await store.find(session, reference=r) for r in (by_chat, by_web)]
    done = ["feedback-answer", "feedback-close", "feedback-reopen"]
    assert sorted(audit) == sorted((STAFF, action, r) for r in (by_chat, by_web) for action in done)
    assert [row.status for row in handled if row is not None] == ["answered", "answered"]


async def test_inbox_filters_search_and_pages(app: App, client: Client) -> None:
    for number in range(30):
        await citizen_feedback(app, f"Idee Nummer {number} zum Radweg", user=f"console:p{number}")
    await citizen_feedback(app, "Mehr Bänke im Park", user="console:other", contact=False)
    await sign_in(client, app, STAFF)
    first = text_of(await (await client.get("/web/feedback")).text())
    assert "31 Rückmeldungen gefunden" in first and "Seite 1 von 2" in first
    assert "Mehr Bänke im Park" in first  # newest first
    second = text_of(await (await client.get("/web/feedback?page=2")).text())
    assert "Seite 2 von 2" in second and "Idee Nummer 0 zum Radweg" in second
    searched = text_of(await (await client.get("/web/feedback?q=bänke+PARK")).text())
    assert "1 Rückmeldung gefunden" in searched and "Radweg" not in searched
    none = text_of(await (await client.get("/web/feedback?status=closed")).text())
    assert "0 Rückmeldungen gefunden" in none
    bad = await client.get("/web/feedback?rating=9&from=gestern")
    said = text_of(await bad.text())
    assert bad.status == 200
    assert "„9“ ist keine Bewertung" in said and "„gestern“ ist kein Datum" in said
    assert "31 Rückmeldungen gefunden" in said  # the other filters still apply
    for far in ("from=0001-01-01", "until=9999-12-31"):  # no overflow, one line
        edge = await client.get(f"/web/feedback?{far}")
        assert edge.status == 200 and "ist kein Datum" in text_of(await edge.text())


async def test_a_search_for_a_common_word_counts_up_to_a_limit(
    app: App, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(web_feedback, "MOST_FOUND", 30)  # 1,000 in earnest
    for number in range(32):
        await citizen_feedback(app, f"Ärger Nummer {number} am Radweg", user=f"console:p{number}")
    await sign_in(client, app, STAFF)
    found = text_of(await (await client.get("/web/feedback?q=ÄRGER+radweg&page=7")).text())
    assert "Mehr als 30 Rückmeldungen gefunden; die neuesten stehen hier" in found
    assert "Seite 2 von 2" in found and "Ärger Nummer 2 am Radweg" in found
    assert "Ärger Nummer 1 am Radweg" not in found  # the 31st and 32nd: beyond the limit
    few = text_of(await (await client.get("/web/feedback?q=nummer+3")).text())
    assert "3 Rückmeldungen gefunden" in few  # 3, 30 and 31: a word's beginning


async def test_export_as_csv_and_json(app: App, client: Client) -> None:
    _, reference = await citizen_feedback(app, '=HYPERLINK("x") bitte mehr Licht')
    await sign_in(client, app, STAFF)
    csv_file = await client.get("/web/feedback/export.csv")
    assert csv_file.headers["Content-Disposition"].startswith("attachment;")
    body = (await csv_file.read()).decode("utf-8-sig")
    assert body.splitlines()[0].startswith("reference,created_at,topic")
    assert reference in body and "'=HYPERLINK" in body
    records = await (await client.get("/web/feedback/export.json")).json(content_type=None)
    assert [r["reference"] for r in records] == [reference]


async def test_markup_is_shown_as_text_under_a_strict_policy(app: App, client: Client) -> None:
    _, reference = await citizen_feedback(app, '<script>alert("x")</script><b>fett</b>')
    csrf = await sign_in(client, app, STAFF)
    page = await client.get(f"/web/feedback/{reference}")
    html = await page.text()
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'self';" in policy
    assert "unsafe" not in policy and "<script>" not in html  # no script written into a page
    answer = "<img src=x onerror=alert(1)>"
    sent = await client.post(
        f"/web/feedback/{reference}/answer", data={"csrf": csrf, "text": answer}
    )
    assert "<img src=x" not in await sent.text() and "&lt;img src=x" in await sent.text()


async def test_a_too_long_answer_is_refused_naming_the_limit(app: App, client: Client) -> None:
    chat, reference = await citizen_feedback(app, "Frage zum Parken")
    csrf = await sign_in(client, app, STAFF)
    draft = "Sehr lange Antwort" + "!" * 9_982  # 10,000 characters
    refused = await client.post(
        f"/web/feedback/{reference}/answer", data={"csrf": csrf, "text": draft}
    )
    page = await refused.text()
    assert refused.status == 422
    assert "Die Antwort hat 10.000 Zeichen; höchstens 4.096, bitte" in text_of(page)
    assert draft in page  # nothing lost: the text is back in the field
    assert "Antwort von KL.digital" not in await chat.ask("/help")


async def test_a_deleted_feedback_is_a_404_page(app: App, client: Client) -> None:
    chat, reference = await citizen_feedback(app, "Bitte löschen")
    await sign_in(client, app, STAFF)
    await chat.ask("/deleteme")
    await chat.ask("1")  # yes, delete everything
    gone = await client.get(f"/web/feedback/{reference}")
    assert gone.status == 404
    assert "Diese Seite gibt es nicht" in text_of(await gone.text())
    unknown = await client.get("/web/nothing-here")
    assert unknown.status == 404


async def test_refused_without_a_session_or_form_token(app: App, client: Client) -> None:
    _, reference = await citizen_feedback(app, "Text")
    for path in ("/web/", "/web/feedback", f"/web/feedback/{reference}", "/web/digest"):
        nobody = await client.get(path)
        assert nobody.status == 401, path
        assert "/web" in text_of(await nobody.text())
    posted = await client.post(f"/web/feedback/{reference}/close", data={})
    assert posted.status == 401
    csrf = await sign_in(client, app, STAFF)
    forged = await client.post(f"/web/feedback/{reference}/close", data={"csrf": "guessed"})
    assert forged.status == 403
    assert "nicht angenommen" in text_of(await forged.text())
    missing = await client.post(f"/web/feedback/{reference}/close")
    assert missing.status == 403
    async with app.sessions() as session:
        row = await store.find(session, reference=reference)
        assert row is not None and row.status != "closed"
    assert csrf  # the real token works (other tests)


async def test_the_board_reads_the_overview_and_digest_but_changes_nothing(
    app: App, client: Client
) -> None:
    _, reference = await citizen_feedback(app, "Lob für das Team")
    csrf = await sign_in(client, app, BOARD)
    start = await client.get("/web/")
    assert start.status == 200 and 'href="/web/feedback"' not in await start.text()
    digest = text_of(await (await client.get("/web/digest")).text())
    assert "Wochenübersicht" in digest and "Lob für das Team" in digest
    assert (await client.get("/web/feedback")).status == 403
    assert (await client.get(f"/web/feedback/{reference}")).status == 403
    posted = await client.post(f"/web/feedback/{reference}/close", data={"csrf": csrf})
    assert posted.status == 403
    async with app.sessions() as session:
        row = await store.find(session, reference=reference)
        assert row is not None and row.status == "new"
    signed_out = await client.post("/web/logout", data={"csrf": csrf})
    assert "abgemeldet" in text_of(await signed_out.text())
    assert (await client.get("/web/")).status == 401


async def test_a_link_works_once_within_ten_minutes(app: App, client: Client) -> None:
    used = await link_for(app, STAFF)
    assert (await client.post("/web/login", data={"token": token_of(used)})).status == 200
    again = await client.get(used)
    assert again.status == 403 and "nur einmal" in text_of(await again.text())
    late = await link_for(app, STAFF)
    with time_machine.travel(datetime.now().astimezone() + timedelta(minutes=11)):
        expired = await client.post("/web/login", data={"token": token_of(late)})
    assert expired.status == 403
    assert (await client.get("/web/login/made-up")).status == 403


async def test_failed_links_are_rate_limited_and_logged(app: App, client: Client) -> None:
    for attempt in range(10):
        assert (await client.get(f"/web/login/wrong{attempt}")).status == 403
    blocked = await client.get("/web/login/wrong-again")
    assert blocked.status == 429 and "15 Minuten" in text_of(await blocked.text())
    good = await link_for(app, STAFF)  # behind a proxy everyone shares one address:
    assert (await client.get(good)).status == 200  # a valid link still works
    async with app.sessions() as session:
        failures = await roles.count_actions(
            session,
            actor="web:127.0.0.1",
            action="web-login-failed",
            since=datetime.now().astimezone() - timedelta(hours=1),
        )
    assert failures == 10


async def test_roles_are_checked_on_every_request(app: App, client: Client, config: Config) -> None:
    async with app.sessions() as session, session.begin():
        await roles.grant(session, identity="telegram:77", role="staff", by="test")
    await sign_in(client, app, "telegram:77")
    assert (await client.get("/web/feedback")).status == 200
    async with app.sessions() as session, session.begin():
        await roles.revoke(session, identity="telegram:77", role="staff", by="test")
    gone = await client.get("/web/feedback")
    assert gone.status == 403 and "telegram:77" in text_of(await gone.text())


async def test_a_session_ends_after_eight_idle_hours(app: App, client: Client) -> None:
    start = datetime.now().astimezone()
    await sign_in(client, app, STAFF)
    assert (await client.get("/web/")).status == 200
    with time_machine.travel(start + timedelta(hours=7)):  # working all day
        assert (await client.get("/web/")).status == 200
    with time_machine.travel(start + timedelta(hours=14)):  # 7 h after the last request
        assert (await client.get("/web/")).status == 200
    with time_machine.travel(start + timedelta(hours=22, minutes=1)):  # 8 h idle
        assert (await client.get("/web/")).status == 401


async def test_the_session_cookie_is_strict(app: App, client: Client) -> None:
    path = await link_for(app, STAFF)
    signed = await client.post("/web/login", data={"token": token_of(path)}, allow_redirects=False)
    cookie = signed.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/web" in cookie
    assert "Max-Age" not in cookie and "expires" not in cookie.lower()  # the server ends it
    assert "Secure" not in cookie  # base_url is http here


async def test_web_in_chat_sends_a_link_to_staff_and_board_only(app: App, client: Client) -> None:
    staff = Chat(dispatcher_for(app, app.config), user=STAFF, surface=CONSOLE)
    said = await staff.ask("/web")
    assert "10 Minuten gültig, einmal" in said
    link = re.search(r"http://127\.0\.0\.1:8080(/web/login/\S+)", said)
    assert link is not None, said
    assert (await client.get(link.group(1))).status == 200
    citizen = Chat(dispatcher_for(app, app.config), user=CITIZEN, surface=CONSOLE)
    assert "/web/login" not in await citizen.ask("/web")
    group = Incoming(
        chat=Identity.parse("matrix:!room:example.org"),
        sender=Identity.parse(STAFF),
        text="/web",
        is_direct=False,
    )
    replies = await app.dispatcher.handle(group, CONSOLE)
    assert "/web/login" not in replies[0].text and "direkten Chat" in replies[0].text


async def readable_anywhere(app: App, secret: str) -> list[str]:
    """Every table whose stored rows contain ``secret``."""
    found = []
    async with app.sessions() as session:
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(select(table))).all()
            if any(secret in str(value) for row in rows for value in row):
                found.append(table.name)
    return found


async def link_by_chat(app: App, identity: str, surface: Surface) -> tuple[str, str]:
    """/web from ``identity`` (granted staff) on ``surface``: the reply and the link's path."""
    async with app.sessions() as session, session.begin():
        await roles.grant(session, identity=identity, role="staff", by="test")
    said = await Chat(dispatcher_for(app, app.config), user=identity, surface=surface).ask("/web")
    link = re.search(r"http://127\.0\.0\.1:8080(/web/login/\S+)", said)
    assert link is not None, said
    return said, link.group(1)


async def test_a_sign_in_link_is_not_kept_once_sent(app: App, client: Client) -> None:
    _, path = await link_by_chat(app, "telegram:4711", Surface(buttons=True))
    token = token_of(path)
    assert await readable_anywhere(app, token) == ["outbox"]  # to be sent
    async with app.sessions() as session, session.begin():  # sent as the sender does
        due = await outbox.reserve(
            session, platforms=["telegram"], until=datetime.now().astimezone(), sender="w1"
        )
    assert [token in message.text for message in due] == [True]
    async with app.sessions() as session, session.begin():
        assert await sending.claim(session, message_id=due[0].id, sender="w1")
    async with app.sessions() as session, session.begin():
        await sending.mark_sent_many(session, sent=[(due[0].id, "99")])
    assert await readable_anywhere(app, token) == []
    async with app.sessions() as session:
        kept = await session.get_one(OutboxMessage, due[0].id)
        assert kept.text == outbox.SECRET_REMOVED and kept.sent_at is not None
    assert (await client.post("/web/login", data={"token": token})).status == 200  # it works


async def test_a_sign_in_link_shown_or_given_up_is_not_kept(app: App, client: Client) -> None:
    said, shown = await link_by_chat(app, "console:eva", CONSOLE)  # the console shows it at once
    assert "10 Minuten gültig" in said and await readable_anywhere(app, token_of(shown)) == []
    _, refused = await link_by_chat(app, "telegram:4712", Surface(buttons=True))
    async with app.sessions() as session, session.begin():  # the person blocked the bot
        await outbox.give_up_chat(session, chat="telegram:4712", reason="blocked")
    assert await readable_anywhere(app, token_of(refused)) == []
    _, stuck = await link_by_chat(app, "telegram:4713", Surface(buttons=True))
    soon = await apply_retention(app.sessions, app.config, datetime.now().astimezone())
    assert soon.secrets_expired == 0 and await readable_anywhere(app, token_of(stuck))
    later = datetime.now().astimezone() + timedelta(minutes=11)
    expired = await apply_retention(app.sessions, app.config, later)
    assert expired.secrets_expired == 1 and await readable_anywhere(app, token_of(stuck)) == []
    async with app.sessions() as session:  # never sent after it expired
        assert not await outbox.reserve(session, platforms=["telegram"], until=later)


def test_web_login_in_the_shell(tmp_path: Path, env: dict[str, str]) -> None:
    settings = tmp_path / "klbot.toml"
    settings.write_text(
        f'[roles]\nstaff = ["{STAFF}"]\n[web]\nenabled = true\n'
        'base_url = "https://klbot.example.org/"\n',
        encoding="utf-8",
    )
    env = env | {"KLBOT_CONFIG": str(settings)}
    done = klbot(env, "web", "login", STAFF)
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(r"https://klbot\.example\.org/web/login/[\w-]{40,}\n", done.stdout)
    refused = klbot(env, "web", "login", CITIZEN)
    assert refused.returncode == 2
    assert (
        refused.stderr
        == f"klbot: {CITIZEN} holds no staff, board or admin role, so it cannot sign in\n"
    )
    wrong = klbot(env, "web", "login", "somebody")
    assert wrong.returncode == 2 and "platform:id" in wrong.stderr


async def test_the_start_page_charts_what_happened(app: App, client: Client) -> None:
    asker = Chat(dispatcher_for(app, app.config), user="console:q", surface=CONSOLE)
    assert "Rombach" in await asker.ask("Wer ist der CDO?")
    await asker.ask("👍")
    await asker.ask("Wo kann ich mein Fahrrad reparieren lassen?")  # no answer known
    async with app.sessions() as session, session.begin():
        person = await people.get_or_create_person(session, identity="console:r")
        for rating in (4, 4, 1, None):
            await store.add_feedback(
                session,
                person_id=person.id,
                platform="console",
                topic="bot",
                rating=rating,
                text="Bewertung",
                language="de",
                may_contact=False,
            )
    await sign_in(client, app, BOARD)
    page = await (await client.get("/web/")).text()
    shown = text_of(page)
    assert "Rückmeldungen pro Woche nach Thema (die letzten 8 Wochen)" in shown
    assert "Dieser Bot" in shown  # the topic's name in the legend table
    assert "★4 2" in shown and "★1 1" in shown and "ohne Bewertung 1" in shown
    assert "Fahrrad reparieren lassen? 1" in shown  # a gap
    assert "Letzte Ankündigungen: Zustellquote" in shown and "Noch keine Daten." in shown
    pictures = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', page)
    assert len(pictures) == 4  # the announcements chart has nothing to draw yet
    drawn = base64.b64decode(pictures[2]).decode()
    assert drawn.startswith("<?xml") and "pygal" in drawn  # an <img>: its script never runs
    assert "img-src 'self' data:" in (await client.get("/web/")).headers["Content-Security-Policy"]


BERLIN = ZoneInfo("Europe/Berlin")


async def test_the_charts_count_by_the_day_in_berlin(app: App, client: Client) -> None:
    async with app.sessions() as session, session.begin():
        person = await people.get_or_create_person(session, identity="console:r")
        filed = await store.add_feedback(
            session,
            person_id=person.id,
            platform="console",
            topic="bot",
            rating=5,
            text="Montag, kurz nach Mitternacht",
            language="de",
            may_contact=False,
        )
        filed.created_at = datetime(2025, 12, 1, 0, 30, tzinfo=BERLIN)  # Sunday 23:30 in UTC
        asked = datetime(2025, 12, 3, 0, 30, tzinfo=BERLIN)  # 2 December 23:30 in UTC
        session.add(AnswerLog(entry_id="rombach", language="de", helpful=True, created_at=asked))
        session.add(
            UnansweredQuestion(text="Wo?", normalised="wo", language="de", created_at=asked)
        )
    await sign_in(client, app, BOARD)
    with time_machine.travel(datetime(2025, 12, 3, 0, 45, tzinfo=BERLIN)):  # "today": 3 Dec
        shown = text_of(await (await client.get("/web/")).text())
    assert "24.11. 0 01.12. 1" in shown  # the week of Monday 1 December
    assert "02.12. 0 0 – – 03.12. 1 1 50 100" in shown  # the questions of 3 December


async def test_days_follow_summer_time_in_berlin(app: App) -> None:
    """Around the change to summer time (30 March 2025, 01:00 UTC), each moment counts
    for its day in Berlin: 00:30 is 23:30 UTC before the change and 22:30 after it."""
    moments = [
        datetime(2025, 3, 29, 23, 30, tzinfo=UTC),  # 30 March 00:30 CET
        datetime(2025, 3, 30, 21, 59, tzinfo=UTC),  # 30 March 23:59 CEST
        datetime(2025, 3, 30, 22, 30, tzinfo=UTC),  # 31 March 00:30 CEST
        datetime(2025, 10, 25, 22, 30, tzinfo=UTC),  # 26 October 00:30 CEST
        datetime(2025, 10, 26, 23, 30, tzinfo=UTC),  # 27 October 00:30 CET
    ]
    async with app.sessions() as session, session.begin():
        for moment in moments:
            session.add(AnswerLog(entry_id="rombach", language="de", created_at=moment))
    async with app.sessions() as session:
        since = datetime(2025, 3, 29, tzinfo=BERLIN)
        found = await dashboard.questions_per_day(session, since=since, zone=BERLIN)
    assert [(d.day.isoformat(), d.answered) for d in found] == [
        ("2025-03-30", 2),
        ("2025-03-31", 1),
        ("2025-10-26", 1),
        ("2025-10-27", 1),
    ]


async def test_knowledge_import_shows_each_problem_and_teaching_closes_a_gap(
    app: App, client: Client
) -> None:
    asker = Chat(dispatcher_for(app, app.config), user="console:q", surface=CONSOLE)
    await asker.ask("Wer leitet die Stadtwerke-Kantine?")  # nothing answers it
    csrf = await sign_in(client, app, STAFF)
    page = text_of(await (await client.get("/web/knowledge")).text())
    assert "Fragen ohne Antwort (die letzten 30 Tage)" in page
    assert "Wer leitet die Stadtwerke-Kantine? (1-mal gefragt)" in page
    broken = default_text().replace("[organisation]", '[organisation]\ncolour = "<b>blau</b>"', 1)
    broken = broken.replace('id = "article-2017-11-15"', 'id = ""', 1)
    form = FormData()
    form.add_field("csrf", csrf)
    form.add_field("file", broken.encode(), filename="kb.toml", content_type="text/plain")
    refused = await client.post("/web/knowledge/import", data=form)
    said = text_of(await refused.text())
    assert refused.status == 422
    assert "Die Datei hat Fehler; die bisherige Wissensbasis bleibt aktiv" in said
    assert "web:kb.toml: organisation colour: unknown field" in said
    async with app.sessions() as session:
        version = (await app.services.knowledge.current(session)).version
    fine = FormData()
    fine.add_field("csrf", csrf)
    fine.add_field("file", default_text().encode(), filename="kb.toml")
    imported = text_of(await (await client.post("/web/knowledge/import", data=fine)).text())
    assert f"Version {version + 1} aus web:kb.toml" in imported
    reloaded = await client.post("/web/knowledge/reload", data={"csrf": csrf})
    assert "aus der mitgelieferten Datei" in text_of(await reloaded.text())  # as /reload says
    async with app.sessions() as session:
        gaps = await knowledge_store.gaps(session, since=datetime.now().astimezone() - timedelta(1))
    taught = await client.post(
        "/web/knowledge/teach", data={"csrf": csrf, "gap": str(gaps[0].ref), "entry": "rombach"}
    )
    assert "Gelernt" in text_of(await taught.text())
    assert "Rombach" in await asker.ask("Wer leitet die Stadtwerke-Kantine?")


async def test_compose_preview_plan_approve_and_cancel_an_announcement(
    config: Config, client: Client, app: App
) -> None:
    four_eyes = app.config.announcements.model_copy(update={"four_eyes": True})
    app.config = app.config.model_copy(
        update={
            "announcements": four_eyes,
            "roles": app.config.roles.model_copy(update={"staff": [STAFF, "console:tom"]}),
        }
    )
    async with app.sessions() as session, session.begin():
        ana = await people.get_or_create_person(session, identity=CITIZEN)
        await subscriptions.subscribe(
            session, chat=CITIZEN, person_id=ana.id, topic="all", language="de"
        )
    csrf = await sign_in(client, app, STAFF)
    form = text_of(await (await client.get("/web/announcements")).text())
    assert "Alle Abonnenten (1 Empfänger)" in form and "Mitarbeitende (2 Empfänger)" in form
    draft = {"csrf": csrf, "audience": "all", "text_de": "<b>Straßenfest</b> am Samstag"}
    late = await client.post("/web/announcements/preview", data=draft | {"when": "gestern"})
    assert late.status == 422 and "&lt;b&gt;Straßenfest&lt;/b&gt; am Samstag" in await late.text()
    previewed = await client.post(
        "/web/announcements/preview", data=draft | {"when": "jeden Montag um 9"}
    )
    shown = text_of(await previewed.text())
    assert "Vorschau: So lesen es die Empfänger auf Telegram und Matrix" in shown
    assert "📣 KL.digital <b>Straßenfest</b> am Samstag" in shown and "/unsubscribe" in shown
    assert "Geht raus: jeden Montag um 09:00" in shown
    filed = await client.post("/web/announcements", data=draft | {"when": "jeden Montag um 9"})
    said = text_of(await filed.text())
    number = re.search(r"Ankündigung #(\d+) an alle wartet auf die Freigabe", said)
    assert number is not None, said
    assert "wartet auf Freigabe" in said and f"#{number.group(1)} freigeben" not in said
    own = await client.post(f"/web/announcements/{number.group(1)}/approve", data={"csrf": csrf})
    assert own.status == 409 and "zweite Person" in text_of(await own.text())
    second = await open_console(app)
    try:
        tom = await sign_in(second, app, "console:tom")
        listed = text_of(await (await second.get("/web/announcements")).text())
        assert f"#{number.group(1)} freigeben" in listed
        approved = await second.post(
            f"/web/announcements/{number.group(1)}/approve", data={"csrf": tom}
        )
        assert f"Ankündigung #{number.group(1)} ist geplant" in text_of(await approved.text())
    finally:
        await second.close()
    cancelled = await client.post(
        f"/web/announcements/{number.group(1)}/cancel", data={"csrf": csrf}
    )
    assert f"Ankündigung #{number.group(1)} ist abgesagt." in text_of(await cancelled.text())
    assert "Keine offenen Ankündigungen." in text_of(await cancelled.text())


async def test_an_announcement_to_staff_goes_out_at_once(app: App, client: Client) -> None:
    csrf = await sign_in(client, app, STAFF)
    sent = await client.post(
        "/web/announcements",
        data={"csrf": csrf, "audience": "staff", "text_de": "Teamtreffen um 10", "when": ""},
    )
    assert "geht jetzt raus" in text_of(await sent.text())
    staff = Chat(dispatcher_for(app, app.config), user=STAFF, surface=CONSOLE)
    assert "Teamtreffen um 10" in await staff.ask("/status")


async def test_an_announcement_whose_time_passed_is_sent_now_on_request(
    app: App, client: Client
) -> None:
    app.config = app.config.model_copy(
        update={
            "announcements": app.config.announcements.model_copy(update={"four_eyes": True}),
            "roles": app.config.roles.model_copy(update={"staff": [STAFF, "console:tom"]}),
        }
    )
    csrf = await sign_in(client, app, STAFF)
    draft = {"csrf": csrf, "audience": "all", "text_de": "Straßenfest", "when": "morgen 9 Uhr"}
    filed = text_of(await (await client.post("/web/announcements", data=draft)).text())
    number = re.search(r"Ankündigung #(\d+) an alle wartet", filed)
    assert number is not None, filed
    second = await open_console(app)
    try:
        with time_machine.travel(datetime.now().astimezone() + timedelta(days=3)):
            tom = await sign_in(second, app, "console:tom")
            approve = f"/web/announcements/{number.group(1)}/approve"
            listed = text_of(await (await second.get("/web/announcements")).text())
            assert f"#{number.group(1)} freigeben und jetzt senden" in listed
            passed = text_of(await (await second.post(approve, data={"csrf": tom})).text())
            assert "schon vorbei" in passed and f"/edit {number.group(1)}" in passed
            sent = await second.post(approve, data={"csrf": tom, "now": "1"})
            assert "geht jetzt raus" in text_of(await sent.text())
    finally:
        await second.close()


def four_eyes_with_tom(app: App) -> None:
    """Announcements to everyone need a second person; console:tom is staff as well."""
    app.config = app.config.model_copy(
        update={
            "announcements": app.config.announcements.model_copy(update={"four_eyes": True}),
            "roles": app.config.roles.model_copy(update={"staff": [STAFF, "console:tom"]}),
        }
    )


async def planned_announcement(client: Client, csrf: str, **fields: str) -> str:
    """File an announcement through the web form; its number."""
    draft = {"audience": "staff", "text_de": "Teamtreffen", "when": "morgen 9 Uhr"} | fields
    filed = text_of(
        await (await client.post("/web/announcements", data=draft | {"csrf": csrf})).text()
    )
    found = re.search(r"Ankündigung #(\d+) (ist geplant|an alle wartet)", filed)
    assert found is not None, filed
    return found.group(1)


async def test_staff_change_a_planned_announcement_as_edit_does_in_chat(
    app: App, client: Client
) -> None:
    csrf = await sign_in(client, app, STAFF)
    number = await planned_announcement(client, csrf, text_de="Teamtreffen am Montag")
    listed = await (await client.get("/web/announcements")).text()
    assert f'href="/web/announcements/{number}">#{number} ändern</a>' in listed
    page = await client.get(f"/web/announcements/{number}")
    form = await page.text()
    assert ">Teamtreffen am Montag</textarea>" in form  # the form holds the texts as they are
    assert "Leer: bleibt, wie es ist (" in text_of(form)
    saved = await client.post(
        f"/web/announcements/{number}/edit",
        data={
            "csrf": csrf,
            "audience": "board",
            "text_de": "Teamtreffen am Freitag",
            "text_en": "Team meeting on Friday",
            "when": "jeden Freitag 10 Uhr",
        },
    )
    shown = text_of(await saved.text())
    assert str(saved.url).endswith(f"/web/announcements?done=saved&id={number}")
    assert f"Ankündigung #{number} ist gespeichert." in shown
    assert f"#{number} · jeden Freitag um 10:00" in shown and "· Beirat ·" in shown
    assert "Teamtreffen am Freitag" in shown
    staff = Chat(dispatcher_for(app, app.config), user=STAFF, surface=CONSOLE)
    in_chat = await staff.ask(f"/edit {number}")  # the chat sees the same announcement
    assert "Team meeting on Friday" in in_chat and "An: Beirat" in in_chat
    await staff.ask("/cancel")
    kept = await client.post(
        f"/web/announcements/{number}/edit",
        data={
            "csrf": csrf,
            "audience": "board",
            "text_de": "Teamtreffen am Freitag",
            "text_en": "",  # removes the English text
            "when": "",  # keeps the rule
        },
    )
    assert f"Ankündigung #{number} ist gespeichert." in text_of(await kept.text())
    async with app.sessions() as session:
        row = await announcements.get(session, announcement_id=int(number))
        assert row is not None and row.text_en is None and row.cron == "0 10 * * fri"
        edits = await roles.count_actions(
            session, actor=STAFF, action="edit", since=datetime.now().astimezone() - timedelta(1)
        )
    assert edits == 2  # audited, as in chat
    same = await client.post(
        f"/web/announcements/{number}/edit",
        data={"csrf": csrf, "audience": "board", "text_de": "Teamtreffen am Freitag"},
    )
    assert f"An Ankündigung #{number} wurde nichts geändert." in text_of(await same.text())


async def test_a_change_after_approval_needs_a_second_person_again(
    app: App, client: Client
) -> None:
    four_eyes_with_tom(app)
    csrf = await sign_in(client, app, STAFF)
    number = await planned_announcement(client, csrf, audience="all", text_de="Straßenfest")
    second = await open_console(app)
    try:
        tom = await sign_in(second, app, "console:tom")
        await second.post(f"/web/announcements/{number}/approve", data={"csrf": tom})
        changed = await second.post(
            f"/web/announcements/{number}/edit",
            data={"csrf": tom, "audience": "all", "text_de": "Straßenfest fällt aus"},
        )
        said = text_of(await changed.text())
        assert f"Ankündigung #{number} an alle hat sich geändert" in said
        assert f"#{number} · " in said and "wartet auf Freigabe" in said
        assert f"#{number} freigeben" not in said  # nobody approves their own change
        own = await second.post(f"/web/announcements/{number}/approve", data={"csrf": tom})
        assert own.status == 409 and "zweite Person" in text_of(await own.text())
    finally:
        await second.close()
    listed = text_of(await (await client.get("/web/announcements")).text())
    assert f"#{number} freigeben" in listed  # the author approves the other's change
    approved = await client.post(f"/web/announcements/{number}/approve", data={"csrf": csrf})
    assert f"Ankündigung #{number} ist geplant" in text_of(await approved.text())


async def test_a_bad_change_says_what_is_wrong_per_field_and_keeps_the_form(
    app: App, client: Client
) -> None:
    csrf = await sign_in(client, app, STAFF)
    number = await planned_announcement(client, csrf, text_de="Sprechstunde")
    refused = await client.post(
        f"/web/announcements/{number}/edit",
        data={
            "csrf": csrf,
            "audience": "topic:tag:Nirgendwo",
            "text_de": "",
            "text_en": "Office hours <b>moved</b>",
            "when": "irgendwann bald",
        },
    )
    page = await refused.text()
    said = text_of(page)
    assert refused.status == 422
    problems = re.search(r'<ul class="problems" role="alert" id="problems">(.*?)</ul>', page, re.S)
    assert problems is not None and problems.group(1).count("<li>") == 3
    assert "Bitte wähl die Empfänger aus der Liste." in said
    assert "Bitte schreib den deutschen Text" in said
    assert "„irgendwann bald“ verstehe ich nicht als Zeitpunkt" in said
    assert ">Office hours &lt;b&gt;moved&lt;/b&gt;</textarea>" in page  # nothing lost
    assert 'value="irgendwann bald"' in page and 'id="when" name="when"' in page
    assert 'aria-invalid="true">' in page
    too_long = await client.post(
        f"/web/announcements/{number}/edit",
        data={"csrf": csrf, "audience": "staff", "text_de": "x" * 5000},
    )
    assert too_long.status == 422
    assert "Ein Text hat 5.000 Zeichen; höchstens 4.096, bitte." in text_of(await too_long.text())
    async with app.sessions() as session:
        row = await announcements.get(session, announcement_id=int(number))
        assert row is not None and row.text_de == "Sprechstunde" and row.text_en is None
    await client.post(f"/web/announcements/{number}/cancel", data={"csrf": csrf})
    late = await client.post(
        f"/web/announcements/{number}/edit",
        data={"csrf": csrf, "audience": "staff", "text_de": "Doch noch"},
    )
    assert late.status == 409
    assert f"Ankündigung #{number} lässt sich nicht mehr ändern" in text_of(await late.text())
    assert (await client.get("/web/announcements/99999999999999999999")).status == 404


async def test_changing_an_announcement_is_for_staff_with_the_form_token(
    app: App, client: Client
) -> None:
    csrf = await sign_in(client, app, STAFF)
    number = await planned_announcement(client, csrf, text_de="Unverändert")
    change = {"audience": "staff", "text_de": "Geändert"}
    edit = f"/web/announcements/{number}/edit"
    assert (await client.post(edit, data=change)).status == 403  # no token
    assert (await client.post(edit, data=change | {"csrf": "guessed"})).status == 403
    board = await open_console(app)
    citizen = await open_console(app)
    nobody = await open_console(app)
    try:
        token = await sign_in(board, app, BOARD)
        refused = await board.post(edit, data=change | {"csrf": token})
        assert refused.status == 403 and "nur für Mitarbeitende" in text_of(await refused.text())
        assert (await board.get(f"/web/announcements/{number}")).status == 403
        assert (await board.get(f"/web/announcements/{number}/progress")).status == 403
        async with app.sessions() as session, session.begin():  # a session made around /web
            cookie, row = await web_store.open_session(session, identity=CITIZEN)
            citizen_csrf = row.csrf
        citizen.session.cookie_jar.update_cookies({"klbot_session": cookie})
        shut = await citizen.post(edit, data=change | {"csrf": citizen_csrf})
        assert shut.status == 403 and "keine Rolle" in text_of(await shut.text())
        assert (await nobody.post(edit, data=change)).status == 401
        assert (await nobody.get(f"/web/announcements/{number}/progress")).status == 401
    finally:
        for opened in (board, citizen, nobody):
            await opened.close()
    async with app.sessions() as session:
        stored = await announcements.get(session, announcement_id=int(number))
        assert stored is not None and stored.text_de == "Unverändert"


async def test_previews_show_telegram_and_matrix_and_markup_as_text(
    app: App, client: Client
) -> None:
    csrf = await sign_in(client, app, STAFF)
    form = await client.get("/web/announcements")
    page = await form.text()
    assert re.findall(r"<script[^>]*>", page) == [
        '<script src="/web/static/announcements.js" defer>'
    ]  # one script, from the console's own files, nothing inline
    assert "script-src 'self';" in form.headers["Content-Security-Policy"]
    assert "connect-src 'self';" in form.headers["Content-Security-Policy"]
    script = await client.get("/web/static/announcements.js")
    assert script.status == 200 and "javascript" in script.content_type
    draft = {
        "csrf": csrf,
        "audience": "all",
        "text_de": '<script>alert("de")</script> Straßenfest',
        "text_en": "<img src=x onerror=alert(1)> Street party",
        "when": "morgen 9 Uhr",
    }
    previewed = await (await client.post("/web/announcements/preview", data=draft)).text()
    assert "<script>alert" not in previewed and "<img src=x" not in previewed
    platforms = re.findall(r'<section class="platform (\w+)"', previewed)
    assert platforms == ["telegram", "matrix"]
    escaped = "&lt;script&gt;alert(&#34;de&#34;)&lt;/script&gt; Straßenfest"
    assert previewed.count(escaped) == 2 + 1  # each platform's bubble, and the form field
    assert previewed.count("&lt;img src=x onerror=alert(1)&gt; Street party") == 2 + 1
    shown = text_of(previewed)
    assert "Telegram auf Deutsch 📣 KL.digital <script>" in shown
    assert "Matrix auf Deutsch 📣 KL.digital <script>" in shown
    assert "Geht raus: morgen" not in shown and "Geht raus: " in shown
    live = await client.post("/web/announcements/preview/live", data=draft | {"when": "bald"})
    fragment = await live.text()
    assert live.status == 200 and "<html" not in fragment and "<script>alert" not in fragment
    assert re.findall(r'<section class="platform (\w+)"', fragment) == ["telegram", "matrix"]
    assert "„bald“ verstehe ich nicht als Zeitpunkt" in text_of(fragment)
    assert "Geht raus" not in text_of(fragment)  # no time to tell
    long = "Absatz mit Text. " * 238 + "\n\n" + "Zweiter Absatz."  # 4,063 characters
    split = await client.post(
        "/web/announcements/preview/live", data=draft | {"text_de": long, "text_en": ""}
    )
    parts = text_of(await split.text())
    # with the sender line and the unsubscribe line it is longer than Telegram's 4,096:
    assert "Telegram auf Deutsch · kommt als 2 Nachrichten an" in parts
    assert "Matrix auf Deutsch 📣" in parts  # one event on Matrix
    empty = await (await client.post("/web/announcements/preview/live", data={"csrf": csrf})).text()
    assert "Bitte schreib den deutschen Text" in text_of(empty) and 'class="platform' not in empty


async def test_a_broadcast_page_shows_its_delivery_in_german_and_english(
    app: App, client: Client
) -> None:
    async with app.sessions() as session, session.begin():
        row = await announcements.create(
            session,
            author=STAFF,
            author_identity=STAFF,
            audience="all",
            text_de="Stromausfall in der Innenstadt",
            text_en=None,
        )
        owed = [outbox.Owed(f"matrix:!r{n}:local", "Stromausfall", f"t:{n}") for n in range(1500)]
        await outbox.enqueue_many(session, owed, announcement_id=row.id)
        row.status, row.runs, row.started_at = "sending", 1, utcnow() - timedelta(minutes=2)
        number = row.id
    await sign_in(client, app, STAFF)
    page = await (await client.get(f"/web/announcements/{number}")).text()
    assert '<progress max="1500" value="0"' in page
    assert f'data-progress="/web/announcements/{number}/progress"' in page
    shown = text_of(page)
    assert "Zugestellt 0 von 1.500" in shown and "Status wird zugestellt" in shown
    assert "Restzeit bekannt, sobald die ersten Nachrichten raus sind" in shown
    listed = await (await client.get("/web/announcements")).text()
    assert f'data-progress="/web/announcements/{number}/progress"' in listed
    async with app.sessions() as session, session.begin():
        due = await outbox.reserve(
            session, platforms=["matrix"], until=utcnow() + timedelta(minutes=1), limit=500
        )
        ids = [m.id for m in due]
        await sending.mark_sent_many(session, sent=[(i, None) for i in ids[:490]])
        await sending.give_up_uncertain(session, message_ids=ids[490:])
    moving = await (await client.get(f"/web/announcements/{number}/progress")).json()
    assert moving == {
        "id": number,
        "finished": False,
        "recipients": 1500,
        "through": 500,
        "figures": {
            "delivered": "490 von 1.500",
            "undeliverable": "0",
            "uncertain": "10",
            "left": "etwa 4 Minuten",  # 500 in 2 minutes: 1,000 take 4 more
        },
    }
    assert (
        '<progress max="1500" value="500"'
        in await (await client.get(f"/web/announcements/{number}")).text()
    )
    async with app.sessions() as session, session.begin():
        rest = await outbox.reserve(
            session, platforms=["matrix"], until=utcnow() + timedelta(minutes=1), limit=1000
        )
        await sending.mark_sent_many(session, sent=[(m.id, None) for m in rest])
    staff = Chat(dispatcher_for(app, app.config), user=STAFF, surface=CONSOLE)
    await staff.ask("/language en")
    done = await (await client.get(f"/web/announcements/{number}/progress")).json()
    assert done["finished"] and done["through"] == 1500
    assert done["figures"] == {
        "delivered": "1,490 of 1,500",
        "undeliverable": "0",
        "uncertain": "10",
        "left": "none: finished",
    }
    assert 'data-finished="true"' in await (await client.get(f"/web/announcements/{number}")).text()


async def test_an_announcement_to_a_topic_gone_since_keeps_its_audience(
    app: App, client: Client
) -> None:
    """Its topic left the knowledge base: the form still offers it, so a new text does not
    quietly send it to someone else."""
    async with app.sessions() as session, session.begin():
        row = await announcements.create(
            session,
            author=STAFF,
            author_identity=STAFF,
            audience="topic:tag:Verschwunden",
            text_de="Alt",
            text_en=None,
            cron="0 9 * * mon",
        )
        number = row.id
    csrf = await sign_in(client, app, STAFF)
    page = await (await client.get(f"/web/announcements/{number}")).text()
    assert '<option value="topic:tag:Verschwunden" selected>' in page
    saved = await client.post(
        f"/web/announcements/{number}/edit",
        data={"csrf": csrf, "audience": "topic:tag:Verschwunden", "text_de": "Neu"},
    )
    assert f"Ankündigung #{number} ist gespeichert." in text_of(await saved.text())
    async with app.sessions() as session:
        stored = await announcements.get(session, announcement_id=number)
        assert stored is not None and (stored.audience, stored.text_de) == (
            "topic:tag:Verschwunden",
            "Neu",
        )
