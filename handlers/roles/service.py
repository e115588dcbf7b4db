"""Who holds a role (configuration and invites), taking one away and telling the person,
and how a grant reads; shared by chat, the shell, the digest and announcements."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.core.i18n import Text, day
from bot.core.roles import ROLE_NAMES, Role, roles_for
from bot.runtime.config import Config
from storage import Session, outbox, people
from storage import roles as store
from storage.models import RoleGrant

FROM_CONFIG = Text("from the configuration")
BY_INVITATION = Text("by invitation of {date}")
GIVEN_BY = Text("given by {who} on {date}")
REVOKED_NOTICE = Text(
    "You no longer have the role “{role}”. {changes}\n\n/help shows what you can do now."
)
WHAT_CHANGES = {
    Role.BOARD: Text(
        "You no longer receive the weekly feedback digest or news for the board, and "
        "/digest is no longer available to you."
    ),
    Role.STAFF: Text(
        "The staff commands such as /inbox, /answer and /announce are no longer available to you."
    ),
    Role.ADMIN: Text("You can no longer manage roles (/roles, /revoke)."),
}


def role_named(word: str) -> Role | None:
    """The role a word names: its key (``board``) or its name in any language ("Beirat")."""
    wanted = word.strip().lower()
    for role, name in ROLE_NAMES.items():
        if wanted in {role.value, name("de").lower(), name("en").lower()}:
            return role
    return None


async def holders(session: Session, config: Config, role: Role) -> list[str]:
    """Everyone holding ``role``, from the configuration or by invitation (admins hold
    every staff right)."""
    configured = list(getattr(config.roles, role.value))
    invited = await store.holders(session, role=role.value)
    if role is Role.STAFF:
        configured += config.roles.admin
        invited += await store.holders(session, role=Role.ADMIN.value)
    return list(dict.fromkeys([*configured, *invited]))


def granted_how(grant: RoleGrant, lang: str, zone: ZoneInfo) -> str:
    """“by invitation of 01.12.2026”, or who gave the role and when."""
    date = day(grant.created_at.astimezone(zone), lang)
    if grant.granted_by.startswith("invite:"):
        return BY_INVITATION(lang, date=date)
    return GIVEN_BY(lang, who=grant.granted_by, date=date)


async def revoke(session: Session, config: Config, *, identity: str, role: Role, by: str) -> bool:
    """Take ``role`` given by invitation from ``identity`` and tell them, in their language,
    what that changes; False if they did not hold it by invitation."""
    before = roles_for(identity, config.roles, await store.granted(session, identity=identity))
    if not await store.revoke(session, identity=identity, role=role.value, by=by):
        return False
    after = roles_for(identity, config.roles, await store.granted(session, identity=identity))
    lost = [held for held in WHAT_CHANGES if held in before - after]
    if lost:
        lang = await people.language_of(
            session, identity=identity, default=config.bot.default_language
        )
        changes = " ".join(WHAT_CHANGES[held](lang) for held in lost)
        notice = REVOKED_NOTICE(lang, role=ROLE_NAMES[role](lang), changes=changes)
        await outbox.enqueue(session, chat=identity, text=notice)
    return True
