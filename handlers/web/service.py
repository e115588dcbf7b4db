"""Who may use the web console and their one-time login links; shared by /web, the
``klbot web login`` command and the console itself (``bot/web``)."""

from __future__ import annotations

from datetime import timedelta

from bot.core.roles import Role, roles_for
from bot.runtime.config import Config
from storage import Session
from storage import roles as grants
from storage import web as store

LINK_VALID = timedelta(minutes=10)
"""How long a login link works (once)."""
SESSION_IDLE = timedelta(hours=8)
"""A signed-in browser's session ends after this long without a request (and the
retention job deletes it)."""
CONSOLE_ROLES = frozenset({Role.STAFF, Role.BOARD})
"""Who may sign in (administrators hold every staff right)."""


async def roles_of(session: Session, config: Config, identity: str) -> frozenset[Role]:
    """The roles ``identity`` holds now: from the configuration and by invitation."""
    return roles_for(identity, config.roles, await grants.granted(session, identity=identity))


async def login_link(session: Session, config: Config, identity: str) -> str | None:
    """A one-time link that signs ``identity`` in to the web console, valid for
    :data:`LINK_VALID`; ``None`` if ``identity`` holds no staff or board role."""
    if not await roles_of(session, config, identity) & CONSOLE_ROLES:
        return None
    token = await store.create_login(session, identity=identity, valid_for=LINK_VALID)
    await grants.audit(session, actor=identity, action="web-link", detail="")
    return f"{config.web.public_url}/web/login/{token}"
