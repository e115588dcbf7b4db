"""Roles by invite code, revoked by admins, every change in the audit log; and who may do what."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.core.dispatcher import Dispatcher
from bot.core.roles import Role
from bot.runtime.app import App
from bot.runtime.config import Config
from storage import roles
from storage.models import AuditEntry, Invite
from tests.harness import Chat, dispatcher_for, with_roles

pytestmark = pytest.mark.both_databases

ADMIN, STAFF, BOARD = "telegram:1", "telegram:2", "telegram:3"


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
    assert f"admin: {ADMIN}" in listing and "staff: telegram:50 (invite:1" in listing
    assert "hat die Rolle „staff“ nicht mehr" in await admin.ask("/revoke telegram:50 staff")
    assert "nur Mitarbeitenden" in await zoe.ask("/inbox")
    assert "nicht per Einladung" in await admin.ask(f"/revoke {STAFF} staff")
    assert "So geht es" in await admin.ask("/revoke nonsense")
    async with app.sessions() as session:
        actions = [e.action for e in await session.scalars(select(AuditEntry))]
    assert {"invite", "grant", "revoke"} <= set(actions)


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
