"""The web console in a real browser (headless Chromium through Selenium), served by
klbot as ``klbot run`` serves it: signing in with a link from ``klbot web login``,
answering a citizen, and what is refused."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from selenium import webdriver
from selenium.webdriver.common.keys import Keys

from bot.core.events import Surface
from bot.runtime.app import App
from bot.runtime.config import Config, load_config
from storage import announcements, outbox, sending
from storage import web as web_store
from storage.models import utcnow
from tests.harness import Chat
from tests.shell import klbot
from tests.web.browser import Browser, start_chromium

STAFF, BOARD, CITIZEN = "console:sina", "console:bea", "console:ana"
SECOND = "console:tom"
CONSOLE = Surface(buttons=False, push=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Console:
    """klbot serving its web console, and how a shell reaches the same database."""

    app: App
    config: Config
    env: dict[str, str]
    base: str

    async def shell_link(self, identity: str) -> str:
        """``klbot web login IDENTITY``'s printed link (the test fails if it fails)."""
        done = await asyncio.to_thread(klbot, self.env, "web", "login", identity)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def citizen(self, user: str = CITIZEN) -> Chat:
        return Chat(self.app.dispatcher, user=user, surface=CONSOLE)


@pytest.fixture(scope="module")
def chromium() -> Iterator[webdriver.Chrome]:
    driver = start_chromium()
    yield driver
    driver.quit()


@pytest.fixture
async def console(db_url: str, tmp_path: Path) -> AsyncIterator[Console]:
    port = free_port()
    settings = tmp_path / "klbot.toml"
    settings.write_text(
        f'[roles]\nstaff = ["{STAFF}", "{SECOND}"]\nboard = ["{BOARD}"]\n'
        "[announcements]\nfour_eyes = true\n"
        f'[web]\nenabled = true\nbind = "127.0.0.1:{port}"\n',
        encoding="utf-8",
    )
    env = {"KLBOT_CONFIG": str(settings), "KLBOT_DATABASE_URL": db_url, "LANG": "C.UTF-8"}
    config = load_config(settings, env=env)
    stop, ready = asyncio.Event(), asyncio.Event()
    async with App.open(config) as app:
        serving = asyncio.create_task(app.serve([], stop, ready))
        await asyncio.wait_for(ready.wait(), 30)
        try:
            yield Console(app, config, env, f"http://127.0.0.1:{port}")
        finally:
            stop.set()
            await asyncio.wait_for(serving, 30)


@pytest.fixture
async def browser(chromium: webdriver.Chrome, console: Console) -> AsyncIterator[Browser]:
    opened = Browser(chromium, console.base)
    await opened.resize(1280, 900)
    yield opened
    with suppress(Exception):
        await opened.open("/web/signed-out")
        await opened.forget_cookies()


async def file_feedback(chat: Chat, text: str) -> str:
    receipt = await chat.ask(f"/feedback {text}")
    found = re.search(r"F-[A-Z0-9]{6}", receipt)
    assert found is not None, receipt
    await chat.ask("1")  # the team may contact me
    return found.group()


async def sign_in(browser: Browser, console: Console, identity: str) -> str:
    link = await console.shell_link(identity)
    assert link.startswith(console.base + "/web/login/")
    page = await browser.open(link)
    assert identity in page
    return await browser.press("Anmelden" if "Anmelden" in page else "Sign in")


async def test_staff_answer_feedback_and_the_citizen_receives_it(
    console: Console, browser: Browser
) -> None:
    citizen = console.citizen()
    reference = await file_feedback(citizen, "Am Stiftsplatz fehlt ein Fahrradständer.")
    await file_feedback(console.citizen("console:ben"), "<b>Lob</b> für die <i>schnelle</i> Hilfe")
    start = await sign_in(browser, console, STAFF)
    assert await browser.path() == "/web/"
    assert "Angemeldet als console:sina" in start
    await browser.screenshot("web-start")
    inbox = await browser.follow("Rückmeldungen")
    assert "2 Rückmeldungen gefunden" in inbox
    assert "<b>Lob</b> für die <i>schnelle</i> Hilfe" in inbox  # markup shown as text
    await browser.screenshot("web-inbox")
    shown = await browser.follow("Am Stiftsplatz fehlt ein Fahrradständer.")
    assert f"Rückmeldung {reference}" in shown and "Noch keine Antwort." in shown
    await browser.fill("Deine Antwort", "Danke! Der Ständer kommt im Mai.")
    await browser.screenshot("web-feedback")
    answered = await browser.press("Antwort senden")
    assert f"Antwort auf {reference} gespeichert und an die Person geschickt." in answered
    assert "Danke! Der Ständer kommt im Mai." in answered
    received = await citizen.ask("/status")
    assert f"Antwort von KL.digital auf deine Rückmeldung {reference}" in received
    assert "Der Ständer kommt im Mai." in received
    too_long = "x" * 10_000
    await browser.paste("Deine Antwort", too_long)
    refused = await browser.press("Antwort senden")
    assert "Die Antwort hat 10.000 Zeichen; höchstens 4.096, bitte" in refused
    kept = await browser.script("return document.getElementById('text').value")
    assert kept == too_long


async def test_refused_without_session_for_citizens_and_for_used_or_expired_links(
    console: Console, browser: Browser
) -> None:
    assert "Bitte melde dich zuerst an" in await browser.open("/web/feedback")
    done = await asyncio.to_thread(klbot, console.env, "web", "login", CITIZEN)
    assert done.returncode == 2 and "holds no staff, board or admin role" in done.stderr
    async with console.app.sessions() as session, session.begin():  # a link made around it
        token = await web_store.create_login(
            session, identity=CITIZEN, valid_for=timedelta(minutes=10)
        )
    await browser.open(f"/web/login/{token}")
    assert "keine Rolle" in await browser.press("Anmelden")
    assert "Bitte melde dich zuerst an" in await browser.open("/web/")
    link = await console.shell_link(STAFF)
    await browser.open(link)
    await browser.press("Anmelden")
    await browser.press("Abmelden")
    assert "funktioniert nicht (mehr)" in await browser.open(link)  # used
    late = await console.shell_link(STAFF)
    with time_machine.travel(datetime.now().astimezone() + timedelta(minutes=11)):
        assert "funktioniert nicht (mehr)" in await browser.open(late)  # expired


async def test_a_form_without_its_token_is_refused(console: Console, browser: Browser) -> None:
    reference = await file_feedback(console.citizen(), "Bitte mehr Mülleimer")
    await sign_in(browser, console, STAFF)
    await browser.open(f"/web/feedback/{reference}")
    await browser.fill("Deine Antwort", "Gern!")
    await browser.script("document.querySelector('form.answer [name=csrf]').remove()")
    refused = await browser.press("Antwort senden")
    assert "Das Formular wurde nicht angenommen" in refused
    assert "Antwort von KL.digital" not in await console.citizen().ask("/status")


async def test_the_board_reads_in_english_and_may_not_post(
    console: Console, browser: Browser
) -> None:
    reference = await file_feedback(console.citizen(), "Gute Arbeit!")
    await console.citizen(BOARD).ask("/language en")
    start = await sign_in(browser, console, BOARD)
    assert "Overview" in start and "Weekly digest" in start
    assert not await browser.elements("a[href='/web/feedback']")
    digest = await browser.follow("Weekly digest")
    assert "Gute Arbeit!" in digest
    await browser.screenshot("web-digest")
    assert "for staff only" in await browser.open(f"/web/feedback/{reference}")
    await browser.open("/web/")
    old = (await browser.elements("html"))[0]
    posted = await browser.script(
        """
        const form = document.createElement('form');
        form.method = 'post';
        form.action = '/web/feedback/' + arguments[0] + '/close';
        const token = document.querySelector('[name=csrf]').cloneNode();
        form.appendChild(token);
        document.body.appendChild(form);
        form.submit();
        """,
        reference,
    )
    assert posted is None
    assert "for staff only" in await browser.wait_for_new_page(old)
    async with console.app.sessions() as session:
        from storage import feedback

        row = await feedback.find(session, reference=reference)
        assert row is not None and row.status == "new"


async def test_plan_an_announcement_and_a_second_person_approves_it(
    console: Console, browser: Browser
) -> None:
    await console.citizen().ask("/subscribe")
    await console.citizen().ask("1")  # all news
    await sign_in(browser, console, STAFF)
    page = await browser.follow("Ankündigungen")
    assert "Alle Abonnenten (1 Empfänger)" in page
    await browser.fill("Text auf Deutsch", "Am Samstag ist Straßenfest am Stiftsplatz.")
    await browser.fill(
        "Text auf Englisch (optional: ohne ihn bekommen alle den deutschen)",
        "Street party on Saturday.",
    )
    await browser.fill("Wann", "jeden Montag um 9")
    previewed = await browser.press("Vorschau")
    assert "Geht raus: jeden Montag um 09:00" in previewed
    assert "Street party on Saturday." in previewed
    await browser.screenshot("web-announcements")
    filed = await browser.press("Senden oder planen")
    found = re.search(r"Ankündigung #(\d+) an alle wartet auf die Freigabe", filed)
    assert found is not None, filed
    number = found.group(1)
    assert f"#{number} freigeben" not in filed  # not by its author
    await browser.press("Abmelden")
    await sign_in(browser, console, SECOND)
    await browser.follow("Ankündigungen")
    approved = await browser.press(f"#{number} freigeben")
    assert f"Ankündigung #{number} ist geplant" in approved
    assert f"#{number} · jeden Montag um 09:00" in approved  # in the list of pending ones


async def test_every_page_works_at_360_pixels_with_labels_and_a_skip_link(
    console: Console, browser: Browser
) -> None:
    reference = await file_feedback(console.citizen(), "Bitte mehr Sitzbänke")
    await console.citizen("console:q").ask("Wo kann ich parken?")
    async with console.app.sessions() as session, session.begin():
        planned = await announcements.create(
            session,
            author=STAFF,
            author_identity=STAFF,
            audience="staff",
            text_de="Teamtreffen",
            text_en=None,
            cron="0 9 * * mon",
        )
    await sign_in(browser, console, STAFF)
    await browser.open("/web/knowledge")
    await browser.screenshot("web-knowledge")
    await browser.resize(360, 740)
    for path in (
        "/web/",
        "/web/feedback",
        f"/web/feedback/{reference}",
        "/web/announcements",
        f"/web/announcements/{planned.id}",
        "/web/knowledge",
        "/web/digest",
    ):
        await browser.open(path)
        width = await browser.script("return document.documentElement.scrollWidth")
        assert width <= 360, f"{path} is {width} px wide at 360 px"
        unlabelled = await browser.script(
            """
            return [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
              .filter(f => !f.labels || f.labels.length === 0).map(f => f.name);
            """
        )
        assert unlabelled == [], f"{path}: fields without a label: {unlabelled}"
        await browser.script("document.activeElement.blur()")
        await browser.keys(Keys.TAB)
        focused = await browser.script("return document.activeElement.textContent.trim()")
        assert focused == "Zum Inhalt springen", path
        outline = await browser.script(
            "return getComputedStyle(document.activeElement).outlineStyle"
        )
        assert outline == "solid", f"{path}: no visible focus"
    await browser.open(f"/web/feedback/{reference}")
    await browser.screenshot("web-feedback-360")


async def test_change_a_planned_announcement_and_see_it_in_the_list(
    console: Console, browser: Browser
) -> None:
    await sign_in(browser, console, STAFF)
    await browser.open("/web/announcements")
    await browser.script(
        "document.getElementById('audience').value = arguments[0]", "staff"
    )  # no approval needed for the staff
    await browser.fill("Text auf Deutsch", "Teamtreffen am Montag")
    await browser.fill("Wann", "morgen 9 Uhr")
    filed = await browser.press("Senden oder planen")
    found = re.search(r"Ankündigung #(\d+) ist geplant", filed)
    assert found is not None, filed
    number = found.group(1)
    page = await browser.follow(f"#{number} ändern")
    assert f"Ankündigung #{number}" in page and "Leer: bleibt, wie es ist" in page
    assert "Telegram\nauf Deutsch\n📣 KL.digital\n\nTeamtreffen am Montag" in page
    await browser.fill("Text auf Deutsch", "Teamtreffen am Freitag, Raum 2")
    await browser.fill("Wann", "jeden Freitag 10 Uhr")
    await browser.wait_for_text(".platform.telegram", "Teamtreffen am Freitag, Raum 2")
    await browser.wait_for_text(".preview-when", "jeden Freitag um 10:00")
    await browser.screenshot("web-announcement-edit")
    saved = await browser.press("Änderungen speichern")
    assert f"Ankündigung #{number} ist gespeichert." in saved
    assert f"#{number} · jeden Freitag um 10:00" in saved
    assert "Teamtreffen am Freitag, Raum 2" in saved and "Teamtreffen am Montag" not in saved
    await browser.follow(f"#{number} ändern")
    await browser.fill("Wann", "wenn der Blauwal kommt")
    refused = await browser.press("Änderungen speichern")
    assert (
        "„wenn der Blauwal kommt“ verstehe ich nicht als Zeitpunkt" in refused
    )  # one line, and the form keeps what was typed
    kept = await browser.script("return document.getElementById('text_de').value")
    assert kept == "Teamtreffen am Freitag, Raum 2"


async def test_the_previews_follow_the_typing_side_by_side(
    console: Console, browser: Browser
) -> None:
    await sign_in(browser, console, STAFF)
    await browser.open("/web/announcements")
    await browser.script("window.samePage = true")
    await browser.type("Text auf Deutsch", "Am Samstag <b>Straßenfest</b>")
    telegram = await browser.wait_for_text(
        ".platform.telegram [data-language=de]", "Am Samstag <b>Straßenfest</b>"
    )
    assert telegram.startswith("auf Deutsch\n📣 KL.digital\n\nAm Samstag <b>Straßenfest</b>")
    assert "/unsubscribe" in telegram
    await browser.type("Text auf Deutsch", " am Stiftsplatz")
    await browser.wait_for_text(".platform.matrix [data-language=de]", "Stiftsplatz")
    await browser.type(
        "Text auf Englisch (optional: ohne ihn bekommen alle den deutschen)", "Street party"
    )
    await browser.wait_for_text(".platform.matrix [data-language=en]", "Street party")
    await browser.type("Wann", "jeden Montag um 9")
    await browser.wait_for_text(".preview-when", "jeden Montag um 09:00")
    assert await browser.script("return window.samePage") is True  # no new page was loaded
    bold = await browser.elements(".platform b")
    assert bold == []  # markup stays text
    tops = await browser.script(
        "return [...document.querySelectorAll('.platform')].map(p => p.getBoundingClientRect())"
        ".map(r => [Math.round(r.left), Math.round(r.top)])"
    )
    assert tops[0][1] == tops[1][1] and tops[0][0] < tops[1][0]  # side by side
    await browser.resize(360, 740)
    tops = await browser.script(
        "return [...document.querySelectorAll('.platform')].map(p => p.getBoundingClientRect())"
        ".map(r => [Math.round(r.left), Math.round(r.top)])"
    )
    assert tops[0][0] == tops[1][0] and tops[0][1] < tops[1][1]  # one above the other
    width = await browser.script("return document.documentElement.scrollWidth")
    assert width <= 360
    await browser.type("Wann", " xyz")
    await browser.wait_for_text(".live-preview", "verstehe ich nicht")


async def test_a_broadcast_s_delivery_moves_on_its_page(console: Console, browser: Browser) -> None:
    async with console.app.sessions() as session, session.begin():
        row = await announcements.create(
            session,
            author=STAFF,
            author_identity=STAFF,
            audience="all",
            text_de="Stromausfall in der Innenstadt bis 14 Uhr",
            text_en=None,
        )
        owed = [outbox.Owed(f"matrix:!r{n}:local", "Stromausfall", f"b:{n}") for n in range(1500)]
        await outbox.enqueue_many(session, owed, announcement_id=row.id)
        row.status, row.runs, row.started_at = "sending", 1, utcnow() - timedelta(minutes=1)
        number = row.id

    async def deliver(count: int) -> None:
        async with console.app.sessions() as session, session.begin():
            due = await outbox.reserve(
                session, platforms=["matrix"], until=utcnow() + timedelta(minutes=1), limit=count
            )
            await sending.mark_sent_many(session, sent=[(m.id, None) for m in due])

    await sign_in(browser, console, STAFF)
    page = await browser.open(f"/web/announcements/{number}")
    assert "Zugestellt\n0 von 1.500" in page
    await browser.script("window.samePage = true")
    await deliver(1000)
    moving = await browser.wait_for_text(".delivery", "1.000 von 1.500")
    assert "etwa 1 Minute" in moving  # 1,000 in a minute: 500 take half a minute
    assert await browser.script("return document.querySelector('progress').value") == 1000
    await browser.screenshot("web-announcement-progress")
    await deliver(500)
    await browser.wait_for_text(".delivery", "keine: fertig")
    assert "1.500 von 1.500" in await browser.text()
    assert await browser.script("return window.samePage") is True  # no reload
