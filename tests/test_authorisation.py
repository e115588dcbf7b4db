"""The authorisation matrix: every staff, admin and board command, and every button of
theirs, tried by every role; and invite codes that cannot be guessed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.core.dispatcher import FAILED, Dispatcher
from bot.core.events import Identity, Incoming
from bot.core.roles import Role
from bot.runtime.app import App
from bot.runtime.config import Config
from storage import roles
from storage.models import Announcement, Feedback, FeedbackAnswer, RoleGrant
from tests.harness import Chat, dispatcher_for, with_roles

ADMIN, STAFF, BOARD, CITIZEN = "telegram:1", "telegram:2", "telegram:3", "telegram:4"
HOLDERS = {Role.CITIZEN: CITIZEN, Role.BOARD: BOARD, Role.STAFF: STAFF, Role.ADMIN: ADMIN}
HELD = {
    Role.CITIZEN: {Role.CITIZEN},
    Role.BOARD: {Role.CITIZEN, Role.BOARD},
    Role.STAFF: {Role.CITIZEN, Role.STAFF},
    Role.ADMIN: {Role.CITIZEN, Role.STAFF, Role.ADMIN},
}
# Arguments that make each command do its real work ({ref}: a citizen's feedback).
WORKING_ARGS = {
    "inbox": "all",
    "show": "{ref}",
    "answer": "{ref} Danke für den Hinweis",
    "close": "{ref}",
    "reopen": "{ref}",
    "fbstats": "30",
    "gaps": "30",
    "ratings": "30",
    "approve": "1",
    "unschedule": "1",
    "edit": "1",
    "revoke": "telegram:9 staff",
}


@pytest.fixture
def dispatcher(app: App, config: Config) -> Dispatcher:
    return dispatcher_for(app, with_roles(config, admin=[ADMIN], staff=[STAFF], board=[BOARD]))


async def setting(app: App, dispatcher: Dispatcher) -> str:
    """A citizen's feedback, a planned announcement and a role given by invite."""
    citizen = Chat(dispatcher, user="telegram:77")
    reference: str = re.findall(r"F-\w{6}", await citizen.ask("/feedback Die Ampel ist kaputt"))[0]
    await citizen.press("Ja")  # staff may answer
    staff = Chat(dispatcher, user=STAFF)
    await staff.ask("/announce")
    await staff.press("Alle Abonnenten")
    await staff.ask("Stadtratssitzung")
    await staff.press("Ohne englischen Text")
    await staff.press("Später senden")
    assert "#1 ist geplant" in await staff.ask("01.12.2099 09:00")
    async with app.sessions() as session, session.begin():
        await roles.grant(session, identity="telegram:9", role="staff", by="cli:test")
    return reference


async def test_every_restricted_command_as_every_role(app: App, dispatcher: Dispatcher) -> None:
    reference = await setting(app, dispatcher)
    restricted = sorted((c for c in dispatcher.commands.values() if c.roles), key=lambda c: c.name)
    assert {c.name for c in restricted} >= {"inbox", "announce", "roles", "revoke", "status"}
    for command in restricted:
        args = WORKING_ARGS.get(command.name, "").format(ref=reference)
        for role, identity in HOLDERS.items():
            allowed = bool(command.roles & HELD[role])
            answer = await Chat(dispatcher, user=identity).ask(f"/{command.name} {args}".strip())
            refused = "steht nur" in answer and "zur Verfügung" in answer
            assert refused != allowed, (command.name, role, answer)
            assert FAILED("de") not in answer, (command.name, role)
            if not allowed:
                assert "Ampel" not in answer and "telegram:" not in answer
            await Chat(dispatcher, user=identity).ask("/cancel")
    async with app.sessions() as session:
        feedback = (await session.scalars(select(Feedback))).one()
        answers = list(await session.scalars(select(FeedbackAnswer.text)))
        announcement = (await session.scalars(select(Announcement))).one()
        grants = list(await session.scalars(select(RoleGrant)))
    # only the allowed roles' attempts had an effect: staff answered, closed and reopened it
    # (once per staff role), admin revoked
    assert answers == ["Danke für den Hinweis"] * 2 and feedback.status == "answered"
    assert announcement.status == "cancelled" and grants == []


async def test_staff_buttons_do_nothing_for_citizens_and_board(
    app: App, dispatcher: Dispatcher
) -> None:
    reference = await setting(app, dispatcher)
    for identity in (CITIZEN, BOARD):
        chat = Chat(dispatcher, user=identity)
        for data in (
            f"fbs:{reference}",
            "ann:audience:all",
            "ann:confirm:send",
            "annedit:none",
        ):
            who = Identity.parse(identity)
            replies = await dispatcher.handle(
                Incoming(chat=who, sender=who, callback=data), chat.surface
            )
            text = "\n".join(r.text for r in replies)
            board_reads = identity == BOARD and data.startswith("fbs:")  # read-only, no sender
            assert ("Ampel" in text) == board_reads and "telegram:77" not in text, (identity, data)
            assert FAILED("de") not in text
    async with app.sessions() as session:
        assert (await session.scalars(select(Feedback))).one().status == "new"  # still unread
        assert len(list(await session.scalars(select(Announcement)))) == 1


async def test_invite_codes_resist_guessing(app: App, dispatcher: Dispatcher) -> None:
    valid = datetime.now(UTC) + timedelta(days=1)
    async with app.sessions() as session, session.begin():
        codes = [
            await roles.create_invite(session, role="staff", by="cli:test", expires_at=valid)
            for _ in range(50)
        ]
        with pytest.raises(ValueError, match="30 days at most"):
            await roles.create_invite(
                session, role="staff", by="cli:test", expires_at=valid + timedelta(days=30)
            )
    assert len(set(codes)) == 50
    group = "[A-HJKMNP-Z2-9]{4}"  # no look-alikes: 20 of 31 characters, 99 bits
    assert all(re.fullmatch(rf"{group}(-{group}){{4}}", code) for code in codes)
    mallory = Chat(dispatcher, user="telegram:666")
    near_misses = [codes[0][:-1] + c for c in "ABCDEF" if c != codes[0][-1]][:5]
    for guess in near_misses:  # one character off: still no entry
        assert "ungültig" in await mallory.ask(f"/join {guess}")
    locked = await mallory.ask(f"/join {codes[0]}")  # even the right code: locked now
    assert "gesperrt" in locked and re.search(r"ab \d\d:\d\d Uhr", locked)
    assert "Willkommen" in await Chat(dispatcher, user="telegram:667").ask(f"/join {codes[0]}")


def test_the_invite_command_refuses_long_validity(tmp_path: Path) -> None:
    env = {**os.environ, "KLBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/k.sqlite3"}
    run = subprocess.run(
        [sys.executable, "-m", "bot", "invite", "--role", "staff", "--expires", "90d"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert run.returncode == 2 and "at most 30d" in run.stderr
