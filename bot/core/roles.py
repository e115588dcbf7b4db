"""Who may do what: citizen (everyone), staff, board and admin."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from bot.core.i18n import Text
from bot.runtime.config import RolesSection


class Role(StrEnum):
    CITIZEN = "citizen"
    STAFF = "staff"
    BOARD = "board"
    ADMIN = "admin"


ROLE_NAMES = {
    Role.ADMIN: Text("administrator"),
    Role.STAFF: Text("staff member"),
    Role.BOARD: Text("board member"),
}
"""What a role is called wherever people read it (“Rolle „Beirat““)."""


def roles_for(
    identity: str, assigned: RolesSection, granted: Iterable[str] = ()
) -> frozenset[Role]:
    """Everyone is a citizen; roles come from the config and from invites (``granted``);
    admins also hold every staff right."""
    roles = {Role.CITIZEN, *(Role(role) for role in granted)}
    if identity in assigned.board:
        roles.add(Role.BOARD)
    if identity in assigned.staff:
        roles.add(Role.STAFF)
    if identity in assigned.admin or Role.ADMIN in roles:
        roles |= {Role.ADMIN, Role.STAFF}
    return frozenset(roles)
