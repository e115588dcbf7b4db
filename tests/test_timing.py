"""Times and rules as people mean them: summer time, weekdays with a bare hour, cron read as
cron, rules said in words, four eyes kept after a change, typed audiences, the shell."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine

from bot.runtime.app import App
from bot.runtime.config import Config
from storage import conversations, people
from tests.harness import BUTTONS, Chat, dispatcher_for, with_roles
from tests.shell import Done, klbot
from tests.test_scheduling import BERLIN, CONSOLE, THURSDAY, compose, planned

SPRING = datetime(2027, 3, 27, 12, 0, tzinfo=BERLIN)
"""Saturday before the clocks go forward (Sunday 28 March 2027, 02:00 → 03:00)."""
AUTUMN = datetime(2027, 10, 30, 12, 0, tzinfo=BERLIN)
"""Saturday before the clocks go back (Sunday 31 October 2027, 03:00 → 02:00)."""


def strict(config: Config) -> Config:
    """Two staff members, and announcements to everyone need the second one."""
    four_eyes = config.announcements.model_copy(update={"four_eyes": True})
    staffed = with_roles(config, staff=["console:staff", "console:sam"])
    return staffed.model_copy(update={"announcements": four_eyes})


@pytest.fixture
def staff(app: App, config: Config) -> Chat:
    return Chat(dispatcher_for(app, strict(config)), user="console:staff", surface=CONSOLE)


@pytest.fixture
def sam(app: App, config: Config) -> Chat:
    return Chat(dispatcher_for(app, strict(config)), user="console:sam", surface=BUTTONS)


async def open_to_all(app: App, config: Config) -> Chat:
    """Staff who may send to everyone without a second person."""
    return Chat(
        dispatcher_for(app, with_roles(config, staff=["console:staff"])),
        user="console:staff",
        surface=CONSOLE,
    )


async def test_summer_and_winter_time_keep_the_clock_time(app: App, config: Config) -> None:
    staff = await open_to_all(app, config)
    with time_machine.travel(SPRING):
        said = await planned(staff, "2", "morgen 9 Uhr")
        assert "ist geplant: So., 28.03.2027 um 09:00." in said
        assert "#1 · So., 28.03.2027 um 09:00 ·" in await staff.ask("/scheduled")
    with time_machine.travel(datetime(2027, 3, 28, 1, 30, tzinfo=BERLIN)):
        assert "ist geplant: So., 28.03.2027 um 18:00." in await planned(staff, "2", "heute 18 Uhr")
    with time_machine.travel(AUTUMN):
        said = await planned(staff, "2", "morgen 9 Uhr")
        assert "ist geplant: So., 31.10.2027 um 09:00." in said
        assert "#3 · So., 31.10.2027 um 09:00 ·" in await staff.ask("/scheduled")
    await staff.ask("/language en")
    with time_machine.travel(SPRING):
        assert "is planned: Sun 28 Mar 2027 at 09:00." in await planned(staff, "2", "tomorrow 9am")
    with time_machine.travel(AUTUMN):
        assert "is planned: Sun 31 Oct 2027 at 09:00." in await planned(
            staff, "2", "tomorrow at 9:00"
        )
        assert "#5 · Sun 31 Oct 2027 at 09:00 ·" in await staff.ask("/scheduled")


async def test_a_weekday_and_a_bare_hour(app: App, config: Config) -> None:
    staff = await open_to_all(app, config)
    with time_machine.travel(THURSDAY):
        for text, said in [
            ("Freitag 9", "Fr., 15.01.2027 um 09:00"),
            ("Mo 9", "Mo., 18.01.2027 um 09:00"),
            ("Di 9", "Di., 19.01.2027 um 09:00"),
            ("Fr 14", "Fr., 15.01.2027 um 14:00"),
        ]:
            assert f"ist geplant: {said}." in await planned(staff, "2", text)
        # 5 December 2027 is a Sunday: a date that is not the day named is no time
        assert "„Montag 05.12.2027“ verstehe ich nicht" in await planned(
            staff, "2", "Montag 05.12.2027"
        )
        await staff.ask("/cancel")
        await staff.ask("/language en")
        for text, said in [
            ("Friday 9", "Fri 15 Jan 2027 at 09:00"),
            ("Mon 9", "Mon 18 Jan 2027 at 09:00"),
        ]:
            assert f"is planned: {said}." in await planned(staff, "2", text)


async def test_cron_weekdays_names_and_rules_in_words(app: App, config: Config) -> None:
    staff = await open_to_all(app, config)
    with time_machine.travel(THURSDAY):
        for text, said in [
            ("0 9 * * 0-4", "täglich von Sonntag bis Donnerstag um 09:00, nächster Termin So."),
            ("0 9 * * 0-6", "täglich um 09:00, nächster Termin Fr., 15.01.2027"),
            (
                "0 9 * * */2",  # cron: Sunday, Tuesday, Thursday, Saturday
                "jeden Dienstag, Donnerstag, Samstag und Sonntag um 09:00, "
                "nächster Termin Sa., 16.01.2027",
            ),
            ("0 9 * * 1/2", "jeden Montag, Mittwoch und Freitag um 09:00, nächster Termin Fr."),
            ("0 9 * * 7", "jeden Sonntag um 09:00, nächster Termin So., 17.01.2027"),
            ("0 9 * * mon-fri", "werktags (Montag bis Freitag) um 09:00, nächster Termin Fr."),
            ("0 9 * * MON-FRI", "werktags (Montag bis Freitag) um 09:00"),
            ("0 8,12 * * *", "täglich um 08:00 und 12:00, nächster Termin Do., 14.01.2027 um 12"),
            (
                "täglich von Montag bis Mittwoch 9 Uhr",
                "täglich von Montag bis Mittwoch um 09:00, nächster Termin Mo., 18.01.2027",
            ),
            ("0 */2 * * sat", "jeden Samstag alle 2 Stunden von 00:00 bis 22:00"),
        ]:
            assert f"ist geplant: {said}" in await planned(staff, "3", text)
        for text, said in [  # German days in two letters, where written as days
            ("jeden Di und Do um 9", "jeden Dienstag und Donnerstag um 09:00"),
            ("Mo-Fr um 8 Uhr", "werktags (Montag bis Freitag) um 08:00"),
            ("jeden So. um 10", "jeden Sonntag um 10:00"),
        ]:
            assert f"ist geplant: {said}" in await planned(staff, "3", text)
        refused = await planned(staff, "3", "ab Montag jeden Tag 9 Uhr")
        assert refused.startswith("Die Regel „ab Montag jeden Tag 9 Uhr“ verstehe ich nicht.")
        await staff.ask("/cancel")
        refused = await planned(staff, "3", "jeden Montag um 9 und so")  # "so" is no Sunday
        assert refused.startswith("Die Regel „jeden Montag um 9 und so“ verstehe ich nicht.")
        await staff.ask("/cancel")
        listing = await staff.ask("/scheduled")
        assert "#1 · täglich von Sonntag bis Donnerstag um 09:00, nächster Termin So." in listing
        assert "Cron" not in listing
        await staff.ask("/language en")
        for text, said in [
            ("0 9 * * 0-4", "every day from Sunday to Thursday at 09:00, next on Sun 17 Jan"),
            ("0 9 * * mon-fri", "every weekday (Monday to Friday) at 09:00, next on Fri 15 Jan"),
            (
                "*/30 8-17 * * *",
                "every day every 30 minutes from 08:00 to 17:30, next on Thu 14 Jan 2027 at 10:30",
            ),
            ("every day from Monday to Wednesday at 9", "every day from Monday to Wednesday"),
        ]:
            assert f"is planned: {said}" in await planned(staff, "3", text)
        refused = await planned(staff, "3", "from Monday every day at 9")
        assert refused.startswith("I did not understand the rule “from Monday every day at 9”")


async def test_a_change_after_approval_needs_approval_again(staff: Chat, sam: Chat) -> None:
    with time_machine.travel(THURSDAY):
        assert "wartet auf die Freigabe" in await planned(staff, "2", "morgen 9 Uhr")
        assert "#1 ist geplant: Fr., 15.01.2027 um 09:00" in await sam.ask("/approve 1")
        staff.surface = BUTTONS
        await staff.ask("/edit 1")
        await staff.press("Deutscher Text")
        changed = await staff.ask("Sprechstunde fällt aus")
        assert "muss deshalb noch einmal von einer zweiten Person freigegeben werden" in changed
        assert "Stand: wartet auf Freigabe" in changed
        assert "· Alle Abonnenten · wartet auf Freigabe" in await staff.ask("/scheduled")
        assert "#1 ist geplant" in await sam.ask("/approve 1")
        await staff.ask("/edit 1")
        await staff.press("Zeitpunkt")
        assert "noch einmal von einer zweiten Person" in await staff.ask("Freitag 10 Uhr")
        await staff.ask("/language en")
        await sam.ask("/approve 1")
        await staff.ask("/edit 1")
        await staff.press("English text")
        changed = await staff.ask("Office hours are cancelled")
        assert "has changed, so it needs approval by a second person again: /approve 1" in changed
        assert "State: awaits approval" in changed


async def test_nobody_approves_their_own_change(staff: Chat, sam: Chat) -> None:
    """Sam approved staff's announcement and then changed it: the change needs four eyes
    too, so staff approves it now, not sam."""
    with time_machine.travel(THURSDAY):
        await planned(staff, "2", "morgen 9 Uhr")
        assert "#1 ist geplant" in await sam.ask("/approve 1")
        await sam.ask("/edit 1")
        await sam.press("Deutscher Text")
        assert "noch einmal von einer zweiten Person" in await sam.ask("Sprechstunde fällt aus")
        await sam.press("Fertig")
        assert "eigene Ankündigung" in await sam.ask("/approve 1")
        assert "#1 ist geplant" in await staff.ask("/approve 1")


async def test_approving_when_the_time_has_passed(staff: Chat, sam: Chat, app: App) -> None:
    ana = Chat(app.dispatcher, user="console:ana", surface=CONSOLE)
    await ana.ask("/subscribe alle")
    with time_machine.travel(THURSDAY):
        await planned(staff, "2", "heute 11 Uhr")
        await planned(staff, "2", "heute 12 Uhr")
    with time_machine.travel(THURSDAY + timedelta(hours=3)):
        passed = await sam.ask("/approve 1")
        assert passed.startswith("Ankündigung #1 war für Do., 14.01.2027 um 11:00 geplant;")
        assert "Sende sie jetzt oder gib ihr mit /edit 1 einen neuen Zeitpunkt." in passed
        assert "ist geplant" not in passed
        assert "an 1 Empfänger" in await sam.press("Jetzt senden")
        assert "Sprechstunde" in await ana.ask("/start")
        await sam.ask("/language en")
        passed = await sam.ask("/approve 2")
        assert "#2 was planned for Thu 14 Jan 2027 at 12:00; that time has passed" in passed
        assert sam.buttons() == ["Send now"]


async def test_audiences_typed_at_the_audience_step(app: App, config: Config) -> None:
    staff = await open_to_all(app, config)
    ana = Chat(app.dispatcher, user="console:ana", surface=CONSOLE)
    await ana.ask("/subscribe #Smart City")
    await staff.ask("/announce")
    refused = await staff.ask("topic:Verkehr")
    assert refused.startswith("Ein Thema „Verkehr“ gibt es nicht. Diese Themen gibt es: all, ")
    assert "Smart City" in refused and staff.buttons()[0] == "Alle Abonnenten"
    assert "Der Text auf Deutsch" in await staff.ask("topic:Smart City")
    await staff.ask("Sensoren")
    preview = await staff.ask("1")  # no English text
    assert "Vorschau" in preview and "1 Empfänger" in preview and "Smart City" in preview
    await staff.ask("/cancel")
    await staff.ask("/announce")
    assert "Der Text auf Deutsch" in await staff.ask("Thema:Smart City")
    await staff.ask("/cancel")
    await staff.ask("/announce")
    again = await staff.ask("für die Presse")
    assert "oder schreib alle, Beirat, Mitarbeitende oder Thema:NAME" in again
    assert "Der Text auf Deutsch" in await staff.ask("Beirat")
    await staff.ask("/cancel")
    await staff.ask("/language en")
    await staff.ask("/announce")
    assert "There is no topic “Traffic”. The topics are: all, " in await staff.ask("topic:Traffic")
    assert "The text in German" in await staff.ask("topic:smart city")
    await staff.ask("/cancel")
    await staff.ask("/announce")
    assert "The text in German" in await staff.ask("board")


async def test_a_conversation_stored_at_the_old_cron_step_goes_on(app: App, config: Config) -> None:
    staff = await open_to_all(app, config)
    with time_machine.travel(THURSDAY):
        await compose(staff)
        await staff.ask("3")
        async with app.sessions() as session, session.begin():
            person = await people.get_or_create_person(session, identity="console:staff")
            state = await conversations.get_conversation(
                session, chat="console:staff", person_id=person.id
            )
            assert state is not None and state.step == "rule"
            state.step = "cron"  # as a klbot before the rename stored it
            await conversations.save_conversation(
                session, chat="console:staff", person_id=person.id, state=state
            )
        said = await staff.ask("jeden Montag 9 Uhr")
        assert "ist geplant: jeden Montag um 09:00, nächster Termin Mo., 18.01.2027" in said


def test_the_shell_reads_the_same_and_says_how_many(env: dict[str, str]) -> None:
    def announce(*args: str) -> Done:
        return klbot(env, "announce", "--audience", "all", "--text", "Sprechstunde", *args)

    klbot(env, "ask", "--user", "ana", "/subscribe alle")
    with time_machine.travel(THURSDAY):
        assert "#1 planned: Fri 15 Jan 2027 at 09:00\n" in announce("--at", "Freitag 9").stdout
        weekdays = announce("--every", "0 9 * * mon-fri").stdout
        assert "#2 planned: every weekday (Monday to Friday) at 09:00, next on Fri" in weekdays
        rule = announce("--at", "jeden Montag 9 Uhr")
        assert rule.returncode == 2
        assert rule.stderr == "klbot: --at: 'jeden Montag 9 Uhr' repeats; use --every for a rule\n"
        nobody = announce("--user", "two words", "--no-wait")
        assert nobody.returncode == 2 and "without spaces" in nobody.stderr
        sent = announce("--user", "bo", "--no-wait")
        assert "announcement #3 to 1 recipient: sending…\n" in sent.stdout
        assert "Sprechstunde" in klbot(env, "ask", "--user", "ana", "/start").stdout
