"""klbot on Matrix, end to end against a real Synapse homeserver."""

from __future__ import annotations

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
    assert "2) KL.digital allgemein" in await ben.ask("/feedback")
    assert "6) Überspringen" in await ben.ask("2")
    assert "höchstens 4000" in await ben.ask("4")
    assert "1) Ja" in await ben.ask("Mehr <b>Bänke</b> bitte")
    summary = await ben.ask("2")
    assert "Mehr <b>Bänke</b> bitte" in summary
    formatted = ben.notices[-1].source["content"]["formatted_body"]
    assert "&lt;b&gt;Bänke&lt;/b&gt;" in formatted and "<br>" in formatted
    assert "gespeichert unter der Nummer F-" in await ben.ask("1")


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
