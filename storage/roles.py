"""Roles given in chat, one-time invite codes (kept hashed) and the audit log."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.base import changed
from storage.models import AuditEntry, Invite, RoleGrant, utcnow

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
"""Letters and digits nobody mistakes for another: no 0/O, 1/I/L."""
CODE_GROUPS, GROUP_LENGTH = 5, 4  # ABCD-EFGH-JKMN-PQRS-TUVW: 20 of 31 characters, 99 bits
MAX_VALIDITY = timedelta(days=30)
"""The longest an invite code may stay valid."""


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def normalise_code(code: str) -> str:
    """A code as typed, the way it is stored: upper case, without spaces and dashes."""
    return "".join(code.split()).replace("-", "").upper()


def _new_code() -> str:
    groups = (
        "".join(secrets.choice(CODE_ALPHABET) for _ in range(GROUP_LENGTH))
        for _ in range(CODE_GROUPS)
    )
    return "-".join(groups)


async def granted(session: AsyncSession, *, identity: str) -> set[str]:
    """The roles given to ``identity`` in chat."""
    rows = await session.scalars(select(RoleGrant.role).where(RoleGrant.identity == identity))
    return set(rows)


async def grants(session: AsyncSession) -> list[RoleGrant]:
    """Every role given in chat, by role and identity."""
    rows = await session.scalars(select(RoleGrant).order_by(RoleGrant.role, RoleGrant.identity))
    return list(rows)


async def grant(session: AsyncSession, *, identity: str, role: str, by: str) -> bool:
    """Give a role; False if it was held already."""
    if role in await granted(session, identity=identity):
        return False
    session.add(RoleGrant(identity=identity, role=role, granted_by=by))
    await audit(session, actor=by, action="grant", detail=f"{role} to {identity}")
    return True


async def holders(session: AsyncSession, *, role: str) -> list[str]:
    """The identities given ``role`` in chat."""
    rows = await session.scalars(
        select(RoleGrant.identity).where(RoleGrant.role == role).order_by(RoleGrant.identity)
    )
    return list(rows)


async def revoke(session: AsyncSession, *, identity: str, role: str, by: str) -> bool:
    result = await session.execute(
        delete(RoleGrant).where(RoleGrant.identity == identity, RoleGrant.role == role)
    )
    if changed(result):
        await audit(session, actor=by, action="revoke", detail=f"{role} from {identity}")
    return bool(changed(result))


async def create_invite(session: AsyncSession, *, role: str, by: str, expires_at: datetime) -> str:
    """A fresh one-time code for ``role``; only its hash is stored. A code is valid for
    :data:`MAX_VALIDITY` at most (``ValueError`` for longer)."""
    if expires_at > utcnow() + MAX_VALIDITY:
        raise ValueError(f"an invite code is valid for {MAX_VALIDITY.days} days at most")
    code = _new_code()
    code_hash = _hash(normalise_code(code))
    session.add(Invite(code_hash=code_hash, role=role, created_by=by, expires_at=expires_at))
    await audit(
        session, actor=by, action="invite", detail=f"{role} until {expires_at:%Y-%m-%d %H:%M} UTC"
    )
    return code


async def redeem(session: AsyncSession, *, code: str, identity: str) -> str | None:
    """Use a code: the role it gives, or ``None`` if it is unknown, used or expired.

    Case, spaces and dashes do not matter; a code from before the look-alike-free
    alphabet (URL-safe base64) still works exactly as it was printed.
    """
    hashes = {_hash(normalise_code(code)), _hash(code.strip())}
    invite = await session.scalar(select(Invite).where(Invite.code_hash.in_(hashes)))
    if invite is None or invite.used_at is not None or invite.expires_at <= utcnow():
        await audit(session, actor=identity, action="join-failed", detail="")
        return None
    invite.used_at, invite.used_by = utcnow(), identity
    await grant(session, identity=identity, role=invite.role, by=f"invite:{invite.id}")
    return invite.role


async def audit(session: AsyncSession, *, actor: str, action: str, detail: str) -> None:
    session.add(AuditEntry(actor=actor, action=action, detail=detail))


async def count_actions(session: AsyncSession, *, actor: str, action: str, since: datetime) -> int:
    query = select(func.count()).where(
        AuditEntry.actor == actor, AuditEntry.action == action, AuditEntry.created_at >= since
    )
    return await session.scalar(query) or 0
