"""klbot on Matrix, end to end against a real Synapse homeserver."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets

import pytest

from tests.matrix.citizen import Citizen
from tests.matrix.conftest import MatrixWorld


async def test_direct_chat_question_and_numbered_choices(matrix: MatrixWorld) -> None:
    ana = await matrix.citizen("ana")
    await ana.open_chat(matrix.bot)
    greeting = await ana.ask("/start")
    assert greeting.startswith("Hallo") and "/help" in greeting
    answer = await ana.ask("Wer ist der CDO?")
    assert "Prof. Dieter Rombach" in answer and "1) 👍 Hilfreich" in answer
    assert "Danke" in await ana.ask("1")
    notice = ana.notices[-1]
    assert notice.source["content"]["msgtype"] == "m.notice"
    assert notice.source["content"]["format"] == "org.matrix.custom.html"


async def test_feedback_by_numbers(matrix: MatrixWorld) -> None:
    ben = await matrix.citizen("ben")
    await ben.open_chat(matrix.bot)
    assert "2) KL.digital allgemein" in await ben.ask("/feedback", count=2)
    assert "6) Überspringen" in await ben.ask("2")
    assert "höchstens 4000" in await ben.ask("4")
    assert "1) Ja" in await ben.ask("Mehr <b>Bänke</b> bitte")
    summary = await ben.ask("2")
    assert "Mehr <b>Bänke</b> bitte" in summary
    formatted = ben.notices[-1].source["content"]["formatted_body"]
    assert "&lt;b&gt;Bänke&lt;/b&gt;" in formatted and "<br>" in formatted
    assert "gespeichert und hat die Nummer F-" in await ben.ask("1")


async def test_restart_replays_nothing_and_misses_nothing(matrix: MatrixWorld) -> None:
    cleo = await matrix.citizen("cleo")
    await cleo.open_chat(matrix.bot)
    assert "Hallo" in await cleo.ask("/start")
    await matrix.stop_klbot()
    await cleo.say("Wer ist der CUO?")  # sent while klbot is down
    await matrix.start_klbot()
    replies = await cleo.replies(1, timeout=60)
    assert "Steinebach" in replies[0].body
    assert await cleo.quiet(4) == []  # and nothing old answered again


async def test_history_from_before_klbot_joined_is_not_answered(matrix: MatrixWorld) -> None:
    await matrix.stop_klbot()
    dana = await matrix.citizen("dana")
    await dana.open_chat(matrix.bot, wait=False)
    await dana.say("Wer ist der CDO?")  # before klbot ever saw the room
    await matrix.start_klbot()
    await dana.wait_for_member(matrix.bot, timeout=60)
    assert await dana.quiet(4) == []
    assert "Rombach" in await dana.ask("Und jetzt: wer ist der CDO?")


async def test_notices_are_never_answered(matrix: MatrixWorld) -> None:
    eve = await matrix.citizen("eve")
    await eve.open_chat(matrix.bot)
    await eve.say("Wer ist der CDO?", msgtype="m.notice")  # another bot talking
    assert await eve.quiet(3) == []


async def test_group_rooms_only_from_allowed_inviters(matrix: MatrixWorld) -> None:
    stranger = await matrix.citizen("stranger")
    await stranger.open_chat(matrix.bot, direct=False, wait=False)
    await stranger.sync()
    for _ in range(20):
        response = await stranger.sync()
        members = stranger.client.rooms[stranger.room_id].users
        if matrix.bot not in stranger.client.rooms[stranger.room_id].invited_users and (
            matrix.bot not in members
        ):
            break
    else:
        raise AssertionError(f"klbot did not decline the group invite: {response}")


async def test_encrypted_direct_chat(matrix: MatrixWorld) -> None:
    fritz = await matrix.citizen("fritz")
    await fritz.open_chat(matrix.bot, encrypted=True)
    assert fritz.client.rooms[fritz.room_id].encrypted
    answer = await fritz.ask("Wer ist der CUO?")
    assert "Gerhard Steinebach" in answer
    assert fritz.notices[-1].decrypted  # it came encrypted and was decrypted by the citizen
    assert fritz.undecryptable == 0


async def test_group_room_commands_and_mentions_only(matrix: MatrixWorld) -> None:
    staff_password = "staff-password-1"
    with contextlib.suppress(OSError):  # registered already by an earlier test
        matrix.synapse.register("staff", staff_password)

    staff = Citizen(matrix.synapse.url, "@staff:localhost", staff_password, matrix.folder / "st")
    await staff.login()
    matrix.citizens.append(staff)
    await staff.open_chat(matrix.bot, direct=False)
    guest = await matrix.citizen("guest")  # a third member makes it a group
    await staff.client.room_invite(staff.room_id, guest.client.user_id)
    await guest.sync()
    await guest.client.join(staff.room_id)
    await staff.wait_for_member(guest.client.user_id)
    await staff.say("Wer ist der CDO?")  # chatter between people: not for klbot
    assert await staff.quiet(3) == []
    assert "/start" in await staff.ask("/help")
    assert "Rombach" in await staff.ask("klbot: wer ist der CDO?")


async def test_klbot_reconnects_when_the_homeserver_comes_back(matrix: MatrixWorld) -> None:
    gus = await matrix.citizen("gus")
    await gus.open_chat(matrix.bot)
    assert "Hallo" in await gus.ask("/start")
    matrix.synapse.stop()
    await asyncio.sleep(3)  # klbot's sync fails meanwhile and backs off
    matrix.synapse.start()
    assert "Rombach" in await gus.ask("Wer ist der CDO?", timeout=90)


async def test_group_room_stays_a_group_after_a_restart(matrix: MatrixWorld) -> None:
    staff_password = "staff-password-1"
    with contextlib.suppress(OSError):
        matrix.synapse.register("staff", staff_password)
    staff = Citizen(matrix.synapse.url, "@staff:localhost", staff_password, matrix.folder / "s2")
    await staff.login()
    matrix.citizens.append(staff)
    await staff.open_chat(matrix.bot, direct=False)
    guest = await matrix.citizen("guest")
    await staff.client.room_invite(staff.room_id, guest.client.user_id)
    await guest.sync()
    await guest.client.join(staff.room_id)
    await staff.wait_for_member(guest.client.user_id)
    await matrix.stop_klbot()
    await matrix.start_klbot()
    await staff.say("Wer ist der CDO?")  # still chatter between people after the restart
    assert await staff.quiet(3) == []
    assert "/start" in await staff.ask("/help")


async def test_subscribe_and_receive_an_announcement(matrix: MatrixWorld) -> None:
    from tests.harness import Chat

    ida = await matrix.citizen("ida")
    await ida.open_chat(matrix.bot)
    assert "1) Alle Neuigkeiten" in await ida.ask("/subscribe", count=2)
    assert "Abonniert: Alle Neuigkeiten" in await ida.ask("1")
    assert matrix.app is not None
    staff = Chat(matrix.app.dispatcher, user="console:staff")
    await staff.ask("/announce")
    await staff.press("Alle Abonnenten")
    await staff.ask("Sprechstunde des CDO am Freitag.")
    await staff.press("Ohne englischen Text")
    assert "an 1 Empfänger" in await staff.press("Jetzt senden")
    received = await ida.replies(1, timeout=30)
    assert received[0].body == (
        "📣 KL.digital\n\nSprechstunde des CDO am Freitag.\n\nDu bekommst diese Nachricht, "
        "weil du Neuigkeiten abonniert hast. Abbestellen: /unsubscribe"
    )


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
async def test_mydata_arrives_as_a_json_file(matrix: MatrixWorld, encrypted: bool) -> None:
    jan = await matrix.citizen("jan")
    await jan.open_chat(matrix.bot, encrypted=encrypted)
    notice = await jan.ask("/mydata")
    assert "klbot-mydata.json" in notice
    name, data = await jan.file()
    assert name == "klbot-mydata.json"
    identities = json.loads(data)["identities"]
    assert any(jan.client.user_id in str(row) for row in identities)


async def test_a_homeserver_429_pauses_sending_and_loses_nothing(matrix: MatrixWorld) -> None:
    """Synapse limits klbot's account to one message a second (admin API): the sender meets
    429s with retry_after_ms, pauses, and every message arrives once, in order."""
    import urllib.request

    from storage import outbox

    admin = matrix.synapse.register(f"admin{secrets.token_hex(3)}", "admin-pass", admin=True)
    login = urllib.request.Request(
        f"{matrix.synapse.url}/_matrix/client/v3/login",
        data=json.dumps(
            {"type": "m.login.password", "user": admin, "password": "admin-pass"}
        ).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(login, timeout=10) as response:
        token = json.loads(response.read())["access_token"]
    override = f"{matrix.synapse.url}/_synapse/admin/v1/users/{matrix.bot}/override_ratelimit"

    def ratelimit(method: str, body: dict[str, int] | None = None) -> None:
        request = urllib.request.Request(
            override,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            method=method,
        )
        urllib.request.urlopen(request, timeout=10).close()

    una = await matrix.citizen("una")
    await una.open_chat(matrix.bot)
    assert "/help" in await una.ask("/start")
    assert matrix.app is not None and matrix.app.sender is not None
    ratelimit("POST", {"messages_per_second": 1, "burst_count": 1})
    try:
        async with matrix.app.sessions() as session, session.begin():
            for number in range(4):
                chat = f"matrix:{una.room_id}"
                await outbox.enqueue(session, chat=chat, text=f"Nachricht {number}")
        matrix.app.sender.wake()
        received = [notice.body for notice in await una.replies(4, timeout=60)]
    finally:
        ratelimit("DELETE")
    assert received == [f"Nachricht {number}" for number in range(4)]
    retried = matrix.app.metrics.deliveries.labels("matrix", "retry")._value.get()
    assert retried > 0  # the 429s reached klbot's sender (not hidden in matrix-nio)


@pytest.mark.parametrize("matrix", [{"rate_per_chat": 20.0}], indirect=True, ids=["fast"])
async def test_the_authors_progress_is_one_event_replaced_until_done(matrix: MatrixWorld) -> None:
    """A staff member on Matrix announces to six subscribers (console chats: each gets
    it with their next message). The report job's new figures replace the text of one
    progress event (``m.replace``) down to the done text; the report is a message of its
    own. Checked as the author's client sees it: its sync, the relations API, and the
    event as the homeserver serves it now. (Two messages a second to a room, klbot's
    default, would only make the test slow.)"""
    from nio import RoomGetEventResponse
    from nio.api import RelationshipType

    from bot.core.events import Surface
    from storage import roles
    from tests.harness import Chat

    assert matrix.app is not None
    app = matrix.app
    console = Surface(buttons=False, push=False)
    readers = [Chat(app.dispatcher, f"console:leser{n}", surface=console) for n in range(6)]
    for reader in readers:
        await reader.ask("/subscribe alle")
    author = await matrix.citizen("stefan")
    await author.open_chat(matrix.bot)
    async with app.sessions() as session, session.begin():
        identity = f"matrix:{author.client.user_id}"
        await roles.grant(session, identity=identity, role="staff", by="test")
    assert "1) Alle Abonnenten" in await author.ask("/announce")
    assert "Text auf Deutsch" in await author.ask("1")
    assert "1) Ohne englischen Text" in await author.ask("Sprechstunde am Freitag.")
    assert "1) Jetzt senden" in await author.ask("1")
    before = len(author.notices)
    assert "geht an 6 Empfänger" in await author.ask("1")
    await app.finish_announcements()  # what the scheduler runs every five seconds
    assert [n.body for n in await author.replies()] == ["0 / 6 zugestellt"]  # after that
    for first in (0, 2, 4):
        for reader in readers[first : first + 2]:
            assert "Sprechstunde am Freitag." in await reader.ask("/start")
        await app.finish_announcements()  # what the scheduler runs every five seconds
        await author.replies(2 if first == 4 else 1)  # a new figure (at the end: the report)

    events = author.notices[before:]
    messages = [e for e in events if "m.relates_to" not in e.source["content"]]
    edits = [e for e in events if "m.relates_to" in e.source["content"]]
    progress = next(e for e in messages if e.body == "0 / 6 zugestellt")
    assert [e.body for e in messages[:2]] == [  # in this order
        "Ankündigung #1 geht an 6 Empfänger. Wenn alles zugestellt ist, bekommst du einen Bericht.",
        "0 / 6 zugestellt",
    ]
    assert len(messages) == 3  # and the report
    assert messages[-1].body.startswith("Bericht zur Ankündigung #1: 6 Empfänger, 6 zugestellt")
    assert [e.source["content"]["m.relates_to"] for e in edits] == 3 * [
        {"rel_type": "m.replace", "event_id": progress.event_id}
    ]
    assert [e.source["content"]["m.new_content"]["body"] for e in edits] == [
        "2 / 6 zugestellt, noch etwa 1 min",
        "4 / 6 zugestellt, noch etwa 1 min",
        "6 / 6 zugestellt.",
    ]
    assert all(e.body.startswith("* ") for e in edits)  # what clients without edits show

    client = author.client
    replacing = [
        event.event_id
        async for event in client.room_get_event_relations(
            author.room_id, progress.event_id, RelationshipType.replacement
        )
    ]
    assert sorted(replacing) == sorted(e.event_id for e in edits)
    served = await client.room_get_event(author.room_id, progress.event_id)
    assert isinstance(served, RoomGetEventResponse)
    latest = served.event.source["unsigned"]["m.relations"]["m.replace"]
    assert latest["event_id"] == edits[-1].event_id  # clients show "6 / 6 zugestellt."
