"""Roles by invite code, revoked by admins, every change in the audit log; and who may do what."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.core.dispatcher import Dispatcher
from bot.core.events import Surface
from bot.core.i18n import day
from bot.core.roles import Role
from bot.runtime.app import App
from bot.runtime.config import Config, load_config
from storage import roles
from storage.models import AuditEntry, Invite
from tests.harness import Chat, dispatcher_for, with_roles
from tests.shell import klbot

pytestmark = pytest.mark.both_databases

ADMIN, STAFF, BOARD = "telegram:1", "telegram:2", "telegram:3"
CONSOLE = Surface(buttons=False, push=False)
"""Where messages owed to a person show up with their next reply."""


@pytest.fixture
def dispatcher(app: App, config: Config) -> Dispatcher:
    return dispatcher_for(app, with_roles(config, admin=[ADMIN], staff=[STAFF], board=[BOARD]))


async def new_code(app: App, role: str = "staff", valid: timedelta = timedelta(days=1)) -> str:
    async with app.sessions() as session, session.begin():
        return await roles.create_invite(
            session, role=role, by="cli:test", expires_at=datetime.now(UTC) + valid
        )


async def test_an_invite_code_works_once(app: App, dispatcher: Dispatcher) -> None:
    code = await new_code(app, "board")
    zoe, max_ = Chat(dispatcher, user="matrix:@zoe:x.org"), Chat(dispatcher, user="telegram:9")
    assert "Rolle „Beirat“" in await zoe.ask(f"/join {code}")
    assert "ungültig, abgelaufen oder schon benutzt" in await max_.ask(f"/join {code}")
    async with app.sessions() as session:
        stored = list(await session.scalars(select(Invite.code_hash)))
    assert stored and code not in stored[0]  # only the hash is kept


async def test_codes_have_no_look_alikes_and_forgive_case_spaces_and_dashes(
    app: App, dispatcher: Dispatcher
) -> None:
    for _ in range(20):
        code = await new_code(app)
        assert not set(code) & set("0O1IL"), code
    typed = code.lower().replace("-", " ")
    assert "Rolle „Mitarbeitende“" in await Chat(dispatcher).ask(f"/join {typed}")
    board_code = await new_code(app, "board")
    ben = Chat(dispatcher, user="telegram:12", language="en")
    joined = await ben.ask(f"/join {board_code.replace('-', '')}")
    assert "role “board member”" in joined and "/help shows what you can do" in joined


async def test_a_code_printed_before_the_new_alphabet_still_works(
    app: App, dispatcher: Dispatcher
) -> None:
    old = secrets.token_urlsafe(12)  # how codes looked before: case matters, '-' and '_'
    async with app.sessions() as session, session.begin():
        session.add(
            Invite(
                code_hash=hashlib.sha256(old.encode()).hexdigest(),
                role="board",
                created_by="cli:test",
                expires_at=datetime.now(UTC) + timedelta(days=1),
            )
        )
    assert "Rolle „Beirat“" in await Chat(dispatcher, user="telegram:13").ask(f"/join {old}")


async def test_expired_codes_and_guessing_are_refused(app: App, dispatcher: Dispatcher) -> None:
    expired = await new_code(app, valid=timedelta(seconds=-1))
    eve = Chat(dispatcher, user="telegram:66")
    assert "ungültig" in await eve.ask(f"/join {expired}")
    for attempt in range(4):
        assert "ungültig" in await eve.ask(f"/join guess{attempt}")
    good = await new_code(app)
    assert "Zu viele ungültige Codes" in await eve.ask(f"/join {good}")
    assert "Willkommen" in await Chat(dispatcher, user="telegram:67").ask(f"/join {good}")


async def test_admin_lists_and_revokes_and_everything_is_audited(
    app: App, dispatcher: Dispatcher
) -> None:
    code = await new_code(app)
    zoe = Chat(dispatcher, user="telegram:50")
    await zoe.ask(f"/join {code}")
    assert "/inbox" in await zoe.ask("/help")
    admin = Chat(dispatcher, user=ADMIN)
    listing = await admin.ask("/roles")
    today = datetime.now(ZoneInfo("Europe/Berlin")).strftime("%d.%m.%Y")
    assert f"• Administration: {ADMIN} (aus der Konfiguration)" in listing
    assert f"• Mitarbeitende: telegram:50 (per Einladung vom {today})" in listing
    assert "invite:" not in listing and "staff" not in listing
    revoked = await admin.ask("/revoke telegram:50 staff")
    assert revoked == "telegram:50 hat die Rolle „Mitarbeitende“ nicht mehr."
    assert "nur Mitarbeitenden" in await zoe.ask("/inbox")
    assert "„Mitarbeitende“ nicht per Einladung" in await admin.ask(
        f"/revoke {STAFF} Mitarbeitende"
    )
    how = await admin.ask("/revoke nonsense")
    assert how.startswith("Nenn die Person und die Rolle") and "Beirat" in how
    admin.language = "en"
    await admin.ask("/language en")
    listing = await admin.ask("/roles")
    assert f"• Administrator: {ADMIN} (from the configuration)" in listing
    assert "Name the person and the role" in await admin.ask("/revoke telegram:50")
    async with app.sessions() as session:
        actions = [e.action for e in await session.scalars(select(AuditEntry))]
    assert {"invite", "grant", "revoke"} <= set(actions)


async def test_a_revoked_board_member_is_told_in_their_language(
    app: App, dispatcher: Dispatcher
) -> None:
    admin = Chat(dispatcher, user=ADMIN)
    bea = Chat(dispatcher, user="console:bea", surface=CONSOLE)
    await bea.ask(f"/join {await new_code(app, 'board')}")
    assert "/digest" in await bea.ask("/help")
    await admin.ask("/revoke console:bea Beirat")
    told = await bea.ask("/start")
    assert "Du hast die Rolle „Beirat“ nicht mehr." in told
    assert "Den wöchentlichen Überblick über die Rückmeldungen" in told and "/digest" in told
    assert "/digest" not in await bea.ask("/help")
    assert "Beirat" not in await bea.ask("/start")  # told once

    ben = Chat(dispatcher, user="console:ben", surface=CONSOLE, language="en")
    await ben.ask("/language en")
    await ben.ask(f"/join {await new_code(app, 'admin')}")
    await admin.ask("/revoke console:ben administrator")
    told = await ben.ask("/help")
    assert "You no longer have the role “administrator”." in told
    assert "no longer manage roles" in told and "/inbox, /answer and /announce" in told
    assert "/roles" not in told.split("/help shows what you can do now.")[1]


def role_holders() -> dict[Role, str]:
    return {Role.CITIZEN: "telegram:77", Role.BOARD: BOARD, Role.STAFF: STAFF, Role.ADMIN: ADMIN}


async def test_every_restricted_command_is_refused_to_every_role_lacking_it(
    dispatcher: Dispatcher,
) -> None:
    restricted = [c for c in dispatcher.commands.values() if c.roles]
    assert {"inbox", "announce", "roles", "gaps"} <= {c.name for c in restricted}
    for command in restricted:
        for role, identity in role_holders().items():
            held = {role} | ({Role.STAFF} if role is Role.ADMIN else set())
            answer = await Chat(dispatcher, user=identity).ask(f"/{command.name} x")
            refused = "nur" in answer and "zur Verfügung" in answer
            assert refused == (not command.roles & held), (command.name, role, answer)


def test_the_shell_invites_for_a_duration_and_acts_as_the_person_at_it(
    env: dict[str, str],
) -> None:
    ana = {**env, "SUDO_USER": "", "LOGNAME": "ana", "USER": "ana"}
    for bad in ("1x", "30", "0m", "soon"):
        done = klbot(ana, "invite", "--role", "board", "--expires", bad)
        assert done.returncode == 2 and done.stderr.count("\n") == 1, done
        assert "a duration like 1w, 7d, 12h or 90m" in done.stderr and not done.stdout
    assert "at most 30d" in klbot(ana, "invite", "--role", "board", "--expires", "5w").stderr
    done = klbot(ana, "invite", "--role", "board", "--expires", "1w")
    code = done.stdout.split()[1]
    assert "(one use, role board member, valid until " in done.stderr
    assert "Rolle „Beirat“" in klbot(ana, "ask", f"/join {code.lower()}").stdout
    today = day(datetime.now(ZoneInfo("Europe/Berlin")), "en")  # the shell speaks English
    listing = klbot(ana, "roles").stdout
    assert f"board member\tconsole:ana\tby invitation on {today}" in listing

    root_for_bea = {**env, "SUDO_USER": "bea", "LOGNAME": "root", "USER": "root"}
    done = klbot(root_for_bea, "roles", "--revoke", "console:ana", "Beirat")
    assert done.stdout == "console:ana no longer has the role 'board member'; they have been told\n"
    assert "Du hast die Rolle „Beirat“ nicht mehr" in klbot(ana, "ask", "/start").stdout
    again = klbot(root_for_bea, "roles", "--revoke", "console:ana", "board")
    assert again.returncode == 2 and "holds no role 'board member' by invitation" in again.stderr
    assert "is not a role" in klbot(ana, "roles", "--revoke", "console:ana", "king").stderr

    async def actors() -> dict[str, str]:
        config = load_config(None, env={"KLBOT_DATABASE_URL": env["KLBOT_DATABASE_URL"]})
        async with App.open(config) as app, app.sessions() as session:
            return {e.action: e.actor for e in await session.scalars(select(AuditEntry))}

    assert asyncio.run(actors()) == {
        "invite": "console:ana",
        "grant": "invite:1",
        "revoke": "console:bea",
    }
