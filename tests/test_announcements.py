"""Subscriptions by opt-in, and announcements to the right audience in each one's language."""

from __future__ import annotations

import pytest

from bot.core.dispatcher import Dispatcher
from bot.core.events import Identity, Incoming, Surface
from bot.runtime.app import App
from bot.runtime.config import Config
from handlers.announcements import broadcast
from tests.harness import Chat, dispatcher_for, with_roles

pytestmark = pytest.mark.both_databases

CONSOLE = Surface(buttons=False, push=False)
STAFF, BOARD = "console:staff", "console:bea"


@pytest.fixture
def dispatcher(app: App, config: Config) -> Dispatcher:
    return dispatcher_for(app, with_roles(config, staff=[STAFF], board=[BOARD]))


def person(dispatcher: Dispatcher, name: str, language: str | None = None) -> Chat:
    return Chat(dispatcher, user=f"console:{name}", language=language, surface=CONSOLE)


async def test_subscribe_list_and_unsubscribe(dispatcher: Dispatcher) -> None:
    ana = person(dispatcher, "ana")
    assert "1) Alle Neuigkeiten" in (await ana.ask("/subscribe")) + "\n".join(
        f"{n}) {label}" for n, label in enumerate(ana.buttons(), 1)
    )
    assert "Abonniert: Alle Neuigkeiten" in await ana.ask("1")
    assert "schon abonniert" in await ana.ask("/subscribe alle")
    assert "Abonniert: Projekte aus der Bewerbung" in await ana.ask("/subscribe Digitale Stadt")
    listing = await ana.ask("/subscriptions")
    assert "Alle Neuigkeiten" in listing and "Digitale Stadt" in listing
    assert "Abbestellt: Projekte" in await ana.ask("/unsubscribe digitale stadt")
    assert "nicht abonniert" in await ana.ask("/unsubscribe digitale stadt")
    await ana.ask("/subscribe Digitale Stadt")
    assert "Welche Neuigkeiten" in await ana.ask("/unsubscribe")  # asks, removes nothing yet
    assert ana.buttons() == [
        "Alle Neuigkeiten",
        "Projekte aus der Bewerbung „Digitale Stadt“",
        "Alle",
    ]
    assert "alle Neuigkeiten abbestellt" in await ana.press("Alle")
    assert "noch nichts abonniert" in await ana.ask("/unsubscribe")
    assert "noch nichts abonniert" in await ana.ask("/subscriptions")
    assert "kenne ich nicht" in await ana.ask("/subscribe Mondlandung")


async def announce(staff: Chat, audience: str, german: str, english: str | None) -> str:
    await staff.ask("/announce")
    await staff.ask(str(staff.buttons().index(audience) + 1))
    await staff.ask(german)
    preview = await (staff.ask(english) if english else staff.ask("1"))
    assert "Vorschau" in preview and german in preview
    return await staff.ask("1")  # send now


async def test_audiences_and_languages(app: App, dispatcher: Dispatcher, config: Config) -> None:
    ana, ben, cleo = (
        person(dispatcher, "ana"),
        person(dispatcher, "ben", "en"),
        person(dispatcher, "cleo"),
    )
    bea, staff = person(dispatcher, "bea"), person(dispatcher, "staff")
    await ana.ask("/subscribe alle")
    await ben.ask("/subscribe Digitale Stadt")
    await cleo.ask("/start")
    await bea.ask("/start")
    project = "Abonnenten: Projekte aus der Bewerbung „Digitale Stadt“"
    sent = await announce(staff, project, "Neues zur Digitalen Stadt", "News on the Digital City")
    assert "an 2 Empfänger" in sent
    assert "Neues zur Digitalen Stadt" in await ana.ask("/start")
    assert "News on the Digital City" in await ben.ask("/start")
    assert "Digitalen Stadt" not in await cleo.ask("/start")  # never opted in
    assert "Neues zur" not in await bea.ask("/start")
    assert "an 1 Empfänger" in await announce(staff, "Beirat", "Beiratssitzung am Montag", None)
    assert "Beiratssitzung" in await bea.ask("/start")
    assert "Beiratssitzung" not in await ana.ask("/start")
    async with app.sessions() as session, session.begin():
        assert len(await broadcast.finish_delivered(session, dispatcher.config)) == 2
    report = await staff.ask("/start")
    assert "Bericht zur Ankündigung #1: 2 Empfänger, 2 zugestellt, 0 nicht zustellbar" in report
    assert "#2: 1 Empfänger, 1 zugestellt" in report


async def test_cancel_before_delivery(dispatcher: Dispatcher) -> None:
    ana, staff = person(dispatcher, "ana"), person(dispatcher, "staff")
    await ana.ask("/subscribe alle")
    assert "an 1 Empfänger" in await announce(staff, "Alle Abonnenten", "Bald gibt es WLAN", None)
    listing = await staff.ask("/scheduled")
    assert "#1 · sofort · Alle Abonnenten · bisher 0 von 1 zugestellt" in listing
    assert "1 noch nicht zugestellte" in await staff.ask("/unschedule 1")
    assert "WLAN" not in await ana.ask("/start")
    assert "Keine offenen" in await staff.ask("/scheduled")


@pytest.mark.parametrize("command", ["/announce", "/scheduled", "/unschedule 1"])
@pytest.mark.parametrize("user", ["ana", "bea"])
async def test_citizens_and_board_cannot_announce(
    dispatcher: Dispatcher, command: str, user: str
) -> None:
    assert "nur Mitarbeitenden" in await person(dispatcher, user).ask(command)


async def test_four_eyes_for_announcements_to_everyone(app: App, config: Config) -> None:
    strict = config.announcements.model_copy(update={"four_eyes": True})
    staffed = with_roles(config, staff=[STAFF, "console:sam"])
    dispatcher = dispatcher_for(app, staffed.model_copy(update={"announcements": strict}))
    ana, staff, sam = (
        person(dispatcher, "ana"),
        person(dispatcher, "staff"),
        person(dispatcher, "sam"),
    )
    await ana.ask("/subscribe alle")
    assert "wartet auf die Freigabe" in await announce(
        staff, "Alle Abonnenten", "Wichtig für alle", None
    )
    assert "Wichtig für alle" not in await ana.ask("/start")
    assert "eigene Ankündigung" in await staff.ask("/approve 1")
    assert "an 1 Empfänger" in await sam.ask("/approve 1")
    assert "Wichtig für alle" in await ana.ask("/start")
    assert "#1 muss nicht freigegeben werden" in await sam.ask("/approve 1")
    # the board is no "everyone": no approval needed
    assert "an 0 Empfänger" in await announce(staff, "Beirat", "Nur für den Beirat", None)


async def test_topic_tags(dispatcher: Dispatcher) -> None:
    ana, ben, staff = (
        person(dispatcher, "ana"),
        person(dispatcher, "ben"),
        person(dispatcher, "staff"),
    )
    assert "Abonniert: # Smart City" in await ana.ask("/subscribe #Smart City")
    await ben.ask("/subscribe Digitale Stadt")
    assert "an 1 Empfänger" in await announce(staff, "Abonnenten: # Smart City", "Smart!", None)
    assert "Smart!" in await ana.ask("/start")
    assert "Smart!" not in await ben.ask("/start")


async def test_counts_read_naturally_in_both_languages(dispatcher: Dispatcher) -> None:
    await person(dispatcher, "ana").ask("/subscribe alle")
    staff = person(dispatcher, "staff", "en")
    await staff.ask("/language en")
    await staff.ask("/announce")
    await staff.ask(str(staff.buttons().index("All subscribers") + 1))
    await staff.ask("Hallo Stadt")
    assert "Preview" in await staff.ask("Hello town")
    assert "Announcement #1 is going to 1 recipient. " in await staff.ask("1")
    german = person(dispatcher, "staff")
    await german.ask("/language de")
    await person(dispatcher, "ben").ask("/subscribe alle")
    assert "geht an 2 Empfänger." in await announce(german, "Alle Abonnenten", "Zwei", None)


async def test_announcements_name_their_sender_and_how_to_unsubscribe(
    app: App, dispatcher: Dispatcher
) -> None:
    ana, ben, bea = person(dispatcher, "ana"), person(dispatcher, "ben"), person(dispatcher, "bea")
    staff = person(dispatcher, "staff")
    await ana.ask("/subscribe alle")
    await ben.ask("/subscribe alle")  # subscribed in German, then chose English
    await ben.ask("/language en")
    await announce(staff, "Alle Abonnenten", "Sprechstunde am Montag", "Office hours on Monday")
    german = await ana.ask("/start")
    assert (
        "📣 KL.digital\n\nSprechstunde am Montag\n\nDu bekommst diese Nachricht, weil du " in german
    )
    assert "Abbestellen: /unsubscribe" in german
    english = await ben.ask("/start")
    assert (
        "📣 KL.digital\n\nOffice hours on Monday\n\nYou get this because you subscribed" in english
    )
    assert "To stop: /unsubscribe" in english and "Sprechstunde" not in english
    await announce(staff, "Beirat", "Sitzung am Dienstag", None)
    board = await bea.ask("/start")
    assert "📣 KL.digital\n\nSitzung am Dienstag" in board and "/unsubscribe" not in board


async def test_the_sender_line_comes_from_the_config(app: App, config: Config) -> None:
    named = config.announcements.model_copy(update={"sender": "📣 Stadt Kaiserslautern"})
    staffed = with_roles(config, staff=[STAFF]).model_copy(update={"announcements": named})
    dispatcher = dispatcher_for(app, staffed)
    ana, staff = person(dispatcher, "ana"), person(dispatcher, "staff")
    await ana.ask("/subscribe alle")
    await staff.ask("/announce")
    await staff.ask("1")
    await staff.ask("Hallo")
    preview = await staff.ask("1")
    assert "🇩🇪 📣 Stadt Kaiserslautern\n\nHallo" in preview  # the preview shows it too
    await staff.ask("1")
    assert "📣 Stadt Kaiserslautern\n\nHallo" in await ana.ask("/start")


@pytest.mark.parametrize(
    ("language", "cancelled", "edited", "missing"),
    [
        (
            "de",
            "Ankündigung #1 lässt sich nicht mehr absagen: sie wurde bereits zugestellt.",
            "Ankündigung #1 lässt sich nicht mehr ändern: sie wurde bereits zugestellt.",
            "Eine Ankündigung #999 gibt es nicht.",
        ),
        (
            "en",
            "Announcement #1 cannot be cancelled: it was already delivered.",
            "Announcement #1 can no longer be changed: it was already delivered.",
            "There is no announcement #999.",
        ),
    ],
)
async def test_a_delivered_announcement_is_not_cancelled_and_a_missing_one_not_found(
    app: App, dispatcher: Dispatcher, language: str, cancelled: str, edited: str, missing: str
) -> None:
    ana, staff = person(dispatcher, "ana"), person(dispatcher, "staff")
    await staff.ask(f"/language {language}")
    await ana.ask("/subscribe alle")
    await staff.ask("/announce")
    await staff.ask("1")
    await staff.ask("Bald gibt es WLAN")
    await staff.ask("1")
    await staff.ask("1")  # send now
    assert "WLAN" in await ana.ask("/start")
    async with app.sessions() as session, session.begin():
        assert await broadcast.finish_delivered(session, dispatcher.config) == [1]
    assert (await staff.ask("/unschedule 1")).endswith(f"\n\n{cancelled}")  # after the report
    assert edited in await staff.ask("/edit 1")
    assert await staff.ask("/unschedule 999") == missing
    assert await staff.ask("/edit 999") == missing


async def test_nobody_approves_their_own_announcement_from_another_room(
    app: App, config: Config
) -> None:
    """On Matrix the chat is a room: the author writes in one room and tries to approve in
    another; the four-eyes rule follows the person, not the room."""
    alice, bob = "matrix:@alice:example.org", "matrix:@bob:example.org"
    dispatcher = dispatcher_for(
        app,
        with_roles(config, staff=[alice, bob]).model_copy(
            update={"announcements": config.announcements.model_copy(update={"four_eyes": True})}
        ),
    )

    async def say(sender: str, room: str, text: str) -> str:
        message = Incoming(
            chat=Identity.parse(room), sender=Identity.parse(sender), text=text, language="de"
        )
        replies = await dispatcher.handle(message, CONSOLE)
        return "\n\n".join(reply.text for reply in replies)

    await say(alice, "matrix:!one:example.org", "/announce")
    await say(alice, "matrix:!one:example.org", "1")
    await say(alice, "matrix:!one:example.org", "Das Bürgerportal ist online.")
    await say(alice, "matrix:!one:example.org", "1")
    assert "wartet auf die Freigabe" in await say(alice, "matrix:!one:example.org", "1")
    refused = await say(alice, "matrix:!two:example.org", "/approve 1")
    assert "Deine eigene Ankündigung kannst du nicht freigeben" in refused
    assert "Ankündigung #1" in await say(bob, "matrix:!three:example.org", "/approve 1")


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "de",
            "Bezahlter Versand auf Telegram: 2 Empfänger dort, bis zu 1.000 Nachrichten pro "
            "Sekunde, kostet etwa 0 Telegram-Sterne",
        ),
        (
            "en",
            "Paid broadcast on Telegram: 2 recipients there, up to 1,000 messages a second, "
            "costs about 0 Telegram Stars",
        ),
    ],
)
async def test_the_preview_says_what_a_paid_broadcast_costs(
    app: App, config: Config, lang: str, expected: str
) -> None:
    paid = config.model_copy(
        update={"telegram": config.telegram.model_copy(update={"paid_broadcast": True})}
    )
    dispatcher = dispatcher_for(app, with_roles(paid, staff=[STAFF]))
    for user in ("telegram:71", "telegram:72"):
        await Chat(dispatcher, user=user).ask("/subscribe alle")
    staff = person(dispatcher, "staff", lang)
    await staff.ask(f"/language {lang}")
    await staff.ask("/announce")
    await staff.press("Alle Abonnenten" if lang == "de" else "All subscribers")
    await staff.ask("Hallo")
    preview = await staff.press("Ohne englischen Text" if lang == "de" else "No English text")
    assert expected in preview


def test_paid_broadcasts_cost_a_tenth_of_a_star_above_the_free_thirty_a_second() -> None:
    assert broadcast.paid_stars(30, 1000) == 0
    assert broadcast.paid_stars(20_000, 1000) == pytest.approx(0.1 * (20_000 - 30 * 20))
